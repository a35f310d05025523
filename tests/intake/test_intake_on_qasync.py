"""The intake on the window's loop: aiohttp serving on qasync's QEventLoop, as in the window."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from intake_support import IntakeFactory, ticket

from trader_gui.domain.instruments import InstrumentCatalog

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication


@pytest.mark.gui
def test_an_order_through_the_intake_on_a_qasync_loop(
    qapp: Any, tmp_path: Path, catalog: InstrumentCatalog, clock: Any
) -> None:
    import qasync

    from trader_gui.ui.gui_thread_gc import release_loop_timers
    from trader_gui.ui.qt_guard import ensure_safe_refcounts

    ensure_safe_refcounts()
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def scenario() -> tuple[int, str]:
        factory = IntakeFactory(tmp_path, catalog, clock)
        try:
            intake = await factory.start()
            posted = await intake.post(ticket(client_order_id="qt1"))
            clock.advance(1)
            await intake.runtime.watcher.poll_once()
            followed = await intake.get(f"/orders/{posted.body['command_id']}")
            return posted.status, followed.body["status"]
        finally:
            await factory.close()

    try:
        assert loop.run_until_complete(scenario()) == (201, "EXECUTED")
    finally:
        loop.close()
        release_loop_timers(loop)
        asyncio.set_event_loop(None)
