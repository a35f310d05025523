"""`trader-gui basket FILE.csv`: every row through the six steps, one line of result each.

The whole file is checked first: one malformed or invalid row refuses the file with its line
number, and nothing is sent. A half-sent basket (one leg of a hedge) is worse than none.
"""

from __future__ import annotations

import asyncio
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from trader_gui.domain.enums import Source
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.validation import TICKET_FIELDS, parse_ticket, summarise, validate_command
from trader_gui.engine.assembly import LaunchOptions, build_runtime, load_catalog
from trader_gui.engine.events import Event, OrderUpdated
from trader_gui.logging_setup import configure_logging, stop_logging
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings

REQUIRED_COLUMNS = (
    "symbol",
    "exchange",
    "side",
    "quantity",
    "order_type",
    "product",
    "strategy",
    "execution_type",
)


class BasketError(ValueError):
    """The file cannot be used; nothing was sent."""


@dataclass(frozen=True, slots=True)
class BasketRow:
    line: int
    command: OrderCommand


def read_basket(path: Path, client_id: str, catalog: InstrumentCatalog) -> list[BasketRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BasketError(f"{path}: {error.strerror or error}") from error
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise BasketError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    unknown = [name for name in header if name and name not in TICKET_FIELDS]
    if unknown:
        raise BasketError(f"{path}: line 1: unknown column(s) {', '.join(unknown)}")
    rows: list[BasketRow] = []
    for raw in reader:
        line = reader.line_num
        if None in raw:
            raise BasketError(f"{path}: line {line}: more cells than columns")
        cells = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        if not any(cells.values()):
            continue
        parsed = parse_ticket(cells, client_id=client_id, source=Source.BASKET)
        if parsed.command is None:
            raise BasketError(f"{path}: line {line}: {summarise(parsed.errors)}")
        errors = validate_command(parsed.command, catalog)
        if errors:
            raise BasketError(f"{path}: line {line}: {summarise(errors)}")
        rows.append(BasketRow(line, parsed.command))
    if not rows:
        raise BasketError(f"{path}: no orders in the file")
    return rows


def run_basket(
    path: Path, wait_s: float, settings: Settings, paths: AppPaths, options: LaunchOptions
) -> int:
    catalog = load_catalog()
    client_id = options.client_id or settings.client_id
    try:
        rows = read_basket(path, client_id, catalog)
    except BasketError as error:
        print(f"trader-gui: {error}", file=sys.stderr)
        return 2
    paths.ensure()
    configure_logging(paths.log_file)
    try:
        results = asyncio.run(_submit_all(rows, wait_s, settings, paths, options, catalog))
    finally:
        stop_logging()
    for record in results:
        tag = record.tag.value if record.tag else "-"
        print(f"{record.command_id}\t{record.status.value}\t{tag}\t{record.detail}")
    return 0


async def _submit_all(
    rows: list[BasketRow],
    wait_s: float,
    settings: Settings,
    paths: AppPaths,
    options: LaunchOptions,
    catalog: InstrumentCatalog,
) -> list[OrderRecord]:
    runtime = build_runtime(settings, paths, options, catalog=catalog)
    wanted = {row.command.command_id for row in rows}
    latest: dict[str, OrderRecord] = {}
    changed = asyncio.Event()

    def remember(event: Event) -> None:
        if isinstance(event, OrderUpdated) and (
            event.record.command_id in wanted or event.record.command.ticket_id in wanted
        ):
            latest[event.record.command_id] = event.record
            changed.set()

    runtime.events.subscribe(remember)
    try:
        await runtime.start()
        await asyncio.wait_for(runtime.ready.wait(), max(wait_s, 0.1))
        for row in rows:
            for child in await runtime.engine.submit_ticket(row.command):
                wanted.add(child.command_id)
                latest.setdefault(child.command_id, child)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while not all(record.is_terminal for record in latest.values()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            changed.clear()
            runtime.watcher.poll_soon()
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                break
        # the rows as they stand now: an event that came before a child was known is not lost
        for command_id in list(latest):
            current = await runtime.engine.workers.db(runtime.repository.get, command_id)
            if current is not None:
                latest[command_id] = current
    finally:
        await runtime.stop()
    return list(latest.values())
