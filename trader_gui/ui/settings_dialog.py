"""Settings: written to the config file, applied at once where that is safe.

Theme, shortcuts, the confirmation threshold, the default strategy and every risk limit apply
immediately (the risk manager checks the next order against the new limits and keeps the
day's risk memory); broker, account, timing and unlocking after a max-loss trip change what
the engine was built with, so they apply on the next start (the dialog says so beside each).

The Intake tab (`intake_settings.py`) is applied to the running intake when saved.

The Risk tab has one field per `RiskLimits` limit; empty means off. What is typed is checked
by `RiskLimits` itself, and its sentence is shown under the field it is about.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
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
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.prices import to_decimal
from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.settings import DEFAULT_SHORTCUTS, Settings, save_settings
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.intake_settings import IntakeSettingsPage, intake_settings
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.theme import THEMES
from trader_gui.ui.widgets import set_invalid

log = logging.getLogger(__name__)

__all__ = ["SettingsDialog", "intake_settings", "needs_restart", "risk_limits_of"]

SHORTCUT_TITLES = {
    "buy_ticket": "Buy ticket",
    "sell_ticket": "Sell ticket",
    "clear_ticket": "Clear ticket",
    "submit_ticket": "Send ticket",
    "kill_switch": "Kill switch",
}
KNOWN_BROKERS = ("paper", "shoonya", "kite")
RESTART_FIELDS = (
    "broker",
    "client_id",
    "poll_interval_s",
    "allow_unlock_after_max_loss",
    "paper_session_mode",
)
RESTART_TITLES = {
    "broker": "broker",
    "client_id": "account",
    "poll_interval_s": "poll interval",
    "allow_unlock_after_max_loss": "unlock after a max-loss trip",
    "paper_session_mode": "paper broker session mode",
}

MONEY, COUNT, NUMBER, SWITCH = "money", "count", "number", "switch"
RISK_FIELDS: dict[str, tuple[str, str, str]] = {
    # name: (title, kind, what it does)
    "daily_loss_limit": (
        "Daily loss limit",
        MONEY,
        "ENTRY orders stop once today's P&L (realised + unrealised) is at or below minus this.",
    ),
    "max_loss": (
        "Max loss",
        MONEY,
        "The hard floor: ENTRY orders stop for the rest of the day and the kill switch trips "
        "(it stays on until the next trading day). Not below the daily loss limit.",
    ),
    "flatten_on_max_loss": (
        "Square off everything at max loss",
        SWITCH,
        "When max loss is reached, also cancel every open order and close every position.",
    ),
    "warn_share": (
        "Warn at share of a limit used",
        NUMBER,
        "Between 0 and 1: at 0.80 the trader is warned (and the P&L row turns amber) once 80 % "
        "of the daily loss limit or the max loss is used.",
    ),
    "trailing_loss_step": (
        "Trailing loss step",
        MONEY,
        "Trailing loss limit: the floor moves up each time the day's peak P&L gains a whole "
        "step. Needs the giveback too.",
    ),
    "trailing_giveback": (
        "Trailing giveback",
        MONEY,
        "Trailing loss limit: how far below the last step reached the floor sits "
        "(floor = whole steps of the peak × step − giveback).",
    ),
    "daily_profit_target": (
        "Daily profit target",
        MONEY,
        "Once today's P&L reaches it, no new ENTRY orders for the rest of the day.",
    ),
    "cooldown_minutes": (
        "Cool-down after the daily limit (minutes)",
        COUNT,
        "After the daily loss limit is first reached, no ENTRY for this long even if P&L recovers.",
    ),
    "max_consecutive_losses": (
        "Max losing trades in a row",
        COUNT,
        "Losing closing trades in a row today before ENTRY orders stop.",
    ),
    "losing_days_for_cooldown": (
        "Losing days before a day off",
        COUNT,
        "After this many losing days in a row, no ENTRY for the whole next session.",
    ),
    "max_order_qty": ("Max order quantity (units)", COUNT, "Any order above it is refused."),
    "max_order_value": (
        "Max order value",
        MONEY,
        "Quantity × price (× last price for MARKET and SL-M); any order above it is refused.",
    ),
    "max_open_orders": (
        "Max open orders",
        COUNT,
        "Orders open at the broker at once; a new ENTRY beyond it is refused.",
    ),
    "max_orders_per_minute": (
        "Max orders per minute",
        COUNT,
        "Rolling 60 s, ENTRY and EXIT alike: it stops runaway loops, not losses.",
    ),
    "fat_finger_pct": (
        "Fat-finger guard (% from last price)",
        NUMBER,
        "A LIMIT or SL price further than this per cent from the last price is refused.",
    ),
}
RISK_GROUPS = (
    (
        "Loss limits",
        (
            "daily_loss_limit",
            "max_loss",
            "flatten_on_max_loss",
            "warn_share",
            "trailing_loss_step",
            "trailing_giveback",
            "daily_profit_target",
        ),
    ),
    ("Cool-downs", ("cooldown_minutes", "max_consecutive_losses", "losing_days_for_cooldown")),
    (
        "Order limits",
        (
            "max_order_qty",
            "max_order_value",
            "max_open_orders",
            "max_orders_per_minute",
            "fat_finger_pct",
        ),
    ),
)
TRAILING_PAIR = ("trailing_loss_step", "trailing_giveback")


def restart_note() -> QLabel:
    label = QLabel("applies on restart")
    label.setObjectName("mutedLabel")
    return label


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for number, widget in enumerate(widgets):
        row.addWidget(widget, 1 if number == 0 else 0)
    return row


def _text(value: object) -> str:
    return "" if value is None else str(value)


def parse_limit(kind: str, title: str, text: str) -> tuple[Any, str | None]:
    """A typed limit as its value (None when empty: off), or the sentence why it is not one."""
    text = text.strip()
    if not text:
        return None, None
    number = to_decimal(text)
    if kind == COUNT:
        if number is None or number != number.to_integral_value():
            return None, f"{title} must be a whole number, or empty for off."
        return int(number), None
    if number is None:
        if kind == MONEY:
            return None, f"{title} must be an amount above zero, or empty for off."
        return None, f"{title} must be a number, or empty for off."
    return number, None


def limit_problems(
    values: dict[str, Any], base: RiskLimits | None = None
) -> tuple[dict[str, str], str | None]:
    """What RiskLimits says about these values: a sentence per field, and one for the whole
    (`base` with these values in it) when it refuses them for a reason no field explains."""
    problems: dict[str, str] = {}

    def refusal(**limits: Any) -> str | None:
        try:
            RiskLimits(**limits)
        except ValueError as error:
            return str(error)
        return None

    for name, value in values.items():
        if value is None or isinstance(value, bool):
            continue
        if name in TRAILING_PAIR:  # each half is checked beside a valid other half
            other = TRAILING_PAIR[1 - TRAILING_PAIR.index(name)]
            sentence = refusal(**{name: value, other: Decimal(1)})
        else:
            sentence = refusal(**{name: value})
        if sentence:
            problems[name] = sentence
    step, giveback = (values.get(name) for name in TRAILING_PAIR)
    if (step is None) != (giveback is None) and not problems.keys() & set(TRAILING_PAIR):
        missing = "trailing_giveback" if giveback is None else "trailing_loss_step"
        problems[missing] = refusal(trailing_loss_step=step, trailing_giveback=giveback) or ""
    daily, hard = values.get("daily_loss_limit"), values.get("max_loss")
    if (
        daily is not None
        and hard is not None
        and not problems.keys() & {"daily_loss_limit", "max_loss"}
    ):
        sentence = refusal(daily_loss_limit=daily, max_loss=hard)
        if sentence:
            problems["max_loss"] = sentence
    whole = None
    if not problems:
        try:
            replace(base or RiskLimits(), **values)
        except ValueError as error:
            whole = str(error)
    return problems, whole


class SettingsDialog(QDialog):
    saved = Signal(object)
    """The new Settings, after they are written to the config file."""

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        parent: QWidget | None = None,
        *,
        bridge: EngineBridge | None = None,
        tasks: TaskKeeper | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._settings = settings
        self._config_path = config_path
        self._limits = risk_limits_of(settings)
        """Fields this dialog has no editor for keep their value."""

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
        self._poll_shown = self.poll.value()
        """The box rounds to 0.1 s: an untouched box keeps the file's value exactly."""
        self.confirm_above = QLineEdit(_text(settings.confirm_above_value))
        self.confirm_above.setPlaceholderText("never ask")
        self.default_strategy = QLineEdit(settings.default_strategy)
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(settings.theme if settings.theme in THEMES else "light")
        self.shortcut_edits: dict[str, QKeySequenceEdit] = {}

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.general_page = self._general_page()
        self.risk_page = self._risk_page(settings)
        self.look_page = self._look_page(settings)
        self.tabs.addTab(self.general_page, "General")
        self.tabs.addTab(self.risk_page, "Risk")
        self.tabs.addTab(self.look_page, "Look and keys")
        self.intake_page = IntakeSettingsPage(settings, bridge=bridge, tasks=tasks)
        self.intake_page.senders_changed.connect(self._save_senders)
        self.tabs.addTab(self.intake_page, "Intake")

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
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(path_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.resize(620, 640)

    # ---- pages ------------------------------------------------------------------------------

    def _general_page(self) -> QWidget:
        engine = QGroupBox("Broker and account")
        engine_form = QFormLayout(engine)
        engine_form.addRow("Broker", _row(self.broker, restart_note()))
        engine_form.addRow("Account (client id)", _row(self.account, restart_note()))
        engine_form.addRow("Poll interval", _row(self.poll, restart_note()))
        self.paper_session = QCheckBox("The paper broker keeps the market's hours")
        self.paper_session.setObjectName("paperSessionMode")
        self.paper_session.setChecked(self._settings.paper_session_mode)
        self.paper_session.setToolTip(
            "On: closed-market orders go as AMOs or are refused, AMOs fill at the open and MIS "
            "is squared off at the cut-off, as with a live broker. Off (the default): the paper "
            "broker fills at any hour. Live brokers always keep the market's hours."
        )
        engine_form.addRow(_row(self.paper_session, restart_note()))
        orders = QGroupBox("Tickets")
        orders_form = QFormLayout(orders)
        orders_form.addRow("Confirm orders above value", self.confirm_above)
        orders_form.addRow("Default strategy", self.default_strategy)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(engine)
        layout.addWidget(orders)
        layout.addStretch(1)
        return page

    def _risk_page(self, settings: Settings) -> QWidget:
        current = self._limits
        self.risk_edits: dict[str, QLineEdit] = {}
        self.risk_checks: dict[str, QCheckBox] = {}
        self.risk_errors: dict[str, QLabel] = {}
        inner = QWidget()
        layout = QVBoxLayout(inner)
        note = QLabel(
            "Empty means off. Changes apply to the running engine at once; today's risk "
            "memory (the day's peak, a running cool-down, a max-loss trip) is kept."
        )
        note.setObjectName("mutedLabel")
        note.setWordWrap(True)
        layout.addWidget(note)
        for group_title, names in RISK_GROUPS:
            group = QGroupBox(group_title)
            form = QFormLayout(group)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for name in names:
                title, kind, what = RISK_FIELDS[name]
                if kind == SWITCH:
                    check = QCheckBox(title)
                    check.setObjectName(f"risk_{name}")
                    check.setChecked(bool(getattr(current, name)))
                    check.setToolTip(what)
                    self.risk_checks[name] = check
                    form.addRow("", check)
                    continue
                edit = QLineEdit(_text(getattr(current, name)))
                edit.setObjectName(f"risk_{name}")
                edit.setPlaceholderText("off")
                edit.setToolTip(what)
                error = QLabel()
                error.setObjectName("fieldError")
                error.setWordWrap(True)
                error.setVisible(False)
                holder = QVBoxLayout()
                holder.setSpacing(1)
                holder.addWidget(edit)
                holder.addWidget(error)
                self.risk_edits[name] = edit
                self.risk_errors[name] = error
                caption = QLabel(title)
                caption.setToolTip(what)
                form.addRow(caption, holder)
            layout.addWidget(group)
        switch = QGroupBox("Kill switch")
        switch_form = QFormLayout(switch)
        self.allow_unlock = QCheckBox("Allow turning the kill switch off after a max-loss trip")
        self.allow_unlock.setObjectName("allowUnlock")
        self.allow_unlock.setChecked(settings.allow_unlock_after_max_loss)
        self.allow_unlock.setToolTip(
            "Off (the default): a max-loss trip keeps the kill switch on until the next "
            "trading day. Deliberately not applied at once."
        )
        switch_form.addRow(_row(self.allow_unlock, restart_note()))
        layout.addWidget(switch)
        layout.addStretch(1)
        self.loss_limit = self.risk_edits["daily_loss_limit"]
        scroll = QScrollArea()
        scroll.setObjectName("riskScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _look_page(self, settings: Settings) -> QWidget:
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
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(look)
        layout.addStretch(1)
        return page

    # ---- reading and saving -----------------------------------------------------------------

    def risk_limits(self) -> tuple[RiskLimits | None, list[str]]:
        """The limits as typed, or every problem with them; each field shows its own."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, edit in self.risk_edits.items():
            title, kind, _ = RISK_FIELDS[name]
            value, problem = parse_limit(kind, title, edit.text())
            values[name] = value
            if problem:
                problems[name] = problem
        for name, check in self.risk_checks.items():
            values[name] = check.isChecked()
        checked, whole = limit_problems(
            {name: value for name, value in values.items() if name not in problems},
            self._limits,
        )
        for name, sentence in checked.items():
            problems.setdefault(name, sentence)  # a typing problem says more than a range one
        for name, edit in self.risk_edits.items():
            problem = problems.get(name, "")
            set_invalid(edit, bool(problem))
            label = self.risk_errors[name]
            label.setText(problem)
            label.setVisible(bool(problem))
        sentences = [problems[name] for name in self.risk_edits if name in problems]
        if whole:
            sentences.append(whole)
        if sentences:
            return None, sentences
        return replace(self._limits, **values), []

    def collect(self) -> tuple[Settings | None, list[str]]:
        """The settings as typed, or every problem with them."""
        problems: list[str] = []
        limits, risk_problems = self.risk_limits()
        problems.extend(risk_problems)
        text = self.confirm_above.text().strip()
        confirm = to_decimal(text) if text else None
        bad = bool(text) and (confirm is None or confirm <= 0)
        set_invalid(self.confirm_above, bad)
        if bad:
            problems.append(
                "Confirmation threshold must be an amount above zero, or empty for none."
            )
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
        intake, intake_problems = self.intake_page.values()
        problems.extend(intake_problems)
        if problems or limits is None:
            if risk_problems:
                self.tabs.setCurrentWidget(self.risk_page)
            elif intake_problems:
                self.tabs.setCurrentWidget(self.intake_page)
            return None, problems
        settings = replace(
            self._settings,
            broker=self.broker.currentText().strip() or self._settings.broker,
            client_id=account,
            poll_interval_s=(
                self._settings.poll_interval_s
                if self.poll.value() == self._poll_shown
                else float(self.poll.value())
            ),
            daily_loss_limit=limits.daily_loss_limit,
            risk=replace(limits, daily_loss_limit=None),
            allow_unlock_after_max_loss=self.allow_unlock.isChecked(),
            paper_session_mode=self.paper_session.isChecked(),
            confirm_above_value=confirm,
            default_strategy=strategy,
            theme=self.theme.currentText(),
            shortcuts=shortcuts,
            **intake,
        )
        return settings, []

    def _save_senders(self, senders: dict[str, str]) -> None:
        """A sender added or removed is in the keyring and the running intake already: the
        sender list is saved at once too (only it; the rest waits for Save)."""
        settings = replace(self._settings, intake_senders=senders)
        try:
            save_settings(settings, self._config_path)
        except OSError as error:
            self.error.setText(f"Could not write {self._config_path}: {error.strerror or error}")
            self.error.setVisible(True)
            return
        self._settings = settings
        log.info("intake senders saved to %s", self._config_path)
        self.saved.emit(settings)

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


def risk_limits_of(settings: Settings) -> RiskLimits:
    """Every limit the engine runs with: the [risk] table plus the daily loss limit."""
    return replace(settings.risk, daily_loss_limit=settings.daily_loss_limit)


def needs_restart(old: Settings, new: Settings) -> list[str]:
    """Names of changed settings that only a restart applies."""
    return [
        RESTART_TITLES[name] for name in RESTART_FIELDS if getattr(old, name) != getattr(new, name)
    ]
