"""Interval polls keep a fixed rate, so a fill waits at most one interval for the next read of
the book, not an interval plus the poll before it."""

from __future__ import annotations

import pytest

from trader_gui.engine.watcher import SOON_GAP_S, next_poll_at


def test_a_quick_poll_is_followed_one_interval_after_it_started() -> None:
    started, ended = 100.0, 100.04  # a 40 ms poll at a 1 s interval

    due = next_poll_at(started, ended, 1.0)

    assert due == pytest.approx(101.0)  # not 101.04: reads of the book stay 1 s apart


def test_polls_at_a_fixed_rate_never_drift() -> None:
    started = 0.0
    for _ in range(100):
        ended = started + 0.08
        started = next_poll_at(started, ended, 1.0)

    assert started == pytest.approx(100.0)  # 100 polls, 100 intervals: no poll's time added


def test_a_poll_longer_than_the_interval_is_followed_by_a_rest_as_long() -> None:
    due = next_poll_at(10.0, 11.5, 1.0)  # a 1.5 s poll (a huge book) at a 1 s interval

    assert due == pytest.approx(13.0)  # the loop and the threads get as long as it took


def test_even_a_poll_just_under_the_interval_leaves_a_gap_before_the_next() -> None:
    due = next_poll_at(10.0, 10.99, 1.0)

    assert due - 10.99 >= SOON_GAP_S
