"""Alerts to a Telegram chat through the Bot API's `sendMessage`, with httpx.

httpx rather than python-telegram-bot: one POST is all this needs, httpx is async, bounds each
request with a timeout, and is what python-telegram-bot itself runs on; the framework's
application, updater and job queue would be dead weight here.

The bot token is a secret: it lives in the OS keyring (`telegram-bot-token`) and is revealed
only to build the request URL (`{base_url}/bot{token}/sendMessage`). That URL must never reach
a log or an exception: httpx logs every request URL at INFO (and httpcore traces at DEBUG), so
while a sink is open a filter on those loggers masks the token in their records; our own
messages and `AlertDeliveryError`s never contain the URL, and carry no httpx exception with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from trader_gui.credentials import Secret, get_secret
from trader_gui.domain.risk_text import ist_time
from trader_gui.engine.alert_rules import Alert
from trader_gui.engine.alerts import AlertDeliveryError
from trader_gui.engine.events import Level

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org"
TOKEN_SECRET = "telegram-bot-token"
TIMEOUT_S = 10.0
MAX_TEXT = 4096
"""Telegram's limit for one message."""
MASK = "***"
ICONS = {Level.INFO: "ℹ️", Level.WARNING: "⚠️", Level.ERROR: "🔴"}
_HTTP_LOGGERS = ("httpx", "httpcore")


def message_text(alert: Alert) -> str:
    """What the trader reads on the phone: icon, title and account; the sentence; the time."""
    account = f" · {alert.account}" if alert.account else ""
    text = f"{ICONS.get(alert.level, '')} {alert.title}{account}\n{alert.sentence}\n"
    text += ist_time(alert.at)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


class TokenMask(logging.Filter):
    """Masks a secret in every record of the loggers it is attached to, message and traceback.

    Attached to httpx's and httpcore's loggers (each by name: a logger's filters do not see
    records of its children), for as long as a sink holding the secret is open.
    """

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret
        self._loggers: list[logging.Logger] = []

    def mask(self, text: str) -> str:
        return text.replace(self._secret, MASK) if self._secret else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        if self._secret in message:
            record.msg, record.args = self.mask(message), None
        if record.exc_info:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True

    def install(self) -> None:
        names = [
            name
            for name in list(logging.Logger.manager.loggerDict)
            if any(name == root or name.startswith(root + ".") for root in _HTTP_LOGGERS)
        ]
        for name in sorted(set(names) | set(_HTTP_LOGGERS)):
            logger = logging.getLogger(name)
            logger.addFilter(self)
            self._loggers.append(logger)

    def remove(self) -> None:
        for logger in self._loggers:
            logger.removeFilter(self)
        self._loggers.clear()


class TelegramSink:
    """Sends each alert as one message to one chat. INFO alerts arrive silently."""

    name = "telegram"

    def __init__(
        self,
        *,
        token: Secret,
        chat_id: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        if not token:
            raise ValueError("the Telegram bot token is empty")
        if not str(chat_id).strip():
            raise ValueError("the Telegram chat id is empty")
        self._token = token
        self.chat_id = str(chat_id).strip()
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._mask = TokenMask(token.reveal())
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"TelegramSink(chat_id={self.chat_id!r}, base_url={self.base_url!r})"

    async def send(self, alert: Alert) -> None:
        body = {
            "chat_id": self.chat_id,
            "text": message_text(alert),
            "disable_notification": alert.level is Level.INFO,
        }
        failure: AlertDeliveryError | None = None
        try:
            response = await self._open().post(self._url("sendMessage"), json=body)
        except httpx.TimeoutException:
            failure = AlertDeliveryError(f"Telegram did not answer within {self.timeout_s:g} s")
        except Exception as error:  # httpx.InvalidURL is no HTTPError, and may quote the URL
            failure = AlertDeliveryError(
                f"Telegram not reachable ({type(error).__name__}: {self._mask.mask(str(error))})",
                permanent=isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol),
            )
        else:
            failure = self._judge(response)
        # Raised here, outside the except blocks: no httpx exception (whose request holds the
        # URL with the token) is chained to what the caller sees.
        if failure is not None:
            raise failure

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self._mask.remove()

    def _open(self) -> httpx.AsyncClient:
        """The client, created on first use: nothing is opened for a chat that never hears."""
        if self._client is None:
            self._mask.install()
            self._client = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False)
        return self._client

    def _url(self, method: str) -> str:
        return f"{self.base_url}/bot{self._token.reveal()}/{method}"

    def _judge(self, response: httpx.Response) -> AlertDeliveryError | None:
        """None when Telegram took the message; else what went wrong, and if a retry can help."""
        reply = _json(response)
        if response.status_code == 200 and reply.get("ok") is True:
            return None
        description = self._mask.mask(str(reply.get("description") or response.reason_phrase))
        words = f"Telegram answered HTTP {response.status_code}: {description}"
        if response.status_code == 429:
            parameters = reply.get("parameters")
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            seconds = float(wait) if isinstance(wait, int | float) else None
            return AlertDeliveryError(words, retry_after=seconds)
        permanent = 400 <= response.status_code < 500 and response.status_code != 408
        if permanent:
            words += " (check the bot token in the keyring and the chat id in Settings)"
        return AlertDeliveryError(words, permanent=permanent)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def telegram_sink_from_keyring(
    chat_id: str | int | None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    secrets: Callable[[str], Secret | None] = get_secret,
) -> TelegramSink | None:
    """The sink when Telegram is set up (a chat id in settings, the token in the keyring),
    else None with one log line saying what is missing. Reads the keyring: call at start-up,
    not on every alert."""
    if chat_id is None or not str(chat_id).strip():
        log.info("Telegram alerts off: no telegram_chat_id in the settings")
        return None
    try:
        token = secrets(TOKEN_SECRET)
    except Exception as error:  # the keyring's own sentence says what to do
        log.warning("Telegram alerts off: %s", error)
        return None
    if not token:
        log.warning(
            "Telegram alerts off: no bot token in the keyring (the secret %r)", TOKEN_SECRET
        )
        return None
    log.info("Telegram alerts on, to chat %s", chat_id)
    return TelegramSink(token=token, chat_id=str(chat_id), base_url=base_url)
