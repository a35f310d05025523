"""Named senders of the external order intake: each its own token, each its own approval rule.

A sender is whoever holds one token: a charting platform's alerts, a strategy script, a
friend's signal bot. The token says who sent an order, not a label in the order's body, which
any holder of any token could write. `default` is the sender of the intake's first token, so a
program set up before senders existed keeps working unchanged.
"""

from __future__ import annotations

import re
from enum import StrEnum

DEFAULT_SENDER = "default"
SENDER_NAME_MAX = 20
SENDER_NAME = re.compile(rf"[a-z0-9_-]{{1,{SENDER_NAME_MAX}}}")
SENDER_NAME_RULE = (
    f"a sender's name is 1 to {SENDER_NAME_MAX} letters, digits, '-' or '_' (like tradingview)"
)


class SenderApproval(StrEnum):
    """Whether a sender's orders wait for the trader's approval."""

    GLOBAL = "global"
    """As the intake's approval switch says."""
    ALWAYS = "always"
    NEVER = "never"

    def waits(self, global_approval: bool) -> bool:
        if self is SenderApproval.GLOBAL:
            return global_approval
        return self is SenderApproval.ALWAYS


def sender_name(text: str) -> str:
    """The name as kept (lower case, no spaces around); ValueError with the rule when it is
    not one."""
    name = text.strip().lower()
    if SENDER_NAME.fullmatch(name) is None:
        raise ValueError(f"{text.strip()[:40]!r} is not a sender name: {SENDER_NAME_RULE}")
    return name
