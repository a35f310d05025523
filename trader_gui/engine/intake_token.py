"""The intake token: made once, kept in the OS keyring, compared in constant time.

Whoever holds it can place orders with the trader's money, so it is never logged, never
written to the config file and never echoed in an answer. It is read from the keyring at
start-up (on a worker thread: the keyring may talk to a daemon) and held as a `Secret`.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from trader_gui import credentials
from trader_gui.credentials import Secret

log = logging.getLogger(__name__)

TOKEN_NAME = "intake-token"
TOKEN_BYTES = 32


def read_token(store: credentials.CredentialStore | None = None) -> Secret | None:
    """The stored token, or None when none was made yet."""
    return (store or credentials.default_store()).get_secret(TOKEN_NAME)


def ensure_token(store: credentials.CredentialStore | None = None) -> Secret:
    """The stored token; made and stored at first use."""
    chosen = store or credentials.default_store()
    token = chosen.get_secret(TOKEN_NAME)
    if token is None:
        token = Secret(secrets.token_urlsafe(TOKEN_BYTES))
        chosen.set_secret(TOKEN_NAME, token)
        log.info("made a new intake token and stored it in the keyring")
    return token


def rotate_token(store: credentials.CredentialStore | None = None) -> Secret:
    """A new token in place of the old one (`IntakeService.rotate_token` also puts it in force)."""
    token = Secret(secrets.token_urlsafe(TOKEN_BYTES))
    (store or credentials.default_store()).set_secret(TOKEN_NAME, token)
    log.info("replaced the intake token in the keyring")
    return token


def bearer_matches(header: str | None, token: Secret) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time whatever is sent."""
    if not header:
        return False
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.reveal().encode())
