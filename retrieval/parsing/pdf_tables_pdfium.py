"""Ruled tables read with PDFium: pdfplumber's table geometry on PDFium's paths and text.

pdfplumber has pdfminer interpret the whole page and wraps every character in a
dict, about 70 ms a page on a quiet machine; a report with a small table on most
pages spent most of its parse time there. This reads the same ruling lines from
PDFium's path objects (segments as pdfminer keeps them: straight pieces between
end points, in pdfplumber's top-left coordinates) and hands them to pdfplumber's
own table functions with its default tolerances, so the cells are the ones
pdfplumber finds. The characters come from PDFium's text page, each with the box
pdfminer gives it (from the descent up one font size, as wide as its advance),
so pdfplumber's text code puts the same words on the same lines; PDFium's own
inserted spaces and line breaks are left out, as pdfminer has none.

A page this cannot reproduce raises ``Unsupported`` and goes to pdfplumber: a
turned or offset page box, an unreadable path or text matrix.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from typing import Any

from pdfplumber.table import (
    DEFAULT_JOIN_TOLERANCE,
    DEFAULT_SNAP_TOLERANCE,
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils import filter_edges

__all__ = ["Unsupported", "page_tables"]

Box = tuple[float, float, float, float]  # x0, top, x1, bottom; top-left origin
Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]

# pdfplumber's TableSettings defaults: edges shorter than 1 point are dropped before
# merging and shorter than 3 after; intersections within 3 points count.
_PREFILTER_LENGTH = 1
_MIN_EDGE_LENGTH = 3
_INTERSECTION_TOLERANCE = 3
# PDFium returns float32 coordinates (735.29999 for 735.3); pdfminer's are float64.
_DIGITS = 4
_PDFIUM_HYPHEN = 0x02
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class Unsupported(Exception):
    """The page needs pdfplumber: the fast reading would not match it."""


def page_tables(page: Any) -> tuple[list[list[Box]], list[dict[str, Any]]] | None:
    """The cells of each ruled table on the page, and its characters; None when it has no table.

    ``page`` is an open pypdfium2 page; the caller holds PDFium's lock and closes it.
    Both come as pdfplumber's would: its ``Table`` and ``extract_text`` read them.
    """
    height = _check_geometry(page)
    groups = _find_cell_groups(_page_edges(page, height))
    if not groups:
        return None
    textpage = page.get_textpage()
    try:
        return groups, _page_chars(textpage, height)
    finally:
        textpage.close()


def _check_geometry(page: Any) -> float:
    # pdfplumber measures from the media box's top-left corner; PDFium from its origin.
    mediabox = page.get_mediabox()
    if page.get_rotation() or mediabox[0] or mediabox[1] or page.get_cropbox() != mediabox:
        raise Unsupported("rotated or offset page box")
    return float(mediabox[3])


# --- ruling lines ------------------------------------------------------------------------


def _page_edges(page: Any, height: float) -> list[dict[str, Any]]:
    import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

    edges = []
    for path, matrix in _paths(pdfium_c, page.raw, _IDENTITY, top_level=True):
        for subpath in _subpaths(pdfium_c, path):
            points = [_transform(matrix, point) for point in subpath]
            for start, end in zip(points, points[1:], strict=False):
                edge = _edge(start, end, height)
                if edge is not None:
                    edges.append(edge)
    return edges


def _paths(c: Any, holder: Any, matrix: Matrix, *, top_level: bool) -> Iterator[tuple[Any, Matrix]]:
    """Every path object of the page, also inside form XObjects, with its page matrix."""
    count = c.FPDFPage_CountObjects(holder) if top_level else c.FPDFFormObj_CountObjects(holder)
    for index in range(count):
        obj = (
            c.FPDFPage_GetObject(holder, index)
            if top_level
            else c.FPDFFormObj_GetObject(holder, index)
        )
        kind = c.FPDFPageObj_GetType(obj)
        if kind == c.FPDF_PAGEOBJ_PATH:
            yield obj, _compose(_matrix(c, obj), matrix)
        elif kind == c.FPDF_PAGEOBJ_FORM:
            yield from _paths(c, obj, _compose(_matrix(c, obj), matrix), top_level=False)


def _subpaths(c: Any, path: Any) -> Iterator[list[Point]]:
    """Each subpath's points as pdfminer keeps them: a curve by its end point only."""
    x, y = ctypes.c_float(), ctypes.c_float()
    points: list[Point] = []
    bezier = 0
    for index in range(c.FPDFPath_CountSegments(path)):
        segment = c.FPDFPath_GetPathSegment(path, index)
        if not c.FPDFPathSegment_GetPoint(segment, x, y):
            raise Unsupported("unreadable path segment")
        kind = c.FPDFPathSegment_GetType(segment)
        if kind == c.FPDF_SEGMENT_MOVETO:
            if len(points) > 1:
                yield points
            points, bezier = [], 0
        elif kind == c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1  # two control points, then the end point
            if bezier % 3:
                continue
        elif kind != c.FPDF_SEGMENT_LINETO:
            raise Unsupported("unknown path segment")
        points.append((x.value, y.value))
        if c.FPDFPathSegment_GetClose(segment) and points:
            points.append(points[0])
    if len(points) > 1:
        yield points


