"""Keeps the status bar's market state current: asks the bridge on a timer (the state changes
at the open, the close and midnight, and the bar must not show yesterday's)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.status_bar import StatusBar

REFRESH_MS = 15_000


class MarketClock(QObject):
    def __init__(
        self, bridge: EngineBridge, status: StatusBar, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._status = status
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        self._status.show_market(
            self._bridge.market_states(),
            self._bridge.now(),
            checked=self._bridge.market_hours_checked,
            missing_holidays=self._bridge.missing_holidays(),
        )
