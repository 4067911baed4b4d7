"""A deterministic stand-in for vLLM's OpenAI-compatible server (stdlib only).

Run: ``python -m tests.standin.openai_standin --port 8001`` or
``python tests/standin/openai_standin.py --port 0`` (0 picks a free port). The
first line on stdout is ``LISTENING <port>``.

The answer is grounded and predictable: the first sentence of passage [1] found
in the request's messages, followed by `` [1]`` (and `` [N]`` with ``--bad-citation N``).
As small models do, it can also cite nothing (``--cite none``), cite the wrong passage
(``--cite wrong``: [2]) and add a sentence no passage says (``--invent TEXT``).
A query-rewrite request (system prompt starting "Rewrite the user's follow-up") is
answered with "<previous question without ?> (<follow-up>)".

Test hooks beyond vLLM's API: ``GET /standin/request-ids`` lists each chat request's
``X-Request-ID`` header; ``GET /standin/stats`` counts connections accepted
(its own included), chat requests, finished and aborted streams (the client went away
mid-stream) and 400s; ``POST
/standin/config`` changes ``fail_mode``, ``delay_ms``, ``bad_citation``, ``cite`` or
``invent`` at run time.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# drop-once: the next chat request's connection is closed without a response (as a
# server closing an idle keep-alive connection just as the client reuses it), then none.
FAIL_MODES = ("none", "error500", "die-mid-stream", "overloaded503", "drop-once")
CITE_MODES = ("first", "none", "wrong")
_CONFIGURABLE = ("fail_mode", "delay_ms", "bad_citation", "cite", "invent")
NO_PASSAGE_ANSWER = "I don't know: the passages do not contain the answer."
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_PASSAGE_ONE = re.compile(r"^\[1\][^\n]*\n(.*?)(?=\n\s*\n\[\d+\]|\n\s*\nQuestion:|\Z)", re.S | re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD_PIECE = re.compile(r"\S+\s*")
_REWRITE_MARKER = "Rewrite the user's follow-up question"
_FOLLOW_UP = re.compile(r"^Follow-up question: (.*)$", re.M)
_USER_LINE = re.compile(r"^User: (.*)$", re.M)
_STATS = ("connections", "chat_requests", "streams_completed", "streams_aborted", "rejected_400")


def tokenize(text: str) -> list[int]:
    """Deterministic fake token ids: one per word or punctuation mark."""
    return [zlib.crc32(piece.encode()) % 32000 for piece in _TOKEN.findall(text)]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def rewrite_answer(messages: list[dict[str, Any]]) -> str | None:
    """For a query-rewrite request: "<previous question without ?> (<follow-up>)"."""
    system = next((m for m in messages if m.get("role") == "system"), None)
    if system is None or not _content_text(system.get("content")).startswith(_REWRITE_MARKER):
        return None
    text = _content_text(messages[-1].get("content"))
    follow_up, users = _FOLLOW_UP.search(text), _USER_LINE.findall(text)
    if follow_up is None or not users:
        return follow_up.group(1).strip() if follow_up else ""
    return f"{users[-1].strip().rstrip('?').strip()} ({follow_up.group(1).strip()})"


def expected_answer(
    messages: list[dict[str, Any]], bad_citation: int = 0, cite: str = "first", invent: str = ""
) -> str:
    """The stand-in's answer for ``messages``: first sentence of passage [1] + " [1]"."""
    rewrite = rewrite_answer(messages)
    if rewrite is not None:
        return rewrite
    marker = {"first": " [1]", "none": "", "wrong": " [2]"}[cite]
    suffix = (f" [{bad_citation}]" if bad_citation else "") + (f" {invent}" if invent else "")
    ordered = [m for m in reversed(messages) if m.get("role") == "user"]
    ordered += [m for m in messages if m.get("role") == "system"]
    for message in ordered:
        match = _PASSAGE_ONE.search(_content_text(message.get("content")))
        if match and match.group(1).strip():
            first = _SENTENCE_END.split(" ".join(match.group(1).split()), maxsplit=1)[0]
            return f"{first}{marker}{suffix}"
    return NO_PASSAGE_ANSWER


