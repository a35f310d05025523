"""What a failed Kite call means for the engine: one of the three `BrokerError` kinds.

The broker's own message is kept (with any secret blanked out). The kind decides what the
engine may do next, so the rules lean to safety: only an answer in which Kite clearly said no
becomes `BrokerRejected`; anything that may have reached the order system is
`BrokerUnavailable`, for the watcher to resolve by tag.

- `TokenException` -> `SessionExpired`.
- HTTP 429 (rate limited) -> `RateLimited`: Kite refused before processing; the adapter retries.
- `InputException`, `OrderException`, `PermissionException`, and any other Kite error sent with
  a 4xx status (the SDK turns Kite's `MarginException`, `UserException`, `HoldingException` into
  `GeneralException` with the HTTP code) -> `BrokerRejected`.
- `NetworkException`, `DataException` (a reply that is not JSON), any 5xx, a timeout, a lost
  connection, or a reply the SDK cannot read -> `BrokerUnavailable`.
- On order endpoints, a refusal that names the IP address (Kite checks orders against the
  static IP registered on the developer console since 1 April 2026) is re-worded so the trader
  knows what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import requests
from kiteconnect import exceptions as kite_exceptions  # type: ignore[import-untyped]

from trader_gui.brokers.base import (
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    SessionExpired,
)

RATE_LIMITED_STATUS = 429
LOGIN_AGAIN = "log in again from the window (File → Log in to Kite for today)"
MESSAGE_LIMIT = 300
"""A proxy's HTML error page can be long: messages are cut to a sentence's length."""

_IP_WORD = re.compile(r"\bIP(v[46])?\b|\bIP address", re.IGNORECASE)
_IP_REFUSAL = re.compile(
    r"white-?list|allow-?list|not allowed|not registered|unregistered|not permitted"
    r"|unauthori[sz]ed|static|mismatch|invalid|not whitelisted|blocked|denied",
    re.IGNORECASE,
)
_REJECTING = (
    kite_exceptions.InputException,
    kite_exceptions.OrderException,
    kite_exceptions.PermissionException,
)


class RateLimited(Exception):
    """Kite answered 429: the request was refused before it was processed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret blanked out, cut to `MESSAGE_LIMIT` characters."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def is_ip_refusal(message: str) -> bool:
    """Kite's refusal of an order from an IP address not registered for the API key."""
    return bool(_IP_WORD.search(message) and _IP_REFUSAL.search(message))


def ip_refusal(message: str) -> BrokerRejected:
    return BrokerRejected(
        "Zerodha refused the order because this computer's IP address is not registered "
        f"with the broker: {message}"
    )


def translate(
    error: Exception,
    *,
    http_status: int | None,
    order_call: bool,
    timeout_s: float,
    secrets: Iterable[str],
) -> BrokerError | RateLimited:
    """The engine's kind of a failure raised by an SDK call.

    `http_status` is the status of the last reply (None when no reply came); `order_call` is
    true for place, modify and cancel. An exception of any other type (a bug, not a reply) is
    raised again as it is.
    """
    if isinstance(error, requests.Timeout):
        return BrokerUnavailable(f"Kite did not answer within {timeout_s:g} s.")
    if isinstance(error, requests.RequestException):
        text = redact(str(error), secrets)
        return BrokerUnavailable(f"The connection to Kite failed: {text}")
    if isinstance(error, kite_exceptions.KiteException):
        return _from_kite(error, http_status, order_call, secrets)
    if isinstance(error, KeyError | ValueError | TypeError | AttributeError):
        return BrokerUnavailable(
            f"Kite's reply could not be read ({type(error).__name__}: {redact(str(error), secrets)})."
        )
    raise error


def _from_kite(
    error: Exception, http_status: int | None, order_call: bool, secrets: Iterable[str]
) -> BrokerError | RateLimited:
    message = redact(str(error), secrets) or type(error).__name__
    code = http_status if http_status is not None else getattr(error, "code", None)
    if code == RATE_LIMITED_STATUS:
        return RateLimited(message)
    if order_call and is_ip_refusal(message):
        return ip_refusal(message)
    if isinstance(error, kite_exceptions.TokenException):
        return SessionExpired(f"Kite session ended ({message}): {LOGIN_AGAIN}.")
    if isinstance(error, kite_exceptions.DataException):
        return BrokerUnavailable(f"Kite sent a reply that could not be read: {message}")
    if isinstance(error, kite_exceptions.NetworkException):
        return BrokerUnavailable(message)
    if isinstance(error, _REJECTING):
        return BrokerRejected(message)
    if isinstance(code, int) and 400 <= code < 500:
        return BrokerRejected(message)
    return BrokerUnavailable(message)
