"""Time Enclave adds before the first token: auth + rewrite + retrieval + prompt + bridge.

Runs a real ``enclave serve`` (embedded: SQLite, Qdrant Edge, USE multilingual v3) on a scratch
home with a few indexed documents, answering through a stand-in vLLM that replies
instantly, and measures, per request, the time from sending ``POST /chat/ask`` (a
signed-in session) to receiving the first ``delta`` event. With an instant model
that is Enclave's own overhead.

"Sending" is the moment the request's body has been written to the socket (httpx's
trace hook): when 32 chats ask at once, the client itself needs tens of milliseconds
to put all 32 requests on the wire, time no server can shorten. That delay is
reported in a column of its own. Run by hand, never by the test suite::

    .venv/bin/python -m ops.bench.overhead            # 1 chat; 32 chats in bursts,
                                                      # back to back, and pausing
    .venv/bin/python -m ops.bench.overhead --requests 96

The client runs on the same machine as the server and competes with it for CPU.
Writes ``ops/bench/results/overhead.md`` (``--output PATH`` writes elsewhere, e.g. to compare
two checkouts in alternating runs without either overwriting the committed table).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import os
import platform
import random
import re
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ops.bench.measure import load_average, percentile
from tests.standin.process import start_standin, stop
from tests.support.server import ServeProcess, cli, process_env, run_cli

RESULTS = Path(__file__).resolve().parent / "results" / "overhead.md"
USER, PASSWORD = "bench", "bench-password-1"
TOPICS = {
    "leave": "Every employee is entitled to twenty-seven days of paid annual leave per year. "
    "Unused leave may be carried over until the end of March.",
    "travel": "Travel costs above the monthly limit need written approval from the budget "
    "owner. Trains are preferred over flights for trips under four hours.",
    "security": "Lost security badges must be reported to the facilities desk within "
    "twenty-four hours. Visitors are escorted at all times.",
    "expenses": "Expense reports are filed within ten days of the purchase with the receipt "
    "attached. The finance team reimburses them with the next salary.",
    "parking": "Parking spaces are assigned by the facilities team each quarter. Electric "
    "vehicles may use the charging bays for four hours.",
}
QUESTIONS = [
    "How many days of paid annual leave do employees get?",
    "Who approves travel costs above the monthly limit?",
    "What must happen when a security badge is lost?",
    "When are expense reports filed?",
    "Who assigns parking spaces?",
    "Can unused leave be carried over?",
    "Are trains preferred over flights?",
    "Are visitors escorted?",
]
# Within a run every request asks a different question, so no cache (token counts,
# embeddings) answers a repeat: 12 openings x 8 questions x 20 closings = 1,920 texts.
OPENINGS = [
    "",
    "Quick question: ",
    "Please tell me: ",
    "I would like to know: ",
    "Can you check: ",
    "For my manager: ",
    "According to the policy, ",
    "Short answer please: ",
    "I am new here. ",
    "Help me understand: ",
    "One more thing: ",
    "From the handbook: ",
]


CLOSINGS = [
    "",
    " Thanks.",
    " Thank you!",
    " Please be brief.",
    " It is urgent.",
    " Asking for a colleague.",
    " Just checking.",
    " Many thanks.",
    " I could not find it.",
    " Is that right?",
    " Please cite the policy.",
    " In short, please.",
    " Cheers.",
    " Before Friday, please.",
    " For the team meeting.",
    " Much appreciated.",
    " Asking for the onboarding notes.",
    " Thanks in advance.",
    " Quick check before I travel.",
    " A colleague asked me.",
]
# Every row of a run takes its questions from here: at the default sizes no text repeats.
_asked = itertools.count()


def question(index: int) -> str:
    """The ``index``-th distinct benchmark question."""
    opening = OPENINGS[(index // len(QUESTIONS)) % len(OPENINGS)]
    text = QUESTIONS[index % len(QUESTIONS)]
    closing = CLOSINGS[(index // (len(QUESTIONS) * len(OPENINGS))) % len(CLOSINGS)]
    return opening + (text[0].lower() + text[1:] if opening else text) + closing


def next_question() -> str:
    """A question no earlier request of this run asked."""
    return question(next(_asked))


@dataclass(frozen=True)
class Sample:
    """One request: client-side time to first delta, and the server's own figures."""

    # From the request written to the socket to the first delta event read.
    first_delta_ms: float
    retrieval_ms: float
    server_first_token_ms: float
    # CPU time of the server thread that searched (query embedding + hybrid search).
    retrieval_cpu_ms: float = 0.0
    # From the client starting the request to its body written (the client's own queue).
    send_delay_ms: float = 0.0
    # The chat's first question: in a back-to-back run every chat asks it at once.
    opening: bool = False


