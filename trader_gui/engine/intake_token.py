"""The intake tokens: one per sender, made once, kept in the OS keyring, compared in constant time.

Whoever holds a token can place orders with the trader's money, so it is never logged, never
written to the config file and never echoed in an answer. Tokens are read from the keyring at
start-up (on a worker thread: the keyring may talk to a daemon) and held as `Secret`s.

The `default` sender's token is the keyring entry `intake-token`, the one token of the intake
before there were senders; every other sender's is `intake-token.<name>`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping

from trader_gui import credentials
from trader_gui.credentials import Secret
from trader_gui.domain.senders import DEFAULT_SENDER

log = logging.getLogger(__name__)

TOKEN_NAME = "intake-token"
TOKEN_BYTES = 32


def token_name(sender: str = DEFAULT_SENDER) -> str:
    """The sender's keyring entry (a sender's name has no '.', so no two senders share one)."""
    return TOKEN_NAME if sender == DEFAULT_SENDER else f"{TOKEN_NAME}.{sender}"


def read_token(
    store: credentials.CredentialStore | None = None, sender: str = DEFAULT_SENDER
) -> Secret | None:
    """The sender's stored token, or None when none was made yet."""
    return (store or credentials.default_store()).get_secret(token_name(sender))


def ensure_token(
    store: credentials.CredentialStore | None = None, sender: str = DEFAULT_SENDER
) -> Secret:
    """The sender's stored token; made and stored at first use."""
    chosen = store or credentials.default_store()
    token = chosen.get_secret(token_name(sender))
    if token is None:
        token = Secret(secrets.token_urlsafe(TOKEN_BYTES))
        chosen.set_secret(token_name(sender), token)
        log.info("made a new intake token for sender %s and stored it in the keyring", sender)
    return token


def ensure_tokens(
    senders: Iterable[str], store: credentials.CredentialStore | None = None
) -> dict[str, Secret]:
    """Every sender's token, each made at its first use."""
    return {sender: ensure_token(store, sender) for sender in senders}


def rotate_token(
    store: credentials.CredentialStore | None = None, sender: str = DEFAULT_SENDER
) -> Secret:
    """A new token in place of the old one (`IntakeService.rotate_token` also puts it in force)."""
    token = Secret(secrets.token_urlsafe(TOKEN_BYTES))
    (store or credentials.default_store()).set_secret(token_name(sender), token)
    log.info("replaced the intake token of sender %s in the keyring", sender)
    return token


def delete_token(store: credentials.CredentialStore | None, sender: str) -> bool:
    """Forget a removed sender's token; True if there was one."""
    removed = (store or credentials.default_store()).delete_secret(token_name(sender))
    log.info("deleted the intake token of sender %s from the keyring", sender)
    return removed


def bearer_matches(header: str | None, token: Secret) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time whatever is sent."""
    return sender_of(header, {DEFAULT_SENDER: token}) is not None


def sender_of(header: str | None, tokens: Mapping[str, Secret]) -> str | None:
    """The sender whose token `Authorization: Bearer <token>` presents, or None.

    Every sender's token is compared, whichever matches and wherever in the list, so the time
    taken says nothing about which token, or how much of one, was right.
    """
    given = _bearer(header)
    found: str | None = None
    for sender, token in tokens.items():
        if hmac.compare_digest(given, token.reveal().encode()) and given:
            found = sender
    return found


def _bearer(header: str | None) -> bytes:
    if not header:
        return b""
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return b""
    return given.strip().encode("utf-8", "replace")
