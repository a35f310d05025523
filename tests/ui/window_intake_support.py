"""A program sending orders to the window's running intake: a real HTTP client (aiohttp's)
on the test's qasync loop, presenting the token from the (test) keyring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from ui_support import Terminal, run

from trader_gui.engine.intake_token import read_token


def ticket(**overrides: Any) -> dict[str, Any]:
    """A valid MARKET BUY of 10 SBIN for strategy ext1, as a sender's JSON fields."""
    return {
        "symbol": "SBIN",
        "exchange": "NSE",
        "side": "BUY",
        "quantity": 10,
        "order_type": "MARKET",
        "product": "MIS",
        "strategy": "ext1",
        "execution_type": "ENTRY",
    } | overrides


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


def stored_token() -> str:
    token = read_token()
    assert token is not None, "the intake makes its token when it starts"
    return token.reveal()


class Sender:
    """Another program on this machine, talking to the window's intake."""

    def __init__(self, qtbot: Any, terminal: Terminal) -> None:
        self._qtbot = qtbot
        self._terminal = terminal

    @property
    def url(self) -> str:
        url = self._terminal.bridge.intake_url
        assert url is not None, "the intake is not listening"
        return url

    def post(self, fields: dict[str, Any], *, token: str | None = None) -> Reply:
        return run(self._qtbot, self._request("POST", "/orders", fields, token))

    def get(self, path: str) -> Reply:
        return run(self._qtbot, self._request("GET", path, None, None))

    async def _request(
        self, method: str, path: str, fields: dict[str, Any] | None, token: str | None
    ) -> Reply:
        headers = {"Authorization": f"Bearer {token if token is not None else stored_token()}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, json=fields, headers=headers) as response,
        ):
            return Reply(response.status, await response.json(content_type=None))
