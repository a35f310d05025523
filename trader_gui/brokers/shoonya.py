"""Shoonya (Finvasia), through its Noren OMS REST API, as a `Broker`.

The adapter translates and holds no business rules. It speaks the wire through
`NorenClient` (a thin client on `requests`, not the official SDK: see noren_client.py for why),
and turns the program's words into Noren's and back (noren_translate.py).

Two ways to log in:

- password + TOTP: `/QuickAuth` with uid, sha256(password), the current TOTP code, the vendor
  code, appkey = sha256("uid|api_secret"), imei and source "API"; later calls carry the session
  token as `jKey`.
- OAuth access token (the newer `norenrestapi` SDK's flow): the token comes from Shoonya's web
  login and `/GenAcsTok`, done outside this program. Calls then carry
  `Authorization: Bearer <token>` and no jKey; login only checks the token with `/UserDetails`.
  Shoonya serves the OAuth API under /NorenWClientAPI (`OAUTH_HOST`), not /NorenWClientTP.

MARKET and SL-M orders never go out unprotected: they are sent as LIMIT and SL-LIMIT at the
price `market_protection` gives, from the last price (`/GetQuotes`) or the trigger. The
command_id travels as `remarks`, so an order whose reply was lost is found by its tag.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyotp
import requests

from trader_gui.brokers.base import (
    BrokerError,
    BrokerOrder,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
    SessionExpired,
    unreadable_order,
)
from trader_gui.brokers.market_protection import Protection, needs_protection, protect
from trader_gui.brokers.noren_client import BROKER, Auth, NorenClient
from trader_gui.brokers.noren_translate import (
    BROKER_KEY,
    ORDER_TYPE_FROM_NOREN,
    ORDER_TYPE_TO_NOREN,
    PRODUCT_TO_NOREN,
    SIDE_FROM_NOREN,
    SIDE_TO_NOREN,
    RowError,
    SymbolMap,
    decimal_field,
    exchange_field,
    int_field,
    mapped_field,
    parse_order,
    parse_position,
    price_text,
    required_field,
)
from trader_gui.domain.enums import Exchange, OrderType, Side
from trader_gui.domain.instruments import Instrument, InstrumentCatalog

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_TIMEOUT_S",
    "OAUTH_HOST",
    "ShoonyaBroker",
    "ShoonyaCredentials",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://api.shoonya.com/NorenWClientTP"
OAUTH_HOST = "https://api.shoonya.com/NorenWClientAPI"
DEFAULT_TIMEOUT_S: tuple[float, float] = (3.05, 10.0)
"""(connect, read) seconds for every HTTP call."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, repr=False)
class ShoonyaCredentials:
    """What a Shoonya login needs. `repr` shows which secrets are set, never their values.

    Password login needs password, totp_secret, vendor_code and api_secret; with an
    `access_token` (OAuth) none of them is used.
    """

    user: str
    password: str = ""
    totp_secret: str = ""
    vendor_code: str = ""
    api_secret: str = ""
    imei: str = "trader_gui"
    access_token: str = ""

    @property
    def uses_access_token(self) -> bool:
        return bool(self.access_token)

    def missing_for_password_login(self) -> list[str]:
        names = ("user", "password", "totp_secret", "vendor_code", "api_secret", "imei")
        return [name for name in names if not getattr(self, name)]

    def secrets(self) -> tuple[str, ...]:
        """Every value that must never be logged: the secrets and what is derived from them."""
        derived = []
        if self.password:
            derived.append(_sha256(self.password))
        if self.api_secret:
            derived.append(_sha256(f"{self.user}|{self.api_secret}"))
        values = (self.password, self.totp_secret, self.api_secret, self.access_token, *derived)
        return tuple(value for value in values if value)

    def __repr__(self) -> str:
        def hidden(value: str) -> str:
            return "'***'" if value else "''"

        return (
            f"ShoonyaCredentials(user={self.user!r}, password={hidden(self.password)}, "
            f"totp_secret={hidden(self.totp_secret)}, vendor_code={self.vendor_code!r}, "
            f"api_secret={hidden(self.api_secret)}, imei={self.imei!r}, "
            f"access_token={hidden(self.access_token)})"
        )


