"""The window's collector takes full collections only when they can pay, and start-up's
objects out of every later one, so a burst of orders is not stalled by walking the program."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from trader_gui.ui.gui_thread_gc import FULL_GROWTH_SHARE, GuiThreadCollector


@pytest.fixture
def collections_seen() -> Iterator[list[int]]:
    """The generation of every collection made meanwhile, with thresholds that make each
    look at the counts due (so the test drives the collector, not the allocator)."""
    seen: list[int] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(on_collection)
    try:
        yield seen
    finally:
        gc.callbacks.remove(on_collection)
        gc.set_threshold(*thresholds)


def _look(collector: GuiThreadCollector, times: int) -> list[list[int]]:
    """`times` looks at the counts, a few objects made between two looks."""
    kept: list[list[int]] = []
    for index in range(times):
        kept += [[index], [index]]
        collector.collect_due()
    return kept


def test_no_full_collection_while_little_has_joined_the_oldest_generation(
    qapp: QApplication, collections_seen: list[int]
) -> None:
    collector = GuiThreadCollector()
    collector.start()
    try:
        survivors = [[index] for index in range(100)]  # far under a quarter of the program

        _look(collector, 40)

        assert survivors
        assert 1 in collections_seen  # the young generations were collected...
        assert 2 not in collections_seen  # ...but no walk of the whole program
    finally:
        collector.stop()


def test_a_full_collection_once_a_quarter_more_has_survived(
    qapp: QApplication, collections_seen: list[int]
) -> None:
    collector = GuiThreadCollector()
    collector.start()
    try:
        long_lived = len(gc.get_objects(2))
        survivors = [[index] for index in range(int(long_lived * FULL_GROWTH_SHARE) + 1_000)]

        _look(collector, 40)

        assert survivors
        assert 2 in collections_seen
    finally:
        collector.stop()


def test_settling_takes_start_ups_objects_out_of_later_collections(qapp: QApplication) -> None:
    collector = GuiThreadCollector()
    collector.start()
    built_at_start_up = [[index] for index in range(10_000)]
    try:
        collector.settle()

        assert gc.get_freeze_count() >= len(built_at_start_up)
        assert len(gc.get_objects(2)) < len(built_at_start_up)  # a full collection skips them
    finally:
        gc.unfreeze()  # the rest of the suite's objects stay collectable
        collector.stop()
