"""Broker credentials and named secrets, kept in the OS keyring and nowhere else.

One keyring service, `trader-gui`: one entry per broker account (username `shoonya:FA12345`)
holding a JSON object of that broker's fields, and one entry per named secret (username
`secret:telegram-bot-token`). A keyring that would keep them in a plain file (keyrings.alt), or
no keyring at all, is refused: the store says so in one sentence and keeps what it is given in
memory for this session only, because a silent fall back to a file looks safe and is not.

Values come back wrapped in `Secret`, whose repr and str are masked, so a secret that reaches
a log line, an exception or a debugger shows `***`; `reveal()` is the one way to the text.
"""

from __future__ import annotations

import binascii
import functools
import hmac
import json
import logging
import threading
from base64 import b32decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import keyring
import keyring.errors
import pyotp
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

__all__ = [
    "BROKERS",
    "NO_SECURE_STORE",
    "SERVICE",
    "BackendStatus",
    "BrokerFields",
    "CredentialError",
    "CredentialStore",
    "CredentialStoreError",
    "Secret",
    "assess_backend",
    "broker_fields",
    "current_totp",
    "default_store",
    "delete_secret",
    "get_secret",
    "kite_session_day",
    "normalize_client_id",
    "normalize_totp_secret",
    "set_secret",
    "validate_fields",
]

log = logging.getLogger(__name__)

SERVICE = "trader-gui"
NO_SECURE_STORE = (
    "no secure credential store: start or unlock your keyring; credentials will not be saved"
)
_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")
_IST = timezone(timedelta(hours=5, minutes=30), "IST")
_KITE_ROLLOVER = timedelta(hours=6)
"""Kite ends every session at 06:00 IST the next day (a regulatory requirement)."""
_TOKEN_DAY = "access_token_day"
_MIN_TOTP_CHARS = 16


class Secret:
    """A secret string whose repr and str are masked; `reveal()` gives the text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal secrets must not be findable by hash


class CredentialError(ValueError):
    """The credentials given cannot be used. The message names fields, never their values."""


class CredentialStoreError(RuntimeError):
    """The keyring failed to read, write or delete; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BrokerFields:
    """A broker's field names in prompt order; `alternative`, when all given, replaces `required`."""

    names: tuple[str, ...]
    required: tuple[str, ...]
    alternative: tuple[str, ...] = ()

    def missing(self, given: Mapping[str, object]) -> list[str]:
        if self.alternative and all(given.get(name) for name in self.alternative):
            return []
        return [name for name in self.required if not given.get(name)]

    def describe(self) -> str:
        needs = ", ".join(self.required)
        return f"{needs} (or {', '.join(self.alternative)})" if self.alternative else needs


BROKERS: dict[str, BrokerFields] = {
    # Password + TOTP login, or Shoonya's OAuth access token instead; user defaults to the
    # client id and imei to the adapter's own.
    "shoonya": BrokerFields(
        names=(
            "user",
            "password",
            "totp_secret",
            "vendor_code",
            "api_secret",
            "imei",
            "access_token",
        ),
        required=("password", "totp_secret", "vendor_code", "api_secret"),
        alternative=("access_token",),
    ),
    # The day's access token comes from the browser login (brokers/kite_login.py).
    "kite": BrokerFields(
        names=("api_key", "api_secret", "access_token"), required=("api_key", "api_secret")
    ),
}


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """Whether credentials will outlive this session, and the sentence to show the trader."""

    secure: bool
    name: str
    sentence: str


def broker_fields(broker: str) -> BrokerFields:
    try:
        return BROKERS[broker]
    except KeyError:
        raise CredentialError(
            f"unknown broker {broker!r}: choose one of {', '.join(BROKERS)}"
        ) from None


def normalize_client_id(client_id: str) -> str:
    """Upper case, so `fa12345` and `FA12345` are one account; no separators or spaces."""
    cleaned = client_id.strip().upper()
    if not cleaned or len(cleaned) > 64 or ":" in cleaned or any(c.isspace() for c in cleaned):
        raise CredentialError(
            "the client id must be 1 to 64 characters without spaces or ':' (like FA12345)"
        )
    return cleaned


