"""A running intake for tests: the real aiohttp server on 127.0.0.1 (a port the system picks),
over a Runtime on a SQLite file and the paper broker, driven by a fake clock, and a real HTTP
client (aiohttp's) that presents the token.

Nothing sleeps: the watcher's own loop is given an hour, tests poll with `poll_once()`, and
the token bucket runs on a monotonic clock the test moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from clocks import FakeClock

from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Event, Notice
from trader_gui.engine.intake import IntakeService
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.intake_rate import TokenBucket
from trader_gui.engine.intake_token import read_token
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository


def ticket(**overrides: Any) -> dict[str, Any]:
    """A valid MARKET BUY of 10 SBIN for strategy ext1, as JSON fields."""
    fields: dict[str, Any] = {
        "symbol": "SBIN",
        "exchange": "NSE",
        "side": "BUY",
        "quantity": 10,
        "order_type": "MARKET",
        "product": "MIS",
        "strategy": "ext1",
        "execution_type": "ENTRY",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Intake:
    """One running intake: its runtime, its service, an HTTP client and the events seen."""

    runtime: Runtime
    service: IntakeService
    session: aiohttp.ClientSession
    token: str
    monotonic: FakeMonotonic
    events: list[Event] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.service.url is not None
        return self.service.url

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token if token is not None else self.token}"}

    async def post(
        self, fields: dict[str, Any], *, token: str | None = None, **options: Any
    ) -> Reply:
        return await self.request(
            "POST", "/orders", json=fields, headers=self.auth(token), **options
        )

    async def post_raw(
        self, data: Any, *, content_type: str = "application/json", **headers: str
    ) -> Reply:
        return await self.request(
            "POST",
            "/orders",
            data=data,
            headers={**self.auth(), "Content-Type": content_type, **headers},
        )

    async def get(self, path: str, *, token: str | None = None, auth: bool = True) -> Reply:
        return await self.request("GET", path, headers=self.auth(token) if auth else {})

    async def request(self, method: str, path: str, **options: Any) -> Reply:
        async with self.session.request(method, self.url + path, **options) as response:
            body = await response.json(content_type=None)
            return Reply(response.status, body, dict(response.headers))

    def orders(self) -> list[OrderRecord]:
        return self.runtime.repository.orders(self.runtime.config.client_id)

    def notices(self) -> list[str]:
        return [event.text for event in self.events if isinstance(event, Notice)]


@dataclass
class IntakeFactory:
    """Builds runtimes (same database and paper files) and intakes over them."""

    tmp_path: Path
    catalog: InstrumentCatalog
    clock: FakeClock
    started: list[Intake] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)

    def runtime(self, **config: Any) -> Runtime:
        settings: dict[str, Any] = {
            "client_id": "PAPER",
            "poll_interval_s": 3600,
            "broker_timeout_s": 5.0,
            "daily_loss_limit": Decimal("5000"),
        } | config
        engine_config = EngineConfig(**settings)
        broker = PaperBroker(
            self.catalog,
            state_path=self.tmp_path / "paper.sqlite3",
            client_id=engine_config.client_id,
            config=PaperConfig(fill_latency_s=0.5, volatility=0.0, slippage_ticks=1),
            clock=self.clock,
            sleep=lambda _seconds: None,
        )
        repository = OrderRepository(open_database(sqlite_url(self.tmp_path / "orders.sqlite3")))
        runtime = Runtime(
            repository=repository,
            broker=broker,
            catalog=self.catalog,
            config=engine_config,
            clock=self.clock,
            monotonic=self.clock.monotonic,
        )
        self.runtimes.append(runtime)
        return runtime

    async def start(
        self, *, runtime: Runtime | None = None, rate_per_s: float = 1000.0, **config: Any
    ) -> Intake:
        if runtime is None:
            runtime = self.runtime()
            await runtime.start()
        events: list[Event] = []
        runtime.events.subscribe(events.append)
        monotonic = FakeMonotonic()
        intake_config = IntakeConfig(port=0, rate_per_s=rate_per_s, **config)
        service = IntakeService(
            runtime.engine,
            intake_config,
            bucket=TokenBucket(rate_per_s, intake_config.bucket_depth, monotonic=monotonic),
            monotonic=self.clock.monotonic,
        )
        assert await service.start(), [e for e in events if isinstance(e, Notice)]
        token = read_token()
        assert token is not None
        intake = Intake(
            runtime, service, aiohttp.ClientSession(), token.reveal(), monotonic, events
        )
        self.started.append(intake)
        return intake

    async def close(self) -> None:
        for intake in self.started:
            await intake.session.close()
            await intake.service.stop()
        for runtime in self.runtimes:
            await runtime.stop()
