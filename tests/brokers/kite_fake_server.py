"""A wire-level fake of Kite Connect on 127.0.0.1: the official SDK talks to it unchanged.

It serves the routes the SDK calls with Kite's JSON envelope (`{"status": "success", "data":
...}` / `{"status": "error", "message": ..., "error_type": ...}`), checks the headers Kite
checks (`X-Kite-Version: 3`, `Authorization: token api_key:access_token`), and fails on demand
(`inject`): HTTP errors of each Kite kind, 429, a malformed or non-JSON reply, a reply that
never comes (bounded, and released at teardown so the suite never hangs), and a connection
dropped after the order was accepted. It records every order that reached it, with its tag.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

API_KEY = "fakeapikey123"
API_SECRET = "fakeapisecret456"
USER_ID = "AB1234"
HANG_LIMIT_S = 10.0
"""A hanging reply gives up after this long even if nobody releases it."""

FINAL = frozenset({"COMPLETE", "REJECTED", "CANCELLED"})
_ORDER_PATH = re.compile(r"^/orders/(?P<variety>[a-z]+)(?:/(?P<order_id>[^/]+))?$")


class Fault(Enum):
    HTTP_ERROR = "http error"  # a JSON error envelope with the given status and error type
    RATE_LIMITED = "429"  # 429, NetworkException "Too many requests"
    MALFORMED = "malformed"  # 200, says JSON, is not JSON
    NOT_JSON = "not json"  # 502 with a proxy's HTML page
    HANG = "hang"  # never answers (until released)
    DROP = "drop"  # closes the connection without a reply


@dataclass
class Injected:
    route: str
    fault: Fault
    times: int
    accept: bool
    status: int
    error_type: str
    message: str


class KiteFakeServer:
    """Start with `with KiteFakeServer() as server:` (or the `kite_server` fixture)."""

    def __init__(self, *, api_key: str = API_KEY, api_secret: str = API_SECRET) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.user_id = USER_ID
        self.lock = threading.RLock()
        self.valid_tokens: set[str] = set()
        self.access_token = self.new_access_token()
        self.request_tokens: set[str] = set()
        self.orders: dict[str, dict[str, Any]] = {}
        self.placed: list[dict[str, str]] = []
        """The form of every order that was created, in order (each has its `tag`)."""
        self.requests: list[tuple[str, str]] = []
        self.positions: list[dict[str, Any]] = []
        self.prices: dict[str, float] = {}
        self.initial_status: str | None = None
        """Status of a new order; None: OPEN, or TRIGGER PENDING for SL and SL-M."""
        self.cancel_status = "CANCELLED"
        self.known_symbols: set[tuple[str, str]] | None = None
        self.instruments_csv = ""
        """`GET /instruments`: Kite's instruments master, served as CSV (not JSON)."""
        self._faults: list[Injected] = []
        self._ids = itertools.count(1)
        self._release = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> KiteFakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> KiteFakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def release(self) -> None:
        """Let every hanging reply end now."""
        self._release.set()

    # ---- sessions ----------------------------------------------------------------------------

    def new_access_token(self) -> str:
        token = "at" + secrets.token_hex(12)
        with self.lock:
            self.valid_tokens.add(token)
        return token

    def expire_token(self) -> None:
        """Every access token issued so far stops working (Kite's 6 AM expiry, a logout)."""
        with self.lock:
            self.valid_tokens.clear()

    def issue_request_token(self) -> str:
        token = "rt" + secrets.token_hex(12)
        with self.lock:
            self.request_tokens.add(token)
        return token

    # ---- faults ------------------------------------------------------------------------------

    def inject(
        self,
        route: str,
        fault: Fault,
        *,
        times: int = 1,
        accept: bool = False,
        status: int = 500,
        error_type: str = "GeneralException",
        message: str = "Something went wrong",
    ) -> None:
        """Fail the next `times` calls of `route` (place, modify, cancel, orders, positions,
        ltp, profile, token, or *). `accept`: a place creates the order before failing."""
        with self.lock:
            self._faults.append(Injected(route, fault, times, accept, status, error_type, message))

    def _take_fault(self, route: str) -> Injected | None:
        with self.lock:
            for injected in self._faults:
                if injected.route in (route, "*"):
                    injected.times -= 1
                    if injected.times <= 0:
                        self._faults.remove(injected)
                    return injected
        return None

    # ---- the order book, as tests move it -----------------------------------------------------

    def count_tag(self, tag: str) -> int:
        """How many orders with this tag reached the broker."""
        with self.lock:
            return sum(1 for form in self.placed if form.get("tag") == tag)

    def order_by_tag(self, tag: str) -> dict[str, Any]:
        with self.lock:
            (found,) = [o for o in self.orders.values() if o["tag"] == tag]
            return found

    def fill(self, order_id: str, quantity: int | None = None, price: float = 100.0) -> None:
        """Fill part (or the rest) of an order at a price; OPEN until fully filled."""
        with self.lock:
            order = self.orders[order_id]
            quantity = quantity if quantity is not None else order["pending_quantity"]
            before = order["filled_quantity"]
            filled = before + quantity
            order["average_price"] = (order["average_price"] * before + price * quantity) / filled
            order["filled_quantity"] = filled
            order["pending_quantity"] = order["quantity"] - filled
            order["status"] = "COMPLETE" if order["pending_quantity"] == 0 else "OPEN"

    def set_status(self, order_id: str, status: str, message: str | None = None) -> None:
        with self.lock:
            self.orders[order_id]["status"] = status
            self.orders[order_id]["status_message"] = message

    # ---- the routes ---------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, Any] | Fault:
        """(status, data or error) for one request; a Fault for HANG and DROP."""
        with self.lock:
            self.requests.append((method, path))
        if method == "POST" and path == "/session/token":
            return self._fault_or("token", lambda: self._session_token(form))
        if headers.get("x-kite-version") != "3":
            return _error(400, "InputException", "Invalid or missing X-Kite-Version header.")
        auth = headers.get("authorization", "")
        with self.lock:
            authorised = any(auth == f"token {self.api_key}:{t}" for t in self.valid_tokens)
        if not authorised:
            return _error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
        match = _ORDER_PATH.match(path)
        if method == "POST" and match and not match["order_id"]:
            return self._fault_or("place", lambda: self._place(match["variety"], form), place=True)
        if method == "PUT" and match and match["order_id"]:
            return self._fault_or(
                "modify", lambda: self._modify(match["order_id"], form, match["variety"])
            )
        if method == "DELETE" and match and match["order_id"]:
            return self._fault_or(
                "cancel", lambda: self._cancel(match["order_id"], match["variety"])
            )
        if method == "GET" and path == "/orders":
            return self._fault_or("orders", self._orders)
        if method == "GET" and path == "/portfolio/positions":
            return self._fault_or("positions", lambda: (200, {"net": self.positions, "day": []}))
        if method == "GET" and path == "/quote/ltp":
            return self._fault_or("ltp", lambda: self._ltp(query.get("i", [])))
        if method == "GET" and path == "/instruments":
            return self._fault_or("instruments", lambda: (200, CsvText(self.instruments_csv)))
        if method == "GET" and path == "/user/profile":
            return self._fault_or("profile", self._profile)
        return _error(404, "GeneralException", "Route not found")

    def _fault_or(self, route: str, answer: Any, *, place: bool = False) -> tuple[int, Any] | Fault:
        injected = self._take_fault(route)
        if injected is None:
            return answer()
        if place and injected.accept:
            accepted = answer()
            if accepted[0] != 200:
                return accepted
        if injected.fault is Fault.HTTP_ERROR:
            return _error(injected.status, injected.error_type, injected.message)
        if injected.fault is Fault.RATE_LIMITED:
            return _error(429, "NetworkException", "Too many requests")
        return injected.fault

    def wait_released(self) -> None:
        self._release.wait(HANG_LIMIT_S)

    def _session_token(self, form: dict[str, str]) -> tuple[int, Any]:
        request_token = form.get("request_token", "")
        expected = hashlib.sha256(
            (self.api_key + request_token + self.api_secret).encode()
        ).hexdigest()
        with self.lock:
            known = request_token in self.request_tokens
            self.request_tokens.discard(request_token)
        if form.get("api_key") != self.api_key:
            return _error(403, "TokenException", "Invalid `api_key`.")
        if not known:
            return _error(403, "TokenException", "Token is invalid or has expired.")
        if form.get("checksum") != expected:
            return _error(403, "TokenException", "Invalid `checksum`.")
        token = self.new_access_token()
        return 200, {
            "user_type": "individual",
            "email": "trader@example.com",
            "user_name": "Test Trader",
            "user_shortname": "Trader",
            "broker": "ZERODHA",
            "exchanges": ["NSE", "NFO", "BSE"],
            "products": ["CNC", "NRML", "MIS"],
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            "user_id": self.user_id,
            "api_key": self.api_key,
            "access_token": token,
            "public_token": "pt" + secrets.token_hex(4),
            "refresh_token": "",
            "login_time": "2026-11-25 08:55:00",
            "meta": {"demat_consent": "consent"},
        }

    def _profile(self) -> tuple[int, Any]:
        return 200, {"user_id": self.user_id, "user_name": "Test Trader", "broker": "ZERODHA"}

    def _place(self, variety: str, form: dict[str, str]) -> tuple[int, Any]:
        if variety not in ("regular", "amo"):
            return _error(400, "InputException", f"Invalid variety `{variety}`.")
        missing = [
            key
            for key in (
                "exchange",
                "tradingsymbol",
                "transaction_type",
                "quantity",
                "product",
                "order_type",
            )
            if not form.get(key)
        ]
        if missing:
            return _error(400, "InputException", f"Missing `{missing[0]}`.")
        tag = form.get("tag", "")
        if len(tag) > 20:
            return _error(400, "InputException", "Tag length should be less than 20 characters.")
        order_type = form["order_type"]
        if order_type in ("MARKET", "SL-M") and form.get("market_protection") in (None, "", "0"):
            return _error(
                400,
                "InputException",
                "Market orders without market protection are not allowed via API.",
            )
        key = (form["exchange"], form["tradingsymbol"])
        if self.known_symbols is not None and key not in self.known_symbols:
            return _error(
                400,
                "InputException",
                "The instrument you are placing an order for has either expired or does not exist.",
            )
        with self.lock:
            order_id = f"2611250000{next(self._ids):05d}"
            status = self.initial_status or (
                "AMO REQ RECEIVED"
                if variety == "amo"
                else "TRIGGER PENDING"
                if order_type in ("SL", "SL-M")
                else "OPEN"
            )
            quantity = int(form["quantity"])
            self.orders[order_id] = {
                "order_id": order_id,
                "exchange_order_id": None,
                "parent_order_id": None,
                "placed_by": self.user_id,
                "variety": variety,
                "status": status,
                "tradingsymbol": form["tradingsymbol"],
                "exchange": form["exchange"],
                "instrument_token": 779521,
                "transaction_type": form["transaction_type"],
                "order_type": order_type,
                "product": form["product"],
                "validity": form.get("validity", "DAY"),
                "price": float(form.get("price") or 0),
                "quantity": quantity,
                "trigger_price": float(form.get("trigger_price") or 0),
                "average_price": 0.0,
                "pending_quantity": quantity,
                "filled_quantity": 0,
                "disclosed_quantity": 0,
                "market_protection": float(form.get("market_protection") or 0),
                "order_timestamp": "2026-11-25 10:15:00",
                "exchange_timestamp": None,
                "status_message": None,
                "status_message_raw": None,
                "tag": tag or None,
                "tags": [tag] if tag else [],
                "guid": "fake-" + order_id,
            }
            self.placed.append(dict(form))
        return 200, {"order_id": order_id}

    def _modify(self, order_id: str, form: dict[str, str], variety: str) -> tuple[int, Any]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["variety"] != variety:
                return _error(400, "InputException", "Invalid `order_id`.")
            if order["status"] in FINAL:
                return _error(
                    400, "OrderException", f"Order cannot be modified as it is {order['status']}."
                )
            for key in ("price", "trigger_price"):
                if key in form:
                    order[key] = float(form[key])
            if "quantity" in form:
                order["quantity"] = int(form["quantity"])
                order["pending_quantity"] = order["quantity"] - order["filled_quantity"]
            if "order_type" in form:
                order["order_type"] = form["order_type"]
            order["modify_form"] = dict(form)
        return 200, {"order_id": order_id}

    def _cancel(self, order_id: str, variety: str) -> tuple[int, Any]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["variety"] != variety:
                return _error(400, "InputException", "Invalid `order_id`.")
            if order["status"] in FINAL:
                return _error(
                    400, "OrderException", f"Order cannot be cancelled as it is {order['status']}."
                )
            order["status"] = self.cancel_status
        return 200, {"order_id": order_id}

    def _orders(self) -> tuple[int, Any]:
        with self.lock:
            rows = [
                {k: v for k, v in order.items() if k != "modify_form"}
                for order in self.orders.values()
            ]
        return 200, rows

    def _ltp(self, instruments: list[str]) -> tuple[int, Any]:
        with self.lock:
            return 200, {
                name: {"instrument_token": 1000 + n, "last_price": self.prices[name]}
                for n, name in enumerate(instruments)
                if name in self.prices
            }


