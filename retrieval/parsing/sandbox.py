"""Parse a document in a child process under memory, CPU and time limits.

A hostile or simply enormous file (a DOCX whose 10 MB zip holds 100 MB of XML
took 1.6 GB and five minutes) must fail alone, with a reason, while the
worker goes on. Each document is parsed by a child process forked from one
small parser server (``sandbox_server``) that imports only the parsers: no
torch, no Django, so a fork costs milliseconds, not an interpreter start. The
child's sections stream back as they are read; the caller's wall-clock limit
counts only the time spent waiting for the child, not the time the caller
itself spends embedding.

Linux only (``fork``, ``SCM_RIGHTS``); ``ParsingConfig.isolate = False`` parses
in-process instead.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import retrieval
from retrieval.config import ParsingConfig
from retrieval.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    ParseError,
    RetrievalError,
    UnsupportedFormatError,
)
from retrieval.models import Chunk, ParsedDocument, Section
from retrieval.parsing.detect import FORMAT_LABELS, detect_format
from retrieval.parsing.sandbox_server import EXIT_CPU, EXIT_MEMORY, decode, encode
from retrieval.prepared import ChunkedDocument, PreparedChunk

__all__ = ["chunk_isolated", "parse_isolated", "start_parser_server"]

logger = logging.getLogger(__name__)

_ERRORS: dict[str, type[RetrievalError]] = {
    cls.code: cls
    for cls in (
        ParseError,
        EncryptedDocumentError,
        UnsupportedFormatError,
        EmptyDocumentError,
        DocumentTooLargeError,
    )
}
_RECEIVE_BYTES = 256 * 1024
# Seconds the server gets to report a child's exit after its socket went quiet.
_FATE_WAIT_S = 10.0


def parse_isolated(
    path: Path,
    *,
    mime_type: str | None = None,
    filename: str | None = None,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
    heartbeat: Callable[[], None] | None = None,
    heartbeat_s: float = 30.0,
) -> ParsedDocument:
    """``parse_file`` in a child process; sections stream lazily, limits fail the document.

    ``heartbeat`` is called every ``heartbeat_s`` seconds while waiting for the
    child, so a long parse still shows the document is alive.
    """
    run, title = _start(path, mime_type, filename, config, heartbeat, heartbeat_s, None)
    return ParsedDocument(title=title, sections=run.sections())


def chunk_isolated(
    path: Path,
    *,
    plan: dict[str, Any],
    mime_type: str | None = None,
    filename: str | None = None,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
    heartbeat: Callable[[], None] | None = None,
    heartbeat_s: float = 30.0,
) -> ChunkedDocument:
    """``parse_isolated``, and the child chunks (and tokenizes) too, by ``plan``.

    The chunks stream lazily like the sections; the child's time chunking counts
    in its limits (CPU, memory, the wall-clock time waited for it).
    """
    run, title = _start(path, mime_type, filename, config, heartbeat, heartbeat_s, plan)
    return ChunkedDocument(title=title, chunks=run.chunks())


def _start(
    path: Path,
    mime_type: str | None,
    filename: str | None,
    config: ParsingConfig,
    heartbeat: Callable[[], None] | None,
    heartbeat_s: float,
    plan: dict[str, Any] | None,
) -> tuple[_Run, str | None]:
    """A child reading ``path``, and the title it sent first."""
    path = Path(path).resolve()
    fmt = detect_format(path, mime_type=mime_type, filename=filename)
    request = {
        "path": str(path),
        "mime_type": mime_type,
        "filename": filename,
        "config": asdict(config),
        "limits": {"memory_bytes": config.max_parse_memory_bytes, "cpu_s": config.max_parse_cpu_s},
    }
    if plan is not None:
        request["chunking"] = plan
    run = _Run(_server().start(request), config, FORMAT_LABELS[fmt], heartbeat, heartbeat_s)
    try:
        first = run.receive()
    except BaseException:
        run.close()
        raise
    return run, first.get("title")


class _Run:
    """One child's answer socket: messages, the wall-clock budget, the child's fate."""

    def __init__(
        self,
        answer: socket.socket,
        config: ParsingConfig,
        label: str,
        heartbeat: Callable[[], None] | None,
        heartbeat_s: float,
    ) -> None:
        self._socket = answer
        self._config = config
        self._label = label
        self._budget = float(config.max_parse_wall_s)
        self._heartbeat = heartbeat
        self._heartbeat_s = heartbeat_s
        self._buffer = bytearray()
        self._max_line = max(64 * 1024 * 1024, 4 * config.max_part_bytes)
        self._pid: int | None = None
        self._finished = False

    def receive(self) -> dict[str, Any]:
        """The next title or section message; raises the document's failure."""
        while True:
            message = self._next()
            if message is None:
                raise self._failure(self._fate())
            if "pid" in message:
                self._pid = int(message["pid"])
            elif "error" in message:
                raise self._child_error(message["error"])
            elif "exit" in message:
                raise self._failure(message["exit"])
            else:
                return message

    def sections(self) -> Iterator[Section]:
        """The child's sections in order, until it says it is done."""
        with contextlib.closing(self._until_end("section")) as messages:
            for text, page, heading in messages:
                yield Section(text=str(text), page=page, heading=str(heading))

    def chunks(self) -> Iterator[PreparedChunk]:
        """The child's chunks in order, until it says it is done."""
        with contextlib.closing(self._until_end("chunk")) as messages:
            for index, text, page, heading, ids in messages:
                chunk = Chunk(index=int(index), text=str(text), page=page, heading=str(heading))
                yield PreparedChunk(chunk, ids)

    def _until_end(self, key: str) -> Iterator[Any]:
        """The ``key`` field of each message until the child's end; closing stops the child."""
        try:
            while True:
                message = self.receive()
                if message.get("end"):
                    self._finished = True
                    return
                yield message[key]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child if it still runs, and drop the socket."""
        if not self._finished and self._pid is not None:
            _server().kill(self._pid)
        self._finished = True
        self._socket.close()

    def __del__(self) -> None:
        # A caller that never iterated the sections must not leave a child blocked; a
        # finaliser must not raise (at interpreter exit the server may be gone already).
        if self._socket.fileno() != -1:
            with contextlib.suppress(Exception):
                self.close()

    def _next(self) -> dict[str, Any] | None:
        while (end := self._buffer.find(b"\n")) < 0:
            if len(self._buffer) > self._max_line:
                self.close()
                raise ParseError(
                    f"The {self._label} could not be read: the parser sent a section over "
                    f"{self._max_line // (1024 * 1024):,} MB."
                )
            if not self._wait():
                self.close()
                raise DocumentTooLargeError(
                    f"Reading the {self._label} took longer than "
                    f"{self._config.max_parse_wall_s:g} seconds (the limit)."
                )
            chunk = self._socket.recv(_RECEIVE_BYTES)
            if not chunk:
                return None
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return decode(line)

    def _wait(self) -> bool:
        """Wait until the socket is readable; False when the budget ran out."""
        while self._budget > 0:
            step = min(self._budget, self._heartbeat_s)
            started = time.monotonic()
            ready, _, _ = select.select([self._socket], [], [], step)
            self._budget -= time.monotonic() - started
            if ready:
                return True
            if self._heartbeat is not None:
                self._heartbeat()
        return False

    def _fate(self) -> dict[str, Any]:
        """The exit report that follows a child's last message (a crash left no message)."""
        self._budget = _FATE_WAIT_S
        try:
            message = self._next()
        except (RetrievalError, OSError, ValueError):
            message = None
        return message.get("exit", {}) if message else {}

    def _child_error(self, error: dict[str, Any]) -> RetrievalError:
        code, message = str(error.get("code", "")), str(error.get("message", ""))[:500]
        self._finished = True
        if code in _ERRORS:
            return _ERRORS[code](message)
        # A bug of ours met this file: say so, not "damaged".
        return ParseError(f"The {self._label} could not be read: the parser failed ({message}).")

    def _failure(self, fate: dict[str, Any]) -> RetrievalError:
        self._finished = True
        memory_mb = self._config.max_parse_memory_bytes // (1024 * 1024)
        cpu_s = self._config.max_parse_cpu_s
        code, dead_by = fate.get("code"), fate.get("signal")
        used_cpu = float(fate.get("cpu_s", 0.0))
        if code == EXIT_MEMORY or (
            dead_by is not None and float(fate.get("max_rss_mb", 0)) >= 0.8 * memory_mb
        ):
            return DocumentTooLargeError(
                f"Reading the {self._label} needed more than {memory_mb:,} MB of memory "
                "(the limit)."
            )
        if code == EXIT_CPU or (dead_by is not None and used_cpu >= cpu_s):
            return DocumentTooLargeError(
                f"Reading the {self._label} took more than {cpu_s:,} seconds of CPU (the limit)."
            )
        logger.warning("parser child ended without an answer: %s", fate)
        how = f"signal {dead_by}" if dead_by is not None else f"exit code {code}"
        return ParseError(f"The {self._label} could not be read: the parser stopped ({how}).")


