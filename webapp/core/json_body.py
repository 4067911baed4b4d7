"""Request bodies as JSON, strictly and with bounded nesting (API, /v1 and the web chat).

Python's decoder recurses once per nesting level: about 1,000 levels of ``[`` end
in ``RecursionError`` (a 500 before this), and a structure just under that
limit would recurse again in whatever walks it next. No request of ours nests
more than a few levels, so anything deeper than ``MAX_DEPTH`` is refused as
malformed, like invalid JSON.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "JSONBodyError", "json_body_loads"]

MAX_DEPTH = 32


class JSONBodyError(ValueError):
    """The body is not UTF-8 JSON, or nests deeper than ``MAX_DEPTH``."""


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_body_loads(raw: bytes) -> Any:
    """The JSON value of ``raw`` (strict UTF-8; no NaN or Infinity; at most MAX_DEPTH deep)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JSONBodyError("The request body is not valid UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise JSONBodyError(f"The request body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise JSONBodyError(f"The request body is not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise JSONBodyError(f"The request body nests deeper than {MAX_DEPTH} levels.")
    return value


def _depth(value: Any) -> int:
    """Nesting depth of arrays and objects, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:  # deeper is refused anyway: stop walking
            stack.extend((child, depth + 1) for child in item)
    return deepest
