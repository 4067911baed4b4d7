"""The parser process: forks one child per document and runs it under resource limits.

Started once per ingesting process by ``retrieval.parsing.sandbox`` as
``python -m retrieval.parsing.sandbox_server FD``. It imports the parsers (never
torch, never Django) and then waits on the control socket ``FD`` for requests:
a JSON line plus the socket the answer goes to. For each request it forks a
child, which sets its limits (address space, CPU seconds, no file writes),
parses, and streams JSON lines back:

    {"pid": 123}                      first, so the caller can have it killed
    {"title": "..." | null}           or {"error": {"code", "message"}}
    {"section": ["text", page, "heading"]}    one per section, in order
    {"chunk": [index, "text", page, "heading", ids | null]}    instead, given a
                                      chunking plan (retrieval.prepared)
    {"end": true}                             or {"error": {...}} part way

When a child exits this server reaps it and writes its fate on the same
socket, ``{"exit": {"code"|"signal": n, "cpu_s": s, "max_rss_mb": m}}``, so the
caller can tell a CPU or memory limit from a crash. A ``{"kill": pid}`` request
kills a child that is still running (a caller's wall-clock limit). Each child
leads a process group of its own, and a kill or a reap kills that whole group:
programs a parser runs (Tesseract for OCR) end with their child. The server
exits when the control socket closes (its parent is gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import socket
import sys
from pathlib import Path
from typing import Any

# Exit codes of a child (anything else, or a signal, is a crash).
EXIT_OK = 0
EXIT_MEMORY = 3
EXIT_CPU = 4
# Children run this much nicer than the worker: parsing and chunking are background
# work beside the encoding thread, which sets ingestion's pace, and the web threads.
CHILD_NICE = 5
_REQUEST_BYTES = 64 * 1024
_REAP_INTERVAL_S = 0.2
_PARSER_MODULES = (
    "retrieval.parsing",
    "retrieval.parsing.pdf",
    "retrieval.parsing.docx",
    "retrieval.parsing.pptx",
    "retrieval.parsing.spreadsheet",
    "retrieval.parsing.html",
    "retrieval.parsing.mail",
    "retrieval.parsing.markdown",
    "retrieval.parsing.text",
    "retrieval.parsing.image",
    "retrieval.prepared",  # chunking (the text splitter, the tokenizers library)
    "langchain_text_splitters",
    "tokenizers",
    "openpyxl",
    "PIL.Image",
)


class _CpuLimitReached(BaseException):
    """SIGXCPU arrived: the child used its CPU seconds.

    A BaseException, so that a parser's ``except Exception`` cannot turn it into
    a "damaged file" error.
    """


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line; lone surrogates from odd encodings survive the round trip."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """The message of one protocol line."""
    message: dict[str, Any] = json.loads(line.decode("utf-8", "surrogatepass"))
    return message


def serve(control: socket.socket) -> None:
    """Answer requests until the control socket closes; reap children as they end."""
    children: dict[int, socket.socket] = {}
    while True:
        ready, _, _ = select.select([control], [], [], _REAP_INTERVAL_S)
        _reap(children)
        if not ready:
            continue
        try:
            data, fds, _flags, _address = socket.recv_fds(control, _REQUEST_BYTES, 1)
        except OSError:
            data, fds = b"", []
        if not data:
            break
        request = decode(data)
        if "kill" in request:
            pid = int(request["kill"])
            if pid in children:  # never a pid this server did not fork and reap yet
                _kill_group(pid)
            continue
        answer = socket.socket(fileno=fds[0])
        _preload(request)
        pid = os.fork()
        if pid == 0:
            control.close()
            for other in children.values():  # other documents' answers are not ours
                other.close()
            _child(answer, request)  # never returns
        # The child does this too; whichever runs first, a kill finds the group.
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        children[pid] = answer
    for pid in children:
        _kill_group(pid)


def _kill_group(pid: int) -> None:
    """Kill child ``pid`` and whatever it started (its process group has its pid)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        answer = children.pop(pid, None)
        if answer is None:
            continue
        _kill_group(pid)  # a program the child left running (it died mid-OCR)
        fate: dict[str, Any] = {
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        }
        if os.WIFSIGNALED(status):
            fate["signal"] = os.WTERMSIG(status)
        else:
            fate["code"] = os.WEXITSTATUS(status)
        with contextlib.suppress(OSError):  # the caller may have stopped listening
            answer.sendall(encode({"exit": fate}))
        answer.close()


