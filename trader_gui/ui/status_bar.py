"""The status bar: broker and connection, account, last poll and its latency, kill switch,
a busy indicator while a ticket is being sent, orders waiting for the order throttle, the
database when it is failing, the symbol masters in use, the market's state (NSE open ·
closes 15:30), and the engine's notices."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.market_calendar import MarketState, MarketStatus
from trader_gui.domain.market_time import IST, utc_now
from trader_gui.engine.events import (
    Connection,
    ConnectionChanged,
    DatabaseHealthChanged,
    Level,
    MastersLoaded,
    Notice,
    PollCompleted,
)
from trader_gui.ui.formatting import local
from trader_gui.ui.market_text import market_line
from trader_gui.ui.widgets import SteadyBox, set_state

BUSY_HOLD_OFF_MS = 150
"""How long sending must last before the busy indicator shows: a ticket that is answered
sooner shows nothing, so a burst of quick orders does not flash the status bar per order."""
POLL_SAMPLE = "Poll failed 23:59:59 · 99999 ms"
NOTICE_MS = {Level.INFO: 8_000, Level.WARNING: 20_000, Level.ERROR: 60_000}
CONNECTION_STATE = {
    Connection.CONNECTED: "ok",
    Connection.CONNECTING: "warn",
    Connection.RECONNECTING: "warn",
    Connection.DISCONNECTED: "bad",
    Connection.LOGGED_OUT: "bad",
}


class StatusBar(QStatusBar):
    def __init__(self, broker: str, account: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self._broker = broker
        self.busy = QProgressBar()
        self.busy.setObjectName("busyIndicator")
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(90)
        self.busy.setFixedHeight(12)
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)
        self.busy_label = QLabel("Sending order…")
        self.busy_label.setVisible(False)
        self._busy_hold_off = QTimer(self)
        self._busy_hold_off.setSingleShot(True)
        self._busy_hold_off.setInterval(BUSY_HOLD_OFF_MS)
        self._busy_hold_off.timeout.connect(lambda: self._set_busy_shown(True))
        self.queue = QLabel()
        self.queue.setObjectName("throttleQueue")
        font = self.queue.font()
        font.setBold(True)
        self.queue.setFont(font)
        self.queue.setVisible(False)
        self.connection = QLabel()
        self.connection.setObjectName("connectionLabel")
        self.database = QLabel()
        self.database.setObjectName("databaseLabel")
        self.database.setVisible(False)
        self.account = QLabel(f"Account <b>{account}</b>")
        self.poll = QLabel("No poll yet")
        self.poll.setObjectName("pollLabel")
        self.kill_switch = QLabel()
        self.kill_switch.setObjectName("killSwitchLabel")
        self.masters = QLabel()
        self.masters.setObjectName("mastersLabel")
        self.market = QLabel()
        self.market.setObjectName("marketLabel")
        self.market.setVisible(False)
        for widget in (
            self.queue,
            self.busy_label,
            self.busy,
            self.connection,
            self.database,
            self.account,
            self.masters,
            SteadyBox(self.poll, POLL_SAMPLE),
            self.market,
            self.kill_switch,
        ):
            self.addPermanentWidget(widget)
        self.show_connection(ConnectionChanged(Connection.CONNECTING, "starting"))
        self.show_kill_switch(KillSwitchState.off())

    def show_busy(self, busy: bool) -> None:
        """Shown once sending has lasted `BUSY_HOLD_OFF_MS`; hidden as soon as it ends."""
        if not busy:
            self._busy_hold_off.stop()
            self._set_busy_shown(False)
        elif not self._busy_hold_off.isActive() and self.busy.isHidden():
            self._busy_hold_off.start()

    def _set_busy_shown(self, shown: bool) -> None:
        if self.busy.isHidden() == shown:
            self.busy.setVisible(shown)
            self.busy_label.setVisible(shown)

    def show_queue(self, count: int, rate: int) -> None:
        """Orders held back by the account's order throttle; hidden once the queue is empty."""
        if count <= 0:
            self.queue.clear()
            self.queue.setVisible(False)
            return
        orders = "order" if count == 1 else "orders"
        self.queue.setText(f"{count} {orders} queued by the {rate}/s throttle")
        self.queue.setToolTip(
            f"Exchanges want an algo registration above {rate} orders a second per account: "
            "orders over the rate wait their turn, in order, and none is dropped."
        )
        self.queue.setVisible(True)

    def show_connection(self, event: ConnectionChanged) -> None:
        message = f": {event.message}" if event.message else ""
        self.connection.setText(f"● {self._broker} · {event.state}")
        self.connection.setToolTip(f"Broker {self._broker} {event.state}{message}")
        set_state(self.connection, "state", CONNECTION_STATE.get(event.state, "warn"))

    def show_database(self, event: DatabaseHealthChanged) -> None:
        """Shown only while the database fails, apart from the broker: a full disk is not a
        broker disconnect."""
        if event.ok:
            self.database.clear()
            self.database.setToolTip("")
            self.database.setVisible(False)
            return
        self.database.setText(f"● Database failing: {event.reason}")
        self.database.setToolTip(
            f"The database cannot be used ({event.reason}): new orders are refused; orders at "
            "the broker are still watched and are recorded once it can be written again."
        )
        set_state(self.database, "state", "bad")
        self.database.setVisible(True)

    def show_poll(self, event: PollCompleted) -> None:
        at = f"{local(event.at):%H:%M:%S}"
        latency = f"{event.latency_s * 1000:.0f} ms"
        if event.ok:
            self.poll.setText(f"Last poll {at} · {latency}")
            self.poll.setToolTip(f"{event.changes} changes from the broker's order book")
            set_state(self.poll, "state", "ok")
        else:
            self.poll.setText(f"Poll failed {at} · {latency}")
            self.poll.setToolTip(event.error)
            set_state(self.poll, "state", "bad")

    def show_kill_switch(self, state: KillSwitchState) -> None:
        self.kill_switch.setText("KILL SWITCH ON" if state.active else "Kill switch off")
        set_state(self.kill_switch, "state", "on" if state.active else "off")

    def show_masters(self, masters: MastersLoaded) -> None:
        """The instrument list in use: `Symbols: 98,412 from Shoonya, 25 Nov`."""
        self.masters.setText(masters.text)
        old = masters.day is not None and masters.day < utc_now().astimezone(IST).date()
        self.masters.setToolTip(
            f"{masters.text}. "
            + ("These masters are not today's: contracts listed today are missing. " if old else "")
            + "The instruments symbol completion and validation use. File → Refresh symbol "
            "masters… fetches today's from the broker; File → Load symbol master files… loads "
            "files you downloaded."
        )
        set_state(self.masters, "state", "warn" if old else "ok")

    def show_market(
        self,
        states: list[MarketState],
        now: datetime,
        *,
        checked: bool,
        missing_holidays: int | None = None,
    ) -> None:
        """Each traded exchange's state in a few words; the full sentences in the tooltip.
        Hidden when there is no calendar. A year the calendar lists no holidays for is said
        in the bar itself: its holidays would look like trading days."""
        if not states:
            self.market.setVisible(False)
            return
        text = " | ".join(market_line(state, now) for state in states)
        tip = [state.sentence for state in states]
        if missing_holidays is not None:
            text += f" · no {missing_holidays} holiday list"
            tip.append(
                f"The market calendar lists no holidays for {missing_holidays}: holidays look "
                "like trading days. Update resources/market_calendar.toml."
            )
        self.market.setText(text)
        if not checked:
            tip.append(
                "The paper broker fills at any hour: turn on its session mode "
                "(paper_session_mode) to keep these hours."
            )
        self.market.setToolTip("\n".join(tip))
        is_open = any(state.status is MarketStatus.OPEN for state in states)
        level = "warn" if missing_holidays is not None else "ok" if is_open else "off"
        set_state(self.market, "state", level)
        self.market.setVisible(True)

    def show_notice(self, notice: Notice) -> None:
        self.showMessage(notice.text, NOTICE_MS.get(notice.level, 8_000))

    def say(self, text: str) -> None:
        self.showMessage(text, NOTICE_MS[Level.INFO])
