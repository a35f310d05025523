"""`trader-gui submit ...`, `trader-gui status ID`, `trader-gui intake-token`: the intake's
command-line client.

They talk to the running program (window or `--headless`) through its intake, never to the
database or the broker: the order goes through the same six steps, the same throttle and the
same kill switch as every other. The port comes from `--intake-port` or the `intake_port`
setting, the token from the keyring: the `default` sender's, or `--sender NAME`'s. Each prints one line: the order as
`COMMAND_ID<TAB>STATUS<TAB>TAG<TAB>DETAIL`, or one sentence on stderr saying what is wrong.

`submit` always sends a `client_order_id` (a fresh one unless given), so running it again
with the same `--client-order-id` after a timeout can never send the order twice.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import requests

from trader_gui.credentials import CredentialError, CredentialStoreError, Secret
from trader_gui.domain.senders import DEFAULT_SENDER
from trader_gui.engine.intake_config import connect_host, intake_config_from
from trader_gui.engine.intake_token import read_token, rotate_token
from trader_gui.settings import Settings

CONNECT_TIMEOUT_S = 3.0
DEFAULT_WAIT_S = 60.0
"""A POST answers after step 5: the broker's timeout plus any wait in the order throttle."""


class IntakeClientError(Exception):
    """One sentence for stderr."""


def run_submit(args: Any, settings: Settings) -> int:
    client_order_id = args.client_order_id or uuid.uuid4().hex[:20]
    ticket = {
        "symbol": args.symbol,
        "exchange": args.exchange,
        "side": args.side,
        "quantity": args.quantity,
        "order_type": args.order_type,
        "price": args.price,
        "trigger_price": args.trigger_price,
        "product": args.product,
        "strategy": args.strategy or settings.default_strategy,
        "execution_type": args.execution_type,
        "client_order_id": client_order_id,
    }
    body = {name: value for name, value in ticket.items() if value is not None}
    try:
        status, answer = _call(args, settings, "POST", "/orders", body, args.wait)
    except IntakeClientError as error:
        return _fail(str(error))
    except requests.Timeout:
        return _fail(
            f"no answer within {args.wait:g} s; the order may have gone: run the same command "
            f"with --client-order-id {client_order_id} to see it (it is never sent twice)"
        )
    if status in (200, 201, 202, 403, 422) and "command_id" in answer:
        print(order_line(answer))
        return 0 if status in (200, 201, 202) else 1
    return _fail(_sentence(status, answer))


def run_status(args: Any, settings: Settings) -> int:
    try:
        status, answer = _call(
            args, settings, "GET", f"/orders/{args.command_id}", None, DEFAULT_WAIT_S
        )
    except IntakeClientError as error:
        return _fail(str(error))
    except requests.Timeout:
        return _fail("no answer from the intake; is the program busy or stuck?")
    if status == 200:
        print(order_line(answer))
        return 0
    return _fail(_sentence(status, answer))


def run_intake_token(args: Any, settings: Settings) -> int:
    """Print a sender's token (for the sending program's configuration); `--rotate` makes a
    new one. Named senders are added in Settings → Intake, not here."""
    sender = _sender(args)
    if sender not in intake_config_from(settings).sender_names:
        return _fail(f"there is no intake sender {sender!r}: add it in Settings → Intake")
    try:
        token = rotate_token(sender=sender) if args.rotate else read_token(sender=sender)
    except (CredentialError, CredentialStoreError) as error:
        return _fail(str(error))
    if token is None:
        rotate = "" if sender == DEFAULT_SENDER else f" --sender {sender}"
        return _fail(
            "no intake token yet: it is made when trader-gui first starts with the intake on "
            f"(--intake-port N), or make one now with `trader-gui intake-token{rotate} --rotate`"
        )
    print(token.reveal())
    if args.rotate:
        print("a running trader-gui keeps the old token until it restarts", file=sys.stderr)
    return 0


def order_line(answer: dict[str, Any]) -> str:
    detail = " ".join(str(answer.get("detail") or "").split())
    return f"{answer['command_id']}\t{answer.get('status')}\t{answer.get('tag') or '-'}\t{detail}"


# ---- the HTTP call -----------------------------------------------------------------------------


def _call(
    args: Any,
    settings: Settings,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    wait_s: float,
) -> tuple[int, dict[str, Any]]:
    config = intake_config_from(settings, getattr(args, "intake_port", None))
    if config.port is None or config.port == 0:
        raise IntakeClientError(
            "the intake is off: start trader-gui with --intake-port N (or set intake_port in "
            "the config file) and give the same port here"
        )
    host = connect_host(config.host)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{config.port}{path}"
    token = _token(_sender(args))
    try:
        response = requests.request(
            method,
            url,
            json=body,
            headers={"Authorization": f"Bearer {token.reveal()}"},
            timeout=(CONNECT_TIMEOUT_S, wait_s),
            allow_redirects=False,
        )
    except requests.ConnectionError:
        raise IntakeClientError(
            f"nothing is listening on {host}:{config.port}: is trader-gui running with "
            f"--intake-port {config.port}?"
        ) from None
    if response.status_code == 401:
        raise IntakeClientError(
            f"the intake refused the token of sender {_sender(args)!r}: the running program "
            "does not take it (rotated or removed since it started?)"
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise IntakeClientError(
            f"{host}:{config.port} answered {response.status_code} without JSON: "
            "is that port trader-gui's intake?"
        )
    return response.status_code, answer


def _sender(args: Any) -> str:
    return str(getattr(args, "sender", None) or DEFAULT_SENDER)


def _token(sender: str) -> Secret:
    try:
        token = read_token(sender=sender)
    except (CredentialError, CredentialStoreError) as error:
        raise IntakeClientError(str(error)) from None
    if token is None:
        if sender != DEFAULT_SENDER:
            raise IntakeClientError(
                f"no intake token for sender {sender!r} in the keyring: add the sender in "
                "Settings → Intake"
            )
        raise IntakeClientError(
            "no intake token in the keyring: it is made when trader-gui starts with the "
            "intake on (--intake-port N)"
        )
    return token


def _sentence(status: int, answer: dict[str, Any]) -> str:
    error = str(answer.get("error") or f"the intake answered {status}")
    return error[:1].lower() + error[1:].rstrip(".")


def _fail(message: str) -> int:
    print(f"trader-gui: {message}", file=sys.stderr)
    return 1
