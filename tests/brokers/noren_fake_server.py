"""A wire-level fake of the Noren OMS (Shoonya's REST API) on 127.0.0.1, for tests.

It speaks the real protocol, so the official SDK and the program's own client both talk to it:
POST /NorenWClientTP/<Route> (or /NorenWClientAPI/ for OAuth) with a form body
`jData=<json>&jKey=<session token>` (QuickAuth has no jKey; OAuth calls send
`Authorization: Bearer <access token>` instead), and replies that are a JSON object with
`stat` Ok / Not_Ok and `emsg`, or a JSON list for the books. Order-book rows carry the SDK's
field names and Shoonya's status words (CANCELED with one L, REJECTED, REJECT).

The test drives it: it keeps orders and fills, rejects or cancels them on demand, and fails on
demand (`inject`): HTTP 500, a reply that is not JSON, a `Not_Ok` with given words, a request
that is never answered (held until `release()` or `stop()`, and never longer than
`hang_limit_s`, so a suite cannot hang), or an order taken and its reply dropped (the connection
closed without an answer). `expire_session()` ends the login as Shoonya does.

Like Shoonya since April 2026, it refuses unprotected market orders (MKT, SL-MKT) from the API.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyotp

from trader_gui.brokers.shoonya import ShoonyaCredentials

IST = timezone(timedelta(hours=5, minutes=30), "IST")
SESSION_EXPIRED = "Session Expired :  Invalid Session Key"
NO_DATA = 'Error Occurred : 5 "no data"'
MARKET_REFUSED = "Invalid Input : market orders need market protection (MKT not allowed for API)"
OPEN_WORDS = frozenset({"OPEN", "PENDING", "TRIGGER_PENDING"})


class Fault(StrEnum):
    HTTP_500 = "HTTP_500"
    """Answer HTTP 500 without doing anything."""
    HTTP_500_AFTER_ACCEPT = "HTTP_500_AFTER_ACCEPT"
    """Do the call (an order is placed), then answer HTTP 500."""
    MALFORMED = "MALFORMED"
    """Answer HTTP 200 with a body that is not JSON, without doing anything."""
    NOT_OK = "NOT_OK"
    """Answer Not_Ok with the injected emsg, without doing anything."""
    HANG = "HANG"
    """Never answer: hold the request until released, then close without a reply."""
    DROP_AFTER_ACCEPT = "DROP_AFTER_ACCEPT"
    """Do the call (an order is placed), then close the connection without answering."""


@dataclass(frozen=True)
class Call:
    """One request as it arrived: what a test asserts about the wire."""

    route: str
    jdata: dict[str, Any]
    jkey: str | None
    authorization: str | None
    content_type: str | None
    raw_body: str


@dataclass
class _Injected:
    fault: Fault
    route: str
    emsg: str = ""
    times: int = 1


@dataclass
class _Scrip:
    exch: str
    tsym: str
    token: str
    lp: Decimal
    ti: str = "0.05"
    ls: str = "1"


@dataclass
class _Fill:
    exch: str
    tsym: str
    prd: str
    side: str
    qty: int
    price: Decimal


@dataclass
class _Order:
    fields: dict[str, str]
    fills: list[tuple[int, Decimal]] = field(default_factory=list)

    @property
    def filled(self) -> int:
        return sum(qty for qty, _ in self.fills)


class FakeNoren:
    """The fake OMS. Start it with `with FakeNoren() as fake:`; `fake.host` is its address."""

    def __init__(
        self,
        *,
        user: str = "FA12345",
        password: str = "Pa55-word-for-tests",
        totp_secret: str | None = None,
        vendor_code: str = "FA12345_U",
        api_secret: str = "api-secret-0123456789abcdef",
        imei: str = "trader_gui",
        access_token: str = "oauth-access-token-9f8e7d6c5b4a",
        hang_limit_s: float = 10.0,
        refuse_market_orders: bool = True,
    ) -> None:
        self.user = user
        self.password = password
        self.totp_secret = totp_secret or pyotp.random_base32()
        self.vendor_code = vendor_code
        self.api_secret = api_secret
        self.imei = imei
        self.access_token = access_token
        self.hang_limit_s = hang_limit_s
        self.refuse_market_orders = refuse_market_orders
        self.session_tokens: list[str] = []
        """Every session token handed out, oldest first (the last one is live)."""
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._live_token: str | None = None
        self._access_token_valid = True
        self._injected: list[_Injected] = []
        self._scrips: dict[tuple[str, str], _Scrip] = {}
        self._orders: dict[str, _Order] = {}
        self._fills: list[_Fill] = []
        self._sequence = itertools.count(1)
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeNoren:
        self._server = _Server(self)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end held requests and open connections, wait for every thread."""
        server = self._server
        if server is None:
            return
        self._server = None
        self._release.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_handlers(timeout_s=5.0)
        if self._serve_thread is not None:
            self._serve_thread.join(5.0)

    def __enter__(self) -> FakeNoren:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not started"
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """The address to give the client, as Shoonya's: .../NorenWClientTP."""
        return f"http://127.0.0.1:{self.port}/NorenWClientTP"

    @property
    def oauth_host(self) -> str:
        return f"http://127.0.0.1:{self.port}/NorenWClientAPI"

    def credentials(self, *, oauth: bool = False) -> ShoonyaCredentials:
        """The program's credentials for this fake's account."""
        if oauth:
            return ShoonyaCredentials(user=self.user, access_token=self.access_token)
        return ShoonyaCredentials(
            user=self.user,
            password=self.password,
            totp_secret=self.totp_secret,
            vendor_code=self.vendor_code,
            api_secret=self.api_secret,
            imei=self.imei,
        )

    def secrets(self) -> list[str]:
        """Everything that must never show in a log or an error, as the client would send it."""
        with self._lock:
            tokens = list(self.session_tokens)
        return [
            self.password,
            hashlib.sha256(self.password.encode()).hexdigest(),
            self.totp_secret,
            self.api_secret,
            hashlib.sha256(f"{self.user}|{self.api_secret}".encode()).hexdigest(),
            self.access_token,
            *tokens,
        ]

    # -- market data -------------------------------------------------------------------------

    def add_scrip(
        self,
        exch: str,
        tsym: str,
        token: str,
        last_price: Decimal | str,
        *,
        tick: str = "0.05",
        lot: str = "1",
    ) -> None:
        with self._lock:
            self._scrips[(exch, tsym)] = _Scrip(exch, tsym, token, Decimal(last_price), tick, lot)

    def set_last_price(self, exch: str, tsym: str, last_price: Decimal | str) -> None:
        with self._lock:
            self._scrips[(exch, tsym)].lp = Decimal(last_price)

    # -- orders, as the test sees them --------------------------------------------------------

    def order(self, order_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._orders[order_id].fields)

    def orders_tagged(self, remarks: str) -> list[dict[str, str]]:
        with self._lock:
            return [
                dict(order.fields)
                for order in self._orders.values()
                if order.fields.get("remarks") == remarks
            ]

    def calls_to(self, route: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.route == route]

    def fill(
        self, order_id: str, qty: int | None = None, price: Decimal | str | None = None
    ) -> None:
        """Trade `qty` (default: all that is left) at `price` (default: the order's price)."""
        with self._lock:
            order = self._orders[order_id]
            fields = order.fields
            left = int(fields["qty"]) - order.filled
            qty = left if qty is None else qty
            assert 0 < qty <= left, f"cannot fill {qty} of {left} left"
            at = Decimal(price) if price is not None else Decimal(fields["prc"])
            order.fills.append((qty, at))
            self._fills.append(
                _Fill(fields["exch"], fields["tsym"], fields["prd"], fields["trantype"], qty, at)
            )
            total = sum((q * p for q, p in order.fills), Decimal(0))
            fields["fillshares"] = str(order.filled)
            fields["avgprc"] = _money(total / order.filled)
            fields["status"] = "COMPLETE" if order.filled == int(fields["qty"]) else "OPEN"
            fields["rpt"] = "Fill"

    def reject(self, order_id: str, reason: str, *, word: str = "REJECTED") -> None:
        """The broker's RMS or the exchange rejects an order it had taken."""
        self.set_status(order_id, word, rejreason=reason)

    def cancel(self, order_id: str, *, word: str = "CANCELED") -> None:
        """The exchange or the broker cancels what is left of an order."""
        with self._lock:
            order = self._orders[order_id]
            order.fields["cancelqty"] = str(int(order.fields["qty"]) - order.filled)
        self.set_status(order_id, word)

    def edit(self, order_id: str, **fields: str) -> None:
        """Show an order with other fields (an order placed elsewhere: bracket product...)."""
        with self._lock:
            self._orders[order_id].fields.update(fields)

    def set_status(self, order_id: str, word: str, *, rejreason: str | None = None) -> None:
        """Any status word, spelled as the test likes (lower-case, unknown words...)."""
        with self._lock:
            fields = self._orders[order_id].fields
            fields["status"] = word
            if rejreason is not None:
                fields["rejreason"] = rejreason

    # -- faults --------------------------------------------------------------------------------

    def inject(
        self, fault: Fault, route: str = "PlaceOrder", *, emsg: str = "", times: int = 1
    ) -> None:
        """Fail the next `times` calls to `route` with `fault`."""
        with self._lock:
            self._injected.append(_Injected(fault, route, emsg, times))

    def expire_session(self) -> None:
        """End the login: every call with the old token answers 'Session Expired'."""
        with self._lock:
            self._live_token = None

    def revoke_access_token(self) -> None:
        with self._lock:
            self._access_token_valid = False

    def release(self) -> None:
        """Let held (HANG) requests go: they end without an answer."""
        self._release.set()

    # -- the protocol --------------------------------------------------------------------------

    def _take_fault(self, route: str) -> _Injected | None:
        with self._lock:
            for injected in self._injected:
                if injected.route == route:
                    injected.times -= 1
                    if injected.times <= 0:
                        self._injected.remove(injected)
                    return injected
        return None

    def _authorised(self, route: str, jkey: str | None, authorization: str | None) -> bool:
        if route in ("QuickAuth", "GenAcsTok"):
            return True
        with self._lock:
            if authorization is not None:
                return authorization == f"Bearer {self.access_token}" and self._access_token_valid
            return jkey is not None and jkey == self._live_token

    def _dispatch(self, route: str, jdata: dict[str, Any]) -> Any:
        handler = getattr(self, f"_route_{route}", None)
        if handler is None:
            return {"stat": "Not_Ok", "emsg": f"Invalid Input : unknown route {route}"}
        with self._lock:
            if route != "QuickAuth" and jdata.get("uid") != self.user:
                return _not_ok("Invalid Input : Invalid User Id")
            reply: Any = handler(jdata)
            return reply

    def _route_QuickAuth(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if jdata.get("uid") != self.user:
            return _not_ok("Invalid Input : User does not exist")
        if jdata.get("pwd") != hashlib.sha256(self.password.encode()).hexdigest():
            return _not_ok("Invalid Input : Wrong Password")
        if not pyotp.TOTP(self.totp_secret).verify(str(jdata.get("factor2")), valid_window=1):
            return _not_ok("Invalid Input : Invalid OTP")
        if jdata.get("vc") != self.vendor_code:
            return _not_ok("Invalid Input : Invalid Vendor Code")
        appkey = hashlib.sha256(f"{self.user}|{self.api_secret}".encode()).hexdigest()
        if jdata.get("appkey") != appkey:
            return _not_ok("Invalid Input : Invalid App Key")
        if jdata.get("source") != "API" or not jdata.get("imei"):
            return _not_ok("Invalid Input : source and imei are required")
        token = secrets.token_hex(32)
        self._live_token = token
        self.session_tokens.append(token)
        return {
            "request_time": _now_text(),
            "actid": self.user,
            "uname": "FAKE TRADER",
            "stat": "Ok",
            "susertoken": token,
            "email": "trader@example.invalid",
            "brkname": "SHOONYA",
            "exarr": ["NSE", "NFO", "BSE"],
            "lastaccesstime": "1764052200",
        }

    def _route_UserDetails(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "request_time": _now_text(),
            "stat": "Ok",
            "uid": self.user,
            "actid": self.user,
            "uname": "FAKE TRADER",
            "brkname": "SHOONYA",
            "exarr": ["NSE", "NFO", "BSE"],
            "orarr": ["LMT", "SL-LMT"],
        }

    def _route_PlaceOrder(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        required = ("actid", "exch", "tsym", "qty", "prc", "prd", "trantype", "prctyp", "ret")
        missing = [name for name in required if not jdata.get(name)]
        if missing:
            return _not_ok(f"Invalid Input : {', '.join(missing)} is Missing.")
        prctyp = jdata["prctyp"]
        if prctyp not in ("LMT", "MKT", "SL-LMT", "SL-MKT"):
            return _not_ok(f"Invalid Input : Invalid Price Type {prctyp}")
        if self.refuse_market_orders and prctyp in ("MKT", "SL-MKT"):
            return _not_ok(MARKET_REFUSED)
        if prctyp.startswith("SL") and not jdata.get("trgprc"):
            return _not_ok("Invalid Input : Trigger Price is Missing.")
        if jdata["prd"] not in ("C", "M", "I") or jdata["trantype"] not in ("B", "S"):
            return _not_ok("Invalid Input : Invalid Product or Transaction Type")
        order_id = f"26112500{next(self._sequence):06d}"
        scrip = self._scrips.get((jdata["exch"], jdata["tsym"]))
        fields = {
            "stat": "Ok",
            "norenordno": order_id,
            "uid": self.user,
            "actid": jdata["actid"],
            "exch": jdata["exch"],
            "tsym": jdata["tsym"],
            "qty": jdata["qty"],
            "trantype": jdata["trantype"],
            "prctyp": prctyp,
            "ret": jdata["ret"],
            "token": scrip.token if scrip else "0",
            "pp": "2",
            "ls": scrip.ls if scrip else "1",
            "ti": scrip.ti if scrip else "0.05",
            "prc": _money(Decimal(jdata["prc"])),
            "dscqty": jdata.get("dscqty", "0"),
            "prd": jdata["prd"],
            "status": "TRIGGER_PENDING" if prctyp.startswith("SL") else "OPEN",
            "rpt": "New",
            "norentm": _now_text(),
            "ordenttm": "1764052200",
            "remarks": str(jdata.get("remarks") or ""),
        }
        if prctyp.startswith("SL"):
            fields["trgprc"] = _money(Decimal(jdata["trgprc"]))
        self._orders[order_id] = _Order(fields)
        return {"request_time": _now_text(), "stat": "Ok", "norenordno": order_id}

    def _route_ModifyOrder(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        required = ("exch", "norenordno", "prctyp", "prc", "qty", "tsym")
        missing = [name for name in required if not jdata.get(name)]
        if missing:
            return _not_ok(f"Invalid Input : {', '.join(missing)} is Missing.")
        order = self._orders.get(jdata["norenordno"])
        if order is None:
            return _not_ok("Rejected : ORA:Order not found")
        fields = order.fields
        if fields["status"].upper() not in OPEN_WORDS:
            return _not_ok(f"Rejected : Order is {fields['status']}, cannot modify")
        if jdata["tsym"] != fields["tsym"] or jdata["exch"] != fields["exch"]:
            return _not_ok("Invalid Input : Trading Symbol cannot be modified")
        prctyp = jdata["prctyp"]
        if self.refuse_market_orders and prctyp in ("MKT", "SL-MKT"):
            return _not_ok(MARKET_REFUSED)
        if prctyp.startswith("SL") and not jdata.get("trgprc"):
            return _not_ok("Invalid Input : Trigger Price is Missing.")
        if int(jdata["qty"]) <= order.filled:
            return _not_ok("Rejected : Quantity must be more than the filled quantity")
        fields.update(qty=jdata["qty"], prctyp=prctyp, prc=_money(Decimal(jdata["prc"])))
        if prctyp.startswith("SL"):
            fields["trgprc"] = _money(Decimal(jdata["trgprc"]))
        else:
            fields.pop("trgprc", None)
        fields["rpt"] = "Replaced"
        return {"request_time": _now_text(), "stat": "Ok", "result": fields["norenordno"]}

    def _route_CancelOrder(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        order = self._orders.get(str(jdata.get("norenordno")))
        if order is None:
            return _not_ok("Rejected : ORA:Order not found")
        fields = order.fields
        if fields["status"].upper() not in OPEN_WORDS:
            return _not_ok(f"Rejected : Order is {fields['status']}, cannot cancel")
        fields["status"] = "CANCELED"
        fields["cancelqty"] = str(int(fields["qty"]) - order.filled)
        fields["rpt"] = "Canceled"
        return {"request_time": _now_text(), "stat": "Ok", "result": fields["norenordno"]}

    def _route_OrderBook(self, jdata: dict[str, Any]) -> Any:  # noqa: N802
        if not self._orders:
            return _not_ok(NO_DATA)
        return [dict(order.fields) for order in reversed(self._orders.values())]

    def _route_PositionBook(self, jdata: dict[str, Any]) -> Any:  # noqa: N802
        if not self._fills:
            return _not_ok(NO_DATA)
        keys = list(dict.fromkeys((f.exch, f.tsym, f.prd) for f in self._fills))
        return [self._position_row(*key) for key in keys]

    def _position_row(self, exch: str, tsym: str, prd: str) -> dict[str, str]:
        fills = [f for f in self._fills if (f.exch, f.tsym, f.prd) == (exch, tsym, prd)]
        buy_qty = sum(f.qty for f in fills if f.side == "B")
        sell_qty = sum(f.qty for f in fills if f.side == "S")
        buy_value = sum((f.qty * f.price for f in fills if f.side == "B"), Decimal(0))
        sell_value = sum((f.qty * f.price for f in fills if f.side == "S"), Decimal(0))
        buy_avg = buy_value / buy_qty if buy_qty else Decimal(0)
        sell_avg = sell_value / sell_qty if sell_qty else Decimal(0)
        net = buy_qty - sell_qty
        closed = min(buy_qty, sell_qty)
        realised = closed * (sell_avg - buy_avg)
        net_avg = buy_avg if net > 0 else sell_avg if net < 0 else Decimal(0)
        scrip = self._scrips.get((exch, tsym))
        last = scrip.lp if scrip else net_avg
        return {
            "stat": "Ok",
            "uid": self.user,
            "actid": self.user,
            "exch": exch,
            "tsym": tsym,
            "token": scrip.token if scrip else "0",
            "prd": prd,
            "s_prdt_ali": {"I": "MIS", "C": "CNC", "M": "NRML"}[prd],
            "daybuyqty": str(buy_qty),
            "daysellqty": str(sell_qty),
            "daybuyavgprc": _money(buy_avg),
            "daysellavgprc": _money(sell_avg),
            "netqty": str(net),
            "netavgprc": _money(net_avg),
            "lp": _money(last),
            "rpnl": _money(realised),
            "urmtom": _money(net * (last - net_avg)),
            "ls": scrip.ls if scrip else "1",
            "ti": scrip.ti if scrip else "0.05",
        }

    def _route_GetQuotes(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        for scrip in self._scrips.values():
            if scrip.exch == jdata.get("exch") and scrip.token == jdata.get("token"):
                return {
                    "request_time": _now_text(),
                    "stat": "Ok",
                    "exch": scrip.exch,
                    "tsym": scrip.tsym,
                    "token": scrip.token,
                    "pp": "2",
                    "ls": scrip.ls,
                    "ti": scrip.ti,
                    "lp": _money(scrip.lp),
                    "c": _money(scrip.lp),
                }
        return _not_ok(NO_DATA)

    def _route_SearchScrip(self, jdata: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        text = str(jdata.get("stext", "")).upper()
        found = [
            {
                "exch": s.exch,
                "token": s.token,
                "tsym": s.tsym,
                "pp": "2",
                "ti": s.ti,
                "ls": s.ls,
            }
            for s in self._scrips.values()
            if s.exch == jdata.get("exch") and s.tsym.upper().startswith(text)
        ]
        if not found:
            return _not_ok(NO_DATA)
        return {"stat": "Ok", "values": found}


def _not_ok(emsg: str) -> dict[str, str]:
    return {"request_time": _now_text(), "stat": "Not_Ok", "emsg": emsg}


def _now_text() -> str:
    return datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test output stays clean."""

    def do_GET(self) -> None:
        self._send(405, b"Method Not Allowed", "text/plain")

    def do_POST(self) -> None:
        fake = self.server.fake
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 2 or parts[0] not in ("NorenWClientTP", "NorenWClientAPI"):
            self._send(404, b"Not Found", "text/plain")
            return
        route = parts[1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        form = urllib.parse.parse_qs(raw, keep_blank_values=True)
        jkey = form.get("jKey", [None])[0]
        try:
            jdata = json.loads(form["jData"][0])
        except (KeyError, ValueError):
            self._reply({"stat": "Not_Ok", "emsg": "Invalid Input : jData is Missing."})
            return
        authorization = self.headers.get("Authorization")
        with fake._lock:
            fake.calls.append(
                Call(route, jdata, jkey, authorization, self.headers.get("Content-Type"), raw)
            )
        injected = fake._take_fault(route)
        fault = injected.fault if injected else None
        if fault is Fault.HANG:
            fake._release.wait(fake.hang_limit_s)
            self.close_connection = True
            return
        if fault is Fault.HTTP_500:
            self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return
        if fault is Fault.MALFORMED:
            self._send(200, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if fault is Fault.NOT_OK and injected is not None:
            self._reply(_not_ok(injected.emsg))
            return
        if not fake._authorised(route, jkey, authorization):
            self._reply(_not_ok(SESSION_EXPIRED))
            return
        reply = fake._dispatch(route, jdata)
        if fault is Fault.DROP_AFTER_ACCEPT:
            self.close_connection = True
            return
        if fault is Fault.HTTP_500_AFTER_ACCEPT:
            self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return
        self._reply(reply)

    def _reply(self, reply: Any) -> None:
        self._send(200, json.dumps(reply).encode(), "application/json")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeNoren) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._handler_threads: list[threading.Thread] = []
        self._track = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._track:
            self._handler_threads.append(thread)
        thread.start()

    def opened(self, connection: socket.socket) -> None:
        with self._track:
            self._connections.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._track:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake handler threads waiting on idle keep-alive connections."""
        with self._track:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def join_handlers(self, timeout_s: float) -> None:
        with self._track:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(timeout_s)


@contextlib.contextmanager
def running_fake(**options: Any) -> Iterator[FakeNoren]:
    """A started fake, stopped at the end whatever happens."""
    fake = FakeNoren(**options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
