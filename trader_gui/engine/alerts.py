"""Alerts: engine events a trader must hear about, sent to the window's tray and to Telegram.

Sending never delays an order. The event handler only decides and enqueues (no await, no I/O);
each sink has its own queue and background task, so a slow or dead sink (Telegram down, a
network that never answers) holds up neither the engine nor the other sinks. A failed send is
retried a bounded number of times with back-off (a server's `retry_after` is honoured), then
logged as not delivered. The same alert is not sent twice within a short window.

Which events become alerts, and their words, is `alert_rules.py`; the Telegram sink is
`alert_telegram.py`; the tray sink lives with the window (`ui/tray.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from trader_gui.domain.market_time import utc_now
from trader_gui.engine.alert_rules import Alert, AlertRules
from trader_gui.engine.events import Event, EventBus

__all__ = [
    "Alert",
    "AlertDeliveryError",
    "AlertRules",
    "AlertSink",
    "Alerter",
    "ClosableSink",
]

log = logging.getLogger(__name__)

DEDUPE_S = 60.0
ATTEMPTS = 4
BACKOFF_S = 2.0
MAX_BACKOFF_S = 60.0
SEND_TIMEOUT_S = 30.0
QUEUE_SIZE = 100
STOP_DRAIN_S = 2.0


class AlertSink(Protocol):
    """Somewhere an alert goes. `send` raises on failure (best: `AlertDeliveryError`)."""

    async def send(self, alert: Alert) -> None: ...


@runtime_checkable
class ClosableSink(Protocol):
    """A sink holding resources (a connection pool): the alerter closes it when it stops."""

    async def aclose(self) -> None: ...


class AlertDeliveryError(Exception):
    """A send failed. The message is safe to log: a sink never puts a secret in it.

    `retry_after`: the server asked to wait this long first. `permanent`: trying again cannot
    help (a wrong token, an unknown chat), so the alerter gives up at once.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


def sink_name(sink: AlertSink) -> str:
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else type(sink).__name__


@dataclass(eq=False)
class _Outlet:
    """One sink, its queue and the task that drains it."""

    sink: AlertSink
    queue: asyncio.Queue[Alert]
    task: asyncio.Task[None] | None = None
    sending: Alert | None = None


