"""The intake's pure parts: idempotency keys, the token bucket, the body reader, the token."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tickets import ticket as valid_ticket

from trader_gui.credentials import Secret
from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.ids import is_valid_command_id
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.intake_keys import KeyLocks, command_id_for, is_valid_client_order_id
from trader_gui.engine.intake_rate import TokenBucket
from trader_gui.engine.intake_tickets import BodyError, order_view, read_ticket
from trader_gui.engine.intake_token import bearer_matches, sender_of

DAY = date(2026, 11, 25)


def test_a_client_order_id_maps_to_one_command_id_per_account_and_day() -> None:
    key = command_id_for("run-1:leg.2", "PAPER", DAY)

    assert key == command_id_for("run-1:leg.2", "PAPER", DAY)
    assert is_valid_command_id(key)
    assert key.startswith("X")
    assert len(key) == 20
    assert key != command_id_for("run-1:leg.2", "PAPER", date(2026, 11, 26))
    assert key != command_id_for("run-1:leg.2", "FA12345", DAY)
    assert key != command_id_for("run-1:leg.3", "PAPER", DAY)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1", True),
        ("a" * 64, True),
        ("A.b_c:d-1", True),
        ("", False),
        ("a" * 65, False),
        ("a b", False),
        ("é", False),
        (7, False),
    ],
)
def test_which_client_order_ids_are_taken(value: object, valid: bool) -> None:
    assert is_valid_client_order_id(value) is valid


def test_the_bucket_gives_its_depth_at_once_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(10, 3, monotonic=lambda: now[0])

    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.1
    assert [bucket.try_take() for _ in range(2)] == [True, False]
    now[0] += 100
    assert sum(bucket.try_take() for _ in range(10)) == 3


def test_prices_keep_their_decimals_and_the_key_is_taken_out() -> None:
    ticket = read_ticket(b'{"symbol": "SBIN", "price": 812.15, "client_order_id": "k1"}')

    assert ticket.fields == {"symbol": "SBIN", "price": Decimal("812.15")}
    assert ticket.client_order_id == "k1"


def test_a_number_too_long_to_read_is_a_400() -> None:
    with pytest.raises(BodyError, match="not valid JSON"):
        read_ticket(b'{"quantity": ' + b"9" * 5000 + b"}")


def test_only_the_right_bearer_token_matches() -> None:
    token = Secret("s3cret-token")

    assert bearer_matches("Bearer s3cret-token", token)
    assert bearer_matches("bearer   s3cret-token ", token)
    assert not bearer_matches("Bearer s3cret-tokeN", token)
    assert not bearer_matches("Token s3cret-token", token)
    assert not bearer_matches("Bearer \udcff", token)
    assert not bearer_matches(None, token)


def test_a_token_names_its_sender_and_no_other() -> None:
    tokens = {"default": Secret("first-token"), "tv": Secret("tv-token"), "bot": Secret("b")}

    assert sender_of("Bearer tv-token", tokens) == "tv"
    assert sender_of("Bearer first-token", tokens) == "default"
    assert sender_of("Bearer b", tokens) == "bot"
    assert sender_of("Bearer tv-tokenX", tokens) is None
    assert sender_of("Bearer ", tokens) is None
    assert sender_of(None, tokens) is None
    assert sender_of("Bearer tv-token", {}) is None


def test_each_sender_has_its_own_keys_and_the_default_keeps_its_old_ones() -> None:
    default = command_id_for("1", "PAPER", DAY)

    assert command_id_for("1", "PAPER", DAY, "default") == default
    assert command_id_for("1", "PAPER", DAY, "tv") != default
    assert command_id_for("1", "PAPER", DAY, "tv") != command_id_for("1", "PAPER", DAY, "bot")
    assert is_valid_command_id(command_id_for("1", "PAPER", DAY, "tv"))


@pytest.mark.asyncio
async def test_key_locks_serialise_one_key_and_are_forgotten() -> None:
    locks = KeyLocks()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("K"):
            order.append(f"{name} in")
            await asyncio.sleep(0)  # allow-sleep: yields to the other holder, does not wait
            order.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"))

    assert order == ["a in", "a out", "b in", "b out"]
    assert len(locks) == 0


def test_an_order_sent_as_an_amo_says_so_to_the_caller() -> None:
    now = datetime(2026, 11, 28, 6, tzinfo=UTC)
    record = OrderRecord(valid_ticket(), OrderStatus.SENT_TO_BROKER, now, now, amo=True)

    assert order_view(record)["amo"] is True
