"""Which engine events become alerts, and the sentence each one says to the trader.

Alerts are for what a trader away from the screen must hear about: an EXIT that failed, the
kill switch changing, a risk warning or breach, the broker connection lost and back, an order
the broker rejected. Each alert carries a dedupe `key`; alerts about one thing that has states
(the kill switch, the connection) share a `topic`, so a new state is always told even inside
the dedupe window while a repeat of the same state is not.

The rules read the events the engine already emits. Risk warnings and breaches arrive only as
WARNING/ERROR notices, so every such notice is an alert, except two recognised by their
opening words (written in `watcher.py` / `order_engine.py`, pinned by the engine tests): a
failed EXIT's notice, alerted from its OrderUpdated instead (which carries the order), and the
max-loss trip's notice, which shares one key with the kill switch change it causes, so a trip
is told once whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trader_gui.domain.enums import ExecutionType, OrderStatus, Source, Tag
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.order import OrderRecord
from trader_gui.domain.risk_text import ist_time
from trader_gui.engine.events import (
    Connection,
    ConnectionChanged,
    Event,
    KillSwitchChanged,
    Level,
    Notice,
    OrderUpdated,
)

EXIT_FAILED_NOTICE = "EXIT order "
"""How the engine's own notice of a failed EXIT opens: that fact is alerted from OrderUpdated."""
MAX_LOSS_NOTICE = "Kill switch tripped: "
"""How the watcher's notice of a max-loss trip opens."""
MAX_LOSS_BY = "max-loss trip"
"""Who the watcher says turned the kill switch on at a max-loss trip."""
DOWN = frozenset({Connection.DISCONNECTED, Connection.LOGGED_OUT})
NOTICE_TITLES = {Level.WARNING: "Warning", Level.ERROR: "Needs your attention"}


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing to tell the trader: how loud, a short title and a sentence."""

    level: Level
    title: str
    sentence: str
    key: str
    """Identity for dedupe: the same key is sent once within the window."""
    at: datetime
    account: str = ""
    topic: str = ""
    """Alerts about one thing with states share a topic: a different key in it always goes."""

    @property
    def dedupe_topic(self) -> str:
        return self.topic or self.key

    def one_line(self) -> str:
        """For logs and the status bar."""
        return f"{self.title}: {self.sentence}"


class AlertRules:
    """Event in, alert (or None) out. Remembers whether the broker connection is down, so a
    reconnect is told only after a loss and a second 'down' state is not told twice."""

    def __init__(self, account: str = "") -> None:
        self.account = account
        self._down_since: datetime | None = None

    def alert_for(self, event: Event, at: datetime) -> Alert | None:
        if isinstance(event, OrderUpdated):
            return self._order(event.record, at)
        if isinstance(event, KillSwitchChanged):
            return self._kill_switch(event.client_id, event.state, at)
        if isinstance(event, ConnectionChanged):
            return self._connection(event, at)
        if isinstance(event, Notice):
            return self._notice(event, at)
        return None

    # ---- orders -----------------------------------------------------------------------------

    def _order(self, record: OrderRecord, at: datetime) -> Alert | None:
        command = record.command
        if record.status is not OrderStatus.FAILED or command.source is Source.BROKER:
            return None  # orders placed outside this program are recorded, not alerted
        what = f"{command.side} {command.quantity} {command.symbol}"
        detail = _sentence(record.detail or (record.tag.label if record.tag else "no reason"))
        if command.execution_type is ExecutionType.EXIT:
            reason = f" ({record.tag.label})" if record.tag else ""
            return Alert(
                Level.ERROR,
                "EXIT order FAILED",
                f"EXIT order {record.command_id} to {what} failed{reason}: {detail} "
                "Your position may still be open: check it now.",
                key=f"exit-failed:{record.command_id}",
                at=at,
                account=command.client_id,
            )
        if record.tag is Tag.BROKER_REJECTED:
            return Alert(
                Level.WARNING,
                "Order rejected by the broker",
                f"The broker rejected order {record.command_id} to {what} "
                f"({command.order_type}): {detail}",
                key=f"rejected:{record.command_id}",
                at=at,
                account=command.client_id,
            )
        return None

    # ---- kill switch ------------------------------------------------------------------------

    def _kill_switch(self, client_id: str, state: KillSwitchState, at: datetime) -> Alert:
        reason = f": {_sentence(state.reason)}" if state.reason else "."
        when = ist_time(state.changed_at)
        if state.active:
            return Alert(
                Level.ERROR,
                "Kill switch ON",
                f"The kill switch was turned on by {state.changed_by} at {when}{reason} "
                "New ENTRY orders are blocked; EXIT orders and cancels still go.",
                key=_switch_key(client_id, "max-loss" if state.changed_by == MAX_LOSS_BY else "on"),
                at=at,
                account=client_id,
                topic=_switch_topic(client_id),
            )
        return Alert(
            Level.INFO,
            "Kill switch off",
            f"The kill switch was turned off by {state.changed_by} at {when}{reason} "
            "New ENTRY orders are taken again.",
            key=_switch_key(client_id, "off"),
            at=at,
            account=client_id,
            topic=_switch_topic(client_id),
        )

    # ---- connection -------------------------------------------------------------------------

    def _connection(self, event: ConnectionChanged, at: datetime) -> Alert | None:
        why = f" ({event.message})" if event.message else ""
        if event.state in DOWN:
            if self._down_since is not None:
                return None  # still down (disconnected -> logged out): told once
            self._down_since = at
            if event.state is Connection.LOGGED_OUT:
                sentence = (
                    f"The broker ended this session{why}; logging in again. Until then "
                    "orders, fills and P&L are not updated here."
                )
            else:
                sentence = (
                    f"Lost the connection to the broker{why}. Orders, fills and P&L are not "
                    "updated here until it is back; the program keeps trying."
                )
            return Alert(
                Level.WARNING,
                "Broker disconnected",
                sentence,
                key="connection:down",
                at=at,
                account=self.account,
                topic="connection",
            )
        if event.state is Connection.CONNECTED and self._down_since is not None:
            down_for = _duration((at - self._down_since).total_seconds())
            self._down_since = None
            return Alert(
                Level.INFO,
                "Broker reconnected",
                f"The broker connection is back after {down_for}: orders, fills and P&L are "
                "being updated again.",
                key="connection:up",
                at=at,
                account=self.account,
                topic="connection",
            )
        return None  # connecting, reconnecting, or the first connect at start

    # ---- notices ----------------------------------------------------------------------------

    def _notice(self, notice: Notice, at: datetime) -> Alert | None:
        if notice.level is Level.INFO or notice.text.startswith(EXIT_FAILED_NOTICE):
            return None
        if notice.text.startswith(MAX_LOSS_NOTICE):
            return Alert(
                Level.ERROR,
                "Max loss reached",
                notice.text.removeprefix(MAX_LOSS_NOTICE),
                key=_switch_key(self.account, "max-loss"),
                at=at,
                account=self.account,
                topic=_switch_topic(self.account),
            )
        return Alert(
            notice.level,
            NOTICE_TITLES.get(notice.level, "Warning"),
            notice.text,
            key=f"notice:{notice.level}:{notice.text}",
            at=at,
            account=self.account,
        )


def _switch_topic(client_id: str) -> str:
    return f"kill-switch:{client_id}"


def _switch_key(client_id: str, state: str) -> str:
    """One key per state; a max-loss trip is its own state, told once by whichever of its
    two events (KillSwitchChanged, the watcher's notice) comes first."""
    return f"{_switch_topic(client_id)}:{state}"


def _sentence(text: str) -> str:
    """The text ending in a full stop, so the sentence after it reads as a new one."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    if not minutes:
        return f"{seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"
