"""External order intake: local programs send tickets over HTTP; the engine runs them.

One object for the Runtime to start and stop: it reads (or makes) each sender's token,
restores the approvals queue, listens, and expires waiting orders on time. It never stops the engine: a
port in use or a locked keyring is a Notice for the trader and the intake stays off.

    service = IntakeService(runtime.engine, IntakeConfig(port=8787))
    await service.start()          # after runtime.start()
    service.approvals.waiting()    # the window's Approvals panel
    await service.apply(config)    # new settings while running (waiting orders stay)
    await service.rotate_token()   # a new token, in force from the next request
    await service.add_sender("tradingview", SenderApproval.NEVER)   # its token, in force
    await service.remove_sender("tradingview")                      # refused from now on
    await service.stop()           # before runtime.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from trader_gui import credentials
from trader_gui.credentials import Secret
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.senders import DEFAULT_SENDER, SenderApproval, sender_name
from trader_gui.engine.events import Level, Notice
from trader_gui.engine.intake_approvals import Approvals
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.intake_desk import OrderDesk
from trader_gui.engine.intake_keys import KeyLocks
from trader_gui.engine.intake_rate import TokenBucket
from trader_gui.engine.intake_token import delete_token, ensure_tokens, read_token, rotate_token
from trader_gui.engine.order_engine import OrderEngine

if TYPE_CHECKING:  # aiohttp is imported only when the intake is switched on
    from trader_gui.engine.intake_server import IntakeServer

log = logging.getLogger(__name__)

KEYRING_TIMEOUT_S = 15.0
"""A keyring waiting on an unlock prompt must not hold up the start for ever."""


class SenderError(ValueError):
    """A sender that cannot be added or removed; the message is the sentence for the trader."""


class IntakeService:
    def __init__(
        self,
        engine: OrderEngine,
        config: IntakeConfig,
        *,
        store: credentials.CredentialStore | None = None,
        bucket: TokenBucket | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._engine = engine
        self._store = store
        self._bucket = bucket
        locks = KeyLocks()
        self.approvals = Approvals(
            engine,
            timeout_s=config.approval_timeout_s,
            locks=locks,
            submit=self._send_approved,
            monotonic=monotonic,
        )
        self.desk = OrderDesk(engine, config, self.approvals, locks)
        self._server: IntakeServer | None = None
        self._tokens: dict[str, Secret] = {}
        self._expiry: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int | None:
        return self._server.port if self._server is not None else None

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> bool:
        """Listen if configured; False (and a Notice saying why) when the intake stays off."""
        if not self.config.enabled or self._server is not None:
            return self._server is not None
        try:
            # the keyring may talk to a daemon: off the loop thread, and bounded
            tokens = await self._engine.workers.broker(
                KEYRING_TIMEOUT_S, ensure_tokens, self.config.sender_names, self._store
            )
        except (
            credentials.CredentialError,
            credentials.CredentialStoreError,
            TimeoutError,
        ) as error:
            return self._off(f"the intake tokens could not be read or stored: {error or 'timeout'}")
        self._tokens = tokens
        await self.approvals.restore()
        await self.desk.load_today()
        from trader_gui.engine.intake_server import IntakeServer

        server = IntakeServer(
            self.desk,
            self.config,
            tokens,
            bucket=self._bucket,
            health=self._health,
            shutdown_timeout_s=self._engine.config.broker_timeout_s + 5,
        )
        try:
            await server.start()
        except OSError as error:
            return self._off(
                f"cannot listen on {self.config.host}:{self.config.port}: {error.strerror or error}"
            )
        self._server = server
        if self._expiry is None:
            self._expiry = asyncio.get_running_loop().create_task(
                self._expire_regularly(), name="intake-expiry"
            )
        self._announce()
        return True

    async def stop(self) -> None:
        """Stop listening (requests under way finish), stop the expiry timer."""
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
            self._expiry = None
        await self._stop_listening()

    async def apply(self, config: IntakeConfig) -> bool:
        """Listen again with new settings (or stop listening, when off); True if listening.

        Orders waiting for approval keep waiting, with the deadline they were given, and
        keep expiring on time even while the intake is off: they are decided in the window.
        """
        if config == self.config and (self.running or not config.enabled):
            return self.running  # nothing changed (a sender added or removed is in already)
        if self.running and _same_listener(config, self.config):
            self._set_config(config)  # approval rules only: in force from the next order
            self._engine.events.emit(Notice(Level.INFO, f"External orders: {self.mode()}."))
            return True
        await self._stop_listening()
        self._set_config(config)
        self.approvals.timeout_s = config.approval_timeout_s
        if not config.enabled:
            self._engine.events.emit(Notice(Level.INFO, "The external order intake is off."))
            return False
        return await self.start()

    async def read_token(self, sender: str = DEFAULT_SENDER) -> Secret | None:
        """A sender's stored token (None when none was made yet), read off the loop thread."""
        return await self._engine.workers.broker(KEYRING_TIMEOUT_S, read_token, self._store, sender)

    async def rotate_token(self, sender: str = DEFAULT_SENDER) -> Secret:
        """A new token for the sender in the keyring, in force for the running intake from
        the next request: a sender still holding the old one gets 401."""
        if sender not in self.config.sender_names:
            raise SenderError(f"There is no sender {sender!r}.")
        token = await self._engine.workers.broker(
            KEYRING_TIMEOUT_S, rotate_token, self._store, sender
        )
        self._put_tokens({**self._tokens, sender: token})
        whose = "" if sender == DEFAULT_SENDER else f" for sender {sender}"
        self._engine.events.emit(
            Notice(Level.INFO, f"A new intake token{whose} is in force; the old one is refused.")
        )
        return token

    async def add_sender(
        self, name: str, approval: SenderApproval = SenderApproval.GLOBAL
    ) -> tuple[str, Secret]:
        """A new sender with a new token, accepted from the next request; returns its name
        as kept and its token. Raises SenderError for a bad or taken name."""
        try:
            chosen = sender_name(name)
        except ValueError as error:
            raise SenderError(f"{str(error)[:1].upper()}{str(error)[1:]}.") from None
        if chosen in self.config.sender_names:
            raise SenderError(f"There is already a sender {chosen!r}.")
        # always a new token: one left in the keyring by an old sender of that name stays dead
        token = await self._engine.workers.broker(
            KEYRING_TIMEOUT_S, rotate_token, self._store, chosen
        )
        self._set_config(replace(self.config, senders=(*self.config.senders, (chosen, approval))))
        self._put_tokens({**self._tokens, chosen: token})
        log.info("intake sender %s added (approval: %s)", chosen, approval.value)
        self._engine.events.emit(Notice(Level.INFO, f"Intake sender {chosen} added."))
        return chosen, token

    async def remove_sender(self, name: str) -> None:
        """The sender's token is refused from the next request and deleted from the keyring.
        Orders it already sent (and those waiting for approval) stay as they are."""
        if name == DEFAULT_SENDER:
            raise SenderError("The default sender cannot be removed; regenerate its token.")
        if name not in self.config.sender_names:
            raise SenderError(f"There is no sender {name!r}.")
        self._put_tokens({key: token for key, token in self._tokens.items() if key != name})
        self._set_config(
            replace(self.config, senders=tuple(s for s in self.config.senders if s[0] != name))
        )
        log.info("intake sender %s removed", name)
        self._engine.events.emit(
            Notice(Level.INFO, f"Intake sender {name} removed: its token is refused.")
        )
        await self._engine.workers.broker(KEYRING_TIMEOUT_S, delete_token, self._store, name)

    def _set_config(self, config: IntakeConfig) -> None:
        self.config = config
        self.desk.config = config

    def _put_tokens(self, tokens: dict[str, Secret]) -> None:
        self._tokens = tokens
        if self._server is not None:
            self._server.replace_tokens(tokens)

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
            log.info("intake stopped")

    def _announce(self) -> None:
        mode = self.mode()
        log.info("intake listening on %s (%s)", self.url, mode)
        self._engine.events.emit(
            Notice(Level.INFO, f"External order intake listening on {self.url}: {mode}.")
        )
        if not self.config.is_loopback:
            self._engine.events.emit(
                Notice(
                    Level.WARNING,
                    f"The order intake listens on {self.config.host}, not only on this "
                    "machine: anyone on the network who has the token can place orders.",
                )
            )
        if self._store is None and not credentials.default_store().backend_status().secure:
            self._engine.events.emit(
                Notice(
                    Level.WARNING,
                    "No secure keyring: the intake token lasts for this session only, and "
                    "`trader-gui submit` cannot read it.",
                )
            )

    def mode(self) -> str:
        """Which orders wait for approval, in words for the trader."""
        return self.config.approval_text

    def _off(self, reason: str) -> bool:
        log.error("intake off: %s", reason)
        self._engine.events.emit(Notice(Level.ERROR, f"The order intake is off: {reason}."))
        return False

    async def _send_approved(self, command: OrderCommand) -> list[OrderRecord]:
        """Approved orders go out the desk's way: shielded, their slices noted."""
        return await self.desk.send(command)

    def _health(self) -> dict[str, object]:
        return {"accepting": self._engine.accepting}

    async def _expire_regularly(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_check_s)
            try:
                await self.approvals.expire_due()
            except Exception:
                log.exception("intake: expiring waiting orders failed")


def _same_listener(new: IntakeConfig, old: IntakeConfig) -> bool:
    """Only approval rules differ: the running listener serves the new settings as it is."""
    return (
        new.enabled
        and new.sender_names == old.sender_names
        and replace(new, approval=old.approval, senders=old.senders) == old
    )
