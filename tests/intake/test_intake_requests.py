"""Requests that are not an intake ticket: a 4xx with one JSON sentence, and nothing recorded."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import pytest
from intake_support import Intake, ticket

pytestmark = pytest.mark.asyncio

BAD_BODIES = [
    pytest.param(b"{not json", "not valid JSON", id="malformed"),
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"[1, 2]", "one JSON object", id="not-an-object"),
    pytest.param(
        json.dumps(ticket(colour="red")).encode(), "Unknown field(s) 'colour'", id="unknown-field"
    ),
    pytest.param(
        json.dumps(ticket(symbol=["SBIN"])).encode(), "must be text or a number", id="list-value"
    ),
    pytest.param(b'{"symbol": "SBIN", "symbol": "INFY"}', "given twice", id="repeated-field"),
    pytest.param(b'{"quantity": NaN}', "NaN is not a number", id="nan"),
    pytest.param(
        json.dumps(ticket(client_order_id="a b")).encode(),
        "client_order_id is 1 to 64",
        id="bad-key",
    ),
    pytest.param(b"\xff\xfe{}", "not UTF-8", id="not-utf8"),
]


async def assert_refused(intake: Intake, reply_status: int, body: dict, status: int) -> None:
    assert reply_status == status, body
    assert isinstance(body["error"], str)
    assert body["error"]
    assert intake.orders() == []
    assert intake.runtime.broker.order_book() == []


@pytest.mark.parametrize(("data", "words"), BAD_BODIES)
async def test_a_body_of_the_wrong_shape_is_400(intake: Intake, data: bytes, words: str) -> None:
    reply = await intake.post_raw(data)

    await assert_refused(intake, reply.status, reply.body, 400)
    assert words in reply.body["error"]


async def test_a_body_that_is_not_json_typed_is_415(intake: Intake) -> None:
    reply = await intake.post_raw(json.dumps(ticket()), content_type="text/plain")

    await assert_refused(intake, reply.status, reply.body, 415)


async def test_a_compressed_body_is_415_and_never_inflated(intake: Intake) -> None:
    reply = await intake.post_raw(
        gzip.compress(json.dumps(ticket()).encode()), **{"Content-Encoding": "gzip"}
    )

    await assert_refused(intake, reply.status, reply.body, 415)


async def test_a_body_over_64_kib_is_413(intake: Intake) -> None:
    padded = json.dumps(ticket(strategy="x" * 70_000)).encode()

    reply = await intake.post_raw(padded)

    await assert_refused(intake, reply.status, reply.body, 413)


async def test_a_chunked_body_over_64_kib_is_413_too(intake: Intake) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"strategy": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    reply = await intake.post_raw(chunks())

    await assert_refused(intake, reply.status, reply.body, 413)
    assert "65536" in reply.body["error"]


async def test_unknown_paths_and_methods_answer_json(intake: Intake) -> None:
    missing = await intake.get("/nowhere")
    wrong_method = await intake.request("DELETE", "/orders", headers=intake.auth())

    assert (missing.status, wrong_method.status) == (404, 405)
    assert "POST /orders" in missing.body["error"]
    assert wrong_method.body["error"]


async def test_health_answers_without_a_token(intake: Intake) -> None:
    reply = await intake.get("/health", auth=False)

    assert reply.status == 200
    assert reply.body == {"status": "ok", "accepting": True}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer", "bearer  "],
    ids=["missing", "wrong", "basic", "empty", "blank"],
)
async def test_a_missing_or_wrong_token_is_401_and_nothing_is_recorded(
    intake: Intake, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}

    posted = await intake.request("POST", "/orders", json=ticket(), headers=headers)
    looked_up = await intake.request("GET", "/orders/XABC", headers=headers)

    await assert_refused(intake, posted.status, posted.body, 401)
    assert looked_up.status == 401
    assert posted.headers["WWW-Authenticate"].startswith("Bearer")


async def test_the_token_is_checked_before_the_body_is_read(intake: Intake) -> None:
    reply = await intake.request(
        "POST", "/orders", data=b"{broken", headers={"Content-Type": "application/json"}
    )

    assert reply.status == 401
