"""`trader-gui kill-switch on|off|status`: a running program honours it within one poll."""

from __future__ import annotations

from typing import Any

from trader_gui.domain.market_time import IST, utc_now
from trader_gui.engine.assembly import LaunchOptions, database_url, open_repository
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings


def run_kill_switch(args: Any, settings: Settings, paths: AppPaths, options: LaunchOptions) -> int:
    client_id = options.client_id or settings.client_id
    repository = open_repository(database_url(settings, paths, options))
    try:
        if args.action == "status":
            state = repository.kill_switch(client_id)
        else:
            state = repository.set_kill_switch(
                client_id,
                args.action == "on",
                by="command line",
                reason=args.reason,
                at=utc_now(),
            )
    finally:
        repository.close()
    word = "ON" if state.active else "OFF"
    since = f" since {state.changed_at.astimezone(IST):%Y-%m-%d %H:%M:%S} IST by {state.changed_by}"
    reason = f": {state.reason}" if state.reason else ""
    print(
        f"kill switch for {client_id}: {word}{since if state.changed_by != 'default' else ''}{reason}"
    )
    return 0
