"""The load benchmark's request mix and each simulated user's plan."""

from __future__ import annotations

from collections import Counter

import pytest

from ops.bench.load_users import _plan, parse_mix


def test_the_mix_is_read_with_its_weights_and_refuses_unknown_kinds() -> None:
    kinds = parse_mix("search=4,ask=2,web,upload=1")
    assert {name: kind.weight for name, kind in kinds.items()} == {
        "search": 4,
        "ask": 2,
        "web": 1,
        "upload": 1,
    }
    with pytest.raises(ValueError, match="unknown request kind: delete"):
        parse_mix("search=1,delete=1")


def test_each_plan_holds_the_weighted_mix_and_users_start_on_every_kind() -> None:
    kinds = parse_mix("search=4,ask=2,chat=1,web=2,upload=1,documents=1")
    plans = [_plan(number, kinds) for number in range(12)]
    for plan in plans:
        assert Counter(kind.name for kind in plan) == {
            "search": 4,
            "ask": 2,
            "chat": 1,
            "web": 2,
            "upload": 1,
            "documents": 1,
        }
    firsts = [plan[0].name for plan in plans[:6]]
    assert firsts == ["search", "ask", "chat", "web", "upload", "documents"]
