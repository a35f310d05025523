"""The Risk tab: every limit, checked by RiskLimits at its field, saved to the config file and
applied to the running engine at once."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from ui_support import Terminal, submit, type_ticket

from trader_gui.domain.enums import OrderStatus, Tag
from trader_gui.domain.risk_limits import LossLimitKind, RiskLimits
from trader_gui.settings import load_settings


def test_every_risk_limit_has_a_field(terminal: Terminal) -> None:
    dialog = terminal.window.open_settings()
    editors = set(dialog.risk_edits) | set(dialog.risk_checks)
    assert editors == {field.name for field in fields(RiskLimits)}
    assert dialog.risk_edits["daily_loss_limit"].text() == "25000"
    assert dialog.risk_edits["warn_share"].text() == "0.80"
    assert dialog.risk_edits["max_loss"].text() == ""
    assert dialog.risk_edits["max_loss"].placeholderText() == "off"


def test_a_limit_saved_in_the_risk_tab_blocks_in_the_running_engine(
    qtbot: Any, terminal: Terminal
) -> None:
    window = terminal.window
    dialog = window.open_settings()
    dialog.tabs.setCurrentWidget(dialog.risk_page)
    qtbot.keyClicks(dialog.risk_edits["max_order_qty"], "5")
    qtbot.keyClicks(dialog.risk_edits["max_loss"], "40000")
    dialog.risk_checks["flatten_on_max_loss"].setChecked(True)
    dialog.save()
    assert not dialog.error.isVisible()

    saved = load_settings(terminal.paths.config_file)
    assert saved.risk.max_order_qty == 5
    assert saved.risk.max_loss == Decimal("40000")
    assert saved.risk.flatten_on_max_loss is True
    assert saved.daily_loss_limit == Decimal("25000")
    limits = terminal.runtime.engine.risk.limits
    assert (limits.max_order_qty, limits.max_loss) == (5, Decimal("40000"))
    assert limits.daily_loss_limit == Decimal("25000")  # the daily limit is kept
    assert window.status.currentMessage() == f"Settings saved to {terminal.paths.config_file}."
    assert [row.kind for row in window.pnl.shown_rows()] == [
        LossLimitKind.DAILY_LOSS,
        LossLimitKind.MAX_LOSS,
    ]

    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="6")
    blocked = submit(qtbot, terminal.entry)
    assert blocked.status is OrderStatus.FAILED
    assert blocked.tag is Tag.RISK_LIMITS_EXCEEDED
    assert window.blockers.counts[Tag.RISK_LIMITS_EXCEEDED] == 1
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="5")
    within = submit(qtbot, terminal.entry)
    assert within.status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)  # not blocked


def test_limits_that_make_no_sense_are_refused_at_their_field(
    qtbot: Any, terminal: Terminal
) -> None:
    window = terminal.window
    dialog = window.open_settings()
    edits, errors = dialog.risk_edits, dialog.risk_errors
    edits["max_loss"].setText("10000")  # below the daily loss limit of 25,000
    edits["trailing_loss_step"].setText("2000")  # without its giveback
    edits["max_open_orders"].setText("2.5")
    edits["warn_share"].setText("80")
    edits["cooldown_minutes"].setText("0")
    dialog.save()

    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.risk_page
    assert errors["max_loss"].text() == (
        "Max loss 10,000.00 is below the daily loss limit 25,000.00: "
        "the kill switch would trip before entries stop."
    )
    assert errors["trailing_giveback"].text() == (
        "The trailing loss limit needs both its step and its giveback."
    )
    assert (
        errors["max_open_orders"].text()
        == "Max open orders must be a whole number, or empty for off."
    )
    assert (
        errors["warn_share"].text() == "Warning share must be between 0 and 1 (exclusive), not 80."
    )
    assert errors["cooldown_minutes"].text() == (
        "Cooldown minutes must be a whole number above 0, not 0."
    )
    for name in ("max_loss", "trailing_giveback", "max_open_orders", "warn_share"):
        assert errors[name].isVisibleTo(dialog)
        assert edits[name].property("invalid") is True
    assert edits["daily_loss_limit"].property("invalid") is False
    assert errors["max_loss"].text() in dialog.error.text()
    assert "Traceback" not in dialog.error.text()
    assert not terminal.paths.config_file.exists()
    assert terminal.runtime.engine.risk.limits.max_loss is None

    edits["max_loss"].setText("30000")
    edits["trailing_giveback"].setText("3000")
    edits["max_open_orders"].setText("4")
    edits["warn_share"].setText("0.9")
    edits["cooldown_minutes"].clear()
    dialog.save()
    assert not dialog.isVisible()
    limits = terminal.runtime.engine.risk.limits
    assert limits.max_loss == Decimal("30000")
    assert (limits.trailing_loss_step, limits.trailing_giveback) == (Decimal(2000), Decimal(3000))
    assert limits.max_open_orders == 4
    assert limits.warn_share == Decimal("0.9")
    assert limits.cooldown_minutes is None


def test_unlocking_after_a_max_loss_trip_applies_on_restart(terminal: Terminal) -> None:
    window = terminal.window
    dialog = window.open_settings()
    dialog.allow_unlock.setChecked(True)
    dialog.save()
    assert load_settings(terminal.paths.config_file).allow_unlock_after_max_loss is True
    assert terminal.runtime.engine.config.allow_unlock_after_max_loss is False
    assert "unlock after a max-loss trip change applies on restart" in (
        window.status.currentMessage()
    )
