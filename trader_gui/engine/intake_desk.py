"""The intake's order logic, apart from HTTP: a ticket in, an answer (status code and body) out.

Every order from the intake is an EXTERNAL ticket through `submit_ticket`, the same six steps
as the window's; nothing here decides whether an order may go, except the approvals queue
deciding whether it waits. The answer codes:

    201  registered and through step 5 (sent, or rejected by the broker: see `status`)
    200  a replay: this client_order_id was seen today; the first order's answer, unchanged
    202  waiting for the trader's approval
    403  blocked in step 2 (kill switch, risk limit, execution guard, duplicate): recorded
    422  not a valid order (parse or catalog rules): recorded FAILED / VALIDATION_FAILED
    429  too many orders already waiting for approval: nothing recorded
    503  the engine is not taking orders (recovering at start, or closing): nothing recorded
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import date

from trader_gui.domain.enums import Source, Tag
from trader_gui.domain.ids import is_valid_command_id, new_command_id
from trader_gui.domain.market_time import IST, trading_day_start
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.senders import DEFAULT_SENDER
from trader_gui.domain.validation import parse_ticket, validate_command
from trader_gui.engine.intake_approvals import WAITING_STATUS, Approvals, Decision, WaitingOrder
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.intake_keys import KeyLocks, command_id_for
from trader_gui.engine.intake_tickets import (
    IntakeTicket,
    refusal_command,
    refusal_detail,
    ticket_view,
)
from trader_gui.engine.order_engine import EngineClosedError, OrderEngine

log = logging.getLogger(__name__)

MAX_WAITING = 100
"""Orders waiting for approval at once; a sender in a loop must not bury the trader."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, object]


Found = list[OrderRecord] | WaitingOrder | Decision


class TicketBook:
    """Today's sliced intake tickets: ticket command_id -> its children's command_ids.

    A ticket above the freeze quantity is sent as children with ids of their own, so the
    ticket's id is no row and its unique key cannot catch a replay; this book can. It is
    filled from today's rows at start (a crash between two children loses nothing) and as
    tickets are sent.
    """

    def __init__(self) -> None:
        self._children: dict[str, list[str]] = {}

    def note(self, records: list[OrderRecord]) -> None:
        for record in records:
            ticket_id = record.command.ticket_id
            if ticket_id and ticket_id != record.command_id:
                children = self._children.setdefault(ticket_id, [])
                if record.command_id not in children:
                    children.append(record.command_id)

    def children(self, ticket_id: str) -> list[str]:
        return list(self._children.get(ticket_id, ()))


