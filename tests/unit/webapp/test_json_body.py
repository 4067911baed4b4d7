"""The request-body decoder: strict JSON, nesting bounded at MAX_DEPTH."""

from __future__ import annotations

import pytest

from webapp.core.json_body import MAX_DEPTH, JSONBodyError, json_body_loads


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def test_nesting_up_to_the_limit_parses_and_one_more_level_is_refused():
    assert json_body_loads(b'{"a": ' + _nested(MAX_DEPTH - 1) + b"}")["a"] is not None
    with pytest.raises(JSONBodyError, match=f"nests deeper than {MAX_DEPTH} levels"):
        json_body_loads(b'{"a": ' + _nested(MAX_DEPTH) + b"}")


def test_depth_counts_objects_and_arrays_alike():
    body = b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)
    with pytest.raises(JSONBodyError, match="nests deeper"):
        json_body_loads(body)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff{}", "not valid UTF-8"),
        (b'{"a": NaN}', "not valid JSON: NaN is not valid JSON"),
        (b"{", "not valid JSON"),
        (_nested(50_000), f"nests deeper than {MAX_DEPTH} levels"),
    ],
)
def test_malformed_bodies_raise_one_error_type(raw, message):
    with pytest.raises(JSONBodyError, match=message):
        json_body_loads(raw)
