"""The broker's daily login, for brokers the program cannot log in to by itself (Kite).

Kite sessions end before each trading day and a new one needs the trader in the browser:
the login page opens in the system browser, the token is caught on a redirect served on
127.0.0.1, exchanged for the day's access token, stored in the keyring, and handed to the
running adapter, so the watcher carries on without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from trader_gui.brokers.base import BrokerError
from trader_gui.credentials import CredentialStore, default_store, normalize_client_id
from trader_gui.engine.events import Level, Notice
from trader_gui.engine.order_engine import OrderEngine

log = logging.getLogger(__name__)
LOGIN_TIMEOUT_S = 300.0


def needs_browser_login(engine: OrderEngine) -> bool:
    return hasattr(engine.broker, "set_access_token")


async def browser_login(
    engine: OrderEngine,
    *,
    redirect_port: int,
    root: str | None = None,
    store: CredentialStore | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> str:
    """Run the day's login; returns the sentence to show. Never raises for a failed login."""
    if not needs_browser_login(engine):
        return f"{engine.broker.name} logs in by itself; nothing to do."
    from trader_gui.brokers.kite import DEFAULT_ROOT
    from trader_gui.brokers.kite_login import KiteLoginFlow

    store = store or default_store()
    client = normalize_client_id(engine.config.client_id)
    fields = store.load("kite", client)
    if fields is None or "api_key" not in fields or "api_secret" not in fields:
        return f"No Kite api_key and api_secret for {client}: use File → Log in to broker first."
    flow = KiteLoginFlow(
        fields["api_key"].reveal(),
        fields["api_secret"].reveal(),
        redirect_port=redirect_port,
        root=root or DEFAULT_ROOT,
        open_browser=open_browser or webbrowser.open,
    )
    engine.events.emit(
        Notice(Level.INFO, f"Log in to Kite in your browser (waiting on {flow.redirect_url}).")
    )
    waiting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-login")
    try:
        session = await asyncio.get_running_loop().run_in_executor(
            waiting, flow.run, LOGIN_TIMEOUT_S
        )
    except BrokerError as error:
        return f"Kite login failed: {error.message}"
    except asyncio.CancelledError:
        flow.cancel()
        raise
    finally:
        waiting.shutdown(wait=False)
    if normalize_client_id(session.user_id) != client:
        return f"Kite logged in {session.user_id}, not {client}: nothing changed."
    store.save_access_token("kite", client, session.access_token)
    engine.broker.set_access_token(session.access_token)  # type: ignore[attr-defined]
    log.info("Kite session for %s renewed for today", client)
    return f"Logged in to Kite as {client} for today."
