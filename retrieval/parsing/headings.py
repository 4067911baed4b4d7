"""Heading-path bookkeeping shared by the structured parsers (docx, html, markdown)."""

from __future__ import annotations

from retrieval.models import Section

HEADING_SEPARATOR = " > "


class SectionBuilder:
    """Collects text blocks under the current heading path and emits sections."""

    def __init__(self, page: int | None = None) -> None:
        self._page = page
        self._path: list[tuple[int, str]] = []
        self._blocks: list[str] = []
        self.sections: list[Section] = []
        # The first heading of the top-most level seen: the title candidate.
        self._top: tuple[int, str] | None = None

    @property
    def top_heading(self) -> str | None:
        """The first heading of the highest level (the first h1, else the first h2...)."""
        return self._top[1] if self._top is not None else None

    @property
    def heading(self) -> str:
        """The current heading path, e.g. "Policies > Leave"."""
        return HEADING_SEPARATOR.join(title for _, title in self._path)

    def add_heading(self, level: int, title: str) -> None:
        """Close the current section and enter a heading at ``level`` (1 = top)."""
        title = " ".join(title.split())
        if not title:
            return
        self.flush()
        if self._top is None or level < self._top[0]:
            self._top = (level, title)
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, title))

    def add_text(self, text: str) -> None:
        """Append a block of text to the current section."""
        text = text.strip()
        if text:
            self._blocks.append(text)

    def flush(self) -> None:
        """Emit the collected blocks as one section."""
        if self._blocks:
            text = "\n\n".join(self._blocks)
            self.sections.append(Section(text=text, page=self._page, heading=self.heading))
        self._blocks = []

    def finish(self) -> list[Section]:
        """Flush and return every section."""
        self.flush()
        return self.sections
