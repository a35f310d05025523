"""Command ids: the idempotency key and the order's client tag at the broker (Kite: 20 max)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from trader_gui.domain import ids
from trader_gui.domain.ids import COMMAND_ID_MAX_LENGTH, is_valid_command_id, new_command_id

NOW_MS = 1_795_000_000_000  # a millisecond in late 2026


def frozen_ms(millis: int) -> Callable[[], int]:
    return lambda: millis * 1_000_000 + 123_456  # sub-millisecond part must not matter


def test_a_command_id_is_20_upper_case_letters_and_digits() -> None:
    command_id = new_command_id()

    assert len(command_id) == 20 == COMMAND_ID_MAX_LENGTH
    assert re.fullmatch(r"[A-Z0-9]{20}", command_id)
    assert is_valid_command_id(command_id)


def test_command_ids_are_unique_over_ten_thousand_calls() -> None:
    generated = [new_command_id() for _ in range(10_000)]

    assert len(set(generated)) == 10_000
    assert all(re.fullmatch(r"[A-Z0-9]{20}", c) for c in generated)


def test_ids_in_the_same_millisecond_still_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time_ns", frozen_ms(NOW_MS))

    generated = {new_command_id() for _ in range(1_000)}

    assert len(generated) == 1_000
    assert len({c[:9] for c in generated}) == 1  # same time prefix, random tails


@pytest.mark.parametrize(
    "earlier_ms",
    [
        NOW_MS,
        36**3 * 1000 - 1,  # the next millisecond carries a base-36 digit
        36**8 - 1,  # carry into the leading digit of the 9-character prefix
        0,
    ],
)
def test_an_id_from_a_later_millisecond_sorts_after(
    monkeypatch: pytest.MonkeyPatch, earlier_ms: int
) -> None:
    pairs = []
    for _ in range(50):  # random tails must never upset the order
        monkeypatch.setattr(time, "time_ns", frozen_ms(earlier_ms))
        earlier = new_command_id()
        monkeypatch.setattr(time, "time_ns", frozen_ms(earlier_ms + 1))
        later = new_command_id()
        pairs.append((earlier, later))

    assert all(later > earlier for earlier, later in pairs)


def test_sorting_ids_gives_their_creation_order(monkeypatch: pytest.MonkeyPatch) -> None:
    created = []
    for step in (0, 1, 35, 36, 1_000, 86_400_000, 86_400_001):
        monkeypatch.setattr(time, "time_ns", frozen_ms(NOW_MS + step))
        created.append(new_command_id())

    assert sorted(created) == created


def test_the_id_generator_reads_the_clock_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard for the tests above: the monkeypatched clock is the one ids.py uses."""
    monkeypatch.setattr(time, "time_ns", frozen_ms(NOW_MS))
    first = new_command_id()[:9]
    monkeypatch.setattr(time, "time_ns", frozen_ms(NOW_MS + 36**4))
    second = new_command_id()[:9]

    assert first != second
    assert ids.time is time


@pytest.mark.parametrize(
    "value",
    ["A", "a1B2c3", "0" * 20, "Z" * 20, new_command_id()],
)
def test_valid_command_ids(value: str) -> None:
    assert is_valid_command_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "A" * 21,
        "ABC-123",
        "ABC_123",
        "ABC 123",
        " ABC",
        "ABC\n",  # a trailing newline would travel to the broker inside the tag
        "A" * 20 + "\n",
        "ÀBC",
        "١٢٣",  # Arabic-Indic digits are digits to Python, not to a broker
        "ABC.1",
        None,
        123,
        b"ABC",
        ["ABC"],
    ],
)
def test_invalid_command_ids(value: object) -> None:
    assert not is_valid_command_id(value)
