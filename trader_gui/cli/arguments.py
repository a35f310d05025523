"""The command line's grammar. Bad arguments give one line and exit 2, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

from trader_gui import __version__
from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.senders import DEFAULT_SENDER, sender_name


class ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trader-gui",
        description="Order-management terminal for Indian brokers. "
        "With no command it opens the window (paper broker unless configured otherwise).",
    )
    parser.add_argument("--version", action="version", version=f"trader-gui {__version__}")
    _common(parser)
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run the engine, watcher and recovery without a window; Ctrl-C stops",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run the whole program offscreen on throwaway files: an order, its fill, "
        "the kill switch; exit 0 when every step passes",
    )
    parser.add_argument(
        "--paths",
        action="store_true",
        help="print where the config, database, paper broker, logs and cache are",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    basket = commands.add_parser("basket", help="submit every row of a CSV basket file")
    _common(basket)
    basket.add_argument("file", type=Path, help="CSV with the ticket columns")
    basket.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for every order to be terminal (default 30)",
    )

    orders = commands.add_parser("orders", help="list orders from the database")
    _common(orders)
    orders.add_argument("--status", choices=[s.value for s in OrderStatus], help="only this status")
    orders.add_argument("--json", action="store_true", help="one JSON object per line")
    orders.add_argument("--limit", type=int, default=200, help="newest N (default 200)")

    kill = commands.add_parser("kill-switch", help="set or show the persisted kill switch")
    _common(kill)
    kill.add_argument("action", choices=["on", "off", "status"])
    kill.add_argument("--reason", default="", help="why (kept in the switch's history)")

    login = commands.add_parser(
        "login",
        help="store an account's credentials in the OS keyring",
        description="Asks for each field without echo at a terminal; otherwise reads "
        "name=value lines from stdin. Prints the names stored, never the values.",
    )
    _common(login)
    login.add_argument(
        "login_broker", metavar="BROKER", choices=["shoonya", "kite"], help="shoonya or kite"
    )
    login.add_argument("--forget", action="store_true", help="delete the stored credentials")
    login.add_argument(
        "--session",
        action="store_true",
        help="kite: today's login in the browser; stores the day's access token",
    )
    _masters_command(commands)
    _intake_commands(commands)
    return parser


def _masters_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`trader-gui masters refresh|load FILE...|status` (see cli/masters.py)."""
    masters = commands.add_parser(
        "masters",
        help="refresh or load the symbol masters (the instrument list the program trades)",
        description="The masters are kept in the cache folder; the next start uses them.",
    )
    _common(masters)
    actions = masters.add_subparsers(
        dest="masters_action", metavar="ACTION", parser_class=_Parser, required=True
    )
    refresh = actions.add_parser("refresh", help="fetch today's masters from the broker")
    _common(refresh)
    load = actions.add_parser(
        "load", help="load master files you downloaded (Shoonya's zips or txt, Kite's CSV)"
    )
    _common(load)
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    status = actions.add_parser("status", help="the day and size of the cached masters")
    _common(status)


def _common(parser: argparse.ArgumentParser) -> None:
    """Common options, accepted before or after the command."""
    parser.add_argument(
        "--db", metavar="URL", default=argparse.SUPPRESS, help="SQLAlchemy database URL"
    )
    parser.add_argument(
        "--broker", metavar="NAME", default=argparse.SUPPRESS, help="paper (default)"
    )
    parser.add_argument(
        "--client", metavar="ID", default=argparse.SUPPRESS, help="account (client id)"
    )
    parser.add_argument(
        "--config", metavar="FILE", type=Path, default=argparse.SUPPRESS, help="config file"
    )
    parser.add_argument(
        "--broker-url", metavar="URL", default=argparse.SUPPRESS, help="broker host URL"
    )
    parser.add_argument(
        "--intake-port",
        metavar="N",
        type=_port,
        default=argparse.SUPPRESS,
        help="external order intake on 127.0.0.1:N (off unless given or set in the config)",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {text!r}")
    return value


def _intake_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Clients of the running program's intake (see cli/submit.py)."""
    submit = commands.add_parser(
        "submit",
        help="send one order to the running program through its intake",
        description="The order goes through the running program's six steps; prints "
        "COMMAND_ID STATUS TAG DETAIL.",
    )
    _common(submit)
    submit.add_argument("--symbol", required=True)
    submit.add_argument("--side", required=True, type=str.upper, choices=["BUY", "SELL"])
    submit.add_argument("--quantity", required=True, type=int)
    submit.add_argument("--exchange", default="NSE", type=str.upper, help="default NSE")
    submit.add_argument(
        "--order-type", default="MARKET", type=str.upper, help="MARKET (default), LIMIT, SL, SL-M"
    )
    submit.add_argument("--price", help="LIMIT and SL orders")
    submit.add_argument("--trigger-price", help="SL and SL-M orders")
    submit.add_argument("--product", default="MIS", type=str.upper, help="default MIS")
    submit.add_argument("--strategy", help="default: the configured default strategy")
    submit.add_argument(
        "--execution-type",
        default="ENTRY",
        type=str.upper,
        choices=["ENTRY", "EXIT"],
        help="default ENTRY",
    )
    submit.add_argument(
        "--client-order-id",
        metavar="KEY",
        help="idempotency key: the same key today is never sent twice (default: a new one)",
    )
    submit.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the answer (default 60)",
    )

    _sender_option(submit)

    status = commands.add_parser("status", help="one order's status from the running program")
    _common(status)
    status.add_argument("command_id", metavar="COMMAND_ID")
    _sender_option(status)

    token = commands.add_parser(
        "intake-token", help="print the intake token that sending programs must present"
    )
    _common(token)
    token.add_argument("--rotate", action="store_true", help="make a new token (restart to use)")
    _sender_option(token)


def _sender_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sender",
        metavar="NAME",
        type=_sender,
        default=DEFAULT_SENDER,
        help=f"the intake sender whose token to use (default {DEFAULT_SENDER}; "
        "senders are added in Settings → Intake)",
    )


def _sender(text: str) -> str:
    try:
        return sender_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