def _child(answer: socket.socket, request: dict[str, Any]) -> None:
    code = EXIT_OK
    try:
        os.setpgid(0, 0)
        _limit(request["limits"])
        os.nice(CHILD_NICE)
        answer.sendall(encode({"pid": os.getpid()}))
        _parse_into(answer, request)
    except _CpuLimitReached:
        code = EXIT_CPU
    except BaseException as exc:  # the caller reads the failure; the child just ends
        code = EXIT_MEMORY if _out_of_memory(exc) else _send_failure(answer, exc)
    finally:
        os._exit(code)


def _out_of_memory(exc: BaseException | None) -> bool:
    """True when running out of memory caused ``exc`` (parsers wrap errors as "damaged").

    Python says MemoryError; libxml2 (lxml) raises a syntax error whose log says
    ERR_NO_MEMORY.
    """
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError) or "ERR_NO_MEMORY" in str(getattr(exc, "error_log", "")):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _limit(limits: dict[str, int]) -> None:
    memory = limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = limits["cpu_s"]
    # SIGXCPU at the soft limit lets Python stop cleanly; SIGKILL follows if it cannot.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has nothing to write
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def _on_cpu_limit(signum: int, frame: Any) -> None:
    raise _CpuLimitReached


def _parse_into(answer: socket.socket, request: dict[str, Any]) -> None:
    from retrieval.config import ParsingConfig
    from retrieval.errors import RetrievalError
    from retrieval.parsing import parse_file

    config = ParsingConfig(**request["config"])
    try:
        parsed = parse_file(
            Path(request["path"]),
            mime_type=request.get("mime_type"),
            filename=request.get("filename"),
            config=config,
        )
        answer.sendall(encode({"title": parsed.title}))
        plan = request.get("chunking")
        if plan is None:
            for section in parsed.sections:
                answer.sendall(encode({"section": [section.text, section.page, section.heading]}))
        else:
            _chunk_into(answer, plan, parsed, request.get("filename"))
    except RetrievalError as exc:
        if _out_of_memory(exc):
            raise
        answer.sendall(encode({"error": {"code": exc.code, "message": exc.message}}))
        return
    answer.sendall(encode({"end": True}))


def _chunk_into(answer: socket.socket, plan: dict[str, Any], parsed: Any, filename: Any) -> None:
    from retrieval.prepared import prepared_chunks

    chunks = prepared_chunks(plan, parsed.sections, parsed_title=parsed.title, filename=filename)
    for prepared in chunks:
        chunk = prepared.chunk
        message = {"chunk": [chunk.index, chunk.text, chunk.page, chunk.heading, prepared.ids]}
        answer.sendall(encode(message))


def _preload(request: dict[str, Any]) -> None:
    """Load a chunking plan's tokenizers here, once, so that every child forks with them."""
    plan = request.get("chunking")
    if plan is None:
        return
    from retrieval.prepared import load_plan

    # A plan that fails to load fails in the child again, with the reason, for its document.
    with contextlib.suppress(Exception):
        load_plan(plan)


def _send_failure(answer: socket.socket, exc: BaseException) -> int:
    message = f"{type(exc).__name__}: {str(exc)[:200]}"
    with contextlib.suppress(OSError):
        answer.sendall(encode({"error": {"code": "internal", "message": message}}))
    return 1


def main(argv: list[str]) -> None:
    """Run the server on the control socket whose file descriptor is ``argv[0]``."""
    control = socket.socket(fileno=int(argv[0]))
    for name in _PARSER_MODULES:  # once here, shared by every forked child
        __import__(name)
    from retrieval.prepared import load_preparers

    load_preparers()
    # Children are reaped by serve(); a dead caller must not kill this server mid-write.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    serve(control)


if __name__ == "__main__":
    main(sys.argv[1:])