def echo_answer(messages: list[dict[str, Any]]) -> str:
    """A model that obeys any instruction to repeat or reveal: every message it got, verbatim.

    The system prompt, each passage (with any instruction or fake citation in it) and
    the question come back as the answer, the worst a prompt injection can make a
    model do with what it was shown.
    """
    return "\n\n".join(_content_text(m.get("content")) for m in messages)


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """Token count of a chat prompt (content tokens plus 4 per message for the template)."""
    return sum(len(tokenize(_content_text(m.get("content")))) + 4 for m in messages)


class StandinServer(ThreadingHTTPServer):
    """Holds the stand-in's options."""

    daemon_threads = True
    # Room for a burst of new connections (uvicorn, under vLLM, allows 2048).
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], options: argparse.Namespace) -> None:
        super().__init__(address, Handler)
        self.options = options
        self.counter = 0
        self.lock = threading.Lock()
        self.stats = dict.fromkeys(_STATS, 0)
        # Prompt-injection tests: every chat request's messages, and the echo switch.
        self.prompts: list[list[dict[str, Any]]] = []
        # Every chat request's X-Request-ID header (None when absent), oldest first.
        self.request_ids: list[str | None] = []
        self.echo = False

    def count(self, name: str) -> None:
        """Add one to a statistic."""
        with self.lock:
            self.stats[name] += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (Enclave cancelling, a test ending) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def next_id(self) -> str:
        """Return a fresh completion id."""
        with self.lock:
            self.counter += 1
            return f"chatcmpl-standin-{self.counter}"


