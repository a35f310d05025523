"""Build a Runtime from the trader's settings: database, instruments, broker, engine."""

from __future__ import annotations

import logging
from pathlib import Path

from trader_gui.brokers.registry import BrokerOptions, create_broker
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.alerts import AlertSink
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.intake_config import intake_config_from
from trader_gui.engine.launch_options import LaunchOptions
from trader_gui.engine.master_refresh import MasterRefresher, master_source
from trader_gui.engine.runtime import Runtime
from trader_gui.paths import AppPaths
from trader_gui.persistence.calendar_file import load_bundled_calendar
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.repository import OrderRepository
from trader_gui.settings import Settings

log = logging.getLogger(__name__)


def engine_config(settings: Settings, client_id: str) -> EngineConfig:
    return EngineConfig(
        client_id=client_id,
        poll_interval_s=settings.poll_interval_s,
        broker_timeout_s=settings.broker_timeout_s,
        not_found_grace_s=settings.not_found_grace_s,
        daily_loss_limit=settings.daily_loss_limit,
        risk_limits=settings.risk,
        allow_unlock_after_max_loss=settings.allow_unlock_after_max_loss,
    )


def database_url(settings: Settings, paths: AppPaths, options: LaunchOptions) -> str:
    return options.db_url or settings.database_url or sqlite_url(paths.database_file)


def checks_market_hours(settings: Settings, broker: str) -> bool:
    """Step 2 keeps the market's hours for a live broker (unless the trader turned that off
    for a broker's test host); for the paper broker only in its session mode, so that paper
    trading fills at any hour unless asked not to."""
    if broker == "paper":
        return settings.paper_session_mode
    return settings.keep_market_hours


def open_repository(url: str, *, single_instance: bool = False) -> OrderRepository:
    """`single_instance` for a program that polls the broker: a second one on the file is refused."""
    return OrderRepository(open_database(url, single_instance=single_instance))


def load_catalog() -> InstrumentCatalog:
    return InstrumentCatalog(load_bundled_instruments())


def build_runtime(
    settings: Settings,
    paths: AppPaths,
    options: LaunchOptions,
    *,
    catalog: InstrumentCatalog | None = None,
    paper_state_path: Path | None = None,
    repository: OrderRepository | None = None,
) -> Runtime:
    """`repository`: the database already opened (the window opens it on a thread);
    otherwise it is opened here. Closed here when the broker cannot be made."""
    paths.ensure()
    client_id = options.client_id or settings.client_id
    catalog = catalog or load_catalog()
    broker_name = options.broker or settings.broker
    calendar = load_bundled_calendar()
    check_hours = checks_market_hours(settings, broker_name)
    if repository is None:
        repository = open_repository(database_url(settings, paths, options), single_instance=True)
    try:
        broker = create_broker(
            BrokerOptions(
                name=broker_name,
                client_id=client_id,
                paper_state_path=paper_state_path or paths.paper_broker_file,
                url=options.broker_url or settings.broker_url,
                timeout_s=settings.broker_timeout_s * 0.7,
                market_protection=_market_protection(settings.kite_market_protection),
                algo_id=settings.kite_algo_id,
                calendar=calendar if check_hours else None,
            ),
            catalog,
        )
    except Exception:
        repository.close()
        raise
    telegram = telegram_sink(settings)
    runtime = Runtime(
        alert_sinks=[telegram] if telegram is not None else [],
        intake=intake_config_from(settings, options.intake_port),
        repository=repository,
        broker=broker,
        catalog=catalog,
        config=engine_config(settings, client_id),
        calendar=calendar,
        check_hours=check_hours,
    )
    runtime.masters = master_refresher(settings, paths, runtime)
    return runtime


def telegram_sink(settings: Settings) -> AlertSink | None:
    """The Telegram alert sink when the settings name a chat; httpx is imported only then."""
    if settings.telegram_chat_id is None or not str(settings.telegram_chat_id).strip():
        log.info("Telegram alerts off: no telegram_chat_id in the settings")
        return None
    from trader_gui.engine.alert_telegram import telegram_sink_from_keyring

    return telegram_sink_from_keyring(
        settings.telegram_chat_id, base_url=settings.telegram_base_url
    )


def master_refresher(settings: Settings, paths: AppPaths, runtime: Runtime) -> MasterRefresher:
    """The daily symbol masters of the runtime's broker, cached under the cache folder."""
    source = master_source(
        str(runtime.broker.name),
        shoonya_url=settings.symbol_master_url,
        timeout_s=settings.symbol_master_timeout_s,
        kite_instruments=getattr(runtime.broker, "instruments_csv", None),
    )
    return MasterRefresher(
        runtime.catalog,
        runtime.events,
        cache_dir=paths.cache_dir,
        source=source,
        clock=runtime.clock,
    )


def _market_protection(text: str) -> str | float:
    """-1 (the broker's automatic protection) or the trader's percentage."""
    value = float(text)
    return -1 if value == -1 else value
