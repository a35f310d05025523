"""`trader-gui --headless`: the engine without a window, stopped cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from trader_gui.engine.assembly import LaunchOptions, build_runtime
from trader_gui.engine.events import (
    ConnectionChanged,
    Event,
    KillSwitchChanged,
    Notice,
    OrderUpdated,
)
from trader_gui.logging_setup import configure_logging, stop_logging
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings

log = logging.getLogger("trader_gui.headless")


def run_headless(settings: Settings, paths: AppPaths, options: LaunchOptions) -> int:
    paths.ensure()
    configure_logging(paths.log_file, to_stdout=True)
    try:
        return asyncio.run(_serve(settings, paths, options))
    finally:
        stop_logging()


async def _serve(settings: Settings, paths: AppPaths, options: LaunchOptions) -> int:
    runtime = build_runtime(settings, paths, options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runtime.events.subscribe(_log_event)
    try:
        await runtime.start()
        log.info(
            "running headless: broker %s, account %s; Ctrl-C to stop",
            runtime.broker.name,
            runtime.config.client_id,
        )
        await stop.wait()
        log.info("stopping")
    finally:
        await runtime.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0


def _log_event(event: Event) -> None:
    if isinstance(event, OrderUpdated):
        record, step = event.record, event.transition
        log.info(
            "order %s %s -> %s %s %s",
            record.command_id,
            step.from_status or "-",
            step.to_status,
            step.tag or "",
            step.detail,
        )
    elif isinstance(event, KillSwitchChanged):
        log.warning(
            "kill switch %s (%s)", "ON" if event.state.active else "OFF", event.state.changed_by
        )
    elif isinstance(event, ConnectionChanged):
        log.info("broker %s %s", event.state, event.message)
    elif isinstance(event, Notice):
        log.log(logging.ERROR if event.level == "error" else logging.WARNING, "%s", event.text)
