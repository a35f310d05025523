"""Light and dark themes: a stylesheet from resources/themes and the colours models paint with.

Stylesheets cover the widgets; table models and the chart cannot read a stylesheet, so the
few colours they need live here, per theme, next to the file name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from trader_gui.domain.enums import UNKNOWN_OUTCOME, OrderStatus, Side
from trader_gui.resource_files import resource

log = logging.getLogger(__name__)

THEME_PROPERTY = "traderTheme"
"""The application's property naming the theme applied to it."""

THEMES = ("light", "dark")
FONT_POINTS = 10.0
"""Set on the application font (not in the stylesheet) so column widths measured at
construction match what is drawn."""


@dataclass(frozen=True, slots=True)
class ThemeColors:
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    highlight: str
    buy: str
    sell: str
    profit: str
    loss: str
    warning: str
    created: str
    sent: str
    unknown: str
    executed: str
    failed: str
    chart_line: str
    chart_grid: str

    def status(self, status: OrderStatus, broker_status: str | None = None) -> QColor:
        """CREATED grey, SENT_TO_BROKER blue (amber while its outcome is unknown),
        EXECUTED green, FAILED red."""
        if status is OrderStatus.SENT_TO_BROKER:
            return QColor(self.unknown if broker_status == UNKNOWN_OUTCOME else self.sent)
        return QColor(
            {
                OrderStatus.CREATED: self.created,
                OrderStatus.EXECUTED: self.executed,
                OrderStatus.FAILED: self.failed,
            }[status]
        )

    def side(self, side: Side) -> QColor:
        return QColor(self.buy if side is Side.BUY else self.sell)

    def pnl(self, amount: object) -> QColor:
        try:
            negative = amount < 0  # type: ignore[operator]
        except TypeError:
            return QColor(self.text)
        return QColor(self.loss if negative else self.profit)


LIGHT = ThemeColors(
    window="#f3f4f6",
    base="#ffffff",
    alternate="#f7f8fa",
    text="#1f2328",
    muted="#6b7280",
    highlight="#cfe3ff",
    buy="#137333",
    sell="#c5221f",
    profit="#137333",
    loss="#c5221f",
    warning="#b45309",
    created="#6b7280",
    sent="#1a56db",
    unknown="#b45309",
    executed="#137333",
    failed="#c5221f",
    chart_line="#1a56db",
    chart_grid="#9ca3af",
)

DARK = ThemeColors(
    window="#1b1e23",
    base="#121417",
    alternate="#181b1f",
    text="#e6e8eb",
    muted="#9aa3ad",
    highlight="#2b4a72",
    buy="#3fb950",
    sell="#f85149",
    profit="#3fb950",
    loss="#f85149",
    warning="#e3a008",
    created="#6e7681",
    sent="#388bfd",
    unknown="#d29922",
    executed="#2ea043",
    failed="#da3633",
    chart_line="#58a6ff",
    chart_grid="#6e7681",
)

_COLORS = {"light": LIGHT, "dark": DARK}


def colors(name: str) -> ThemeColors:
    return _COLORS.get(name, LIGHT)


def stylesheet(name: str) -> str:
    """The theme's stylesheet text, or "" (Qt's own look) when the file is missing."""
    try:
        return resource("themes", f"{name}.qss").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        log.warning("theme %r has no stylesheet: using the default look", name)
        return ""


def apply_theme(app: QApplication, name: str) -> ThemeColors:
    """Fusion style, a palette that matches (for what a stylesheet does not reach), the QSS.
    Once per theme: applying it again would re-polish every widget for nothing."""
    if name not in THEMES:
        log.warning("unknown theme %r: using light", name)
        name = "light"
    theme = colors(name)
    if app.property(THEME_PROPERTY) == name:
        return theme
    app.setStyle("Fusion")
    font = app.font()
    if font.pointSizeF() != FONT_POINTS:
        font.setPointSizeF(FONT_POINTS)
        app.setFont(font)
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alternate,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: theme.text,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(theme.muted))
    palette.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(theme.muted)
    )
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(name))
    app.setProperty(THEME_PROPERTY, name)
    return theme
