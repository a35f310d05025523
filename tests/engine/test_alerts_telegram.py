"""The Telegram sink through httpx against a fake Bot API on 127.0.0.1: what the trader's phone
receives, retries on 500 and 429, a server that never answers, and the bot token kept out of
every log record (DEBUG included) and every exception."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from engine_support import Harness, ticket
from keyring_doubles import MemoryKeyring
from telegram_fake_server import Fail, FakeTelegram

from trader_gui.credentials import CredentialStore, CredentialStoreError, Secret
from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.alert_telegram import (
    TOKEN_SECRET,
    TelegramSink,
    message_text,
    telegram_sink_from_keyring,
)
from trader_gui.engine.alerts import Alert, AlertDeliveryError, Alerter
from trader_gui.engine.events import EventBus, Level, Notice

pytestmark = pytest.mark.asyncio

TOKEN = "7311955640:AAHx-TEST_token_SHOULD_never_LEAK_9f8e7d"
CHAT = "-1001234567890"
AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 10:30:00 IST


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    yield fake
    fake.stop()


def sink_for(fake: FakeTelegram, token: str = TOKEN, **options: float) -> TelegramSink:
    return TelegramSink(token=Secret(token), chat_id=CHAT, base_url=fake.base_url, **options)


def alert(level: Level = Level.ERROR, key: str = "exit-failed:T1") -> Alert:
    return Alert(
        level,
        "EXIT order FAILED",
        "EXIT order T1 to SELL 10 SBIN failed (Rejected by broker): RMS: blocked. "
        "Your position may still be open: check it now.",
        key=key,
        at=AT,
        account="FA12345",
    )


def alerter_for(sink: TelegramSink, sleeps: Sleeps, bus: EventBus | None = None) -> Alerter:
    return Alerter(bus or EventBus(), [sink], attempts=3, backoff_s=2, sleep=sleeps)


def assert_no_token(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert TOKEN not in (record.exc_text or ""), record.name
    assert TOKEN not in caplog.text


def assert_clean(error: BaseException) -> None:
    """Neither the message nor anything printed with the traceback holds the token."""
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)
    assert TOKEN not in "".join(traceback.format_exception(error))
    assert error.__cause__ is None
    assert error.__context__ is None  # no httpx exception (its request has the URL) rides along


# ---- what the phone shows -----------------------------------------------------------------------


async def test_an_alert_arrives_in_the_chat_as_one_readable_message(telegram) -> None:
    sink = sink_for(telegram)

    await sink.send(alert())
    await sink.aclose()

    [message] = telegram.messages
    assert message == {
        "chat_id": CHAT,
        "text": "🔴 EXIT order FAILED · FA12345\n"
        "EXIT order T1 to SELL 10 SBIN failed (Rejected by broker): RMS: blocked. "
        "Your position may still be open: check it now.\n"
        "10:30:00 IST",
        "disable_notification": False,
    }


async def test_information_arrives_silently(telegram) -> None:
    sink = sink_for(telegram)

    await sink.send(alert(Level.INFO))
    await sink.aclose()

    assert telegram.messages[0]["disable_notification"] is True


async def test_a_very_long_sentence_is_cut_to_telegrams_limit() -> None:
    long = Alert(Level.WARNING, "Warning", "x" * 5000, key="k", at=AT)

    assert len(message_text(long)) == 4096


async def test_a_notice_on_the_bus_reaches_telegram(telegram) -> None:
    bus, sleeps = EventBus(), Sleeps()
    alerter = alerter_for(sink_for(telegram), sleeps, bus)
    alerter.start()

    bus.emit(Notice(Level.WARNING, "P&L -4,200.00 has used 84% of the daily loss limit."))
    await alerter.wait_idle()
    await alerter.stop()

    [message] = telegram.messages
    assert message["text"].startswith("⚠️ Warning\nP&L -4,200.00 has used 84%")


# ---- failures: bounded retries ----------------------------------------------------------------


async def test_server_errors_are_retried_with_back_off_until_delivered(telegram) -> None:
    telegram.fail_next(Fail.SERVER_ERROR, count=2)
    sleeps = Sleeps()
    alerter = alerter_for(sink_for(telegram), sleeps)
    alerter.start()

    alerter.push(alert())
    await alerter.wait_idle()
    await alerter.stop()

    assert [r.answered for r in telegram.received] == [500, 500, 200]
    assert sleeps.delays == [2, 4]
    assert alerter.delivered == 1


async def test_too_many_requests_waits_as_long_as_telegram_asks(telegram) -> None:
    telegram.fail_next(Fail.TOO_MANY, retry_after=17)
    sleeps = Sleeps()
    alerter = alerter_for(sink_for(telegram), sleeps)
    alerter.start()

    alerter.push(alert())
    await alerter.wait_idle()
    await alerter.stop()

    assert [r.answered for r in telegram.received] == [429, 200]
    assert sleeps.delays == [17]


async def test_a_server_that_keeps_failing_is_tried_a_bounded_number_of_times_and_no_log_line_holds_the_token(
    telegram, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram.fail_next(Fail.SERVER_ERROR, count=10)
    sleeps = Sleeps()
    alerter = alerter_for(sink_for(telegram), sleeps)
    alerter.start()

    alerter.push(alert())
    await alerter.wait_idle()
    await alerter.stop()

    assert len(telegram.received) == 3
    assert alerter.undelivered == 1
    assert (
        "alert NOT delivered to telegram after 3 attempt(s) "
        "(Telegram answered HTTP 500: Internal Server Error): EXIT order FAILED" in caplog.text
    )
    requests = [r for r in caplog.records if r.name == "httpx" and "HTTP Request" in r.message]
    assert len(requests) == 3  # httpx did log each request URL, with the token masked
    assert "/bot***/sendMessage" in requests[0].getMessage()
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # DEBUG traces too
    assert_no_token(caplog)


async def test_a_wrong_token_is_not_retried_and_the_error_says_what_to_check(
    telegram, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    sleeps = Sleeps()
    alerter = alerter_for(sink_for(telegram, token="123:wrong"), sleeps)
    alerter.start()

    alerter.push(alert())
    await alerter.wait_idle()
    await alerter.stop()

    assert [r.answered for r in telegram.received] == [401]
    assert sleeps.delays == []
    assert "Telegram answered HTTP 401: Unauthorized (check the bot token" in caplog.text
    assert "123:wrong" not in caplog.text


async def test_errors_raised_by_the_sink_carry_no_token(telegram, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    telegram.fail_next(Fail.SERVER_ERROR)
    sink = sink_for(telegram)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
    nobody = TelegramSink(
        token=Secret(TOKEN), chat_id=CHAT, base_url=f"http://127.0.0.1:{closed_port}"
    )

    with pytest.raises(AlertDeliveryError) as server_error:
        await sink.send(alert())
    with pytest.raises(AlertDeliveryError) as unreachable:
        await nobody.send(alert())
    await sink.aclose()
    await nobody.aclose()

    assert str(server_error.value) == "Telegram answered HTTP 500: Internal Server Error"
    assert str(unreachable.value).startswith("Telegram not reachable (ConnectError")
    for error in (server_error.value, unreachable.value):
        assert_clean(error)
    assert TOKEN not in repr(sink)
    assert_no_token(caplog)


@pytest.mark.parametrize(
    ("base_url", "kind"),
    [("ftp://127.0.0.1", "UnsupportedProtocol"), ("http://127.0.0.1:port", "InvalidURL")],
)
async def test_a_base_url_that_cannot_work_fails_at_once_without_the_token(base_url, kind) -> None:
    sink = TelegramSink(token=Secret(TOKEN), chat_id=CHAT, base_url=base_url)

    with pytest.raises(AlertDeliveryError) as error:
        await sink.send(alert())
    await sink.aclose()

    assert str(error.value).startswith(f"Telegram not reachable ({kind}")
    assert error.value.permanent
    assert_clean(error.value)


async def test_the_token_mask_leaves_the_loggers_when_the_sink_closes(telegram) -> None:
    sink = sink_for(telegram)
    await sink.send(alert())

    await sink.aclose()

    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        assert logging.getLogger(name).filters == []


# ---- a server that never answers never holds up an order ---------------------------------------


async def test_a_telegram_that_never_answers_does_not_delay_an_order(
    harness: Harness, telegram
) -> None:
    telegram.fail_next(Fail.NEVER_ANSWER)
    runtime = await harness.start()
    alerter = alerter_for(sink_for(telegram), Sleeps(), runtime.events)
    alerter.start()
    runtime.events.emit(Notice(Level.WARNING, "An alert that Telegram will sit on."))
    [held] = await telegram.wait_for_requests(1)
    assert held.answered is None

    async with asyncio.timeout(5):
        record = await runtime.engine.submit(ticket())

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert telegram.messages == []  # the sink is still stuck on the first alert
    await alerter.stop(drain_timeout_s=0)
    telegram.release()
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("alerts:")] == []


async def test_a_request_never_answered_ends_at_the_sinks_timeout(telegram) -> None:
    telegram.fail_next(Fail.NEVER_ANSWER)
    sink = sink_for(telegram, timeout_s=0.2)

    with pytest.raises(AlertDeliveryError) as error:
        await sink.send(alert())
    telegram.release()
    await sink.aclose()

    assert str(error.value) == "Telegram did not answer within 0.2 s"
    assert_clean(error.value)


# ---- set-up from the keyring and the settings --------------------------------------------------


def store_with(token: str | None) -> CredentialStore:
    store = CredentialStore(MemoryKeyring(), service="trader-gui-test")
    if token is not None:
        store.set_secret(TOKEN_SECRET, token)
    return store


async def test_the_sink_takes_its_token_from_the_keyring(telegram) -> None:
    sink = telegram_sink_from_keyring(
        CHAT, base_url=telegram.base_url, secrets=store_with(TOKEN).get_secret
    )
    assert sink is not None

    await sink.send(alert())
    await sink.aclose()

    assert len(telegram.messages) == 1
    assert TOKEN not in repr(sink)


@pytest.mark.parametrize(
    ("chat_id", "token", "words"),
    [
        (None, TOKEN, "no telegram_chat_id in the settings"),
        ("  ", TOKEN, "no telegram_chat_id in the settings"),
        (CHAT, None, "no bot token in the keyring (the secret 'telegram-bot-token')"),
    ],
)
async def test_without_a_chat_or_a_token_telegram_is_off_and_the_log_says_why(
    caplog, chat_id, token, words
) -> None:
    caplog.set_level(logging.INFO)

    sink = telegram_sink_from_keyring(chat_id, secrets=store_with(token).get_secret)

    assert sink is None
    assert f"Telegram alerts off: {words}" in caplog.text


async def test_a_keyring_that_fails_turns_telegram_off_with_its_sentence(caplog) -> None:
    def broken(_name: str) -> Secret | None:
        raise CredentialStoreError("the keyring could not read credentials: unlock it")

    assert telegram_sink_from_keyring(12345, secrets=broken) is None
    assert "Telegram alerts off: the keyring could not read credentials" in caplog.text