def _write_corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for name, text in TOPICS.items():
        path = folder / f"{name}.md"
        path.write_text(f"# {name.title()} policy\n\n" + "\n\n".join([text] * 3) + "\n")
        paths.append(path)
    return paths


async def _login(client: httpx.AsyncClient) -> None:
    page = (await client.get("/login/")).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    await client.post(
        "/login/",
        data={"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{client.base_url}login/"},
    )
    client.headers.update(
        {"X-CSRFToken": client.cookies["csrftoken"], "Referer": str(client.base_url)}
    )


async def _ask(client: httpx.AsyncClient, question: str) -> Sample:
    sent: list[float] = []

    async def trace(event: str, info: dict) -> None:
        if event == "http11.send_request_body.complete":
            sent.append(time.perf_counter())

    started = time.perf_counter()
    first: float | None = None
    done: dict = {}
    ask = {"json": {"question": question}, "extensions": {"trace": trace}}
    async with client.stream("POST", "/chat/ask", **ask) as response:
        buffer = ""
        async for chunk in response.aiter_text():
            if first is None and "event: delta" in chunk:
                first = time.perf_counter()
            buffer += chunk
        for block in buffer.split("\n\n"):
            if block.startswith("event: done"):
                done = json.loads(block.split("data: ", 1)[1])
            elif block.startswith("event: error"):
                raise RuntimeError(block)
    assert first is not None and sent, buffer
    return Sample(
        first_delta_ms=(first - sent[0]) * 1000,
        retrieval_ms=done["retrieval_ms"],
        server_first_token_ms=done["first_token_ms"],
        retrieval_cpu_ms=done.get("retrieval_cpu_ms") or 0.0,
        send_delay_ms=(sent[0] - started) * 1000,
    )


async def _run(
    url: str, concurrency: int, requests: int, think_s: tuple[float, float] | None = None
) -> list[Sample]:
    """``concurrency`` chats asking ``requests`` questions in all.

    Without ``think_s`` each chat asks again the moment its answer ends (the server is
    saturated); with it, each chat pauses a uniform random time in that range before
    every question, as a person reading the answer and typing the next one would.
    """
    limits = httpx.Limits(max_connections=concurrency + 4)
    pauses = random.Random(7)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await _login(client)
        remaining = [requests]
        samples: list[Sample] = []

        async def chat() -> None:
            opening = True
            while remaining[0] > 0:
                remaining[0] -= 1
                if think_s is not None:
                    await asyncio.sleep(pauses.uniform(*think_s))
                sample = await _ask(client, next_question())
                samples.append(dataclasses.replace(sample, opening=opening))
                opening = False

        await asyncio.gather(*(chat() for _ in range(concurrency)))
        return samples


async def _bursts(url: str, concurrency: int, rounds: int, gap_s: float) -> list[Sample]:
    """``rounds`` times, ``concurrency`` chats asking at the same moment; ``gap_s`` between."""
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await _login(client)
        samples: list[Sample] = []
        for _ in range(rounds):
            asked = [next_question() for _ in range(concurrency)]
            samples += await asyncio.gather(*(_ask(client, q) for q in asked))
            await asyncio.sleep(gap_s)
        return samples


