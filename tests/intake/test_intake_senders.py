"""Named senders: each its own token, its own approval rule, its own idempotency keys; the
token, never the body, says who sent an order, and every order records it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest
import pytest_asyncio
from intake_support import Intake, IntakeFactory, ticket

from trader_gui import credentials
from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.market_time import IST
from trader_gui.domain.senders import SenderApproval
from trader_gui.engine.intake import SenderError
from trader_gui.engine.intake_keys import command_id_for
from trader_gui.engine.intake_token import read_token, token_name

pytestmark = pytest.mark.asyncio

SENDERS = (("tradingview", SenderApproval.NEVER), ("friendbot", SenderApproval.ALWAYS))


@pytest_asyncio.fixture
async def senders(intakes: IntakeFactory) -> Intake:
    """Orders go at once unless their sender says otherwise: friendbot's always wait."""
    return await intakes.start(approval=False, senders=SENDERS)


def token_of(sender: str) -> str:
    token = read_token(sender=sender)
    assert token is not None, sender
    return token.reveal()


async def test_one_senders_orders_wait_and_the_others_go_to_executed(
    senders: Intake, clock
) -> None:
    waiting = await senders.post(ticket(client_order_id="a1"), token=token_of("friendbot"))
    sent = await senders.post(ticket(client_order_id="a1"), token=token_of("tradingview"))

    assert waiting.status == 202
    assert waiting.body["status"] == "WAITING_FOR_APPROVAL"
    assert sent.status == 201
    (entry,) = senders.service.approvals.waiting()
    assert entry.sender == "friendbot"
    clock.advance(1)
    await senders.runtime.watcher.poll_once()
    record = senders.runtime.repository.get(sent.body["command_id"])
    assert record is not None
    assert (record.status, record.command.sender) == (OrderStatus.EXECUTED, "tradingview")
    (approved,) = await senders.service.approvals.approve(entry.command_id)
    assert approved.command.sender == "friendbot"
    assert senders.service.approvals.decision(entry.command_id).sender == "friendbot"  # type: ignore[union-attr]
    assert sorted(r.command.sender or "" for r in senders.orders()) == ["friendbot", "tradingview"]


async def test_the_global_switch_rules_senders_without_a_rule_of_their_own(
    intakes: IntakeFactory,
) -> None:
    intake = await intakes.start(approval=True, senders=(("tradingview", SenderApproval.NEVER),))

    held = await intake.post(ticket())  # the default sender follows the switch
    sent = await intake.post(ticket(), token=token_of("tradingview"))

    assert (held.status, sent.status) == (202, 201)
    assert "except from tradingview" in " ".join(intake.notices())


async def test_a_token_speaks_for_its_own_sender_only(senders: Intake) -> None:
    claimed = await senders.post(
        ticket(client_order_id="c1", sender="friendbot"), token=token_of("tradingview")
    )
    assert claimed.status == 400  # a body cannot name its sender
    assert "sender" in claimed.body["error"]
    assert senders.orders() == []

    reply = await senders.post(ticket(client_order_id="c1"), token=token_of("tradingview"))

    (record,) = senders.orders()
    assert record.command_id == reply.body["command_id"]
    assert record.command.sender == "tradingview"
    assert senders.service.approvals.waiting() == []  # not held as friendbot's would be


async def test_a_removed_senders_token_is_refused_at_once_and_forgotten(
    senders: Intake, keyring_store: credentials.CredentialStore
) -> None:
    token = token_of("tradingview")
    assert (await senders.post(ticket(client_order_id="r1"), token=token)).status == 201

    await senders.service.remove_sender("tradingview")

    refused = await senders.post(ticket(client_order_id="r2"), token=token)
    assert refused.status == 401
    assert (await senders.get("/orders/X", token=token)).status == 401
    assert len(senders.orders()) == 1  # nothing recorded for the refused one
    assert keyring_store.get_secret(token_name("tradingview")) is None
    assert "tradingview" not in senders.service.config.sender_names
    assert (
        await senders.post(ticket(client_order_id="r3"), token=token_of("friendbot"))
    ).status == 202


