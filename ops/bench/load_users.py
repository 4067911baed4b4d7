"""Simulated users of the load benchmark: each a token client and a signed-in session.

A user loops over a weighted mix of requests until a deadline: search, ask (REST),
chat (``/v1``), web (the chat page's streaming endpoint), upload (a new small file
through the REST API), collections and documents. Each outcome is recorded per
kind: a latency, a server error (5xx, a failed answer stream, a dropped
connection) or a refusal (4xx). ``ops/bench/api_load.py`` runs them and reports;
``tests/system/test_load.py`` asserts no server error.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "KINDS",
    "PASSWORD",
    "QUESTIONS",
    "TOPICS",
    "USER",
    "Kind",
    "LoadSite",
    "parse_mix",
    "run_load",
]

USER, PASSWORD = "bench", "bench-pass-123"
QUESTIONS = [
    "How many days of annual leave do employees get?",
    "Where can I park my bicycle?",
    "What happens when a security badge is lost?",
    "Who approves expense claims?",
    "How do I request a new laptop?",
    "When are salaries paid?",
]
TOPICS = {
    "leave": "Every full-time employee is entitled to twenty-seven days of paid annual leave.",
    "parking": "Bicycle parking is available in the basement of the Lisbon office.",
    "badges": "Lost security badges must be reported to the facilities desk within a day.",
    "expenses": "Expense claims are approved by the budget owner within five working days.",
    "laptops": "New laptops are requested through the IT portal and arrive within a week.",
    "payroll": "Salaries are paid on the twenty-fifth day of each month.",
}
KINDS = ("search", "ask", "chat", "web", "upload", "collections", "documents")


@dataclass
class Kind:
    """One kind of request in the mix, with what it measured."""

    name: str
    weight: int
    latencies_ms: list[float] = field(default_factory=list)
    server_errors: int = 0  # 5xx, a failed answer stream, a dropped connection
    refused: int = 0  # 4xx
    failures: list[str] = field(default_factory=list)  # the first few, for a test's message

    @property
    def errors(self) -> int:
        return self.server_errors + self.refused


@dataclass(frozen=True)
class LoadSite:
    """Where to send the load: the server, a token (read, ask, ingest) and a web login."""

    url: str
    token: str
    username: str = USER
    password: str = PASSWORD
    collection_id: int | None = None  # uploads go here
    log_path: Path | None = None  # the server's log, when it is ours


def parse_mix(raw: str) -> dict[str, Kind]:
    """``search=5,ask=2`` as request kinds with weights; an unknown kind is an error."""
    kinds = {}
    for part in raw.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise ValueError(f"unknown request kind: {name.strip()}")
        kinds[name.strip()] = Kind(name=name.strip(), weight=int(weight or 1))
    return kinds


# --- one simulated user -------------------------------------------------------------


class _User:
    """One user's connections: a token client and, when needed, a signed-in session."""

    def __init__(self, number: int, site: LoadSite, api: httpx.AsyncClient) -> None:
        self.number = number
        self.site = site
        self.api = api
        self.web: httpx.AsyncClient | None = None
        self.sent = 0

    async def sign_in(self) -> None:
        """Sign in to the web app as a browser does (CSRF token, session cookie)."""
        self.web = httpx.AsyncClient(base_url=self.site.url, timeout=120)
        page = (await self.web.get("/login/")).text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": self.site.username, "password": self.site.password}
        reply = await self.web.post(
            "/login/",
            data={**form, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{self.site.url}/login/"},
        )
        if "sessionid" not in self.web.cookies:
            raise SystemExit(f"web sign-in failed: {reply.status_code}")
        csrf_header = {"X-CSRFToken": self.web.cookies["csrftoken"], "Referer": self.site.url}
        self.web.headers.update(csrf_header)

    async def send(self, kind: str, question: str) -> tuple[bool | None, str]:
        """One request: (True, "") when it succeeded, (False, why) for a server error,
        (None, why) when refused."""
        self.sent += 1
        if kind == "web":
            return await self._web_ask(question)
        if kind == "upload":
            reply = await self._upload()
        else:
            method, path, body = _request(kind, question)
            reply = await self.api.request(method, path, json=body)
        return _outcome(reply.status_code), f"{reply.status_code} {reply.text[:300]}"

    async def _web_ask(self, question: str) -> tuple[bool | None, str]:
        assert self.web is not None
        last, data = "", ""
        async with self.web.stream("POST", "/chat/ask", json={"question": question}) as reply:
            if reply.status_code != 200:
                await reply.aread()
                return _outcome(reply.status_code), f"{reply.status_code} {reply.text[:300]}"
            async for line in reply.aiter_lines():
                if line.startswith("event: "):
                    last = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line
        return last == "done", f"stream ended with {last}: {data[:300]}"

    async def _upload(self) -> httpx.Response:
        topic = random.Random(self.number * 7919 + self.sent).choice(list(TOPICS))
        text = (
            f"# Note {self.number}-{self.sent}\n\nOffice note {self.number}-{self.sent}: the "
            f"{topic} rule number {self.sent} applies from week {self.sent % 52 + 1}.\n"
        )
        files = {"file": (f"note-{self.number}-{self.sent}.md", text.encode(), "text/markdown")}
        path = f"/api/v1/collections/{self.site.collection_id}/documents"
        return await self.api.post(path, files=files)


def _outcome(status: int) -> bool | None:
    if status >= 500:
        return False
    return True if status < 400 else None


def _request(kind: str, question: str) -> tuple[str, str, dict | None]:
    """Method, path and JSON body of one token request of ``kind``."""
    if kind == "search":
        return "POST", "/api/v1/search", {"query": question, "limit": 6}
    if kind == "ask":
        return "POST", "/api/v1/ask", {"question": question}
    if kind == "chat":
        messages = [{"role": "user", "content": question}]
        return "POST", "/v1/chat/completions", {"model": "enclave", "messages": messages}
    if kind == "collections":
        return "GET", "/api/v1/collections", None
    if kind == "documents":
        return "GET", "/api/v1/documents", None
    raise ValueError(f"unknown request kind: {kind}")


def _plan(number: int, kinds: dict[str, Kind]) -> list[Kind]:
    """User ``number``'s order of requests: the weighted mix shuffled, starting with kind
    ``number`` mod the kinds, so that a few users already send every kind."""
    plan = [k for k in kinds.values() for _ in range(k.weight)]
    random.Random(number).shuffle(plan)
    first = plan.index(list(kinds.values())[number % len(kinds)])
    return plan[first:] + plan[:first]


async def _loop(user: _User, plan: list[Kind], deadline: float) -> None:
    """Send the plan's requests in turn until ``deadline``; record each outcome."""
    rng = random.Random(user.number)
    for kind in itertools.cycle(plan):
        if time.monotonic() >= deadline:
            return
        started = time.perf_counter()
        try:
            ok, why = await user.send(kind.name, rng.choice(QUESTIONS))
        except httpx.HTTPError as exc:
            ok, why = False, f"{type(exc).__name__}: {exc}"
        if ok:
            kind.latencies_ms.append((time.perf_counter() - started) * 1000)
            continue
        if ok is None:
            kind.refused += 1
        else:
            kind.server_errors += 1
        if len(kind.failures) < 5:
            kind.failures.append(why)


def run_load(site: LoadSite, kinds: dict[str, Kind], clients: int, duration_s: float) -> float:
    """Sign ``clients`` users in, then run them over the mix for ``duration_s``; returns the
    seconds the load took (sign-in not counted)."""

    async def everyone() -> float:
        headers = {"Authorization": f"Bearer {site.token}"}
        apis = [
            httpx.AsyncClient(base_url=site.url, headers=headers, timeout=120)
            for _ in range(clients)
        ]
        users = [_User(n, site, api) for n, api in enumerate(apis)]
        try:
            if "web" in kinds:
                await asyncio.gather(*(user.sign_in() for user in users))
            started = time.monotonic()
            deadline = started + duration_s
            await asyncio.gather(*(_loop(u, _plan(u.number, kinds), deadline) for u in users))
            return time.monotonic() - started
        finally:
            for user in users:
                await user.api.aclose()
                if user.web is not None:
                    await user.web.aclose()

    return asyncio.run(everyone())
