"""`trader-gui login BROKER --client ID`: store an account's credentials in the OS keyring.

At a terminal each field is asked for without echo. Otherwise stdin gives `name=value`
lines (blank lines and `#` comments skipped), so a password manager can pipe them in; the whole
input is checked first and nothing is stored unless every line is good and every required field
is there. Only field names are ever printed. Without a secure keyring nothing is asked and
nothing is written: a login that cannot be kept must not look as if it was.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import keyring

from trader_gui.credentials import (
    BROKERS,
    BrokerFields,
    CredentialError,
    CredentialStore,
    CredentialStoreError,
    assess_backend,
    normalize_client_id,
)
from trader_gui.engine.assembly import LaunchOptions
from trader_gui.settings import Settings


def run_login(
    args: Any,
    settings: Settings,
    options: LaunchOptions,
    *,
    stdin: TextIO | None = None,
    ask: Callable[[str], str] = getpass.getpass,
) -> int:
    broker: str = args.login_broker
    source = stdin or sys.stdin
    try:
        client = normalize_client_id(_client_id(broker, settings, options))
        backend, status = assess_backend(keyring.get_keyring())
        if backend is None:
            _fail(status.sentence)
            return 1
        store = CredentialStore(backend)
        if args.forget:
            removed = store.delete(broker, client)
            word = "forgot" if removed else "nothing stored for"
            print(f"{word} {broker} credentials for {client} ({status.name})")
            return 0
        if getattr(args, "session", False):
            return _kite_session(store, client, settings)
        spec = BROKERS[broker]
        if source.isatty():
            fields = _ask_each(broker, client, spec, ask)
        else:
            fields = read_field_lines(source, broker, spec)
        names = store.save(broker, client, fields)
    except CredentialError as error:
        _fail(str(error))
        return 2
    except CredentialStoreError as error:
        _fail(str(error))
        return 1
    print(f"stored {broker} credentials for {client} in {status.name}: {', '.join(names)}")
    return 0


def _kite_session(store: CredentialStore, client: str, settings: Settings) -> int:
    """The daily Kite login: the broker's page in the browser, the token caught on 127.0.0.1."""
    from trader_gui.brokers.base import BrokerError
    from trader_gui.brokers.kite import DEFAULT_ROOT
    from trader_gui.brokers.kite_login import KiteLoginFlow

    fields = store.load("kite", client)
    if fields is None or "api_key" not in fields or "api_secret" not in fields:
        _fail(f"no Kite api_key and api_secret for {client}: run `trader-gui login kite` first")
        return 2
    flow = KiteLoginFlow(
        fields["api_key"].reveal(),
        fields["api_secret"].reveal(),
        redirect_port=settings.kite_redirect_port,
        root=settings.broker_url or DEFAULT_ROOT,
    )
    print(f"Log in to Kite in your browser; waiting for the redirect on {flow.redirect_url}")
    try:
        session = flow.run(timeout_s=300)
    except BrokerError as error:
        _fail(f"Kite login failed: {error.message}")
        return 1
    if normalize_client_id(session.user_id) != client:
        _fail(f"Kite logged in {session.user_id}, not {client}: nothing stored")
        return 1
    store.save_access_token("kite", client, session.access_token)
    print(f"Kite session for {client} stored for today")
    return 0


def read_field_lines(lines: Iterable[str], broker: str, spec: BrokerFields) -> dict[str, str]:
    """`name=value` lines; a bad line is named by number, never quoted (it may be a secret)."""
    fields: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name:
            raise CredentialError(f"line {number}: expected name=value")
        if name not in spec.names:
            raise CredentialError(
                f"line {number}: unknown {broker} field {name!r}; known: {', '.join(spec.names)}"
            )
        if name in fields:
            raise CredentialError(f"line {number}: {name} is given twice")
        fields[name] = value.strip()
    return fields


def _ask_each(
    broker: str, client: str, spec: BrokerFields, ask: Callable[[str], str]
) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name in spec.names:
        if name in spec.required:
            hint = ""
        elif name == "user":
            hint = f" (Enter for {client})"
        else:
            hint = " (optional, Enter to skip)"
        try:
            fields[name] = ask(f"{broker} {client} {name}{hint}: ")
        except EOFError:
            fields[name] = ""
    return fields


def _client_id(broker: str, settings: Settings, options: LaunchOptions) -> str:
    """`--client`, or the configured account when the config file is for this broker."""
    if options.client_id:
        return options.client_id
    if settings.broker == broker:
        return settings.client_id
    raise CredentialError(f"login needs --client ID: the {broker} account to store")


def _fail(message: str) -> None:
    print(f"trader-gui: {message}", file=sys.stderr)
