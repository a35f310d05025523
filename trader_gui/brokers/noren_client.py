"""A thin client of the Noren OMS wire protocol (Shoonya's REST API) on `requests`.

Why not the official SDK (`NorenRestApiPy`): it has no HTTP timeout (a dead server hangs the
thread for ever), turns error replies into None (the broker's `emsg` is lost), keeps its host on
the class (two instances share it), prints to stdout, and logs the password hash and session
token at DEBUG. This client sends what the SDK sends on the wire and adds only what a trading
program needs: a timeout on every call, one `requests.Session` per instance, and errors of the
three kinds the engine tells apart, with the broker's own words kept.

The wire, as the SDK speaks it (and so as the servers are known to accept it):

    POST {host}/{Route}   body: jData=<json>&jKey=<session token>     (QuickAuth: no jKey)
    OAuth sessions send `Authorization: Bearer <access token>` instead of jKey.
    Reply: a JSON object with stat "Ok" or "Not_Ok" (and `emsg`), or a JSON list (the books).

The JSON goes unescaped after `jData=`, as the SDK sends it; symbol fields (`tsym`, `stext`)
are URL-encoded inside it, as the Noren documents ask ("use url encoding to avoid special char
error for symbols like M&M"). Nothing is retried here: a POST retried blindly can place an order
twice, so every failure goes up to the engine, which looks for the order by its tag.

Nothing secret is logged or put into an error message: bodies are never logged, and every
message built from a reply is scrubbed of the registered secrets.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from trader_gui.brokers.base import (
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    SessionExpired,
)

log = logging.getLogger(__name__)

BROKER = "Shoonya"
URL_ENCODED_FIELDS = frozenset({"tsym", "stext"})
"""Fields the Noren documents ask to URL-encode inside jData (symbols such as M&M)."""
ORDER_ROUTES = frozenset({"PlaceOrder", "ModifyOrder", "CancelOrder"})
SESSION_WORDS = ("session expired", "invalid session key")
NO_DATA = "no data"
"""An empty book is the reply {"stat": "Not_Ok", "emsg": "Error Occurred : 5 \\"no data\\""}."""
_IP_WORD = re.compile(r"\bip\b", re.IGNORECASE)
_IP_REFUSAL = re.compile(
    r"not\s+registered|unregistered|white\s*-?\s*list|not\s+allowed|not\s+authori[sz]ed"
    r"|invalid|mismatch|not\s+mapped",
    re.IGNORECASE,
)
REDACTED = "***"


@dataclass(frozen=True, slots=True)
class Auth:
    """How calls prove the login: a session token sent as jKey, or an OAuth Bearer token."""

    token: str
    bearer: bool = False


def is_session_expiry(emsg: str) -> bool:
    lowered = emsg.lower()
    return any(words in lowered for words in SESSION_WORDS)


def is_ip_refusal(emsg: str) -> bool:
    """Does the broker say this machine's IP address is not the registered one?

    The exact Shoonya wording was not found in public material; this matches the forms brokers
    use ("IP not registered", "Invalid IP address", "IP not whitelisted", "IP mismatch").
    """
    return bool(_IP_WORD.search(emsg) or "ip address" in emsg.lower()) and bool(
        _IP_REFUSAL.search(emsg)
    )


def ip_refusal_message(emsg: str, route: str) -> str:
    what = "the order" if route in ORDER_ROUTES else "the request"
    return (
        f"{BROKER} refused {what} because this computer's IP address is not registered "
        f"with the broker: {emsg}"
    )


def error_for(emsg: str, route: str) -> BrokerError:
    """The error a `Not_Ok` reply means. The broker said no, so nothing took effect."""
    if is_session_expiry(emsg):
        return SessionExpired(emsg)
    if is_ip_refusal(emsg):
        return BrokerRejected(ip_refusal_message(emsg, route))
    return BrokerRejected(emsg or f"{BROKER} refused {route} without saying why (Not_Ok)")


class NorenClient:
    """One host, one `requests.Session`, a (connect, read) timeout on every call."""

    def __init__(
        self,
        host: str,
        *,
        timeout_s: tuple[float, float],
        session: requests.Session | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.timeout_s = timeout_s
        self._owns_session = session is None
        self._session = session or requests.Session()
        # No retries of any kind for this host: a POST retried after the server took it would
        # place an order twice. Mounted on the host prefix only, so a shared session keeps the
        # rest of its settings.
        self._session.mount(self.host + "/", HTTPAdapter(max_retries=Retry(total=0, redirect=0)))
        self._secrets: set[str] = set()
        self._secrets_lock = threading.Lock()
        self.auth: Auth | None = None

    # -- secrets -------------------------------------------------------------------------------

    def add_secrets(self, *values: str) -> None:
        """Values that must never appear in a log line or an error message."""
        with self._secrets_lock:
            self._secrets.update(value for value in values if value)

    def scrub(self, text: str, extra: Iterable[str] = ()) -> str:
        with self._secrets_lock:
            secrets = sorted({*self._secrets, *(value for value in extra if value)}, key=len)
        for secret in reversed(secrets):  # longest first: a hash is never half-replaced
            text = text.replace(secret, REDACTED)
        return text

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self,
        route: str,
        values: Mapping[str, str],
        *,
        authenticated: bool = True,
        extra_secrets: Iterable[str] = (),
    ) -> Any:
        """POST one request; the parsed JSON reply (object or list), whatever its `stat`.

        Raises `BrokerUnavailable` when there is no trustworthy answer, `SessionExpired` when
        a call needs a login and there is none, and the error of a refused HTTP request.
        """
        extra = tuple(extra_secrets)
        auth = self.auth if authenticated else None
        if authenticated and auth is None:
            raise SessionExpired(f"Not logged in to {BROKER}.")
        body, headers = _encode(values, auth)
        url = f"{self.host}/{route}"
        started = time.monotonic()
        failure: str | None = None
        try:
            response = self._session.post(
                url, data=body, headers=headers, timeout=self.timeout_s, allow_redirects=False
            )
        except requests.exceptions.RequestException as error:
            failure = self._transport_message(error)
        if failure is not None:
            # Raised outside the handler: the requests error (which holds the request body, and
            # so the session token) is not kept as the context of the error the engine sees.
            log.debug("%s %s failed after %.0f ms: %s", BROKER, route, _ms(started), failure)
            raise BrokerUnavailable(failure)
        log.debug("%s %s: HTTP %d in %.0f ms", BROKER, route, response.status_code, _ms(started))
        reply = _json_or_none(response)
        if response.status_code != 200:
            raise self._http_error(response, reply, route, extra)
        if reply is None:
            raise BrokerUnavailable(f"{BROKER} sent a reply that is not JSON ({route}).")
        return reply

    def ok(
        self,
        route: str,
        values: Mapping[str, str],
        *,
        authenticated: bool = True,
        extra_secrets: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A call whose reply must be an object with stat Ok; a Not_Ok raises its error."""
        extra = tuple(extra_secrets)
        reply = self.call(route, values, authenticated=authenticated, extra_secrets=extra)
        if not isinstance(reply, dict) or reply.get("stat") not in ("Ok", "Not_Ok"):
            raise BrokerUnavailable(
                f"{BROKER} sent a reply this program does not understand ({route})."
            )
        if reply["stat"] != "Ok":
            raise error_for(self.scrub(str(reply.get("emsg", "")), extra), route)
        return reply

    def rows(self, route: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
        """A call answered by a list (the books); the 'no data' refusal is an empty list."""
        reply = self.call(route, values)
        if isinstance(reply, list):
            if not all(isinstance(row, dict) for row in reply):
                raise BrokerUnavailable(
                    f"{BROKER} sent a {route} list this program does not understand."
                )
            return reply
        if isinstance(reply, dict) and reply.get("stat") == "Not_Ok":
            emsg = self.scrub(str(reply.get("emsg", "")))
            if NO_DATA in emsg.lower():
                return []
            raise error_for(emsg, route)
        raise BrokerUnavailable(f"{BROKER} sent a {route} reply this program does not understand.")

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # -- errors --------------------------------------------------------------------------------

    def _transport_message(self, error: requests.exceptions.RequestException) -> str:
        connect_s, read_s = self.timeout_s
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return f"could not connect to {BROKER} within {connect_s:g} s"
        if isinstance(error, requests.exceptions.ReadTimeout):
            return f"no answer from {BROKER} within {read_s:g} s"
        if isinstance(error, requests.exceptions.ConnectionError):
            reason = getattr(error.args[0] if error.args else None, "reason", None)
            if isinstance(reason, NameResolutionError):
                return (
                    f"could not find {BROKER}'s server {urllib.parse.urlsplit(self.host).hostname}"
                )
            if isinstance(reason, NewConnectionError):
                return f"could not connect to {BROKER} at {self.host}"
            return f"the connection to {BROKER} broke before it answered"
        return f"the request to {BROKER} failed ({type(error).__name__})"

    def _http_error(
        self, response: requests.Response, reply: Any, route: str, extra: tuple[str, ...]
    ) -> BrokerError:
        status = f"{BROKER} answered HTTP {response.status_code}"
        if response.reason:
            status += f" ({self.scrub(response.reason, extra)})"
        if response.status_code >= 500 or response.status_code == 408:
            return BrokerUnavailable(status)
        if isinstance(reply, dict) and reply.get("stat") == "Not_Ok" and reply.get("emsg"):
            return error_for(self.scrub(str(reply["emsg"]), extra), route)
        if response.status_code == 401:
            return SessionExpired(status)
        if 300 <= response.status_code < 400:
            return BrokerRejected(f"{status}: the request was redirected, not carried out")
        return BrokerRejected(status)


def _encode(values: Mapping[str, str], auth: Auth | None) -> tuple[str, dict[str, str]]:
    fields: dict[str, str] = {}
    for key, value in values.items():
        if key in URL_ENCODED_FIELDS:
            value = urllib.parse.quote_plus(value)
        elif "&" in value:  # it would cut the form in two at the server
            raise BrokerRejected(f"Not sent: the {key} field cannot carry '&' to {BROKER}.")
        fields[key] = value
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    body = f"jData={text}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth is not None:
        if auth.bearer:
            headers["Authorization"] = f"Bearer {auth.token}"
        else:
            body += f"&jKey={auth.token}"
    return body, headers


def _json_or_none(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
