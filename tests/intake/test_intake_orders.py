"""Orders through the intake: the same six steps, idempotent by client_order_id, every
refusal recorded where the trader looks."""

from __future__ import annotations

import asyncio

import pytest
from intake_support import Intake, IntakeFactory, ticket

from trader_gui.domain.enums import OrderStatus, Source, Tag

pytestmark = pytest.mark.asyncio


async def test_an_accepted_order_is_sent_and_reaches_executed(intake: Intake, clock) -> None:
    reply = await intake.post(ticket(client_order_id="run1-leg1"))

    assert reply.status == 201
    command_id = reply.body["command_id"]
    assert reply.body["command_ids"] == [command_id]
    assert reply.body["status"] == "SENT_TO_BROKER"
    assert reply.body["orders"][0]["broker_status"] == "ACCEPTED"
    assert reply.body["orders"][0]["amo"] is False
    record = intake.runtime.repository.get(command_id)
    assert record is not None
    assert record.command.source is Source.EXTERNAL
    clock.advance(1)
    await intake.runtime.watcher.poll_once()
    status = await intake.get(f"/orders/{command_id}")
    assert status.status == 200
    assert status.body["status"] == "EXECUTED"
    assert status.body["orders"][0]["filled_qty"] == 10


async def test_the_same_client_order_id_reaches_the_broker_once(intake: Intake) -> None:
    first = await intake.post(ticket(client_order_id="abc-1"))

    again = await intake.post(ticket(client_order_id="abc-1"))

    assert first.status == 201
    assert again.status == 200
    assert again.body["replay"] is True
    assert again.body["command_id"] == first.body["command_id"]
    tags = [order.tag for order in intake.runtime.broker.order_book()]
    assert tags == [first.body["command_id"]]
    assert len(intake.orders()) == 1


async def test_two_requests_with_one_key_at_the_same_time_send_one_order(intake: Intake) -> None:
    replies = await asyncio.gather(*(intake.post(ticket(client_order_id="k7")) for _ in range(5)))

    assert sorted(reply.status for reply in replies) == [200, 200, 200, 200, 201]
    assert len({reply.body["command_id"] for reply in replies}) == 1
    assert len(intake.runtime.broker.order_book()) == 1


async def test_without_a_client_order_id_every_request_is_a_new_order(intake: Intake) -> None:
    first = await intake.post(ticket(strategy="a"))
    second = await intake.post(ticket(strategy="b"))

    assert (first.status, second.status) == (201, 201)
    assert first.body["command_id"] != second.body["command_id"]


async def test_a_ticket_that_cannot_be_parsed_is_recorded_and_answered_422(intake: Intake) -> None:
    reply = await intake.post(ticket(side="HOLD", quantity="ten", client_order_id="bad1"))

    assert reply.status == 422
    assert "Side must be one of BUY, SELL" in reply.body["error"]
    assert "Quantity must be a whole number" in reply.body["error"]
    (record,) = intake.orders()
    assert record.command_id == reply.body["command_id"]
    assert record.status is OrderStatus.FAILED
    assert record.tag is Tag.VALIDATION_FAILED
    assert record.command.source is Source.EXTERNAL
    assert record.command.quantity == 0  # a placeholder, and the sentence quotes the ticket
    assert '"side": "HOLD"' in record.detail
    assert intake.runtime.broker.order_book() == []


async def test_a_ticket_against_the_catalog_rules_is_recorded_by_the_engine_422(
    intake: Intake,
) -> None:
    reply = await intake.post(
        ticket(symbol="NIFTY29DEC26FUT", exchange="NFO", product="NRML", quantity=10)
    )

    assert reply.status == 422
    assert "not a whole number of lots" in reply.body["error"]
    (record,) = intake.orders()
    assert (record.status, record.tag) == (OrderStatus.FAILED, Tag.VALIDATION_FAILED)
    assert record.command.quantity == 10
    assert intake.runtime.broker.order_book() == []


async def test_with_the_kill_switch_on_an_entry_is_403_and_recorded_as_blocked(
    intake: Intake,
) -> None:
    await intake.runtime.engine.set_kill_switch(True, by="trader", reason="test")

    reply = await intake.post(ticket())

    assert reply.status == 403
    assert reply.body["tag"] == "KILL_SWITCH_ACTIVE"
    assert "Kill switch is on" in reply.body["error"]
    (record,) = intake.orders()
    assert (record.status, record.tag) == (OrderStatus.FAILED, Tag.KILL_SWITCH_ACTIVE)
    assert intake.runtime.broker.order_book() == []


async def test_with_the_kill_switch_on_an_exit_still_goes(intake: Intake) -> None:
    await intake.runtime.engine.set_kill_switch(True, by="trader")

    reply = await intake.post(ticket(side="SELL", execution_type="EXIT"))

    assert reply.status == 201
    assert reply.body["status"] == "SENT_TO_BROKER"


async def test_a_ticket_above_the_freeze_quantity_is_sliced_and_replayed_whole(
    intakes: IntakeFactory, intake: Intake
) -> None:
    big = ticket(
        symbol="BANKNIFTY29DEC26FUT",
        exchange="NFO",
        product="NRML",
        quantity=1200,
        order_type="LIMIT",
        price="59360.00",
        client_order_id="big-1",
    )

    first = await intake.post(big)
    sent = len(intake.runtime.broker.order_book())
    await intake.service.stop()
    restarted = await intakes.start(runtime=intake.runtime)  # the book is rebuilt from the rows
    again = await restarted.post(big)

    assert first.status == 201
    assert len(first.body["command_ids"]) == 2
    assert [o["command_id"] for o in first.body["orders"]] == first.body["command_ids"]
    assert again.status == 200
    assert again.body["command_ids"] == first.body["command_ids"]
    assert len(intake.runtime.broker.order_book()) == sent
    status = await restarted.get(f"/orders/{first.body['command_id']}")
    assert status.body["command_ids"] == first.body["command_ids"]


async def test_an_unknown_order_is_404(intake: Intake) -> None:
    for path in ("/orders/XNOSUCHORDER", "/orders/not-an-id!"):
        reply = await intake.get(path)

        assert reply.status == 404
        assert "No order" in reply.body["error"]


async def test_orders_wait_with_503_while_the_engine_is_not_taking_orders(
    intakes: IntakeFactory,
) -> None:
    runtime = intakes.runtime()  # not started: still recovering
    intake = await intakes.start(runtime=runtime)

    reply = await intake.post(ticket())

    assert reply.status == 503
    assert "not taking orders" in reply.body["error"]
    assert intake.orders() == []


async def test_the_engines_other_blockers_answer_403_too(intake: Intake) -> None:
    first = await intake.post(ticket())

    second = await intake.post(ticket())  # same strategy entering the same leg again

    assert first.status == 201
    assert second.status == 403
    assert second.body["tag"] == "EXECUTION_GUARD_BLOCKED"
    assert second.body["error"] == second.body["detail"]
    assert len(intake.runtime.broker.order_book()) == 1
