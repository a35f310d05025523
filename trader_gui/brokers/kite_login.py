"""Kite's daily login: the browser, a local redirect catcher, and the token exchange.

Kite has no password API: each day the trader logs in on Kite's own page. The flow:

1. a small HTTP server listens on 127.0.0.1 (the redirect URL registered for the API key on
   the Kite developer console must be `http://127.0.0.1:<redirect_port>/`);
2. the system browser opens the SDK's `login_url()`;
3. Kite redirects the browser to the local server with `action=login&status=success&
   request_token=...`;
4. the request token is exchanged at once with `generate_session(request_token, api_secret)`
   for the access token, and the browser is told how it went.

`run()` blocks until then (bounded by its timeout): the window runs it on a worker thread and
may `cancel()` it. Nothing secret (API secret, request token, access token) is logged, shown
in the page or put in an error's text; the redirect server logs paths, never query strings.
"""

from __future__ import annotations

import html
import logging
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from kiteconnect import KiteConnect  # type: ignore[import-untyped]
from kiteconnect import exceptions as kite_exceptions

from trader_gui.brokers.base import BrokerError
from trader_gui.brokers.kite import DEFAULT_ROOT, DEFAULT_TIMEOUT_S
from trader_gui.brokers.kite_errors import redact

__all__ = [
    "KiteLoginCancelled",
    "KiteLoginError",
    "KiteLoginFlow",
    "KiteLoginTimedOut",
    "KiteSession",
]

log = logging.getLogger(__name__)

DEFAULT_HTTP_TIMEOUT_S = DEFAULT_TIMEOUT_S
DEFAULT_LOGIN_TIMEOUT_S = 300.0


class KiteLoginError(BrokerError):
    """The daily login did not give an access token; `message` says why and what to do."""


class KiteLoginCancelled(KiteLoginError):
    """The trader cancelled (in the window or on Kite's page)."""


class KiteLoginTimedOut(KiteLoginError):
    """No redirect came back from Kite's login page in time."""


@dataclass(frozen=True, slots=True)
class KiteSession:
    """What a login gives. The token stays out of `repr`, so it never reaches a log line."""

    user_id: str
    user_name: str
    access_token: str = field(repr=False)