def normalize_totp_secret(secret: str) -> str:
    """The base32 key without spaces, upper case; a clear sentence if it cannot be a TOTP key."""
    cleaned = "".join(secret.split()).replace("-", "").upper().rstrip("=")
    try:
        b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        valid = False
    else:
        valid = len(cleaned) >= _MIN_TOTP_CHARS
    if not valid:
        raise CredentialError(
            "totp_secret is not a valid TOTP key: it must be the base32 key from the broker's "
            f"2FA set-up (letters A-Z and digits 2-7, at least {_MIN_TOTP_CHARS} of them), "
            "not a 6-digit code"
        )
    return cleaned


def current_totp(secret: str | Secret) -> str:
    """The 6-digit code for now; the secret is normalised first, as the broker shows it spaced."""
    text = secret.reveal() if isinstance(secret, Secret) else secret
    return pyotp.TOTP(normalize_totp_secret(text)).now()


def kite_session_day(now: datetime) -> date:
    """The Kite session a moment belongs to: a new one starts at 06:00 IST each day."""
    return (now.astimezone(_IST) - _KITE_ROLLOVER).date()


def validate_fields(
    broker: str, client_id: str, fields: Mapping[str, str | Secret]
) -> dict[str, str]:
    """The fields to store (plain text, empty ones dropped), or a `CredentialError`."""
    spec = broker_fields(broker)
    unknown = sorted(name for name in fields if name not in spec.names)
    if unknown:
        raise CredentialError(
            f"unknown {broker} field(s): {', '.join(unknown)}; known: {', '.join(spec.names)}"
        )
    values = {
        name: (value.reveal() if isinstance(value, Secret) else value).strip()
        for name, value in fields.items()
    }
    values = {name: value for name, value in values.items() if value}
    missing = spec.missing(values)
    if missing:
        raise CredentialError(f"{broker} needs {spec.describe()}; missing: {', '.join(missing)}")
    if "totp_secret" in values:
        values["totp_secret"] = normalize_totp_secret(values["totp_secret"])
    if broker == "shoonya":
        values.setdefault("user", client_id)
    return {name: values[name] for name in spec.names if name in values}


def assess_backend(backend: KeyringBackend) -> tuple[KeyringBackend | None, BackendStatus]:
    """The backend to use (a chainer's best secure member) and what to tell the trader.

    A chainer is never used as it is: it reads from every member and could write to a plain
    file one, so only its highest-priority secure member is kept.
    """
    candidate: KeyringBackend | None = backend
    if isinstance(backend, ChainerBackend):
        candidate = next((b for b in backend.backends if _is_secure(b)), None)
    elif not _is_secure(backend):
        candidate = None
    if candidate is None:
        return None, BackendStatus(False, _name_of(backend), NO_SECURE_STORE)
    name = _name_of(candidate)
    return candidate, BackendStatus(True, name, f"credentials are kept in {name}")


def _is_secure(backend: KeyringBackend) -> bool:
    kind = type(backend)
    if kind.__module__.startswith(_INSECURE_MODULES) or "plaintext" in kind.__name__.lower():
        return False
    try:
        return float(backend.priority) >= 1
    except Exception:  # a backend not viable here raises from its priority
        return False


def _name_of(backend: KeyringBackend) -> str:
    try:
        return str(backend.name)
    except Exception:
        return type(backend).__name__


