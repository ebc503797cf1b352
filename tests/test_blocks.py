"""The aligner's matching core: any two key sequences are covered exactly once, in order.

GIVEN any two sequences of keys WHEN they are matched (the exact search, or the
windowed walk used for long traces) THEN every position appears in exactly one
block, blocks go forward on both sides, and equal blocks really are equal.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer import align
from tracer.align import blocks

keys = st.lists(st.sampled_from("abcde"), max_size=60)


def check(ka: list[str], kb: list[str]) -> None:
    found = blocks(ka, kb)
    a_next = b_next = 0
    for tag, a0, a1, b0, b1 in found:
        assert (a0, b0) == (a_next, b_next), found
        assert a0 <= a1 and b0 <= b1
        if tag == "equal":
            assert ka[a0:a1] == kb[b0:b1]
        a_next, b_next = a1, b1
    assert (a_next, b_next) == (len(ka), len(kb))


@settings(max_examples=400)
@given(keys, keys)
def test_exact_matching_covers_both_sides(ka: list[str], kb: list[str]) -> None:
    check(ka, kb)


@settings(max_examples=400)
@given(keys, keys)
def test_windowed_matching_covers_both_sides(ka: list[str], kb: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(align, "EXACT_LIMIT", 0)
        check(ka, kb)


def test_windowed_matching_finds_the_shared_path() -> None:
    # GIVEN Go's path with extra steps around the same kernel path as Python's
    go = ["create", "configure", "bind", "listen", "wait", "accept", "configure", "receive", "send", "close"]
    python = ["create", "bind", "listen", "accept", "receive", "send", "close"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(align, "EXACT_LIMIT", 0)
        equal = [key for tag, a0, a1, _, _ in blocks(go, python) if tag == "equal" for key in go[a0:a1]]
    # THEN every Python step is matched
    assert equal == python


def test_long_sequences_pair_every_shared_step() -> None:
    # A server's 20,000 requests, the same pattern over and over on both sides
    # (its speed is measured by tests/bench_align.py, not here).
    go = ["accept", "wait", "configure", "receive", "send", "close"] * 20_000
    python = ["accept", "receive", "send", "close"] * 20_000
    found = blocks(go, python)
    assert sum(a1 - a0 for tag, a0, a1, _, _ in found if tag == "equal") == len(python)