class KiteLoginFlow:
    """One daily login; single use. Thread-safe: `cancel()` may come from another thread."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        redirect_port: int = 0,
        open_browser: Callable[[str], object] = webbrowser.open,
        root: str = DEFAULT_ROOT,
        http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
        host: str = "127.0.0.1",
    ) -> None:
        """`redirect_port` 0 takes any free port (for tests; Kite needs the registered one)."""
        if not api_key or not api_secret:
            raise ValueError("the Kite login needs the API key and the API secret")
        self._api_secret = api_secret
        self._open_browser = open_browser
        self._host = host
        self._port = redirect_port
        self._kite: Any = KiteConnect(api_key, root=root, timeout=http_timeout_s)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._result: KiteSession | KiteLoginError | None = None
        self._secrets: list[str] = [api_secret]
        self._server: _RedirectServer | None = None
        self._used = False

    @property
    def login_url(self) -> str:
        """Kite's login page for this API key (the key is not a secret; it is in the URL)."""
        return str(self._kite.login_url())

    @property
    def redirect_url(self) -> str:
        """Where Kite must send the browser back; the port is known once `run()` started."""
        port = self._server.server_address[1] if self._server else self._port
        return f"http://{self._host}:{port}/"

    def run(self, timeout_s: float = DEFAULT_LOGIN_TIMEOUT_S) -> KiteSession:
        """Open the browser and wait for the login; raises a `KiteLoginError` on failure."""
        with self._lock:
            if self._used:
                raise RuntimeError("a KiteLoginFlow runs once; make a new one")
            self._used = True
        server = self._start_server()
        try:
            log.info("Kite login: waiting for the redirect on %s", self.redirect_url)
            if not self._open_browser(self.login_url):
                log.warning("no browser opened: open %s to log in to Kite", self.login_url)
            if not self._done.wait(timeout_s):
                self._finish(
                    KiteLoginTimedOut(
                        f"Kite's login page did not send the browser back within {timeout_s:g} s; "
                        "log in again."
                    )
                )
            result = self._result
        finally:
            server.stop()
            self._server = None
        if isinstance(result, KiteSession):
            log.info("Kite login done for user %s", result.user_id)
            return result
        error = result if isinstance(result, KiteLoginError) else KiteLoginError("no result")
        log.warning("Kite login failed: %s", error.message)
        raise error

    def cancel(self) -> None:
        """Stop waiting: `run()` raises `KiteLoginCancelled`."""
        self._finish(KiteLoginCancelled("The Kite login was cancelled."))

    # ---- the redirect ----------------------------------------------------------------------

    def handle_redirect(self, query: Mapping[str, list[str]]) -> tuple[int, str]:
        """The browser came back: check it, exchange the token; returns (status, page text)."""
        if self._done.is_set():
            return 409, "This login has already finished. You can close this tab."
        status = _first(query, "status")
        action = _first(query, "action")
        request_token = _first(query, "request_token")
        if action and action != "login":
            self._finish(
                KiteLoginError(
                    f"Kite sent the browser back for {action!r}, not a login; log in again."
                )
            )
            return 400, "This was not a Kite login. Return to trader_gui and log in again."
        if status != "success" or not request_token:
            self._finish(
                KiteLoginCancelled(
                    f"The Kite login did not complete (status: {status or 'none'}); log in again."
                )
            )
            return 400, "The Kite login did not complete. Return to trader_gui to try again."
        with self._lock:
            self._secrets.append(request_token)
        outcome = self._exchange(request_token)
        if not self._finish(outcome):
            return 409, "This login had already ended (timed out or cancelled); log in again."
        if isinstance(outcome, KiteSession):
            return 200, f"Logged in as {outcome.user_id}; you can close this tab."
        return 502, f"The login could not be finished: {outcome.message}"

    def _exchange(self, request_token: str) -> KiteSession | KiteLoginError:
        try:
            data = self._kite.generate_session(request_token, api_secret=self._api_secret)
        except kite_exceptions.TokenException as error:
            return KiteLoginError(
                f"Kite refused the login ({self._clean(error)}): check the API secret in the "
                "settings and log in again."
            )
        except kite_exceptions.KiteException as error:
            return KiteLoginError(f"Kite could not finish the login: {self._clean(error)}")
        except requests.RequestException as error:
            return KiteLoginError(
                f"Kite could not be reached to finish the login: {self._clean(error)}"
            )
        except (KeyError, ValueError, TypeError) as error:
            return KiteLoginError(
                f"Kite's answer to the login could not be read ({type(error).__name__})."
            )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            return KiteLoginError("Kite's answer to the login has no access token.")
        with self._lock:
            self._secrets.append(token)
        return KiteSession(
            user_id=str(data.get("user_id") or ""),
            user_name=str(data.get("user_name") or ""),
            access_token=token,
        )

    def _clean(self, error: Exception) -> str:
        with self._lock:
            secrets = list(self._secrets)
        return redact(str(error), secrets) or type(error).__name__

    def _finish(self, result: KiteSession | KiteLoginError) -> bool:
        """Record the first outcome only; False when another one came first."""
        with self._lock:
            if self._done.is_set():
                return False
            self._result = result
            self._done.set()
            return True

    def _start_server(self) -> _RedirectServer:
        try:
            server = _RedirectServer((self._host, self._port), self)
        except OSError as error:
            raise KiteLoginError(
                f"The login redirect cannot listen on {self._host}:{self._port} ({error.strerror}); "
                "is another login or program using that port?"
            ) from None
        server.start()
        self._server = server
        return server


def _first(query: Mapping[str, list[str]], key: str) -> str:
    values = query.get(key) or [""]
    return values[0]


class _RedirectServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], flow: KiteLoginFlow) -> None:
        super().__init__(address, _RedirectHandler)
        self.flow = flow
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="kite-login"
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


class _RedirectHandler(BaseHTTPRequestHandler):
    server: _RedirectServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/favicon.ico" or not query:
            self._answer(404, "Waiting for the Kite login.")
            return
        status, text = self.server.flow.handle_redirect(query)
        self._answer(status, text)

    def _answer(self, status: int, text: str) -> None:
        body = (
            "<!doctype html><html><head><meta charset='utf-8'><title>trader_gui</title></head>"
            f"<body><p>{html.escape(text)}</p></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """The request line carries the request token: log the path only."""
        log.debug(
            "login redirect: %s %s",
            getattr(self, "command", None),
            urlsplit(getattr(self, "path", "")).path,
        )