class Handler(BaseHTTPRequestHandler):
    """Routes the vLLM endpoints the client uses."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm and
    # delayed ACKs hold every small response back ~40 ms, as real servers do not.
    disable_nagle_algorithm = True
    server: StandinServer
    _messages: list[dict[str, Any]] = []  # the chat request being answered

    def setup(self) -> None:
        """One handler per connection: it serves every request a keep-alive client sends."""
        super().setup()
        self.server.count("connections")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.options.verbose:
            super().log_message(format, *args)

    # -- plumbing -------------------------------------------------------------
    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str) -> None:
        self._send_json(
            status, {"error": {"message": message, "type": kind, "param": None, "code": status}}
        )

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        return json.loads(raw or b"{}")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_event(self, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {text}\n\n".encode())

    # -- routes ---------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        options = self.server.options
        if self.path == "/health":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/standin/prompts":
            # Every chat request's messages so far, oldest first: what Enclave showed a model.
            with self.server.lock:
                self._send_json(200, {"prompts": list(self.server.prompts)})
        elif self.path == "/standin/request-ids":
            with self.server.lock:
                self._send_json(200, {"request_ids": list(self.server.request_ids)})
        elif self.path == "/standin/stats":
            with self.server.lock:
                self._send_json(200, dict(self.server.stats))
        elif self.path in ("/v1/models", "/models"):
            model = {
                "id": options.model,
                "object": "model",
                "created": int(time.time()),
                "owned_by": "vllm",
                "root": options.model,
                "parent": None,
                "max_model_len": options.max_model_len,
            }
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, f"Not found: {self.path}", "NotFoundError")

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self._read_json()
        except (ValueError, UnicodeDecodeError):
            self._send_error(400, "Request body is not valid JSON.", "BadRequestError")
            return
        if self.path in ("/tokenize", "/v1/tokenize"):
            self._tokenize(body)
        elif self.path == "/standin/echo":
            self._set_echo(body)
        elif self.path == "/standin/config":
            self._configure(body)
        elif self.path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._send_error(404, f"Not found: {self.path}", "NotFoundError")

    def _tokenize(self, body: dict[str, Any]) -> None:
        if "messages" in body:
            text = " ".join(_content_text(m.get("content")) for m in body["messages"])
        else:
            text = str(body.get("prompt", ""))
        tokens = tokenize(text)
        self._send_json(
            200,
            {
                "count": len(tokens),
                "tokens": tokens,
                "max_model_len": self.server.options.max_model_len,
            },
        )

    def _configure(self, body: dict[str, Any]) -> None:
        options = self.server.options
        for key in _CONFIGURABLE:
            if key in body:
                setattr(options, key, body[key])
        self._send_json(200, {k: getattr(options, k) for k in _CONFIGURABLE})

    def _chat(self, body: dict[str, Any]) -> None:
        options = self.server.options
        self.server.count("chat_requests")
        with self.server.lock:
            self.server.request_ids.append(self.headers.get("X-Request-ID"))
        if options.fail_mode == "drop-once":
            options.fail_mode = "none"
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if options.fail_mode == "error500":
            self._send_error(500, "Internal server error (stand-in fault).", "InternalServerError")
            return
        if options.fail_mode == "overloaded503":
            self._send_error(
                503, "The server is overloaded (stand-in fault).", "ServiceUnavailableError"
            )
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._send_error(400, "'messages' must be a non-empty list.", "BadRequestError")
            return
        if body.get("model") not in (None, options.model):
            self._send_error(
                404, f"The model `{body.get('model')}` does not exist.", "NotFoundError"
            )
            return
        used = prompt_tokens(messages)
        self._messages = messages
        with self.server.lock:
            self.server.prompts.append(messages)
        # vLLM prefers max_completion_tokens (newer clients, LangChain 1.x) over max_tokens.
        requested = body.get("max_completion_tokens") or body.get("max_tokens")
        max_tokens = int(requested or max(options.max_model_len - used, 1))
        if used + max_tokens > options.max_model_len:
            self.server.count("rejected_400")
            self._send_error(
                400,
                f"This model's maximum context length is {options.max_model_len} tokens. "
                f"However, you requested {used + max_tokens} tokens ({used} in the messages, "
                f"{max_tokens} in the completion). Please reduce the length of the messages "
                "or completion.",
                "BadRequestError",
            )
            return
        answer = expected_answer(messages, options.bad_citation, options.cite, options.invent)
        if body.get("stream"):
            self._stream(answer, used)
        else:
            self._complete(answer, used)

    def _usage(self, used: int, answer: str) -> dict[str, int]:
        out = len(tokenize(answer))
        return {"prompt_tokens": used, "completion_tokens": out, "total_tokens": used + out}

    def _set_echo(self, body: dict[str, Any]) -> None:
        """``{"echo": true}``: answer with everything the model was shown (see ``echo_answer``)."""
        self.server.echo = bool(body.get("echo"))
        self._send_json(200, {"echo": self.server.echo})

    def _answer_or_echo(self, answer: str) -> str:
        if self.server.echo and rewrite_answer(self._messages) is None:
            return echo_answer(self._messages)
        return answer

    def _complete(self, answer: str, used: int) -> None:
        answer = self._answer_or_echo(answer)
        time.sleep(self.server.options.delay_ms / 1000)
        self._send_json(
            200,
            {
                "id": self.server.next_id(),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.server.options.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": self._usage(used, answer),
            },
        )

    def _chunk(self, ident: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.server.options.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def _stream(self, answer: str, used: int) -> None:
        answer = self._answer_or_echo(answer)
        try:
            self._stream_events(answer, used)
        except (BrokenPipeError, ConnectionResetError):
            # The client closed the connection: Enclave cancelled the request.
            self.close_connection = True
            self.server.count("streams_aborted")

    def _stream_events(self, answer: str, used: int) -> None:
        options, ident = self.server.options, self.server.next_id()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._send_event(self._chunk(ident, {"role": "assistant", "content": ""}, None))
        for index, piece in enumerate(_WORD_PIECE.findall(answer)):
            time.sleep(options.delay_ms / 1000)
            self._send_event(self._chunk(ident, {"content": piece}, None))
            if options.fail_mode == "die-mid-stream" and index == 1:
                self._die()
                return
        final = self._chunk(ident, {}, "stop")
        final["usage"] = self._usage(used, answer)
        self._send_event(final)
        self._send_event("[DONE]")
        self._write_chunk(b"")
        self.server.count("streams_completed")

    def _die(self) -> None:
        """Drop the connection mid-body, as a crashed server would."""
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--model", default="standin-llm")
    parser.add_argument("--delay-ms", type=int, default=0, help="sleep before each token")
    parser.add_argument("--fail-mode", choices=FAIL_MODES, default="none")
    parser.add_argument("--max-model-len", type=int, default=8192)
    parser.add_argument("--bad-citation", type=int, default=0, help="also cite [N] (invalid)")
    parser.add_argument("--cite", choices=CITE_MODES, default="first", help="which marker")
    parser.add_argument("--invent", default="", help="a sentence to add that no passage says")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    options = parse_args(argv)
    server = StandinServer((options.host, options.port), options)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
