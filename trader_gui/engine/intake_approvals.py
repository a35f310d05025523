"""The approvals queue: external orders that wait for the trader before the six steps.

When its sender's approval rule says so (`intake_senders`, else `intake_approval`), a valid
external ticket is not registered as an order: it waits here, in memory, with the ticket as
received. The trader approves it (as it is, or edited) and only then does it go through
`submit_ticket` like any other ticket; or rejects it; or it expires after
`approval_timeout_s`, because an order decided late is an order at a price nobody chose. The
timeout runs on the monotonic clock: a wall clock set back cannot keep an order waiting
longer, nor one jumping forward expire it early; `expires_at` (wall clock) is what the trader
is told. Waiting orders are not orders yet, so they have no row and no tag: the queue and
every decision (who, when, why, and from which sender) are kept in `engine_state` under
`intake_approvals`, and logged. Orders still waiting when the program stops are expired at
the next start, never sent late.

The window's Approvals panel uses `waiting()`, `subscribe()`, `approve()`, `reject()` and
`approve_all()`; all of them run on the engine's loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from trader_gui.domain.enums import Source
from trader_gui.domain.market_time import IST
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.validation import TICKET_FIELDS, parse_ticket, summarise, validate_command
from trader_gui.engine.events import Level, Notice
from trader_gui.engine.intake_keys import KeyLocks
from trader_gui.engine.order_engine import EngineClosedError, OrderEngine

log = logging.getLogger(__name__)

STATE_KEY = "intake_approvals"
KEEP_DECISIONS = 500
"""Decisions kept in engine_state (and answered by GET /orders/ID); the log keeps them all."""
WAITING_STATUS = "WAITING_FOR_APPROVAL"


class Outcome(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def status(self) -> str:
        """The status word the intake answers for a ticket decided this way."""
        return _OUTCOME_STATUS[self]


_OUTCOME_STATUS = {
    Outcome.APPROVED: "APPROVED",
    Outcome.REJECTED: "REJECTED_BY_TRADER",
    Outcome.EXPIRED: "APPROVAL_EXPIRED",
}


class ApprovalError(Exception):
    """An approval that cannot be done; the message is the sentence for the trader."""


@dataclass(frozen=True, slots=True)
class WaitingOrder:
    command: OrderCommand
    fields: dict[str, object] = field(repr=False)
    """The ticket as the sender sent it, for the panel and for edits."""
    client_order_id: str | None
    received_at: datetime
    expires_at: datetime
    deadline: float = field(repr=False)
    """The monotonic moment it expires: what decides."""

    @property
    def command_id(self) -> str:
        return self.command.command_id

    @property
    def summary(self) -> str:
        return describe(self.command)

    @property
    def sender(self) -> str | None:
        """The intake sender whose token brought it."""
        return self.command.sender


@dataclass(frozen=True, slots=True)
class Decision:
    command_id: str
    outcome: Outcome
    at: datetime
    by: str
    detail: str
    summary: str
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    """One order of `approve_all`: its orders after step 5, or why it did not go."""

    command_id: str
    records: tuple[OrderRecord, ...] = ()
    error: str | None = None


Submit = Callable[[OrderCommand], Awaitable[list[OrderRecord]]]


def describe(command: OrderCommand) -> str:
    price = f" @ {command.price}" if command.price is not None else ""
    trigger = f" trigger {command.trigger_price}" if command.trigger_price is not None else ""
    return (
        f"{command.execution_type} {command.side} {command.quantity} {command.symbol} "
        f"{command.exchange} {command.order_type}{price}{trigger} {command.product}, "
        f"strategy {command.strategy}"
    )


def _clock_text(moment: datetime) -> str:
    return f"{moment.astimezone(IST):%H:%M:%S} IST"


class Approvals:
    def __init__(
        self,
        engine: OrderEngine,
        *,
        timeout_s: float,
        locks: KeyLocks,
        submit: Submit | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._timeout = timedelta(seconds=timeout_s)
        self._monotonic = monotonic
        self._locks = locks
        self._submit: Submit = submit or engine.submit_ticket
        self._waiting: dict[str, WaitingOrder] = {}
        self._decisions: dict[str, Decision] = {}
        self._listeners: list[Callable[[], None]] = []
        self._restored = False

    @property
    def timeout_s(self) -> float:
        return self._timeout.total_seconds()

    @timeout_s.setter
    def timeout_s(self, seconds: float) -> None:
        """For orders queued from now on; those waiting keep the deadline they were given."""
        if seconds <= 0:
            raise ValueError("intake approval timeout must be more than zero")
        self._timeout = timedelta(seconds=seconds)

    # ---- reads (the window's panel) ---------------------------------------------------------

    def waiting(self) -> list[WaitingOrder]:
        """Orders waiting for the trader, oldest first."""
        return list(self._waiting.values())

    def get(self, command_id: str) -> WaitingOrder | None:
        return self._waiting.get(command_id)

    def decision(self, command_id: str) -> Decision | None:
        return self._decisions.get(command_id)

    def decisions(self) -> list[Decision]:
        """Recent decisions, oldest first."""
        return list(self._decisions.values())

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """`listener()` runs on the loop after every change of the queue; returns unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ---- changes ----------------------------------------------------------------------------

    async def restore(self) -> None:
        """Load past decisions; orders left waiting by the last run are expired, not sent.

        Once per queue: an intake restarted with new settings keeps its waiting orders.
        """
        if self._restored:
            return
        self._restored = True
        saved = await self._engine.workers.db(
            self._engine.repository.load_state, self._engine.config.client_id, STATE_KEY
        )
        if not isinstance(saved, dict):
            return
        for item in saved.get("decisions", []):
            decision = _decision_from(item)
            if decision is not None:
                self._decisions[decision.command_id] = decision
        now = self._engine.clock()
        left = [item for item in saved.get("waiting", []) if isinstance(item, dict)]
        for item in left:
            command_id = str(item.get("command_id", ""))
            self._record(
                Decision(
                    command_id,
                    Outcome.EXPIRED,
                    now,
                    "program",
                    "The program stopped before the trader decided; it is not sent late.",
                    str(item.get("summary", "")),
                    _text_or_none(item.get("sender")),
                )
            )
        if left:
            log.warning("%d external orders were waiting at the last stop: expired", len(left))
            self._engine.events.emit(
                Notice(
                    Level.WARNING,
                    f"{len(left)} external order(s) were waiting for approval when the program "
                    "stopped: they expired and were not sent.",
                )
            )
            await self._save()

    async def add(
        self, command: OrderCommand, fields: Mapping[str, object], client_order_id: str | None
    ) -> WaitingOrder:
        """Queue a ticket; the caller holds the command_id's key lock."""
        now = self._engine.clock()
        entry = WaitingOrder(
            command,
            dict(fields),
            client_order_id,
            now,
            now + self._timeout,
            self._monotonic() + self._timeout.total_seconds(),
        )
        self._waiting[entry.command_id] = entry
        log.info(
            "external order %s from %s waits for approval until %s: %s",
            entry.command_id,
            entry.sender,
            _clock_text(entry.expires_at),
            entry.summary,
        )
        sender = f" from {entry.sender}" if entry.sender else ""
        self._engine.events.emit(
            Notice(
                Level.INFO,
                f"External order {entry.command_id}{sender} waits for your approval until "
                f"{_clock_text(entry.expires_at)}: {entry.summary}.",
            )
        )
        await self._save()
        self._changed()
        return entry

    async def approve(
        self, command_id: str, edits: Mapping[str, object] | None = None, *, by: str = "trader"
    ) -> list[OrderRecord]:
        """Send the waiting order (with the trader's edits) through the six steps.

        An edit that makes the ticket invalid raises `ApprovalError` and the order keeps
        waiting, so the trader can correct it; every other refusal also raises it.
        """
        async with self._locks.hold(command_id):
            entry = self._waiting.get(command_id)
            if entry is None:
                raise ApprovalError(self._not_waiting(command_id))
            now = self._engine.clock()
            if self._is_due(entry):
                await self._expire(entry, now)
                raise ApprovalError(
                    f"External order {command_id} expired at {_clock_text(entry.expires_at)}; "
                    "it was not sent."
                )
            command, changes = self._edited(entry, edits or {})
            if not self._engine.accepting:
                raise ApprovalError(
                    "The engine is not taking orders right now (recovering or closing); "
                    f"order {command_id} keeps waiting."
                )
            del self._waiting[command_id]
            detail = f"Approved with {changes}." if changes else "Approved as received."
            self._record(
                Decision(
                    command_id,
                    Outcome.APPROVED,
                    now,
                    by,
                    detail,
                    describe(command),
                    entry.sender,
                )
            )
            log.info("external order %s approved by %s: %s", command_id, by, detail)
            await self._save()
            self._changed()
            try:
                return await asyncio.shield(self._submit(command))
            except EngineClosedError as error:
                self._record(
                    Decision(
                        command_id,
                        Outcome.EXPIRED,
                        now,
                        "program",
                        str(error),
                        describe(command),
                        entry.sender,
                    )
                )
                await self._save()
                raise ApprovalError(f"Order {command_id} was not sent: {error}") from error

    async def reject(self, command_id: str, reason: str = "", *, by: str = "trader") -> Decision:
        async with self._locks.hold(command_id):
            entry = self._waiting.pop(command_id, None)
            if entry is None:
                raise ApprovalError(self._not_waiting(command_id))
            why = f": {reason.strip()}" if reason.strip() else ""
            decision = Decision(
                command_id,
                Outcome.REJECTED,
                self._engine.clock(),
                by,
                f"Rejected by {by}{why}; not sent.",
                entry.summary,
                entry.sender,
            )
            self._record(decision)
            log.info("external order %s rejected by %s%s", command_id, by, why)
            await self._save()
            self._changed()
            return decision

    async def approve_all(self, *, by: str = "trader") -> list[ApprovalResult]:
        """Approve every waiting order, oldest first; one that cannot go does not stop the rest."""
        results: list[ApprovalResult] = []
        for entry in self.waiting():
            try:
                records = await self.approve(entry.command_id, by=by)
            except ApprovalError as error:
                results.append(ApprovalResult(entry.command_id, error=str(error)))
            else:
                results.append(ApprovalResult(entry.command_id, tuple(records)))
        return results

    async def expire_due(self) -> list[Decision]:
        """Expire every order whose time is up; returns the decisions made."""
        expired: list[Decision] = []
        for entry in self.waiting():
            async with self._locks.hold(entry.command_id):
                now = self._engine.clock()
                if self._waiting.get(entry.command_id) is entry and self._is_due(entry):
                    expired.append(await self._expire(entry, now))
        return expired

    # ---- helpers ----------------------------------------------------------------------------

    def _is_due(self, entry: WaitingOrder) -> bool:
        return self._monotonic() >= entry.deadline

    async def _expire(self, entry: WaitingOrder, now: datetime) -> Decision:
        del self._waiting[entry.command_id]
        decision = Decision(
            entry.command_id,
            Outcome.EXPIRED,
            now,
            "program",
            f"Not approved by {_clock_text(entry.expires_at)}; expired and not sent.",
            entry.summary,
            entry.sender,
        )
        self._record(decision)
        log.warning("external order %s expired waiting for approval", entry.command_id)
        self._engine.events.emit(
            Notice(
                Level.WARNING,
                f"External order {entry.command_id} expired waiting for approval and was not "
                f"sent: {entry.summary}.",
            )
        )
        await self._save()
        self._changed()
        return decision

    def _edited(self, entry: WaitingOrder, edits: Mapping[str, object]) -> tuple[OrderCommand, str]:
        """The command with the trader's edits, checked as any ticket is, and what changed."""
        if not edits:
            return entry.command, ""
        unknown = sorted(name for name in edits if name not in TICKET_FIELDS)
        if unknown:
            raise ApprovalError(f"These fields cannot be edited: {', '.join(unknown)}.")
        fields = {**entry.fields, **edits}
        parsed = parse_ticket(
            fields,
            client_id=entry.command.client_id,
            source=Source.EXTERNAL,
            command_id=entry.command_id,
        )
        if parsed.command is None:
            raise ApprovalError(summarise(parsed.errors))
        command = replace(parsed.command, sender=entry.sender)
        errors = validate_command(command, self._engine.catalog)
        if errors:
            raise ApprovalError(summarise(errors))
        changes = ", ".join(
            f"{name} {entry.fields.get(name)!s} -> {value!s}"
            for name, value in edits.items()
            if _differs(entry.fields.get(name), value)
        )
        return command, changes

    def _not_waiting(self, command_id: str) -> str:
        decision = self._decisions.get(command_id)
        if decision is None:
            return f"No external order {command_id} is waiting for approval."
        return f"External order {command_id} was already decided: {decision.detail}"

    def _record(self, decision: Decision) -> None:
        self._decisions.pop(decision.command_id, None)
        self._decisions[decision.command_id] = decision
        while len(self._decisions) > KEEP_DECISIONS:
            del self._decisions[next(iter(self._decisions))]

    async def _save(self) -> None:
        snapshot = {
            "waiting": [_waiting_item(entry) for entry in self._waiting.values()],
            "decisions": [_decision_item(decision) for decision in self._decisions.values()],
        }
        await self._engine.workers.db(
            self._engine.repository.save_state,
            self._engine.config.client_id,
            STATE_KEY,
            snapshot,
            self._engine.clock(),
        )

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("approvals listener %r failed", listener)


