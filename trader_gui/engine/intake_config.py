"""The external order intake's settings, with the safe defaults.

Off unless a port is given. Loopback only unless the trader names another host: anything
that can reach the port and holds a token can place orders with real money. The senders (each
with a token of its own in the keyring) and their approval rules are listed here; the tokens
never are.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from trader_gui.domain.senders import DEFAULT_SENDER, SenderApproval, sender_name

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 64 * 1024
"""A ticket is a few hundred bytes; anything near this is a mistake or an attack."""


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    port: int | None = None
    """None: no intake. 0: any free port (tests); the bound port is `IntakeService.port`."""
    host: str = LOOPBACK
    approval: bool = False
    """External orders wait in the approvals queue until the trader approves them (unless
    their sender's own rule says otherwise)."""
    senders: tuple[tuple[str, SenderApproval], ...] = ()
    """Named senders and their approval rule; `default` is always one, ruled GLOBAL unless
    listed."""
    approval_timeout_s: float = 120.0
    """A waiting order not decided within this is expired, never sent late."""
    rate_per_s: float = 20.0
    """Requests a second before 429 (a token bucket, `burst` deep)."""
    burst: int | None = None
    """Bucket depth; None: one second's worth of `rate_per_s`."""
    max_in_flight: int = 50
    """Orders the intake is working on at once; more are answered 429 at the door."""
    max_body_bytes: int = MAX_BODY_BYTES
    expiry_check_s: float = 1.0
    """How often waiting orders are checked for expiry."""

    def __post_init__(self) -> None:
        if self.port is not None and not 0 <= self.port < 65536:
            raise ValueError(f"intake port must be 0 to 65535, not {self.port}")
        if self.rate_per_s <= 0:
            raise ValueError("intake rate must be more than zero")
        if self.approval_timeout_s <= 0:
            raise ValueError("intake approval timeout must be more than zero")

    @property
    def sender_names(self) -> tuple[str, ...]:
        """Every sender whose token is accepted, `default` first."""
        named = tuple(name for name, _ in self.senders if name != DEFAULT_SENDER)
        return (DEFAULT_SENDER, *named)

    def approval_of(self, sender: str) -> SenderApproval:
        return dict(self.senders).get(sender, SenderApproval.GLOBAL)

    def waits(self, sender: str) -> bool:
        """Whether this sender's orders wait for the trader's approval."""
        return self.approval_of(sender).waits(self.approval)

    @property
    def approval_text(self) -> str:
        """Which orders wait for approval, in words for the trader."""
        mode = "orders wait for your approval" if self.approval else "orders go at once"
        others = [name for name in self.sender_names if self.waits(name) != self.approval]
        return f"{mode}, except from {', '.join(others)}" if others else mode

    @property
    def enabled(self) -> bool:
        return self.port is not None

    @property
    def bucket_depth(self) -> int:
        return self.burst if self.burst is not None else max(1, int(self.rate_per_s))

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connect_host(host: str | None) -> str:
    """Where a client on this machine reaches a server bound to `host`."""
    if not host or host in ("0.0.0.0", "::", "[::]"):
        return LOOPBACK
    return host


def intake_config_from(settings: Any, port: int | None = None) -> IntakeConfig:
    """The `intake_*` settings, with `--intake-port` winning over `intake_port`.

    Read by name so the settings file and this module can grow apart: a field the settings
    do not have yet takes the default here.
    """
    defaults = IntakeConfig()
    chosen = port if port is not None else getattr(settings, "intake_port", None)
    host = getattr(settings, "intake_host", None) or defaults.host
    return IntakeConfig(
        port=chosen,
        host=host,
        approval=bool(getattr(settings, "intake_approval", defaults.approval)),
        approval_timeout_s=float(
            getattr(settings, "intake_approval_timeout_s", defaults.approval_timeout_s)
        ),
        rate_per_s=float(getattr(settings, "intake_rate_per_s", defaults.rate_per_s)),
        senders=senders_from(getattr(settings, "intake_senders", None) or {}),
    )


def senders_from(table: dict[str, str]) -> tuple[tuple[str, SenderApproval], ...]:
    """The `intake_senders` setting (name -> approval word), in the order it lists them."""
    return tuple((sender_name(name), SenderApproval(word)) for name, word in table.items())
