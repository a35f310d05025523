"""The config file (TOML): what the trader set, read at start and written by Settings.

Secrets never go here: credentials live in the OS keyring.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tomli_w

from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.domain.senders import SenderApproval, sender_name

log = logging.getLogger(__name__)

DEFAULT_SHORTCUTS = {
    "buy_ticket": "F1",
    "sell_ticket": "F2",
    "clear_ticket": "Esc",
    "submit_ticket": "Return",
    "kill_switch": "Ctrl+Shift+K",
}


class SettingsError(ValueError):
    """The config file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    broker: str = "paper"
    client_id: str = "PAPER"
    database_url: str | None = None
    poll_interval_s: float = 1.0
    broker_timeout_s: float = 10.0
    not_found_grace_s: float = 30.0
    daily_loss_limit: Decimal | None = Decimal("25000")
    confirm_above_value: Decimal | None = Decimal("200000")
    theme: str = "light"
    default_strategy: str = "manual"
    shortcuts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SHORTCUTS))
    risk: RiskLimits = field(default_factory=RiskLimits)
    """Every risk limit but the daily loss limit above; the `[risk]` table of the file."""
    allow_unlock_after_max_loss: bool = False
    broker_url: str | None = None
    """The broker's host; None is its production host (a UAT host for testing)."""
    kite_market_protection: str = "-1"
    """-1: the broker protects market orders itself; else a percentage above 0 and up to 100."""
    kite_algo_id: str | None = None
    """The exchange's algo id, sent where the broker takes one."""
    telegram_chat_id: str | None = None
    """Alerts go to this Telegram chat when the bot token is in the keyring."""
    telegram_base_url: str = "https://api.telegram.org"
    intake_port: int | None = None
    """The external order intake's port; None: no intake (`--intake-port N` also turns it on)."""
    intake_host: str | None = None
    """None: 127.0.0.1, this machine only. Any other host lets the network reach the intake."""
    intake_approval: bool = False
    intake_approval_timeout_s: float = 120.0
    intake_rate_per_s: float = 20.0
    intake_senders: dict[str, str] = field(default_factory=dict)
    """Named intake senders and their approval: "global" (as `intake_approval`), "always" or
    "never". Their tokens are in the keyring; `default` (the first token) needs no entry."""
    kite_redirect_port: int = 5000
    """The daily login's redirect: http://127.0.0.1:<port>/ as registered with Kite."""
    symbol_master_url: str | None = None
    """Where Shoonya's daily symbol masters are fetched from; None: the address it publishes."""
    symbol_master_timeout_s: float = 60.0
    """The longest one master file's download may take before the previous list is kept."""
    paper_session_mode: bool = False
    """The paper broker follows the market calendar: closed-market orders refused or held as
    AMOs, MIS squared off at the cut-off. Off, it fills at any hour (a fresh machine at night
    still shows fills). Live brokers always follow the calendar."""
    keep_market_hours: bool = True
    """Step 2 keeps the market's hours for a live broker (AMO or refused when closed, the MIS
    cut-off). Turn off only against a broker's test host that takes orders at any hour."""

    def to_toml(self) -> str:
        """TOML has no null: a limit turned off is written as "off", so it stays off."""
        defaults = Settings()
        data: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "risk":
                continue
            if value is None:
                if getattr(defaults, key) is not None:
                    data[key] = OFF
                continue
            data[key] = _plain(value)
        default_risk = RiskLimits()
        risk = {
            key: _plain(value) if value is not None else OFF
            for key, value in asdict(self.risk).items()
            if key != "daily_loss_limit"
            and (value is not None or getattr(default_risk, key) is not None)
        }
        if risk:
            data["risk"] = risk
        return tomli_w.dumps(data)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


OFF = "off"
"""A setting that can be switched off is written as this word."""

_DECIMAL_FIELDS = {"daily_loss_limit", "confirm_above_value"}
_FLOAT_FIELDS = {
    "poll_interval_s",
    "broker_timeout_s",
    "not_found_grace_s",
    "intake_approval_timeout_s",
    "intake_rate_per_s",
    "symbol_master_timeout_s",
}