class OrderDesk:
    def __init__(
        self,
        engine: OrderEngine,
        config: IntakeConfig,
        approvals: Approvals,
        locks: KeyLocks,
    ) -> None:
        self._engine = engine
        self._config = config
        self._approvals = approvals
        self._locks = locks
        self._tickets = TicketBook()

    @property
    def config(self) -> IntakeConfig:
        return self._config

    @config.setter
    def config(self, config: IntakeConfig) -> None:
        self._config = config

    async def load_today(self) -> None:
        """Learn today's sliced tickets from the database (see `TicketBook`)."""
        since = trading_day_start(self._engine.clock())
        records = await self._engine.workers.db(
            self._engine.repository.orders, self._engine.config.client_id, since=since
        )
        self._tickets.note(records)

    async def receive(self, ticket: IntakeTicket, sender: str = DEFAULT_SENDER) -> Answer:
        """One POST /orders from `sender` (whose token it presented), its body already read
        into a ticket of the right shape."""
        if not self._engine.accepting:
            return _error(
                503,
                "The engine is not taking orders right now (recovering at start, or closing): "
                "nothing was recorded; try again shortly.",
            )
        if ticket.client_order_id is None:
            return await self._new(ticket, new_command_id(), sender)
        command_id = command_id_for(
            ticket.client_order_id, self._engine.config.client_id, self._today(), sender
        )
        async with self._locks.hold(command_id):
            found = await self._find(command_id)
            if found is not None:
                log.info("intake: client_order_id replayed: answered with %s", command_id)
                answer = _found_answer(command_id, found)
                return Answer(200, answer.body | {"replay": True})
            return await self._new(ticket, command_id, sender)

    async def status(self, command_id: str) -> Answer:
        """One GET /orders/ID: an order, a sliced intake ticket, or a waiting/decided one."""
        found = await self._find(command_id) if is_valid_command_id(command_id) else None
        if found is None:
            return _error(404, f"No order {command_id[:20]!r} is known here.")
        return _found_answer(command_id, found)

    # ---- steps ------------------------------------------------------------------------------

    async def _new(self, ticket: IntakeTicket, command_id: str, sender: str) -> Answer:
        client_id = self._engine.config.client_id
        parsed = parse_ticket(
            ticket.fields, client_id=client_id, source=Source.EXTERNAL, command_id=command_id
        )
        if parsed.command is None:
            stand_in = replace(
                refusal_command(ticket.fields, command_id=command_id, client_id=client_id),
                sender=sender,
            )
            detail = refusal_detail(parsed.errors, ticket.fields)
            log.info("intake: ticket %s refused: %s", command_id, detail)
            record = await self._engine.refuse(stand_in, Tag.VALIDATION_FAILED, detail)
            return _records_answer(command_id, [record])
        command = replace(parsed.command, sender=sender)
        if self._config.waits(sender) and await self._waits(command):
            if len(self._approvals.waiting()) >= MAX_WAITING:
                return _error(
                    429,
                    f"{MAX_WAITING} external orders already wait for approval: this one was "
                    "not recorded.",
                )
            entry = await self._approvals.add(command, ticket.fields, ticket.client_order_id)
            return _waiting_answer(entry, 202)
        return await self._submit(command)

    async def send(self, command: OrderCommand) -> list[OrderRecord]:
        """`submit_ticket`, shielded (the steps of an order run to their end even if the
        answer is abandoned), and its slices noted for replays and lookups."""
        records = await asyncio.shield(self._engine.submit_ticket(command))
        self._tickets.note(records)
        return records

    async def _waits(self, command: OrderCommand) -> bool:
        """In approval mode, what the engine would refuse at once is not queued: an invalid
        ticket, or an ENTRY while the kill switch is on, is sent to be recorded as blocked."""
        if validate_command(command, self._engine.catalog):
            return False
        return not (command.is_entry and (await self._engine.kill_switch()).active)

    async def _submit(self, command: OrderCommand) -> Answer:
        try:
            records = await self.send(command)
        except EngineClosedError as error:
            return _error(503, f"{error} Nothing was sent.")
        return _records_answer(command.command_id, records)

    async def _find(self, command_id: str) -> Found | None:
        record = await self._engine.workers.db(self._engine.repository.get, command_id)
        if record is not None:
            return [record]
        children = []
        for child_id in self._tickets.children(command_id):
            child = await self._engine.workers.db(self._engine.repository.get, child_id)
            if child is not None:
                children.append(child)
        if children:
            return children
        return self._approvals.get(command_id) or self._approvals.decision(command_id)

    def _today(self) -> date:
        """The IST trading day: part of the idempotency key (see intake_keys)."""
        return self._engine.clock().astimezone(IST).date()


# ---- answers -------------------------------------------------------------------------------


def _error(status: int, sentence: str) -> Answer:
    return Answer(status, {"error": sentence})


def _records_answer(command_id: str, records: list[OrderRecord]) -> Answer:
    """201, or 422/403 when every order of the ticket was stopped in step 2."""
    body = ticket_view(command_id, records)
    first_tag = records[0].tag
    if first_tag is not None and all(r.tag is not None and r.tag.is_blocker for r in records):
        status = 422 if first_tag is Tag.VALIDATION_FAILED else 403
        return Answer(status, body | {"error": records[0].detail})
    return Answer(201, body)


def _waiting_answer(entry: WaitingOrder, status: int) -> Answer:
    return Answer(
        status,
        {
            "command_id": entry.command_id,
            "command_ids": [],
            "status": WAITING_STATUS,
            "tag": None,
            "detail": f"Waiting for approval in the window until "
            f"{entry.expires_at.astimezone(IST):%H:%M:%S} IST.",
            "expires_at": entry.expires_at.isoformat(),
            "orders": [],
        },
    )


def _decision_answer(decision: Decision) -> Answer:
    return Answer(
        200,
        {
            "command_id": decision.command_id,
            "command_ids": [],
            "status": decision.outcome.status,
            "tag": None,
            "detail": decision.detail,
            "decided_at": decision.at.isoformat(),
            "decided_by": decision.by,
            "orders": [],
        },
    )


def _found_answer(command_id: str, found: Found) -> Answer:
    if isinstance(found, WaitingOrder):
        return _waiting_answer(found, 200)
    if isinstance(found, Decision):
        return _decision_answer(found)
    return Answer(200, ticket_view(command_id, found))
