"""Entry point of `trader-gui` and `python -m trader_gui`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from trader_gui.cli.arguments import ArgumentError, build_parser
from trader_gui.engine.launch_options import LaunchOptions
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except ArgumentError as error:
        print(error, file=sys.stderr)
        return 2
    if getattr(args, "self_test", False):  # throwaway files: the trader's config is not read
        from trader_gui.cli.self_test import run_self_test

        return run_self_test()
    paths = AppPaths.standard()
    config_path: Path = getattr(args, "config", None) or paths.config_file
    try:
        settings = load_settings(config_path)
    except SettingsError as error:
        print(f"trader-gui: {error}", file=sys.stderr)
        return 2
    options = LaunchOptions(
        db_url=getattr(args, "db", None),
        broker=getattr(args, "broker", None),
        client_id=getattr(args, "client", None),
        broker_url=getattr(args, "broker_url", None),
        intake_port=getattr(args, "intake_port", None),
    )
    try:
        return _dispatch(args, settings, paths, options, config_path)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # one sentence, never a traceback
        if logging.getLogger().handlers:  # unconfigured, logging would print it on stderr
            log.exception("trader-gui failed")
        first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
        print(f"trader-gui: {first_line}", file=sys.stderr)
        return 1


def _dispatch(
    args: object, settings: Settings, paths: AppPaths, options: LaunchOptions, config_path: Path
) -> int:
    command = getattr(args, "command", None)
    if command == "basket":
        from trader_gui.cli.basket import run_basket

        return run_basket(args.file, args.wait, settings, paths, options)  # type: ignore[attr-defined]
    if command == "orders":
        from trader_gui.cli.orders import run_orders

        return run_orders(args, settings, paths, options)
    if command == "kill-switch":
        from trader_gui.cli.kill_switch import run_kill_switch

        return run_kill_switch(args, settings, paths, options)
    if command == "masters":
        from trader_gui.cli.masters import run_masters

        return run_masters(args, settings, paths, options)
    if command == "login":
        from trader_gui.cli.login import run_login

        return run_login(args, settings, options)
    if command in ("submit", "status", "intake-token"):
        from trader_gui.cli import submit

        if command == "submit":
            return submit.run_submit(args, settings)
        if command == "status":
            return submit.run_status(args, settings)
        return submit.run_intake_token(args, settings)
    if getattr(args, "paths", False):
        from trader_gui.cli.paths_command import run_paths

        return run_paths(settings, paths, options, config_path)
    if getattr(args, "headless", False):
        from trader_gui.cli.headless import run_headless

        return run_headless(settings, paths, options)
    from trader_gui.app import run_window

    return run_window(settings, paths, options, config_path=config_path)