def _matrix(c: Any, obj: Any) -> Matrix:
    fs = c.FS_MATRIX()
    if not c.FPDFPageObj_GetMatrix(obj, fs):
        raise Unsupported("unreadable object matrix")
    return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer  # noqa: N806 - the usual names of a PDF matrix
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _transform(matrix: Matrix, point: Point) -> Point:
    a, b, c, d, e, f = matrix
    x, y = point
    return (a * x + c * y + e, b * x + d * y + f)


def _edge(start: Point, end: Point, height: float) -> dict[str, Any] | None:
    """pdfplumber's edge dict for a horizontal or vertical piece; None for a slanted one."""
    x0, x1 = sorted((round(start[0], _DIGITS), round(end[0], _DIGITS)))
    top, bottom = sorted((round(height - start[1], _DIGITS), round(height - end[1], _DIGITS)))
    if x0 == x1:
        orientation = "v"
    elif top == bottom:
        orientation = "h"
    else:
        return None
    edge = {"x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top}
    edge.update(
        width=x1 - x0, height=bottom - top, orientation=orientation, object_type="curve_edge"
    )
    return edge


def _find_cell_groups(edges: list[dict[str, Any]]) -> list[list[Box]]:
    """The cells of each table, as pdfplumber's TableFinder finds them with its defaults."""
    edges = filter_edges(edges, "v", min_length=_PREFILTER_LENGTH) + filter_edges(
        edges, "h", min_length=_PREFILTER_LENGTH
    )
    edges = merge_edges(
        edges,
        snap_x_tolerance=DEFAULT_SNAP_TOLERANCE,
        snap_y_tolerance=DEFAULT_SNAP_TOLERANCE,
        join_x_tolerance=DEFAULT_JOIN_TOLERANCE,
        join_y_tolerance=DEFAULT_JOIN_TOLERANCE,
    )
    edges = filter_edges(edges, min_length=_MIN_EDGE_LENGTH)
    intersections = edges_to_intersections(edges, _INTERSECTION_TOLERANCE, _INTERSECTION_TOLERANCE)
    return cells_to_tables(intersections_to_cells(intersections))


# --- characters ---------------------------------------------------------------------------


def _page_chars(textpage: Any, height: float) -> list[dict[str, Any]]:
    """pdfplumber-like char dicts for the characters in the PDF (not PDFium's inserted ones)."""
    import pypdfium2.raw as c

    raw = textpage.raw
    box = c.FS_RECTF()
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    objects: dict[int | None, _TextObject] = {}
    chars: list[dict[str, Any]] = []
    last_box = None
    for index in range(c.FPDFText_CountChars(raw)):
        if c.FPDFText_IsGenerated(raw, index) or not c.FPDFText_GetLooseCharBox(raw, index, box):
            continue
        code = c.FPDFText_GetUnicode(raw, index)
        if code == _PDFIUM_HYPHEN and c.FPDFText_IsHyphen(raw, index):
            code = ord("-")  # a hyphen that ends a line, marked as such by PDFium
        text = chr(code) if 0 < code < 0x110000 else "\ufffd"
        loose = (box.left, box.right, height - box.top, height - box.bottom)
        if loose == last_box:  # PDFium splits a ligature ("fi") into pieces with one box
            chars[-1].update(text=chars[-1]["text"] + text, x0=loose[0], x1=loose[1])
            continue
        last_box = loose
        pointer = c.FPDFText_GetTextObject(raw, index)
        key = ctypes.c_void_p.from_buffer(pointer).value
        obj = objects.get(key)
        if obj is None:
            obj = objects[key] = _TextObject(c, raw, index, pointer)
        x0, x1, top, bottom = loose
        if obj.unturned and c.FPDFText_GetCharOrigin(raw, index, origin_x, origin_y):
            x0, x1, top, bottom = obj.box(code, origin_x.value, origin_y.value, loose, height)
        chars.append(
            {
                "text": text,
                "x0": x0,
                "x1": x1,
                "top": top,
                "bottom": bottom,
                "doctop": top,
                "size": obj.size,
                "upright": obj.upright,
            }
        )
    return chars


class _TextObject:
    """What the characters of one text object share: font, size, direction, advances."""

    def __init__(self, c: Any, raw: Any, index: int, pointer: Any) -> None:
        self._c = c
        self._font = c.FPDFTextObj_GetFont(pointer)
        font_size = c.FPDFText_GetFontSize(raw, index)  # in text space
        matrix = c.FS_MATRIX()
        descent = ctypes.c_float()
        if not c.FPDFText_GetMatrix(raw, index, matrix):
            raise Unsupported("unreadable text matrix")
        # As pdfminer has it: size is the glyph box's height on the page; upright text
        # runs left to right, head up.
        self.size: float = font_size * math.hypot(matrix.c, matrix.d)
        self.upright = matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0
        # Glyph metrics are in text space; only an unturned matrix maps them simply.
        self.unturned = bool(
            self._font
            and matrix.b == 0
            and matrix.c == 0
            and matrix.a > 0
            and matrix.d > 0
            and c.FPDFFont_GetDescent(self._font, font_size, descent)
        )
        self._scale = matrix.a
        self._descent = descent.value * matrix.d
        self._height = font_size * matrix.d
        self._font_size = font_size
        self._advances: dict[int, float] = {}
        self._width = ctypes.c_float()

    def box(
        self, code: int, x: float, y: float, loose: Box, page_height: float
    ) -> tuple[float, float, float, float]:
        """pdfminer's box of an unturned glyph at origin (x, y): x0, x1, top, bottom.

        PDFium's loose box runs from the font's descent to its ascent and also covers a
        glyph drawn past its advance (an "f"); pdfminer's runs from the descent up one font
        size and ends at the advance. The advance tells apart two words set without a
        space between them; the height decides which characters share a line.
        """
        bottom = page_height - (y + self._descent)
        top = bottom - self._height
        advance = self._advance(code)
        if 0 < advance <= loose[1] - x + 0.01:
            return x, x + advance, top, bottom
        return loose[0], loose[1], top, bottom

    def _advance(self, code: int) -> float:
        advance = self._advances.get(code)
        if advance is None:
            found = self._c.FPDFFont_GetGlyphWidth(self._font, code, self._font_size, self._width)
            advance = self._advances[code] = self._width.value * self._scale if found else 0.0
        return advance