class ShoonyaBroker:
    """The `Broker` protocol on Shoonya. Thread-safe: the engine calls it from worker threads."""

    name = "shoonya"

    def __init__(
        self,
        catalog: InstrumentCatalog,
        *,
        host: str = DEFAULT_HOST,
        credentials: ShoonyaCredentials,
        client_id: str,
        timeout_s: tuple[float, float] | float = DEFAULT_TIMEOUT_S,
        session: requests.Session | None = None,
    ) -> None:
        """`session` may be shared; it is then not closed by `close()`. Calls to `host` are
        never retried by it (a retried POST can place an order twice)."""
        if urllib.parse.urlsplit(host).scheme not in ("http", "https"):
            raise ValueError(f"the Shoonya host must be an http(s) address, not {host!r}")
        timeouts = (timeout_s, timeout_s) if isinstance(timeout_s, int | float) else timeout_s
        self.client_id = client_id
        self._credentials = credentials
        self._symbols = SymbolMap(catalog)
        self._client = NorenClient(host, timeout_s=timeouts, session=session)
        self._client.add_secrets(*credentials.secrets())
        self._login_lock = threading.Lock()
        self._logins = 0
        self._account = credentials.user
        self._scrip_tokens: dict[tuple[Exchange, str], str] = {}
        self._skipped: set[str] = set()

    @property
    def host(self) -> str:
        return self._client.host

    # -- login ---------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in (again). Two threads that find the session expired at once log in once."""
        seen = self._logins
        with self._login_lock:
            if self._logins != seen:
                return  # another thread logged in while this one waited
            if self._credentials.uses_access_token:
                self._login_with_access_token()
            else:
                self._login_with_password()
            self._logins += 1

    def _login_with_password(self) -> None:
        credentials = self._credentials
        missing = credentials.missing_for_password_login()
        if missing:
            raise BrokerRejected(
                f"{BROKER} login is not possible: these credentials are not set: "
                f"{', '.join(missing)}."
            )
        try:
            code = pyotp.TOTP(credentials.totp_secret.replace(" ", "").upper()).now()
        except (ValueError, TypeError):
            raise BrokerRejected(
                f"{BROKER} login failed: the TOTP secret is not a valid base32 key."
            ) from None
        values = {
            "source": "API",
            "apkversion": "1.0.0",
            "uid": credentials.user,
            "pwd": _sha256(credentials.password),
            "factor2": code,
            "vc": credentials.vendor_code,
            "appkey": _sha256(f"{credentials.user}|{credentials.api_secret}"),
            "imei": credentials.imei,
        }
        try:
            reply = self._client.ok("QuickAuth", values, authenticated=False, extra_secrets=(code,))
        except (BrokerRejected, SessionExpired) as error:
            raise BrokerRejected(f"{BROKER} refused the login: {error.message}") from None
        token = str(reply.get("susertoken") or "")
        if not token:
            raise BrokerUnavailable(f"{BROKER} accepted the login but sent no session token.")
        self._client.add_secrets(token)
        self._client.auth = Auth(token)
        self._account = str(reply.get("actid") or credentials.user)
        log.info("logged in to %s as %s (password and TOTP)", BROKER, credentials.user)

    def _login_with_access_token(self) -> None:
        credentials = self._credentials
        self._client.auth = Auth(credentials.access_token, bearer=True)
        try:
            reply = self._client.ok("UserDetails", {"uid": credentials.user})
        except (BrokerRejected, SessionExpired) as error:
            self._client.auth = None
            raise BrokerRejected(
                f"{BROKER} refused the access token: {error.message}. "
                f"Log in on {BROKER}'s web page for a new access token."
            ) from None
        self._account = str(reply.get("actid") or credentials.user)
        log.info("logged in to %s as %s (access token)", BROKER, credentials.user)

    # -- orders --------------------------------------------------------------------------------

    def place_order(self, request: PlaceOrderRequest) -> str:
        instrument, tsym = self._instrument(request.exchange, request.symbol)
        protection: Protection | None = None
        order_type, price = request.order_type, request.price
        if needs_protection(order_type):
            protection = self._protect(
                order_type, request.side, instrument, tsym, request.trigger_price
            )
            order_type, price = protection.order_type, protection.price
        if price is None:
            raise BrokerRejected(f"Not sent: a {order_type.value} order needs a price.")
        trigger = request.trigger_price if order_type is OrderType.SL else None
        if order_type is OrderType.SL and trigger is None:
            raise BrokerRejected("Not sent: a stop-loss order needs a trigger price.")
        values = {
            "ordersource": "API",
            "uid": self._credentials.user,
            "actid": self._account,
            "trantype": SIDE_TO_NOREN[request.side],
            "prd": PRODUCT_TO_NOREN[request.product],
            "exch": request.exchange.value,
            "tsym": tsym,
            "qty": str(request.quantity),
            "dscqty": "0",
            "prctyp": ORDER_TYPE_TO_NOREN[order_type],
            "prc": price_text(price),
            "ret": "DAY",
            "remarks": request.tag,
        }
        if trigger is not None:
            values["trgprc"] = price_text(trigger)
        if request.amo:
            values["amo"] = "Yes"  # Noren's after-market flag: held until the exchange opens
        reply = self._client.ok("PlaceOrder", values)
        order_id = str(reply.get("norenordno") or "").strip()
        if not order_id:
            raise BrokerUnavailable(
                f"{BROKER} said Ok to order {request.tag} but sent no order number."
            )
        log.info(
            "%s order %s placed for %s%s",
            BROKER,
            order_id,
            request.tag,
            f": {protection.sentence}" if protection else "",
        )
        return order_id

    def protection_for(self, request: PlaceOrderRequest) -> Protection | None:
        """What a MARKET or SL-M request goes out as (None for the others), for the window to
        show before sending; `.sentence` says it in words. A MARKET order asks Shoonya for the
        last price, so this is a network call like `place_order`.

        Raises `BrokerRejected` ("Not sent: ...") when no protected price can be had, and
        `SessionExpired` when the login has ended."""
        if not needs_protection(request.order_type):
            return None
        instrument, tsym = self._instrument(request.exchange, request.symbol)
        return self._protect(
            request.order_type, request.side, instrument, tsym, request.trigger_price
        )

    def _protect(
        self,
        order_type: OrderType,
        side: Side,
        instrument: Instrument,
        tsym: str,
        trigger_price: Decimal | None,
    ) -> Protection:
        try:
            if order_type is OrderType.SL_M:
                return protect(
                    order_type,
                    side,
                    instrument.kind,
                    instrument.tick_size,
                    trigger_price=trigger_price,
                )
            last = self._last_price_for_protection(instrument, tsym)
            return protect(order_type, side, instrument.kind, instrument.tick_size, last_price=last)
        except ValueError as error:
            raise BrokerRejected(f"Not sent: {error}.") from None

    def _last_price_for_protection(self, instrument: Instrument, tsym: str) -> Decimal:
        symbol = instrument.symbol
        try:
            last = self._quote(instrument, tsym)
        except SessionExpired:
            raise  # nothing was placed: the engine logs in again and places once
        except BrokerError as error:
            raise BrokerRejected(
                f"Not sent: could not get the last price of {symbol} to protect the MARKET "
                f"order: {error.message}"
            ) from None
        if last is None:
            raise BrokerRejected(
                f"Not sent: {BROKER} has no last price of {symbol} to protect the MARKET order."
            )
        return last

    def cancel_order(self, broker_order_id: str) -> None:
        values = {
            "ordersource": "API",
            "uid": self._credentials.user,
            "norenordno": broker_order_id,
        }
        self._client.ok("CancelOrder", values)
        log.info("%s cancel of order %s sent", BROKER, broker_order_id)

    def modify_order(
        self,
        broker_order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        order_type: OrderType | None = None,
    ) -> None:
        """Noren's ModifyOrder wants every field: what is not changed comes from the book.

        A change to MARKET or SL-M is protected like a new order. Without `order_type` the
        order keeps its price type at the broker: an SL-M sent as SL-LIMIT stays SL-LIMIT with
        its limit as it was, unless `price` is given (so pass `order_type=SL_M` to move the
        protected limit with a new trigger)."""
        row = self._order_row(broker_order_id)
        try:
            exchange = exchange_field(row)
            tsym = required_field(row, "tsym")
            side = mapped_field(row, "trantype", SIDE_FROM_NOREN)
            current_type = mapped_field(row, "prctyp", ORDER_TYPE_FROM_NOREN)
            new_qty = quantity if quantity is not None else int_field(row, "qty")
            new_price = price if price is not None else decimal_field(row, "prc")
            new_trigger = (
                trigger_price if trigger_price is not None else decimal_field(row, "trgprc")
            )
        except RowError as error:
            raise BrokerRejected(
                f"Not sent: order {broker_order_id} in {BROKER}'s book cannot be read: {error}."
            ) from None
        new_type = order_type or current_type
        if order_type is not None and needs_protection(order_type):
            instrument = self._symbols.by_tsym(exchange, tsym)
            if instrument is None:
                raise BrokerRejected(
                    f"Not sent: {exchange}:{tsym} is not in the instrument list, so no "
                    "protected price can be computed."
                )
            protection = self._protect(order_type, side, instrument, tsym, new_trigger)
            new_type, new_price = protection.order_type, protection.price
        values = {
            "ordersource": "API",
            "uid": self._credentials.user,
            "actid": self._account,
            "norenordno": broker_order_id,
            "exch": exchange.value,
            "tsym": tsym,
            "qty": str(new_qty),
            "prctyp": ORDER_TYPE_TO_NOREN[new_type],
            "prc": price_text(new_price or Decimal(0)),
        }
        if new_type in (OrderType.SL, OrderType.SL_M):
            if new_trigger is None:
                raise BrokerRejected("Not sent: a stop-loss order needs a trigger price.")
            values["trgprc"] = price_text(new_trigger)
        self._client.ok("ModifyOrder", values)
        log.info("%s modify of order %s sent", BROKER, broker_order_id)

    def _order_row(self, broker_order_id: str) -> dict[str, Any]:
        for row in self._client.rows("OrderBook", {"uid": self._credentials.user}):
            if str(row.get("norenordno", "")).strip() == broker_order_id:
                return row
        raise BrokerRejected(f"Order {broker_order_id} is not in {BROKER}'s order book.")

    # -- books ---------------------------------------------------------------------------------

    def order_book(self) -> Sequence[BrokerOrder]:
        orders: list[BrokerOrder] = []
        for row in self._client.rows("OrderBook", {"uid": self._credentials.user}):
            try:
                orders.append(parse_order(row, self._symbols))
            except RowError as error:
                self._skip("order", row.get("norenordno"), error)
                if row.get("norenordno"):
                    orders.append(
                        unreadable_order(str(row["norenordno"]), row.get("remarks"), str(error))
                    )
        return orders

    def positions(self) -> Sequence[BrokerPosition]:
        values = {"uid": self._credentials.user, "actid": self._account}
        positions: list[BrokerPosition] = []
        for row in self._client.rows("PositionBook", values):
            try:
                positions.append(parse_position(row, self._symbols))
            except RowError as error:
                key = f"{row.get('exch')}:{row.get('tsym')}:{row.get('prd')}"
                self._skip("position", key, error)
        return positions

    def _skip(self, what: str, key: object, error: RowError) -> None:
        """A row the program cannot represent (an exchange or product it does not trade)."""
        marker = f"{what}:{key}"
        if marker not in self._skipped:
            self._skipped.add(marker)
            log.warning("%s %s %s left out: %s", BROKER, what, key, error)

    # -- prices --------------------------------------------------------------------------------

    def quotes(self, keys: Sequence[tuple[Exchange, str]]) -> dict[tuple[Exchange, str], Decimal]:
        found: dict[tuple[Exchange, str], Decimal] = {}
        for exchange, symbol in keys:
            instrument = self._symbols.instrument(exchange, symbol)
            tsym = instrument.broker_symbols.get(BROKER_KEY) if instrument else None
            if instrument is None or not tsym:
                continue
            try:
                price = self._quote(instrument, tsym)
            except BrokerRejected as error:
                log.debug("no %s quote for %s: %s", BROKER, symbol, error.message)
                continue
            if price is not None:
                found[(exchange, symbol)] = price
        return found

    def _quote(self, instrument: Instrument, tsym: str) -> Decimal | None:
        """The last price from /GetQuotes; None when Shoonya does not know the scrip."""
        token = self._scrip_token(instrument, tsym)
        if token is None:
            return None
        values = {"uid": self._credentials.user, "exch": instrument.exchange.value, "token": token}
        reply = self._client.ok("GetQuotes", values)
        last = _decimal_or_zero(reply.get("lp"))
        return last if last > 0 else None

    def _scrip_token(self, instrument: Instrument, tsym: str) -> str | None:
        """The scrip token: from the instrument list if it has one, else found once by
        /SearchScrip on the trading symbol and kept."""
        known = instrument.tokens.get(BROKER_KEY)
        if known:
            return known
        key = (instrument.exchange, tsym.upper())
        if key in self._scrip_tokens:
            return self._scrip_tokens[key]
        values = {"uid": self._credentials.user, "exch": instrument.exchange.value, "stext": tsym}
        try:
            reply = self._client.ok("SearchScrip", values)
        except BrokerRejected:
            return None
        for scrip in reply.get("values") or ():
            if isinstance(scrip, dict) and str(scrip.get("tsym", "")).upper() == tsym.upper():
                token = str(scrip.get("token") or "")
                if token:
                    self._scrip_tokens[key] = token
                    return token
        return None

    # -- plumbing ------------------------------------------------------------------------------

    def _instrument(self, exchange: Exchange, symbol: str) -> tuple[Instrument, str]:
        instrument = self._symbols.instrument(exchange, symbol)
        if instrument is None:
            raise BrokerRejected(f"Not sent: {exchange}:{symbol} is not in the instrument list.")
        tsym = instrument.broker_symbols.get(BROKER_KEY)
        if not tsym:
            raise BrokerRejected(
                f"Not sent: the instrument list has no {BROKER} symbol for {exchange}:{symbol}."
            )
        return instrument, tsym

    def close(self) -> None:
        self._client.close()


def _decimal_or_zero(value: object) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value is not None else Decimal(0)
    except ArithmeticError:
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)
