"""Settings: written to the config file, applied at once where that is safe.

Theme, shortcuts, the confirmation threshold, the default strategy and the daily loss limit
apply immediately; broker, account and timing change what the engine was built with, so they
apply on the next start (the dialog says so beside each of them).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.prices import to_decimal
from trader_gui.settings import DEFAULT_SHORTCUTS, Settings, save_settings
from trader_gui.ui.theme import THEMES
from trader_gui.ui.widgets import set_invalid

log = logging.getLogger(__name__)

SHORTCUT_TITLES = {
    "buy_ticket": "Buy ticket",
    "sell_ticket": "Sell ticket",
    "clear_ticket": "Clear ticket",
    "submit_ticket": "Send ticket",
    "kill_switch": "Kill switch",
}
KNOWN_BROKERS = ("paper",)
RESTART_FIELDS = ("broker", "client_id", "poll_interval_s")


def restart_note() -> QLabel:
    label = QLabel("applies on restart")
    label.setObjectName("mutedLabel")
    return label


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for number, widget in enumerate(widgets):
        row.addWidget(widget, 1 if number == 0 else 0)
    return row


class SettingsDialog(QDialog):
    saved = Signal(object)
    """The new Settings, after they are written to the config file."""

    def __init__(self, settings: Settings, config_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._settings = settings
        self._config_path = config_path

        self.broker = QComboBox()
        self.broker.setEditable(True)
        self.broker.addItems(list(KNOWN_BROKERS))
        self.broker.setCurrentText(settings.broker)
        self.account = QLineEdit(settings.client_id)
        self.poll = QDoubleSpinBox()
        self.poll.setRange(0.1, 60.0)
        self.poll.setDecimals(1)
        self.poll.setSingleStep(0.5)
        self.poll.setSuffix(" s")
        self.poll.setValue(settings.poll_interval_s)
        self.loss_limit = QLineEdit(str(settings.daily_loss_limit or ""))
        self.loss_limit.setPlaceholderText("none")
        self.confirm_above = QLineEdit(str(settings.confirm_above_value or ""))
        self.confirm_above.setPlaceholderText("never ask")
        self.default_strategy = QLineEdit(settings.default_strategy)
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(settings.theme if settings.theme in THEMES else "light")
        self.shortcut_edits: dict[str, QKeySequenceEdit] = {}

        engine = QGroupBox("Broker and account")
        engine_form = QFormLayout(engine)
        engine_form.addRow("Broker", _row(self.broker, restart_note()))
        engine_form.addRow("Account (client id)", _row(self.account, restart_note()))
        engine_form.addRow("Poll interval", _row(self.poll, restart_note()))
        risk = QGroupBox("Risk and confirmation")
        risk_form = QFormLayout(risk)
        risk_form.addRow("Daily loss limit", self.loss_limit)
        risk_form.addRow("Confirm orders above value", self.confirm_above)
        risk_form.addRow("Default strategy", self.default_strategy)
        look = QGroupBox("Look and keys")
        look_form = QFormLayout(look)
        look_form.addRow("Theme", self.theme)
        for key, title in SHORTCUT_TITLES.items():
            edit = QKeySequenceEdit(
                QKeySequence(settings.shortcuts.get(key, DEFAULT_SHORTCUTS[key]))
            )
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            self.shortcut_edits[key] = edit
            look_form.addRow(title, edit)

        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        path_label = QLabel(f"Saved to {config_path}")
        path_label.setObjectName("mutedLabel")
        path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(engine)
        layout.addWidget(risk)
        layout.addWidget(look)
        layout.addWidget(self.error)
        layout.addWidget(path_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def collect(self) -> tuple[Settings | None, list[str]]:
        """The settings as typed, or every problem with them."""
        problems: list[str] = []
        amounts: dict[str, Decimal | None] = {}
        for edit, name, label in (
            (self.loss_limit, "daily_loss_limit", "Daily loss limit"),
            (self.confirm_above, "confirm_above_value", "Confirmation threshold"),
        ):
            text = edit.text().strip()
            value = to_decimal(text) if text else None
            bad = bool(text) and (value is None or value <= 0)
            set_invalid(edit, bad)
            if bad:
                problems.append(f"{label} must be an amount above zero, or empty for none.")
            amounts[name] = value
        account = self.account.text().strip()
        set_invalid(self.account, not account)
        if not account:
            problems.append("Account (client id) is required.")
        strategy = self.default_strategy.text().strip()
        set_invalid(self.default_strategy, not strategy)
        if not strategy:
            problems.append("Default strategy is required.")
        shortcuts: dict[str, str] = {}
        for key, edit in self.shortcut_edits.items():
            text = edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            shortcuts[key] = text
        used = [text for text in shortcuts.values() if text]
        duplicated = sorted({text for text in used if used.count(text) > 1})
        if duplicated:
            problems.append(f"Each key can do one thing: {', '.join(duplicated)} is used twice.")
        if problems:
            return None, problems
        settings = replace(
            self._settings,
            broker=self.broker.currentText().strip() or self._settings.broker,
            client_id=account,
            poll_interval_s=float(self.poll.value()),
            daily_loss_limit=amounts["daily_loss_limit"],
            confirm_above_value=amounts["confirm_above_value"],
            default_strategy=strategy,
            theme=self.theme.currentText(),
            shortcuts=shortcuts,
        )
        return settings, []

    def save(self) -> None:
        settings, problems = self.collect()
        if settings is None:
            self.error.setText(" ".join(problems))
            self.error.setVisible(True)
            return
        try:
            save_settings(settings, self._config_path)
        except OSError as error:
            self.error.setText(f"Could not write {self._config_path}: {error.strerror or error}")
            self.error.setVisible(True)
            return
        log.info("settings saved to %s", self._config_path)
        self.saved.emit(settings)
        self.accept()


def needs_restart(old: Settings, new: Settings) -> list[str]:
    """Names of changed settings that only a restart applies."""
    titles = {"broker": "broker", "client_id": "account", "poll_interval_s": "poll interval"}
    return [titles[name] for name in RESTART_FIELDS if getattr(old, name) != getattr(new, name)]