@dataclass(frozen=True)
class Level:
    """One table row: how many chats, and how they ask."""

    concurrency: int
    requests: int
    think_s: tuple[float, float] | None = None
    # All chats ask at the same moment, ``requests // concurrency`` times, 1 s apart.
    bursts: bool = False
    # Documents queued for ingestion into the same server just before the row.
    ingesting: int = 0

    def describe(self) -> str:
        """The row's "how the chats ask" cell."""
        if self.bursts:
            return f"all at the same moment ({self.requests // self.concurrency} bursts, 1 s apart)"
        if self.think_s is not None:
            return f"pausing {self.think_s[0]:g}-{self.think_s[1]:g} s between questions"
        if self.ingesting:
            return (
                f"back to back while {self.ingesting} documents are ingested "
                "(the opening burst left out)"
            )
        if self.concurrency > 1:
            return "back to back (the opening burst left out: see the row above)"
        return "back to back"

    def run(self, url: str) -> list[Sample]:
        """The row's samples (a back-to-back row's openings marked, not left out)."""
        if self.bursts:
            return asyncio.run(_bursts(url, self.concurrency, self.requests // self.concurrency, 1))
        return asyncio.run(_run(url, self.concurrency, self.requests, self.think_s))

    def kept(self, samples: list[Sample]) -> list[Sample]:
        """The samples the row's latencies are read from."""
        if self.think_s is None and not self.bursts and self.concurrency > 1:
            return [s for s in samples if not s.opening]
        return samples


class Ingestion:
    """Generated documents queued into the running server (``enclave ingest --no-wait``)."""

    def __init__(self, env: dict[str, str], home: Path, folder: Path) -> None:
        self._env, self._database, self._folder = env, home / "enclave.sqlite3", folder

    def start(self, count: int) -> None:
        """Queue ``count`` documents; return once the server's worker has begun on them."""
        paths = _write_documents(self._folder, count)
        result = run_cli(
            [
                "ingest",
                *map(str, paths),
                "--collection",
                "Handbook",
                "--group",
                "staff",
                "--no-wait",
            ],
            self._env,
        )
        if result.returncode:
            raise SystemExit(result.stdout + result.stderr)
        deadline = time.monotonic() + 120
        while self.waiting() == count and time.monotonic() < deadline:
            time.sleep(0.2)

    def waiting(self) -> int:
        """Documents not yet indexed (queued or in a stage of ingestion)."""
        with sqlite3.connect(f"file:{self._database}?mode=ro", uri=True, timeout=30) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM knowledge_document WHERE status NOT IN ('indexed', 'failed')"
            ).fetchone()
        return int(count)


def _write_documents(folder: Path, count: int) -> list[Path]:
    """``count`` distinct handbook pages of about 600 words (a few chunks each)."""
    folder.mkdir(parents=True)
    words = random.Random(11)
    topics = list(TOPICS.values())
    paths = []
    for n in range(count):
        sections = []
        for part in range(6):
            base = topics[(n + part) % len(topics)]
            extra = " ".join(words.choice(base.split()) for _ in range(60))
            sections.append(f"## Section {part + 1} of page {n}\n\n{base} {extra}.")
        path = folder / f"page-{n:04d}.md"
        path.write_text(f"# Handbook page {n}\n\n" + "\n\n".join(sections) + "\n")
        paths.append(path)
    return paths


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One measured row: its cells, and what the idle-vs-ingesting comparison needs."""

    level: Level
    cells: str
    p95_ms: float
    # Documents still waiting when the row began and when it ended (ingesting rows).
    waiting: tuple[int, int] = (0, 0)


def _measure(
    url: str, pids: tuple[int, int], level: Level, ingestion: Ingestion | None = None
) -> Row:
    """One table row; ``pids`` are the server's and the stand-in's."""
    server, standin = pids
    waiting = (0, 0)
    if level.ingesting and ingestion is not None:
        ingestion.start(level.ingesting)
        waiting = (ingestion.waiting(), 0)
    before = (cpu_seconds(server), cpu_seconds(standin) + time.process_time())
    asked = level.run(url)
    server_cpu_ms = (cpu_seconds(server) - before[0]) * 1000 / len(asked)
    # The load generator (this process) and the stand-in share the 2 cores with the server.
    others_cpu_ms = (cpu_seconds(standin) + time.process_time() - before[1]) * 1000 / len(asked)
    if level.ingesting and ingestion is not None:
        waiting = (waiting[0], ingestion.waiting())
    # CPU per question asked (left-out openings included), not per sample kept; a query
    # embedded in a batch another request led counts in the leader's retrieval CPU.
    retrieval_cpu_ms = sum(s.retrieval_cpu_ms for s in asked) / len(asked)
    ratio = server_cpu_ms / retrieval_cpu_ms if retrieval_cpu_ms else float("nan")
    samples = level.kept(asked)
    firsts = [s.first_delta_ms for s in samples]
    retrieval = [s.retrieval_ms for s in samples]
    send_delays = [s.send_delay_ms for s in samples]
    from_start = [s.send_delay_ms + s.first_delta_ms for s in samples]
    cells = (
        f"| {level.concurrency} | {level.describe()} | {len(samples)} | "
        f"{percentile(firsts, 50):.1f} | {percentile(firsts, 95):.1f} | {max(firsts):.1f} | "
        f"{percentile(send_delays, 95):.1f} | {percentile(from_start, 95):.1f} | "
        f"{percentile(retrieval, 50):.1f} | {percentile(retrieval, 95):.1f} | "
        f"{retrieval_cpu_ms:.2f} | {server_cpu_ms:.1f} | "
        f"{'(ingestion included)' if level.ingesting else f'{ratio:.2f}'} | "
        f"{others_cpu_ms:.1f} |"
    )
    return Row(level, cells, percentile(firsts, 95), waiting)


def _ingestion_note(rows: list[Row]) -> str:
    """The ingesting rows' p95 against the same chats idle, and the documents indexed meanwhile."""
    notes = []
    for row in rows:
        if not row.level.ingesting:
            continue
        idle = next(
            (
                r
                for r in rows
                if r.level == dataclasses.replace(row.level, ingesting=0) and r is not row
            ),
            None,
        )
        start, end = row.waiting
        versus = (
            f" = {row.p95_ms / idle.p95_ms:.2f}x the idle row's {idle.p95_ms:.1f} ms"
            if idle
            else ""
        )
        notes.append(
            f"While {row.level.ingesting} documents were ingested: first delta p95 "
            f"{row.p95_ms:.1f} ms{versus}; {start - end} documents were indexed during the "
            f"row ({start} waiting at its start, {end} at its end).\n"
        )
    return "\n".join(notes)


def main() -> None:
    """Start the stand-in and the server, measure, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--requests", type=int, default=320, help="questions per row (twice that with pauses)"
    )
    parser.add_argument(
        "--think-s",
        type=float,
        nargs=2,
        default=[1.0, 3.0],
        metavar=("MIN", "MAX"),
        help="pause range of the chats-with-pauses rows (seconds)",
    )
    parser.add_argument(
        "--back-to-back-only",
        action="store_true",
        help="leave out the bursts and pausing rows (quicker runs while tuning)",
    )
    parser.add_argument(
        "--ingest",
        type=int,
        default=500,
        help="documents ingested during a last back-to-back row at the top concurrency (0: none)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="where the markdown table goes (another path keeps alternating runs of two "
        "checkouts apart)",
    )
    args = parser.parse_args()
    think = (args.think_s[0], args.think_s[1])
    levels = [Level(1, args.requests)] if 1 in args.concurrency else []
    for c in (c for c in args.concurrency if c > 1):
        if args.back_to_back_only:
            levels.append(Level(c, max(args.requests, 2 * c)))
            continue
        levels += [
            # As many questions as the other rows: one burst's tail is a few samples.
            Level(c, max(args.requests, 5 * c), bursts=True),
            Level(c, max(args.requests, 2 * c)),
            Level(c, max(2 * args.requests, c), think_s=think),
        ]
    top = max(args.concurrency)
    if args.ingest and top > 1:
        levels.append(Level(top, max(args.requests, 2 * top), ingesting=args.ingest))
    home = Path(tempfile.mkdtemp(prefix="enclave-overhead-"))
    # Outside the home: ingestion never reads files under ENCLAVE_HOME.
    docs = Path(tempfile.mkdtemp(prefix="enclave-overhead-docs-")) / "docs"
    base_url, standin = start_standin(model="standin-llm")
    env = process_env(home, ENCLAVE_LLM_ENDPOINTS=f"{base_url}|standin-llm")
    serve = ServeProcess(env, home / "serve.log")
    ingestion = Ingestion(env, home, docs.parent / "handbook")
    try:
        paths = [str(path) for path in _write_corpus(docs)]
        cli(["ingest", *paths, "--collection", "Policies", "--group", "staff"], env)
        cli(["user", USER, "--password", PASSWORD, "--group", "staff"], env)
        serve.start()
        # Warm-up at the highest concurrency measured: the server's request and answer
        # threads (each with its database connection) and the client's connections exist,
        # as on a server that has been in use; the measured runs still start in a burst.
        asyncio.run(_run(serve.url, top, 2 * top))
        assert serve.process is not None
        pids = (serve.process.pid, standin.pid)
        rows = [_measure(serve.url, pids, level, ingestion) for level in levels]
    finally:
        serve.stop()
        stop(standin)
    table = "\n".join(
        [
            "| concurrent chats | how the chats ask | questions | first delta p50 ms | "
            "p95 ms | max ms | client's own send delay p95 ms (not counted) | "
            "p95 ms counting the send delay | "
            "retrieval p50 ms | retrieval p95 ms | retrieval CPU ms / request | "
            "server CPU ms / request | server CPU / retrieval CPU | "
            "client + stand-in CPU ms / request |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *(row.cells for row in rows),
        ]
    )
    report = (
        "# Enclave overhead before the first token\n\n"
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.python_version()}; "
        "`enclave serve` embedded (SQLite, Qdrant Edge, USE multilingual v3 on numpy), "
        "stand-in vLLM "
        "answering instantly; time from POST /chat/ask (signed-in session) written to the "
        "socket to the first delta event read, measured by an httpx client on the same "
        "machine; the time the client needs before a request is on the wire (32 at once "
        "queue in the client) is its own column and not counted. Retrieval = the "
        "server's own search time (query embedding + hybrid search), wall and the CPU time "
        "of the searching thread (summed over the requests, divided by them); server CPU = "
        "CPU time of the `enclave serve` process (all threads) divided by the requests, and "
        "its ratio to the retrieval CPU (what a question costs the web process around its "
        "search); client + stand-in = the same for the load generator and the stand-in, "
        "which share the cores. "
        f"Load average at the end: {load_average()} (other processes share the machine).\n\n"
        f"{table}\n\n{_ingestion_note(rows)}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
