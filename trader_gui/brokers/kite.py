"""Zerodha, through Kite Connect and its official SDK (`kiteconnect`), as a `Broker`.

The adapter translates (kite_translate.py) and sorts failures into the engine's three kinds
(kite_errors.py); it holds no business rules. What it adds to the SDK:

- The command_id goes out as Kite's `tag` (checked: 1-20 letters and digits), so an order
  whose reply was lost is found in the order book by its tag, never sent twice.
- MARKET and SL-M orders carry `market_protection` (-1 automatic, or the trader's percentage):
  since April 2026 Kite refuses unprotected API market orders. The exchange algo id goes as
  `algo_id` when set.
- Order requests (place, modify, cancel) keep to Kite's 10 a second, quotes to 1 a second,
  other reads to 10 a second: callers wait, nothing is dropped.
- HTTP 429 means Kite refused the request before processing it, so re-sending is not blind:
  each call is retried twice after a short back-off. A read still refused becomes
  `BrokerUnavailable`; an order request still refused becomes `BrokerRejected("Kite rate
  limit: ...")`, because nothing was placed.
- Each worker thread has its own SDK client (a `requests.Session` is not thread-safe), all
  with the same `root` and `timeout`.
- Kite cannot log in without a browser (see kite_login.py). `login()` only checks the access
  token it was given (`set_access_token`); once Kite has said the session ended, `login()`
  raises `SessionExpired` until a fresh token is set. Nothing secret is ever logged or put
  into an error's text.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, cast

from kiteconnect import KiteConnect  # type: ignore[import-untyped]

from trader_gui.brokers.base import (
    BrokerOrder,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
    SessionExpired,
    unreadable_order,
)
from trader_gui.brokers.kite_errors import (
    LOGIN_AGAIN,
    RateLimited,
    redact,
    translate,
)
from trader_gui.brokers.kite_rate import SlidingWindowLimiter
from trader_gui.brokers.kite_translate import (
    REGULAR,
    KiteSymbols,
    RowError,
    is_valid_tag,
    needs_protection,
    order_from_row,
    place_params,
    position_from_row,
    price_text,
    protection_value,
)
from trader_gui.domain.enums import Exchange, OrderType
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.persistence.master_kite import KITE_COLUMNS

__all__ = ["DEFAULT_ROOT", "DEFAULT_TIMEOUT_S", "KiteBroker"]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_ROOT = "https://api.kite.trade"
DEFAULT_TIMEOUT_S = 7.0
RATE_LIMIT_BACKOFF_S = (0.25, 0.5)
"""Waits before the two retries of a request Kite refused with 429."""
ORDERS_PER_SECOND = 10
QUOTES_PER_SECOND = 1
READS_PER_SECOND = 10
SESSION_ENDED = f"Kite session ended: {LOGIN_AGAIN}"


class _Kind(Enum):
    ORDER = "order"
    QUOTE = "quote"
    READ = "read"


class _Client:
    """One SDK client and the HTTP status of its last reply (the SDK drops it for non-JSON)."""

    def __init__(self, api_key: str, root: str, timeout_s: float) -> None:
        self.sdk: Any = KiteConnect(api_key, root=root, timeout=timeout_s)
        self.last_status: int | None = None
        self.sdk.reqsession.hooks["response"].append(self._record)

    def _record(self, response: Any, *args: object, **kwargs: object) -> None:
        self.last_status = int(response.status_code)

    def close(self) -> None:
        self.sdk.reqsession.close()


class KiteBroker:
    """The `Broker` protocol on Kite Connect. Thread-safe: the engine calls it from workers."""

    name = "kite"

    def __init__(
        self,
        catalog: InstrumentCatalog,
        *,
        api_key: str,
        access_token: str | None,
        client_id: str,
        root: str = DEFAULT_ROOT,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        market_protection: str | float = -1,
        algo_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`market_protection` is -1 (automatic) or a
        percentage above 0 and up to 100 (ValueError otherwise); `monotonic` and `sleep` drive
        the rate limits and back-offs, replaceable so tests never sleep."""
        if not api_key:
            raise ValueError("Kite needs an API key")
        if timeout_s <= 0:
            raise ValueError("the Kite timeout must be more than zero seconds")
        self._api_key = api_key
        self._client_id = client_id.strip()
        self._root = root
        self._timeout_s = float(timeout_s)
        self._protection = protection_value(market_protection)
        self._algo_id = algo_id.strip() if algo_id and algo_id.strip() else None
        self._sleep = sleep
        self._symbols = KiteSymbols(catalog)
        self._limiters = {
            _Kind.ORDER: SlidingWindowLimiter(ORDERS_PER_SECOND, monotonic=monotonic, sleep=sleep),
            _Kind.QUOTE: SlidingWindowLimiter(QUOTES_PER_SECOND, monotonic=monotonic, sleep=sleep),
            _Kind.READ: SlidingWindowLimiter(READS_PER_SECOND, monotonic=monotonic, sleep=sleep),
        }
        self._lock = threading.Lock()
        self._token: str | None = access_token or None
        self._token_ended = False
        self._seen_tokens: set[str] = {access_token} if access_token else set()
        self._local = threading.local()
        self._clients: list[_Client] = []
        self._varieties: dict[str, str] = {}
        self._skipped_rows: set[str] = set()
        self._closed = False

    # ---- session ----------------------------------------------------------------------------

    def set_access_token(self, access_token: str) -> None:
        """A fresh token from the daily login (kite_login.py): calls work again at once."""
        if not access_token:
            raise ValueError("an empty access token")
        with self._lock:
            self._token = access_token
            self._token_ended = False
            self._seen_tokens.add(access_token)
        log.info("Kite access token set for %s", self._client_id or "this account")

    @property
    def has_session(self) -> bool:
        """A token is set and Kite has not said it ended (it may still have expired)."""
        with self._lock:
            return self._token is not None and not self._token_ended

    def login(self) -> None:
        """Check the token with Kite's profile; Kite's login needs a browser, so no more.

        Raises `SessionExpired` without a usable token, or when the token belongs to another
        user than this account's client id (orders would go to the wrong account).
        """
        token = self._usable_token()
        profile = self._call("login", _Kind.READ, lambda kite: kite.profile())
        user = str(profile.get("user_id") or "") if isinstance(profile, dict) else ""
        if self._client_id and user and user.upper() != self._client_id.upper():
            with self._lock:
                if self._token == token:
                    self._token = None
            raise SessionExpired(
                f"The Kite login is for user {user}, not {self._client_id}: "
                f"log in again as {self._client_id}."
            )
        log.info("Kite session checked for user %s", user or "(unknown)")

    # ---- the Broker protocol ----------------------------------------------------------------

    def place_order(self, request: PlaceOrderRequest) -> str:
        if not is_valid_tag(request.tag):
            raise BrokerRejected(
                f"Not sent: the order's tag {request.tag!r} is not 1 to 20 letters and digits, "
                "which Kite requires."
            )
        tradingsymbol = self._symbols.to_kite(request.exchange, request.symbol)
        if tradingsymbol is None:
            raise BrokerRejected(
                f"Not sent: {request.exchange}:{request.symbol} is not in the instrument list, "
                "so its Kite trading symbol is not known."
            )
        params = place_params(
            request, tradingsymbol, protection=self._protection, algo_id=self._algo_id
        )
        log.info(
            "Kite place %s %s %s:%s x%d %s tag %s",
            request.side,
            request.order_type,
            request.exchange,
            tradingsymbol,
            request.quantity,
            request.product,
            request.tag,
        )
        order_id = self._call("place_order", _Kind.ORDER, lambda kite: kite.place_order(**params))
        if not order_id:
            raise BrokerUnavailable("Kite answered the order without an order id.")
        self._varieties[str(order_id)] = params["variety"]  # its cancel and modify name it
        log.info("Kite accepted tag %s as %s order %s", request.tag, params["variety"], order_id)
        return str(order_id)

    def cancel_order(self, broker_order_id: str) -> None:
        variety = self._varieties.get(broker_order_id, REGULAR)
        log.info("Kite cancel order %s", broker_order_id)
        self._call(
            "cancel_order",
            _Kind.ORDER,
            lambda kite: kite.cancel_order(variety=variety, order_id=broker_order_id),
        )

    def modify_order(
        self,
        broker_order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        order_type: OrderType | None = None,
    ) -> None:
        params: dict[str, str] = {}
        if quantity is not None:
            params["quantity"] = str(quantity)
        if price is not None:
            params["price"] = price_text(price)
        if trigger_price is not None:
            params["trigger_price"] = price_text(trigger_price)
        if order_type is not None:
            params["order_type"] = order_type.value
            if needs_protection(order_type):
                params["market_protection"] = self._protection
        variety = self._varieties.get(broker_order_id, REGULAR)
        log.info("Kite modify order %s: %s", broker_order_id, params)
        self._call(
            "modify_order",
            _Kind.ORDER,
            lambda kite: kite.modify_order(variety=variety, order_id=broker_order_id, **params),
        )

    def order_book(self) -> Sequence[BrokerOrder]:
        rows = self._call("order_book", _Kind.READ, lambda kite: kite.orders())
        if not isinstance(rows, list):
            raise BrokerUnavailable("Kite's order book reply is not a list of orders.")
        book: list[BrokerOrder] = []
        for row in rows:
            if not isinstance(row, dict):
                continue
            order_id = str(row.get("order_id") or "")
            if order_id and row.get("variety"):
                self._varieties[order_id] = str(row["variety"])
            try:
                book.append(order_from_row(row, self._symbols))
            except RowError as error:
                self._skip_once(f"order {order_id}", error)
                if order_id:
                    book.append(unreadable_order(order_id, row.get("tag"), str(error)))
        return book

    def positions(self) -> Sequence[BrokerPosition]:
        data = self._call("positions", _Kind.READ, lambda kite: kite.positions())
        rows = data.get("net") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BrokerUnavailable("Kite's positions reply has no list of net positions.")
        found: list[BrokerPosition] = []
        for row in rows:
            if not isinstance(row, dict):
                continue
            try:
                found.append(position_from_row(row, self._symbols))
            except RowError as error:
                key = f"position {row.get('exchange')}:{row.get('tradingsymbol')}"
                self._skip_once(key, error)
        return found

    def quotes(self, keys: Sequence[tuple[Exchange, str]]) -> dict[tuple[Exchange, str], Decimal]:
        wanted: dict[str, tuple[Exchange, str]] = {}
        for exchange, symbol in keys:
            tradingsymbol = self._symbols.to_kite(exchange, symbol) or symbol
            wanted[f"{exchange.value}:{tradingsymbol}"] = (exchange, symbol)
        if not wanted:
            return {}
        data = self._call("quotes", _Kind.QUOTE, lambda kite: kite.ltp(*wanted))
        if not isinstance(data, dict):
            raise BrokerUnavailable("Kite's quote reply is not a table of prices.")
        prices: dict[tuple[Exchange, str], Decimal] = {}
        for instrument, key in wanted.items():
            entry = data.get(instrument)
            if isinstance(entry, dict) and entry.get("last_price") is not None:
                prices[key] = Decimal(str(entry["last_price"]))
        return prices

    def instruments_csv(self) -> str:
        """Kite's instruments master (`GET /instruments`) as CSV text, for the daily refresh.

        The SDK parses the CSV into rows; they are written back in Kite's column order so the
        one master reader (persistence/master_kite.py) checks them like a downloaded file.
        """
        rows = self._call("instruments", _Kind.READ, lambda kite: kite.instruments())
        if not isinstance(rows, list):
            raise BrokerUnavailable("Kite's instruments reply is not a list of instruments.")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(KITE_COLUMNS)
        for row in rows:
            if isinstance(row, dict):
                writer.writerow(
                    ["" if row.get(name) is None else row[name] for name in KITE_COLUMNS]
                )
        return out.getvalue()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
            self._closed = True
        for client in clients:
            client.close()

    # ---- the one way a call reaches Kite ----------------------------------------------------

    def _call(self, what: str, kind: _Kind, action: Callable[[Any], T]) -> T:
        """Run one SDK call: rate-limited, retried on 429, failures turned into BrokerErrors."""
        token = self._usable_token()
        client = self._client()
        client.sdk.access_token = token
        retries = 0
        while True:
            self._limiters[kind].acquire()
            client.last_status = None
            try:
                return action(client.sdk)
            except Exception as error:
                failure = translate(
                    error,
                    http_status=client.last_status,
                    order_call=kind is _Kind.ORDER,
                    timeout_s=self._timeout_s,
                    secrets=self._secrets(),
                )
            if isinstance(failure, RateLimited):
                if retries < len(RATE_LIMIT_BACKOFF_S):
                    log.warning("Kite rate limit on %s: retrying (%s)", what, failure.message)
                    self._sleep(RATE_LIMIT_BACKOFF_S[retries])
                    retries += 1
                    continue
                if kind is _Kind.ORDER:
                    raise BrokerRejected(f"Kite rate limit: {failure.message}") from None
                raise BrokerUnavailable(f"Kite rate limit: {failure.message}") from None
            if isinstance(failure, SessionExpired):
                self._mark_ended(token)
            log.warning("Kite %s failed: %s: %s", what, type(failure).__name__, failure.message)
            raise failure from None

    def _usable_token(self) -> str:
        with self._lock:
            if self._closed:
                raise BrokerUnavailable("The Kite connection is closed.")
            if self._token is None or self._token_ended:
                raise SessionExpired(SESSION_ENDED)
            return self._token

    def _mark_ended(self, token: str) -> None:
        with self._lock:
            if self._token == token:  # a fresh token set meanwhile stays usable
                self._token_ended = True

    def _secrets(self) -> list[str]:
        with self._lock:
            return list(self._seen_tokens)

    def _client(self) -> _Client:
        client = cast(_Client | None, getattr(self._local, "client", None))
        if client is None:
            client = _Client(self._api_key, self._root, self._timeout_s)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _skip_once(self, key: str, error: RowError) -> None:
        if key not in self._skipped_rows:
            self._skipped_rows.add(key)
            log.warning("Kite %s left out: %s", key, redact(str(error), self._secrets()))
