"""Changing the running intake from Settings: a new token, new settings, turning it off; the
orders waiting for approval are never lost or expired by the change."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
from intake_support import Intake, IntakeFactory, ticket

from trader_gui.engine.intake_token import read_token

pytestmark = pytest.mark.asyncio


async def test_a_new_token_is_in_force_at_once_and_the_old_one_is_refused(intake: Intake) -> None:
    old = intake.token

    new = (await intake.service.rotate_token()).reveal()

    assert new != old
    assert (await intake.post(ticket(), token=old)).status == 401
    assert intake.orders() == []
    assert (await intake.post(ticket(), token=new)).status == 201
    stored = read_token()
    assert stored is not None
    assert stored.reveal() == new
    assert any("new intake token" in text for text in intake.notices())


async def test_new_settings_apply_to_the_running_intake(intakes: IntakeFactory) -> None:
    intake = await intakes.start(approval=False)

    listening = await intake.service.apply(replace(intake.service.config, approval=True))

    assert listening
    reply = await intake.post(ticket())
    assert reply.status == 202
    assert len(intake.service.approvals.waiting()) == 1


async def test_waiting_orders_survive_a_change_of_settings(intakes: IntakeFactory) -> None:
    intake = await intakes.start(approval=True, approval_timeout_s=60)
    reply = await intake.post(ticket())
    command_id = reply.body["command_id"]

    await intake.service.apply(replace(intake.service.config, approval_timeout_s=300))

    (entry,) = intake.service.approvals.waiting()
    assert entry.command_id == command_id
    assert intake.service.approvals.decision(command_id) is None
    assert intake.service.approvals.timeout_s == 300


async def test_turning_the_intake_off_stops_listening_and_keeps_the_waiting_order(
    intakes: IntakeFactory, clock
) -> None:
    intake = await intakes.start(approval=True, approval_timeout_s=60)
    reply = await intake.post(ticket())
    url = intake.url

    listening = await intake.service.apply(replace(intake.service.config, port=None))

    assert not listening
    assert intake.service.url is None
    with pytest.raises(aiohttp.ClientConnectionError):
        async with intake.session.get(url + "/health"):
            pass
    assert [e.command_id for e in intake.service.approvals.waiting()] == [reply.body["command_id"]]
    clock.advance(60)
    (expired,) = await intake.service.approvals.expire_due()
    assert expired.command_id == reply.body["command_id"]