def _error(status: int, error_type: str, message: str) -> tuple[int, Any]:
    return status, {"status": "error", "message": message, "data": None, "error_type": error_type}


@dataclass(frozen=True)
class CsvText:
    """A reply Kite sends as CSV rather than in its JSON envelope (the instruments master)."""

    text: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: KiteFakeServer) -> None:
        super().__init__(address, _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = {key: values[0] for key, values in parse_qs(body).items()}
        headers = {key.lower(): value for key, value in self.headers.items()}
        fake = self.server.fake
        answer = fake.handle(self.command, parts.path, parse_qs(parts.query), form, headers)
        if answer is Fault.HANG:
            fake.wait_released()
            self.close_connection = True
            return
        if answer is Fault.DROP:
            self.close_connection = True
            return
        if answer is Fault.MALFORMED:
            self._write(200, "application/json", b'{"status": "success", "data": {"order_')
            return
        if answer is Fault.NOT_JSON:
            self._write(502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
            return
        assert isinstance(answer, tuple)
        status, data = answer
        if isinstance(data, CsvText):
            self._write(status, "text/csv", data.text.encode())
            return
        payload = data if status != 200 else {"status": "success", "data": data}
        self._write(status, "application/json", json.dumps(payload).encode())

    def _write(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `requests` instead."""


@pytest.fixture
def kite_server() -> Iterator[KiteFakeServer]:
    with KiteFakeServer() as server:
        yield server