class Alerter:
    """Subscribes to the engine's events and delivers the alerts they make to every sink."""

    def __init__(
        self,
        events: EventBus,
        sinks: Iterable[AlertSink] = (),
        *,
        account: str = "",
        rules: AlertRules | None = None,
        dedupe_s: float = DEDUPE_S,
        attempts: int = ATTEMPTS,
        backoff_s: float = BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        send_timeout_s: float = SEND_TIMEOUT_S,
        queue_size: int = QUEUE_SIZE,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.events = events
        self.rules = rules or AlertRules(account)
        self.dedupe_s = dedupe_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.send_timeout_s = send_timeout_s
        self.queue_size = queue_size
        self._monotonic = monotonic
        self._now = now
        self._sleep = sleep
        self._outlets: list[_Outlet] = []
        self._last_sent: dict[str, tuple[str, float]] = {}
        """dedupe topic -> (key, monotonic time) of the last alert let through for it."""
        self._unsubscribe: Callable[[], None] | None = None
        self._started = False
        self._stopped = False
        self.delivered = 0
        self.undelivered = 0
        for sink in sinks:
            self.add_sink(sink)

    # ---- lifecycle --------------------------------------------------------------------------

    def add_sink(self, sink: AlertSink) -> None:
        """Add a sink, before or after `start` (the window adds its tray once it exists)."""
        if self._stopped:
            raise RuntimeError("the alerter has stopped")
        outlet = _Outlet(sink, asyncio.Queue(self.queue_size))
        self._outlets.append(outlet)
        if self._started:
            self._spawn(outlet)

    def start(self) -> None:
        """Subscribe and start one drain task per sink. Call on the running loop."""
        if self._started or self._stopped:
            return
        self._started = True
        self._unsubscribe = self.events.subscribe(self._on_event)
        for outlet in self._outlets:
            self._spawn(outlet)

    async def stop(self, drain_timeout_s: float = STOP_DRAIN_S) -> None:
        """Stop listening, give queued alerts `drain_timeout_s` to go out, then end every task
        and close the sinks. Idempotent; leaves no task behind."""
        if self._stopped:
            return
        self._stopped = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._started and drain_timeout_s > 0:
            try:
                async with asyncio.timeout(drain_timeout_s):
                    await self.wait_idle()
            except TimeoutError:
                pass
        left = self._left_behind()
        self.undelivered += len(left)
        if left:
            log.warning(
                "%d alert(s) not sent at shutdown: %s", len(left), "; ".join(a.title for a in left)
            )
        tasks = [o.task for o in self._outlets if o.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for outlet in self._outlets:
            outlet.task = None
            if isinstance(outlet.sink, ClosableSink):
                try:
                    await outlet.sink.aclose()
                except Exception as error:
                    log.warning("closing alert sink %s failed: %s", sink_name(outlet.sink), error)

    async def wait_idle(self) -> None:
        """Until every alert queued so far was delivered or given up on (tests, shutdown)."""
        for outlet in list(self._outlets):
            await outlet.queue.join()

    # ---- alerts in ----------------------------------------------------------------------------

    def push(self, alert: Alert) -> bool:
        """Queue an alert for every sink unless it repeats one sent within the dedupe window.
        Never blocks and never raises: it runs inside the engine's event handlers."""
        if self._stopped:
            log.debug("alert after stop dropped: %s", alert.title)
            return False
        if self._is_repeat(alert):
            log.debug("alert %s repeated within %g s: not sent again", alert.key, self.dedupe_s)
            return False
        log.info("alert: %s", alert.one_line())
        for outlet in self._outlets:
            if outlet.queue.full():  # a sink down for long: the newest alerts matter most
                dropped = outlet.queue.get_nowait()
                outlet.queue.task_done()
                self.undelivered += 1
                log.warning(
                    "alert queue for %s is full: dropped the oldest (%s)",
                    sink_name(outlet.sink),
                    dropped.one_line(),
                )
            outlet.queue.put_nowait(alert)
        return True

    def _on_event(self, event: Event) -> None:
        alert = self.rules.alert_for(event, self._now())
        if alert is not None:
            self.push(alert)

    def _is_repeat(self, alert: Alert) -> bool:
        """Same key in its topic within the window. A different key in the topic (kill switch
        off after on) always goes, so the last alert always tells the current state."""
        tick = self._monotonic()
        topic = alert.dedupe_topic
        last = self._last_sent.get(topic)
        if last is not None and last[0] == alert.key and tick - last[1] < self.dedupe_s:
            return True
        self._last_sent[topic] = (alert.key, tick)
        if len(self._last_sent) > 1000:
            self._forget_old(tick)
        return False

    def _forget_old(self, tick: float) -> None:
        for topic, (_key, at) in list(self._last_sent.items()):
            if tick - at >= self.dedupe_s:
                del self._last_sent[topic]

    # ---- alerts out ---------------------------------------------------------------------------

    def _spawn(self, outlet: _Outlet) -> None:
        outlet.task = asyncio.get_running_loop().create_task(
            self._drain(outlet), name=f"alerts:{sink_name(outlet.sink)}"
        )

    async def _drain(self, outlet: _Outlet) -> None:
        while True:
            alert = await outlet.queue.get()
            outlet.sending = alert
            try:
                if await self._deliver(outlet.sink, alert):
                    self.delivered += 1
                else:
                    self.undelivered += 1
            finally:
                outlet.sending = None
                outlet.queue.task_done()

    async def _deliver(self, sink: AlertSink, alert: Alert) -> bool:
        """Try up to `attempts` times with back-off; True once delivered."""
        name = sink_name(sink)
        reason = ""
        for attempt in range(1, self.attempts + 1):
            retry_after: float | None = None
            permanent = False
            try:
                async with asyncio.timeout(self.send_timeout_s):
                    await sink.send(alert)
                return True
            except AlertDeliveryError as error:
                reason, retry_after, permanent = str(error), error.retry_after, error.permanent
            except TimeoutError:
                reason = f"no answer within {self.send_timeout_s:g} s"
            except Exception as error:  # a sink's bug: logged, and the others still go
                log.exception("alert sink %s raised unexpectedly", name)
                reason = type(error).__name__
            if permanent or attempt == self.attempts:
                break
            delay = self._delay(attempt, retry_after)
            log.warning(
                "alert to %s failed (attempt %d of %d: %s); trying again in %g s",
                name,
                attempt,
                self.attempts,
                reason,
                delay,
            )
            await self._sleep(delay)
        log.error(
            "alert NOT delivered to %s after %d attempt(s) (%s): %s",
            name,
            attempt,
            reason,
            alert.one_line(),
        )
        return False

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential back-off, or the server's own wait when it asked for a longer one."""
        delay = min(self.max_backoff_s, self.backoff_s * 2.0 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff_s))
        return delay

    def _left_behind(self) -> list[Alert]:
        left: list[Alert] = []
        for outlet in self._outlets:
            if outlet.sending is not None:
                left.append(outlet.sending)
            while not outlet.queue.empty():
                left.append(outlet.queue.get_nowait())
                outlet.queue.task_done()
        return left