async def test_one_client_order_id_from_two_senders_is_two_orders(senders: Intake) -> None:
    await senders.service.remove_sender("friendbot")
    await senders.service.add_sender("strategy-2", SenderApproval.NEVER)
    tv, strategy = token_of("tradingview"), token_of("strategy-2")

    first = await senders.post(ticket(client_order_id="1"), token=tv)
    other = await senders.post(ticket(client_order_id="1", strategy="ext2"), token=strategy)
    again = await senders.post(ticket(client_order_id="1"), token=tv)

    assert (first.status, other.status, again.status) == (201, 201, 200)
    assert first.body["command_id"] != other.body["command_id"]
    assert again.body["command_id"] == first.body["command_id"]
    tags = sorted(order.tag for order in senders.runtime.broker.order_book())
    assert tags == sorted([first.body["command_id"], other.body["command_id"]])
    by_sender = {r.command.sender: r.command_id for r in senders.orders()}
    assert by_sender == {
        "tradingview": first.body["command_id"],
        "strategy-2": other.body["command_id"],
    }


async def test_the_first_token_is_the_default_sender_with_the_ids_it_always_had(
    intake: Intake, clock
) -> None:
    reply = await intake.post(ticket(client_order_id="old-1"))  # the one token of before

    assert reply.status == 201
    (record,) = intake.orders()
    assert record.command.sender == "default"
    day = clock().astimezone(IST).date()
    assert reply.body["command_id"] == _pre_sender_id("old-1", "PAPER", day)
    assert command_id_for("old-1", "PAPER", day, "other") != reply.body["command_id"]


async def test_an_added_sender_gets_a_new_token_and_bad_names_are_refused(
    senders: Intake, keyring_store: credentials.CredentialStore
) -> None:
    keyring_store.set_secret(token_name("returning"), "a-token-left-from-long-ago")

    name, token = await senders.service.add_sender("Returning")

    assert name == "returning"
    assert token.reveal() != "a-token-left-from-long-ago"  # an old token is never revived
    assert (await senders.post(ticket(), token="a-token-left-from-long-ago")).status == 401
    assert (await senders.post(ticket(), token=token.reveal())).status == 201
    with pytest.raises(SenderError, match="already"):
        await senders.service.add_sender("tradingview")
    with pytest.raises(SenderError, match="not a sender name"):
        await senders.service.add_sender("my bot!")
    with pytest.raises(SenderError, match="cannot be removed"):
        await senders.service.remove_sender("default")


async def test_a_senders_new_token_refuses_its_old_one(senders: Intake) -> None:
    old = token_of("tradingview")

    new = (await senders.service.rotate_token("tradingview")).reveal()

    assert (await senders.post(ticket(), token=old)).status == 401
    assert (await senders.post(ticket(), token=new)).status == 201
    assert (await senders.post(ticket(strategy="ext2"))).status == 201  # default unchanged


async def test_changing_a_senders_rule_applies_without_listening_again(senders: Intake) -> None:
    port = senders.service.port
    rules = (("tradingview", SenderApproval.ALWAYS), ("friendbot", SenderApproval.NEVER))

    assert await senders.service.apply(replace(senders.service.config, senders=rules))

    assert senders.service.port == port
    assert (await senders.post(ticket(), token=token_of("tradingview"))).status == 202
    assert (await senders.post(ticket(), token=token_of("friendbot"))).status == 201


def _pre_sender_id(client_order_id: str, client_id: str, day: date) -> str:
    """The intake's ids before senders, worked out here independently of intake_keys."""
    text = f"{client_id}\n{day.isoformat()}\n{client_order_id}"
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    characters = []
    for _ in range(19):
        number, digit = divmod(number, 36)
        characters.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit])
    return "X" + "".join(characters)
