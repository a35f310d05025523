"""The config file: round trip, defaults, and a clear error for each bad value."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.settings import Settings, SettingsError, load_settings, save_settings


def test_missing_file_gives_the_safe_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml") == Settings()


def test_settings_and_risk_limits_round_trip(tmp_path: Path) -> None:
    settings = Settings(
        broker="paper",
        poll_interval_s=0.5,
        daily_loss_limit=Decimal("7500.50"),
        risk=RiskLimits(max_loss=Decimal("12000"), cooldown_minutes=20, flatten_on_max_loss=True),
        allow_unlock_after_max_loss=True,
        paper_session_mode=True,
    )
    path = tmp_path / "config.toml"

    save_settings(settings, path)

    assert load_settings(path) == settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("poll_interval_s = -1", "poll_interval_s must be more than zero"),
        ("daily_loss_limit = 'lots'", "daily_loss_limit must be a number"),
        ("[risk]\nmax_loss = 'x'", "[risk] max_loss must be a number"),
        ("[risk]\ncooldown_minutes = 1.5", "[risk] cooldown_minutes must be a whole number"),
        ("[risk]\nmax_los = 100", "[risk] has no setting 'max_los'"),
        ("[risk]\nmax_loss = -5", "[risk]"),
        ("broker = ", "config.toml"),
        ("paper_session_mode = 'yes'", "paper_session_mode must be true or false"),
    ],
)
def test_bad_values_are_refused_with_the_file_and_the_reason(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SettingsError) as error:
        load_settings(path)

    assert expected in str(error.value)
    assert str(path) in str(error.value)


def test_a_limit_switched_off_stays_off_after_a_restart(tmp_path: Path) -> None:
    settings = Settings(
        daily_loss_limit=None,
        confirm_above_value=None,
        risk=RiskLimits(warn_share=None, max_loss=Decimal("9000")),
    )
    path = tmp_path / "config.toml"

    save_settings(settings, path)
    loaded = load_settings(path)

    assert loaded.daily_loss_limit is None
    assert loaded.confirm_above_value is None
    assert loaded.risk.warn_share is None
    assert loaded == settings


def test_intake_senders_round_trip_and_bad_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_settings(Settings(intake_senders={"tradingview": "never", "bot-2": "always"}), path)

    assert load_settings(path).intake_senders == {"tradingview": "never", "bot-2": "always"}
    assert "token" not in path.read_text(encoding="utf-8")
    path.write_text('[intake_senders]\n"my bot" = "never"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="not a sender name"):
        load_settings(path)
    path.write_text('[intake_senders]\ntv = "sometimes"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"intake_senders\.tv must be"):
        load_settings(path)
