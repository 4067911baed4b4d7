"""Parsing in a child process: the same sections, and a file over a limit fails alone."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval import (
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    ParseError,
    ParsingConfig,
    UnsupportedFormatError,
)
from retrieval.parsing import parse_file, read_document
from retrieval.parsing.sandbox import _server, start_parser_server
from tests.support.parsing_files import (
    make_array_limit_pdf,
    make_low_ratio_docx_bomb,
    make_titled_docx,
    make_titled_pptx,
)

BOMB_XML_MB = 24


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 9 MB .docx holding 24 MB of XML: passes the zip checks, costs seconds and memory."""
    folder = tmp_path_factory.mktemp("bomb")
    return make_low_ratio_docx_bomb(folder / "bomb.docx", xml_mb=BOMB_XML_MB)


def _documents(tmp_path: Path, make_pdf: Callable[..., Path]) -> dict[str, Path]:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Team", "People"])
    workbook.active.append(["Sales", 12])
    workbook.save(str(tmp_path / "book.xlsx"))
    (tmp_path / "page.html").write_text("<title>Parking</title><h1>Bikes</h1><p>Basement.</p>")
    (tmp_path / "notes.md").write_text("# Canteen\n\nSoup on Mondays.\n")
    (tmp_path / "plain.txt").write_text("Desks are cleared every Friday.\n" * 3)
    (tmp_path / "rows.csv").write_text("Item,Amount\nLaptops,3\nChairs,7\n")
    (tmp_path / "mail.eml").write_text(
        "Subject: Fire drill\nFrom: a@example.com\n\nMonday 10:00.\n"
    )
    return {
        "handbook.pdf": make_pdf(tmp_path / "handbook.pdf", [["Leave"], ["Badges"]], title="HB"),
        "10-q.pdf": make_array_limit_pdf(tmp_path / "10-q.pdf"),
        "policy.docx": make_titled_docx(
            tmp_path / "policy.docx", core_title=None, heading="Travel", body="Trains."
        ),
        "deck.pptx": make_titled_pptx(
            tmp_path / "deck.pptx", core_title="Q3", slide_title="Agenda", body="Numbers."
        ),
        "book.xlsx": tmp_path / "book.xlsx",
        "page.html": tmp_path / "page.html",
        "notes.md": tmp_path / "notes.md",
        "plain.txt": tmp_path / "plain.txt",
        "rows.csv": tmp_path / "rows.csv",
        "mail.eml": tmp_path / "mail.eml",
    }


def test_isolated_parsing_gives_what_in_process_parsing_gives(
    tmp_path: Path, make_pdf: Callable[..., Path]
) -> None:
    for name, path in _documents(tmp_path, make_pdf).items():
        stored = path.rename(tmp_path / f"upload-{name.replace('.', '-')}")  # no suffix, as stored
        here = parse_file(stored, filename=name)
        there = read_document(stored, filename=name, config=ParsingConfig(isolate=True))

        assert there.title == here.title, name
        assert list(there.sections) == list(here.sections), name


def test_failures_keep_their_kind_and_message(tmp_path: Path) -> None:
    empty = tmp_path / "blank.txt"
    empty.write_text("  \n ")
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le")
    )
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\n" + os.urandom(2048))
    expected = {
        empty: (EmptyDocumentError, "The text file has no extractable text."),
        legacy: (
            UnsupportedFormatError,
            "Unsupported legacy Office format (.doc): save the file as .docx and upload it again.",
        ),
        encrypted: (
            EncryptedDocumentError,
            "The Excel workbook is password protected: remove the password and upload it again.",
        ),
    }
    for path, (kind, message) in expected.items():
        with pytest.raises(kind) as caught:
            list(read_document(path).sections)
        assert caught.value.message == message

    with pytest.raises(ParseError) as damaged:
        list(read_document(junk).sections)
    assert damaged.value.message.startswith("The PDF is damaged and could not be read: ")


def test_a_part_too_large_to_parse_is_refused_before_parsing(bomb: Path) -> None:
    with pytest.raises(DocumentTooLargeError) as caught:
        read_document(bomb, config=ParsingConfig(max_part_bytes=8 * 1024 * 1024))

    assert caught.value.message.startswith(
        "The Word document holds a part (word/document.xml) that unpacks to 2"
    )
    assert caught.value.message.endswith("MB; the limit for one part is 8.0 MB.")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            ParsingConfig(max_parse_memory_bytes=250 * 1024 * 1024),
            "Reading the Word document needed more than 250 MB of memory (the limit).",
        ),
        (
            ParsingConfig(max_parse_cpu_s=2),
            "Reading the Word document took more than 2 seconds of CPU (the limit).",
        ),
        (
            ParsingConfig(max_parse_wall_s=0.5),
            "Reading the Word document took longer than 0.5 seconds (the limit).",
        ),
    ],
    ids=["memory", "cpu", "wall-clock"],
)
def test_limits_fail_the_document_and_the_next_one_parses(
    bomb: Path, tmp_path: Path, config: ParsingConfig, message: str
) -> None:
    with pytest.raises(DocumentTooLargeError) as caught:
        list(read_document(bomb, config=config).sections)
    after = tmp_path / "after.txt"
    after.write_text("The parser process is still there.")

    assert caught.value.message == message
    assert [s.text for s in read_document(after).sections] == [after.read_text()]


def test_the_parser_process_loads_no_model_and_sees_no_settings(tmp_path: Path) -> None:
    _server().stop()  # the next parse starts one that sees the variable below
    os.environ["ENCLAVE_PROBE_SECRET"] = "must-not-leak"
    try:
        path = tmp_path / "a.txt"
        path.write_text("hello")
        list(read_document(path).sections)
        pid = _server()._process.pid  # type: ignore[union-attr]
        maps = Path(f"/proc/{pid}/maps").read_text()
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    finally:
        del os.environ["ENCLAVE_PROBE_SECRET"]

    assert "torch" not in maps and "onnxruntime" not in maps
    assert not [v for v in environ if v.startswith(b"ENCLAVE_")]


def test_a_dead_parser_process_is_replaced_and_an_abandoned_child_stopped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("first")
    list(read_document(path).sections)
    server = _server()._process
    assert server is not None
    os.kill(server.pid, signal.SIGKILL)
    server.wait()

    big = tmp_path / "big.txt"
    big.write_text(("A line of text that fills many sections. " * 2000 + "\n\n") * 40)
    abandoned = read_document(big)
    next(iter(abandoned.sections))
    abandoned.sections.close()  # type: ignore[attr-defined]  (a generator)
    replacement = _server()._process
    assert replacement is not None and replacement.pid != server.pid

    deadline = time.monotonic() + 30
    while Path(f"/proc/{replacement.pid}/task/{replacement.pid}/children").read_text().strip():
        assert time.monotonic() < deadline, "the abandoned child is still running"
        time.sleep(0.1)


def test_a_parser_process_started_ahead_parses_the_first_document(tmp_path: Path) -> None:
    _server().stop()
    start_parser_server()
    started = _server()._process
    assert started is not None
    start_parser_server()  # already running: the same process stays
    path = tmp_path / "a.txt"
    path.write_text("Desks are cleared every Friday.")

    sections = list(read_document(path).sections)

    assert [s.text for s in sections] == ["Desks are cleared every Friday."]
    assert _server()._process is started
