"""The daily Kite login: a browser stand-in follows the redirect; the fake swaps the token."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kite_fake_server import (
    KiteFakeServer,
    kite_server,  # noqa: F401 - a fixture
)

from trader_gui.brokers.kite_login import (
    KiteLoginCancelled,
    KiteLoginError,
    KiteLoginFlow,
    KiteLoginTimedOut,
)


class Browser:
    """Stands in for the system browser: Kite's page would redirect with these parameters."""

    def __init__(self, flow_of: Callable[[], KiteLoginFlow], **params: str) -> None:
        self.flow_of = flow_of
        self.params = params
        self.opened: list[str] = []
        self.pages: list[tuple[int, str]] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        flow = self.flow_of()
        if self.params:
            reply = requests.get(flow.redirect_url, params=self.params, timeout=10)
            self.pages.append((reply.status_code, reply.text))
        return True


def flow_with(
    server: KiteFakeServer, *, api_secret: str | None = None, **redirect: str
) -> tuple[KiteLoginFlow, Browser]:
    holder: list[KiteLoginFlow] = []
    browser = Browser(lambda: holder[0], **redirect)
    flow = KiteLoginFlow(
        server.api_key,
        api_secret or server.api_secret,
        open_browser=browser,
        root=server.root,
        http_timeout_s=5,
    )
    holder.append(flow)
    return flow, browser


def test_login_opens_kites_page_catches_the_redirect_and_returns_the_access_token(
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    request_token = kite_server.issue_request_token()
    flow, browser = flow_with(
        kite_server, action="login", type="login", status="success", request_token=request_token
    )

    session = flow.run(timeout_s=10)

    (url,) = browser.opened
    assert url.startswith("https://kite.zerodha.com/connect/login?")
    assert parse_qs(urlsplit(url).query) == {"api_key": [kite_server.api_key], "v": ["3"]}
    assert session.user_id == "AB1234"
    assert session.access_token in kite_server.valid_tokens
    assert session.access_token not in repr(session)
    assert browser.pages == [(200, browser.pages[0][1])]
    assert "Logged in as AB1234; you can close this tab." in browser.pages[0][1]


def test_a_login_cancelled_on_kites_page_is_reported(
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    flow, browser = flow_with(kite_server, action="login", status="cancelled")

    with pytest.raises(KiteLoginCancelled, match=r"did not complete \(status: cancelled\)"):
        flow.run(timeout_s=10)

    assert browser.pages[0][0] == 400
    assert ("POST", "/session/token") not in kite_server.requests


def test_a_wrong_api_secret_is_a_clear_error_that_does_not_show_the_secret(
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    flow, browser = flow_with(
        kite_server,
        api_secret="not-the-secret-123",
        action="login",
        status="success",
        request_token=kite_server.issue_request_token(),
    )

    with pytest.raises(KiteLoginError) as failed:
        flow.run(timeout_s=10)

    assert "Invalid `checksum`." in failed.value.message
    assert "check the API secret" in failed.value.message
    assert "not-the-secret-123" not in failed.value.message
    assert browser.pages[0][0] == 502


def test_a_redirect_for_something_else_than_a_login_is_refused(
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    flow, _ = flow_with(
        kite_server,
        action="basket",
        status="success",
        request_token=kite_server.issue_request_token(),
    )

    with pytest.raises(KiteLoginError, match="not a login"):
        flow.run(timeout_s=10)


def test_cancel_from_the_window_ends_the_wait(kite_server: KiteFakeServer) -> None:  # noqa: F811
    flow = KiteLoginFlow(
        kite_server.api_key,
        kite_server.api_secret,
        open_browser=lambda _url: flow.cancel() or True,
        root=kite_server.root,
    )

    with pytest.raises(KiteLoginCancelled, match="cancelled"):
        flow.run(timeout_s=10)


def test_no_redirect_in_time_is_a_timeout(kite_server: KiteFakeServer) -> None:  # noqa: F811
    flow, _ = flow_with(kite_server)  # the browser never comes back

    with pytest.raises(KiteLoginTimedOut, match=r"within 0\.2 s"):
        flow.run(timeout_s=0.2)


def test_stray_requests_do_not_end_the_login(kite_server: KiteFakeServer) -> None:  # noqa: F811
    request_token = kite_server.issue_request_token()
    holder: list[KiteLoginFlow] = []

    def browser(_url: str) -> bool:
        base = holder[0].redirect_url
        assert requests.get(base + "favicon.ico", timeout=5).status_code == 404
        assert requests.get(base, timeout=5).status_code == 404
        params = {"action": "login", "status": "success", "request_token": request_token}
        assert requests.get(base, params=params, timeout=10).status_code == 200
        return True

    flow = KiteLoginFlow(
        kite_server.api_key, kite_server.api_secret, open_browser=browser, root=kite_server.root
    )
    holder.append(flow)

    assert flow.run(timeout_s=10).user_id == "AB1234"


def test_a_busy_redirect_port_is_a_clear_error(kite_server: KiteFakeServer) -> None:  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        flow = KiteLoginFlow(
            kite_server.api_key,
            kite_server.api_secret,
            redirect_port=taken.getsockname()[1],
            open_browser=lambda _url: True,
            root=kite_server.root,
        )

        with pytest.raises(KiteLoginError, match="cannot listen"):
            flow.run(timeout_s=1)


def test_no_secret_is_logged(
    kite_server: KiteFakeServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    request_token = kite_server.issue_request_token()
    flow, _ = flow_with(kite_server, action="login", status="success", request_token=request_token)

    session = flow.run(timeout_s=10)

    everything = [record.getMessage() for record in caplog.records]
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("trader_gui", "kiteconnect"))
    ]
    assert any("Kite login done for user AB1234" in text for text in ours)
    for secret in (kite_server.api_secret, session.access_token):
        assert not [text for text in everything if secret in text]
    # The stand-in browser's own request (urllib3) shows the token; the program never does.
    assert not [text for text in ours if request_token in text]
