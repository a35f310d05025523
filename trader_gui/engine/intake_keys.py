"""Idempotency keys of the intake: a sender's `client_order_id` becomes the order's command_id.

The mapping is a stable hash, not the sender's text used as it is, for three reasons:
- senders count their orders from 1 again every morning; yesterday's `1` must not swallow
  today's `1` as a replay, so the IST trading day is part of the key (a retry comes within
  seconds, never across midnight, when the market is shut);
- a sender must not be able to name, and so read or shadow, an order typed in the window:
  intake ids start with `X`, ids the program makes start with a digit for decades to come;
- the command_id travels to the broker as the client tag, 20 letters and digits at most
  (Kite), and a sender's key may be longer or use `-`, `.`, `:` and `_`.

The same (account, day, sender, client_order_id) always gives the same command_id, in this
process or after a restart, so a replay finds the first order by the database's unique key.
Each sender has keys of its own: two senders counting from 1 do not answer each other's
orders as replays. The `default` sender's keys are those of the intake before senders existed,
so a replay across that upgrade is still one order.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from trader_gui.domain.ids import COMMAND_ID_MAX_LENGTH
from trader_gui.domain.senders import DEFAULT_SENDER

CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
CLIENT_ORDER_ID_RULE = "client_order_id is 1 to 64 letters, digits, '.', '_', ':' or '-'"
INTAKE_PREFIX = "X"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def is_valid_client_order_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ORDER_ID.fullmatch(value) is not None


def command_id_for(
    client_order_id: str, client_id: str, day: date, sender: str = DEFAULT_SENDER
) -> str:
    """`X` and 19 base-36 characters (98 bits) of SHA-256 over account, day, sender and key.

    The default sender is left out of the hashed text (its ids are those made before there
    were senders); a key has no newline, so no other sender's text can equal it.
    """
    scope = "" if sender == DEFAULT_SENDER else f"{sender}\n"
    text = f"{client_id}\n{day.isoformat()}\n{scope}{client_order_id}"
    digest = hashlib.sha256(text.encode()).digest()
    number = int.from_bytes(digest, "big")
    characters = []
    for _ in range(COMMAND_ID_MAX_LENGTH - len(INTAKE_PREFIX)):
        number, digit = divmod(number, 36)
        characters.append(_ALPHABET[digit])
    return INTAKE_PREFIX + "".join(characters)


class KeyLocks:
    """One asyncio lock per command_id while someone holds it, then forgotten.

    Two requests with the same key, or a replay racing the trader's approval, run one after
    the other: the second finds what the first recorded and answers with it.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
