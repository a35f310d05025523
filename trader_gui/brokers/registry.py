"""Make a broker adapter by name. The paper broker is the default and needs no account."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trader_gui.brokers.base import Broker
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_calendar import MarketCalendar

BROKER_NAMES = ("paper", "shoonya", "kite")


class UnknownBrokerError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BrokerOptions:
    name: str
    client_id: str
    paper_state_path: Path | None = None
    url: str | None = None
    timeout_s: float = 7.0
    market_protection: str | float = -1
    """Kite: -1 lets the broker choose; otherwise a percentage above 0 and up to 100."""
    algo_id: str | None = None
    calendar: MarketCalendar | None = None
    """The paper broker follows it (refuses closed-market orders, holds AMOs) when given."""


def create_broker(options: BrokerOptions, catalog: InstrumentCatalog) -> Broker:
    if options.name == "paper":
        from trader_gui.brokers.paper import PaperBroker

        state = str(options.paper_state_path) if options.paper_state_path else ":memory:"
        return PaperBroker(
            catalog, state_path=state, client_id=options.client_id, calendar=options.calendar
        )
    if options.name == "shoonya":
        from trader_gui.brokers.broker_credentials import shoonya_credentials
        from trader_gui.brokers.shoonya import DEFAULT_HOST, OAUTH_HOST, ShoonyaBroker

        credentials = shoonya_credentials(options.client_id)
        default_host = OAUTH_HOST if credentials.uses_access_token else DEFAULT_HOST
        return ShoonyaBroker(
            catalog,
            host=options.url or default_host,
            credentials=credentials,
            client_id=options.client_id,
            # a MARKET order makes up to three calls; together they stay inside the engine's wait
            timeout_s=(3.05, max(1.0, options.timeout_s / 3)),
        )
    if options.name == "kite":
        from trader_gui.brokers.broker_credentials import kite_credentials
        from trader_gui.brokers.kite import DEFAULT_ROOT, KiteBroker

        fields = kite_credentials(options.client_id)
        return KiteBroker(
            catalog,
            api_key=fields["api_key"],
            access_token=fields.get("access_token"),
            client_id=options.client_id,
            root=options.url or DEFAULT_ROOT,
            timeout_s=options.timeout_s,
            market_protection=options.market_protection,
            algo_id=options.algo_id,
        )
    raise UnknownBrokerError(
        f"unknown broker {options.name!r}: choose one of {', '.join(BROKER_NAMES)}"
    )
