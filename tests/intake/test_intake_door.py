"""The door: a flood is answered 429 before any work, and the token is never logged."""

from __future__ import annotations

import asyncio
import logging

import pytest
from intake_support import IntakeFactory, ticket

from trader_gui import credentials
from trader_gui.engine.events import Event, Level, Notice
from trader_gui.engine.intake import IntakeService
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.intake_token import TOKEN_NAME

pytestmark = pytest.mark.asyncio


async def test_requests_beyond_the_rate_get_429_until_the_bucket_refills(
    intakes: IntakeFactory,
) -> None:
    intake = await intakes.start(rate_per_s=5)

    allowed = [await intake.get("/health", auth=False) for _ in range(5)]
    refused = await intake.post_raw(b"{broken")  # 429, not 400: the body is never read

    assert [reply.status for reply in allowed] == [200] * 5
    assert refused.status == 429
    assert "at most 5 a second" in refused.body["error"]
    assert int(refused.headers["Retry-After"]) >= 1
    intake.monotonic.advance(1.0)
    assert (await intake.get("/health", auth=False)).status == 200
    assert intake.orders() == []


async def test_a_burst_of_hundreds_gets_the_rate_and_the_watcher_still_polls(
    intakes: IntakeFactory,
) -> None:
    intake = await intakes.start(rate_per_s=20)

    replies, poll = await asyncio.gather(
        asyncio.gather(*(intake.post_raw(b"{broken") for _ in range(300))),
        intake.runtime.watcher.poll_once(),
    )

    statuses = [reply.status for reply in replies]
    assert statuses.count(400) == 20
    assert statuses.count(429) == 280
    assert poll.ok
    assert intake.orders() == []


async def test_the_token_is_made_once_and_kept_in_the_keyring(
    intakes: IntakeFactory, keyring_store: credentials.CredentialStore
) -> None:
    first = await intakes.start()
    await first.service.stop()
    second = await intakes.start(runtime=first.runtime)

    stored = keyring_store.get_secret(TOKEN_NAME)
    assert stored is not None
    assert stored.reveal() == first.token == second.token
    assert len(first.token) >= 40
    assert (await second.post(ticket())).status == 201


async def test_the_token_is_never_logged(
    intakes: IntakeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    intake = await intakes.start()
    await intake.post(ticket(client_order_id="log1"))
    await intake.post(ticket(), token=intake.token + "x")
    await intake.post(ticket(), token=intake.token[:-1])
    await intake.get("/orders/XNOSUCH")
    await intake.service.stop()

    assert any("intake POST /orders -> 201" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert intake.token not in record.getMessage()
        assert intake.token[:-1] not in record.getMessage()


async def test_a_port_in_use_leaves_the_intake_off_with_a_notice(intakes: IntakeFactory) -> None:
    first = await intakes.start()
    runtime = intakes.runtime()
    await runtime.start()
    events: list[Event] = []
    runtime.events.subscribe(events.append)
    clash = IntakeService(runtime.engine, IntakeConfig(port=first.service.port))

    assert await clash.start() is False

    assert not clash.running
    (notice,) = [e for e in events if isinstance(e, Notice)]
    assert notice.level is Level.ERROR
    assert f"cannot listen on 127.0.0.1:{first.service.port}" in notice.text
    assert runtime.engine.accepting
    await clash.stop()


async def test_another_host_than_this_machine_is_warned_about(intakes: IntakeFactory) -> None:
    intake = await intakes.start(host="0.0.0.0")

    assert any("not only on this machine" in text for text in intake.notices())
    assert (await intake.get("/health", auth=False)).status == 200