class CredentialStore:
    """Broker credentials per account and named secrets, in a secure keyring or in memory.

    Thread-safe: the window reads credentials from worker threads.
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        *,
        service: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        chosen = keyring.get_keyring() if backend is None else backend
        self._backend, self._status = assess_backend(chosen)
        self._service = service or SERVICE
        self._clock = clock
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        if self._backend is None:
            log.warning("%s (keyring backend: %s)", NO_SECURE_STORE, self._status.name)
        else:
            log.debug("credentials: using %s", self._status.name)

    def __repr__(self) -> str:
        where = self._status.name if self._status.secure else "memory only"
        return f"CredentialStore(service={self._service!r}, backend={where!r})"

    def backend_status(self) -> BackendStatus:
        return self._status

    def save(self, broker: str, client_id: str, fields: Mapping[str, str | Secret]) -> list[str]:
        """Replace the account's entry; returns the names of the fields stored."""
        client = normalize_client_id(client_id)
        values: dict[str, Any] = validate_fields(broker, client, fields)
        names = list(values)
        if broker == "kite" and "access_token" in values:
            values[_TOKEN_DAY] = kite_session_day(self._clock()).isoformat()
        with self._lock:
            self._write(_account(broker, client), json.dumps(values))
        log.info("stored %s credentials for %s: %s", broker, client, ", ".join(names))
        return names

    def load(self, broker: str, client_id: str) -> dict[str, Secret] | None:
        """The account's fields, or None; a Kite token from an earlier session is left out."""
        broker_fields(broker)
        client = normalize_client_id(client_id)
        with self._lock:
            values = self._read_entry(broker, client)
        if values is None:
            return None
        day = values.pop(_TOKEN_DAY, None)
        today = kite_session_day(self._clock()).isoformat()
        if broker == "kite" and "access_token" in values and day != today:
            del values["access_token"]
            log.info("the stored Kite access token for %s has expired (from %s)", client, day)
        known = BROKERS[broker].names
        return {name: Secret(values[name]) for name in known if values.get(name)}

    def save_access_token(self, broker: str, client_id: str, token: str | Secret) -> None:
        """Keep the day's access token with the account's other fields."""
        broker_fields(broker)
        client = normalize_client_id(client_id)
        text = (token.reveal() if isinstance(token, Secret) else token).strip()
        if not text:
            raise CredentialError("the access token is empty")
        with self._lock:
            values = self._read_entry(broker, client)
            if values is None:
                raise CredentialError(
                    f"no {broker} credentials for {client}: "
                    f"run `trader-gui login {broker} --client {client}` first"
                )
            values["access_token"] = text
            if broker == "kite":
                values[_TOKEN_DAY] = kite_session_day(self._clock()).isoformat()
            self._write(_account(broker, client), json.dumps(values))
        log.info("stored the %s access token for %s", broker, client)

    def delete(self, broker: str, client_id: str) -> bool:
        """Forget the account; False when there was nothing stored."""
        broker_fields(broker)
        client = normalize_client_id(client_id)
        with self._lock:
            removed = self._remove(_account(broker, client))
        if removed:
            log.info("deleted %s credentials for %s", broker, client)
        return removed

    def get_secret(self, name: str) -> Secret | None:
        with self._lock:
            value = self._read(_named(name))
        return Secret(value) if value else None

    def set_secret(self, name: str, value: str | Secret) -> None:
        text = (value.reveal() if isinstance(value, Secret) else value).strip()
        if not text:
            raise CredentialError(f"the secret {name!r} is empty")
        with self._lock:
            self._write(_named(name), text)
        log.info("stored the secret %r", name)

    def delete_secret(self, name: str) -> bool:
        with self._lock:
            return self._remove(_named(name))

    def _read_entry(self, broker: str, client: str) -> dict[str, str] | None:
        username = _account(broker, client)
        text = self._read(username)
        if text is None:
            return None
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise CredentialStoreError(
                f"the keyring entry {username} is unreadable: store it again with "
                f"`trader-gui login {broker} --client {client}`"
            )
        return values

    def _read(self, username: str) -> str | None:
        if self._backend is None:
            return self._memory.get(username)
        try:
            return self._backend.get_password(self._service, username)
        except Exception as error:
            raise _failure("read", error) from None

    def _write(self, username: str, text: str) -> None:
        if self._backend is None:
            self._memory[username] = text
            return
        try:
            self._backend.set_password(self._service, username, text)
        except Exception as error:
            raise _failure("write", error) from None

    def _remove(self, username: str) -> bool:
        if self._backend is None:
            return self._memory.pop(username, None) is not None
        try:
            self._backend.delete_password(self._service, username)
        except keyring.errors.PasswordDeleteError:
            return False
        except Exception as error:
            raise _failure("delete", error) from None
        return True


def _account(broker: str, client: str) -> str:
    return f"{broker}:{client}"


def _named(name: str) -> str:
    cleaned = name.strip().lower()
    if not cleaned or not all(c.isalnum() or c in "-_." for c in cleaned):
        raise CredentialError("a secret's name is letters, digits, '-', '_' or '.' only")
    return f"secret:{cleaned}"


def _failure(verb: str, error: Exception) -> CredentialStoreError:
    """Only the error's type: a backend's message is not ours to vouch for."""
    return CredentialStoreError(
        f"the keyring could not {verb} credentials ({type(error).__name__}): "
        "start or unlock your keyring and try again"
    )


@functools.cache
def default_store() -> CredentialStore:
    """The program's one store, so a memory-only session keeps what it was given."""
    return CredentialStore()


def get_secret(name: str) -> Secret | None:
    return default_store().get_secret(name)


def set_secret(name: str, value: str | Secret) -> None:
    default_store().set_secret(name, value)


def delete_secret(name: str) -> bool:
    return default_store().delete_secret(name)
