"""Command ids: generated once per ticket, they travel to the broker as the order's client tag."""

from __future__ import annotations

import re
import secrets
import time

COMMAND_ID_MAX_LENGTH = 20
"""Zerodha's `tag` takes at most 20 characters; Shoonya's `remarks` takes more."""

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALID = re.compile(r"[A-Za-z0-9]{1,20}")


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def new_command_id() -> str:
    """20 upper-case letters and digits: 9 of milliseconds (sortable by time), 11 random.

    Eleven random base-36 characters give 56 bits, so two tickets in the same millisecond
    collide with odds far below one in a billion; the database's unique key catches the rest.
    """
    millis = time.time_ns() // 1_000_000
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(11))
    return _base36(millis, 9) + random_part


def is_valid_command_id(value: object) -> bool:
    return isinstance(value, str) and _VALID.fullmatch(value) is not None
