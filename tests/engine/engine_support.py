"""Helpers for the engine tests: tickets, a harness of runtimes on shared files, the trail.

The watcher's own loop is given a long interval so that tests poll explicitly with
`poll_once()`: every step happens when the test says, and nothing needs a sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tickets import ticket as ticket  # re-exported for the engine tests

from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_calendar import MarketCalendar
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Event
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository


@dataclass
class Harness:
    """Build, start and restart runtimes on the same database file and paper broker file."""

    db_path: Path
    paper_path: Path
    catalog: InstrumentCatalog
    clock: Callable[..., Any]
    config: EngineConfig
    paper_config: PaperConfig
    calendar: MarketCalendar | None = None
    """None (the default): every exchange open, so a test does not depend on the hour."""
    check_hours: bool = True
    runtimes: list[Runtime] = field(default_factory=list, repr=False)
    events: list[Event] = field(default_factory=list, repr=False)

    def build(self, **config_changes: Any) -> Runtime:
        config = EngineConfig(**{**_config_fields(self.config), **config_changes})
        broker = PaperBroker(
            self.catalog,
            state_path=self.paper_path,
            client_id=config.client_id,
            config=self.paper_config,
            clock=self.clock,
            sleep=lambda _seconds: None,
        )
        repository = OrderRepository(open_database(sqlite_url(self.db_path)))
        runtime = Runtime(
            repository=repository,
            broker=broker,
            catalog=self.catalog,
            config=config,
            clock=self.clock,
            monotonic=getattr(self.clock, "monotonic", time.monotonic),
            calendar=self.calendar,
            check_hours=self.check_hours,
        )
        runtime.events.subscribe(self.events.append)
        self.runtimes.append(runtime)
        return runtime

    async def start(self, **config_changes: Any) -> Runtime:
        runtime = self.build(**config_changes)
        await runtime.start()
        return runtime

    async def stop_all(self) -> None:
        for runtime in self.runtimes:
            await runtime.stop()


def _config_fields(config: EngineConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def statuses(runtime: Runtime, command_id: str) -> list[tuple[str | None, str, str | None]]:
    """The audit trail as (from, to, tag) triples."""
    return [
        (
            t.from_status.value if t.from_status else None,
            t.to_status.value,
            t.tag.value if t.tag else None,
        )
        for t in runtime.repository.transitions(command_id)
    ]


def broker_orders_with_tag(runtime: Runtime, tag: str) -> int:
    return sum(1 for order in runtime.broker.order_book() if order.tag == tag)