class _ParserServer:
    """The process that forks the parsing children; started on first use, restarted if dead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def start(self, request: dict[str, Any]) -> socket.socket:
        """Ask for a child parsing ``request``; returns the socket its answer comes on."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                try:
                    self._send(encode(request), theirs)
                except OSError:  # the server died (killed, out of memory): start another
                    logger.warning("parser server gone; starting a new one")
                    self._stop()
                    self._send(encode(request), theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    def warm(self) -> None:
        """Start the server now unless it runs (importing the parsers takes a second or two)."""
        with self._lock:
            if self._control is None:
                self._spawn()

    def kill(self, pid: int) -> None:
        """Have the server kill its child ``pid`` (only if that child has not been reaped)."""
        with self._lock:
            if self._control is None:
                return
            try:
                socket.send_fds(self._control, [encode({"kill": pid})], [])
            except OSError:
                logger.debug("parser server gone; child %s dies with it", pid)

    def _send(self, data: bytes, answer: socket.socket) -> None:
        control = self._control or self._spawn()
        socket.send_fds(control, [data], [answer.fileno()])

    def _spawn(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "retrieval.parsing.sandbox_server", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=_server_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except OSError as exc:
            ours.close()
            raise ParseError(f"The parser process could not be started: {exc}") from exc
        finally:
            theirs.close()
        self._control = ours
        logger.info("parser server started pid=%s", self._process.pid)
        return ours

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()  # the server kills its children and exits when it sees this
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=_FATE_WAIT_S)
            except subprocess.TimeoutExpired:
                self._process.send_signal(signal.SIGKILL)
                self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Stop the server (at exit; children it forked are killed by it)."""
        with self._lock:
            self._stop()


def _server_environment() -> dict[str, str]:
    """What the parser processes may see of the environment: no settings, no secrets.

    A parser that a hostile file took over could only return text, which is
    indexed; so it gets no ENCLAVE_* variables (secret key, database URL...).
    """
    keep = {
        name: value
        for name, value in os.environ.items()
        if name in _KEPT_VARIABLES or name.startswith(("LC_", "PYTHON"))
    }
    # The checkout or site-packages this process imported retrieval from.
    root = str(Path(retrieval.__file__).resolve().parents[1])
    path = keep.get("PYTHONPATH")
    keep["PYTHONPATH"] = root + (os.pathsep + path if path else "")
    return keep


# TESSDATA_PREFIX: where Tesseract finds language data installed outside its default.
_KEPT_VARIABLES = frozenset(
    {"PATH", "HOME", "LANG", "TMPDIR", "TZ", "VIRTUAL_ENV", "TESSDATA_PREFIX"}
)
_SERVER = _ParserServer()
atexit.register(_SERVER.stop)


def _server() -> _ParserServer:
    return _SERVER


def start_parser_server() -> None:
    """Start the parser process ahead of the first document, which would otherwise wait for it."""
    _SERVER.warm()