def _differs(before: object, after: object) -> bool:
    if isinstance(before, int | float | Decimal | str) and isinstance(
        after, int | float | Decimal | str
    ):
        return str(before).strip() != str(after).strip()
    return before != after


def _waiting_item(entry: WaitingOrder) -> dict[str, Any]:
    return {
        "command_id": entry.command_id,
        "fields": entry.fields,
        "client_order_id": entry.client_order_id,
        "received_at": entry.received_at.isoformat(),
        "expires_at": entry.expires_at.isoformat(),
        "summary": entry.summary,
        "sender": entry.sender,
    }


def _decision_item(decision: Decision) -> dict[str, Any]:
    return {
        "command_id": decision.command_id,
        "outcome": decision.outcome.value,
        "at": decision.at.isoformat(),
        "by": decision.by,
        "detail": decision.detail,
        "summary": decision.summary,
        "sender": decision.sender,
    }


def _decision_from(item: object) -> Decision | None:
    if not isinstance(item, dict):
        return None
    try:
        return Decision(
            str(item["command_id"]),
            Outcome(item["outcome"]),
            datetime.fromisoformat(str(item["at"])),
            str(item.get("by", "")),
            str(item.get("detail", "")),
            str(item.get("summary", "")),
            _text_or_none(item.get("sender")),
        )
    except (KeyError, ValueError):
        log.warning("an unreadable approvals decision in engine_state was skipped")
        return None


def _text_or_none(value: object) -> str | None:
    return str(value) if value else None
