"""When the only llama-server dies, employees still get an answer from the passages found.

The answer is extractive, with a short notice in the employee's language beside it
(``done["notice"]``: a code and a message, not answer text); no internal URL or
exception text reaches the employee. Its own module: the server it kills is its own.
"""

from __future__ import annotations

import json

import pytest

from inference import detect_language
from tests.system.llm.conftest import Site

pytestmark = [pytest.mark.llm, pytest.mark.timeout(600)]

QUESTIONS = {
    "en": "How many days of paid annual leave do employees get?",
    "pt": "Quantos dias de férias remuneradas tem cada funcionário?",
}
EXPECTED = {"en": "twenty-seven days", "pt": "vinte e sete dias"}
# What an internal error would leak: the server's address, Python exception names.
LEAKS = ("127.0.0.1", "http://", "ConnectError", "Traceback", "httpx", "/v1")


@pytest.mark.parametrize("language", ["en", "pt"])
def test_the_only_server_killed_the_employee_gets_an_extractive_answer(
    site: Site, language: str
) -> None:
    site.llama.kill()  # stays down for the rest of the module

    events = site.ask(QUESTIONS[language], language=language)

    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done", events[-1]
    done = events[-1][1]
    assert done["backend"] == "extractive"
    # Citations are numbered from [1] in order of first use.
    assert EXPECTED[language] in done["text"] and done["citations"][:1] == [1]
    notice = done["notice"]
    assert notice["code"] == "model_unavailable"
    assert notice["message"] not in done["text"]
    assert detect_language(notice["message"]) == language
    everything = json.dumps(events, ensure_ascii=False)
    leaks = (*LEAKS, f":{site.llama.port}")
    assert [leak for leak in leaks if leak in everything] == []