def load_settings(path: Path) -> Settings:
    """Defaults when the file does not exist; a `SettingsError` when it cannot be read."""
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: {error}") from error
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            log.warning("%s: unknown setting %r ignored", path, key)
            continue
        values[key] = _coerce(path, key, value)
    if "risk" in values:
        values["risk"] = _risk_limits(path, values["risk"])
    if "shortcuts" in values:
        values["shortcuts"] = DEFAULT_SHORTCUTS | dict(values["shortcuts"])
    return replace(Settings(), **values)


def _risk_limits(path: Path, table: Any) -> RiskLimits:
    """The `[risk]` table: RiskLimits' own field names, each checked like any setting."""
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: risk must be a table")
    known = {f.name: f for f in fields(RiskLimits)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if value == OFF and key in known:
            values[key] = None
            continue
        kind = known.get(key)
        if kind is None or key == "daily_loss_limit":
            raise SettingsError(f"{path}: [risk] has no setting {key!r}")
        annotation = str(kind.type)
        try:
            if annotation.startswith("bool"):
                if not isinstance(value, bool):
                    raise SettingsError(f"{path}: [risk] {key} must be true or false")
                values[key] = value
            elif annotation.startswith("int"):
                if isinstance(value, bool) or int(value) != value:
                    raise SettingsError(f"{path}: [risk] {key} must be a whole number")
                values[key] = int(value)
            else:
                values[key] = Decimal(str(value))
        except SettingsError:
            raise
        except (InvalidOperation, ValueError, TypeError) as error:
            raise SettingsError(f"{path}: [risk] {key} must be a number, not {value!r}") from error
    try:
        return RiskLimits(**values)
    except ValueError as error:
        raise SettingsError(f"{path}: [risk] {error}") from error


def _coerce(path: Path, key: str, value: Any) -> Any:
    if key == "telegram_chat_id":
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            raise SettingsError(f"{path}: {key} must be a chat id like -1001234567890 or @channel")
        return str(value).strip()
    if key == "risk":
        return value
    if key in ("kite_redirect_port", "intake_port"):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise SettingsError(f"{path}: {key} must be a port number, not {value!r}")
        return value
    if key in (
        "allow_unlock_after_max_loss",
        "intake_approval",
        "paper_session_mode",
        "keep_market_hours",
    ):
        if not isinstance(value, bool):
            raise SettingsError(f"{path}: {key} must be true or false")
        return value
    try:
        if key in _DECIMAL_FIELDS:
            if value == OFF:
                return None
            amount = Decimal(str(value))
            if amount <= 0:
                raise SettingsError(f"{path}: {key} must be more than zero, not {value!r}")
            return amount
        if key in _FLOAT_FIELDS:
            number = float(value)
            if number <= 0:
                raise SettingsError(f"{path}: {key} must be more than zero, not {value!r}")
            return number
    except (InvalidOperation, ValueError, TypeError) as error:
        if isinstance(error, SettingsError):
            raise
        raise SettingsError(f"{path}: {key} must be a number, not {value!r}") from error
    if key == "intake_senders":
        return _senders(path, value)
    if key == "shortcuts":
        if not isinstance(value, dict):
            raise SettingsError(f"{path}: shortcuts must be a table")
        return {str(k): str(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise SettingsError(f"{path}: {key} must be text, not {value!r}")
    return value


def _senders(path: Path, table: Any) -> dict[str, str]:
    """`[intake_senders]`: name = "global" | "always" | "never"."""
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: intake_senders must be a table of name = approval")
    words = ", ".join(f'"{rule.value}"' for rule in SenderApproval)
    senders: dict[str, str] = {}
    for name, word in table.items():
        try:
            chosen = sender_name(str(name))
        except ValueError as error:
            raise SettingsError(f"{path}: intake_senders: {error}") from error
        if word not in {rule.value for rule in SenderApproval}:
            raise SettingsError(f"{path}: intake_senders.{chosen} must be {words}, not {word!r}")
        senders[chosen] = str(word)
    return senders


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically: a crash mid-write never leaves half a config file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(settings.to_toml(), encoding="utf-8")
    temporary.replace(path)
