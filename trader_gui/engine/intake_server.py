"""The intake's HTTP server: aiohttp's low-level runner on the engine's own asyncio loop.

aiohttp serves on whatever loop is running, so the same code runs under qasync in the window
and under `asyncio.run` in `--headless`, with no thread of its own: handlers await the
engine directly. Every request passes one door, in this order, each step cheaper than the
next: the token bucket (429), the token (401; the token names the sender), then the route. Only then is a body read,
at most 64 KiB, never decompressed. Errors are one JSON sentence: `{"error": "..."}`.

Routes: `POST /orders`, `GET /orders/{command_id}`, `GET /health` (no token needed).
The access log is off and the Authorization header is never logged: one DEBUG line per
request says method, path and status.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import hdrs, web

from trader_gui.credentials import Secret
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.intake_desk import Answer, OrderDesk
from trader_gui.engine.intake_rate import TokenBucket
from trader_gui.engine.intake_tickets import BodyError, read_ticket
from trader_gui.engine.intake_token import sender_of

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SENDER = web.RequestKey("sender", str)
"""The sender whose token the request presented, set by the door."""
KEEPALIVE_S = 30.0

_REASONS = {
    400: "The request is malformed.",
    404: "There is no such path: use POST /orders, GET /orders/ID or GET /health.",
    405: "That method is not allowed on this path.",
}


def json_response(status: int, body: dict[str, object], **headers: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, default=str),
        content_type="application/json",
        headers=headers or None,
    )


class IntakeServer:
    def __init__(
        self,
        desk: OrderDesk,
        config: IntakeConfig,
        tokens: Mapping[str, Secret],
        *,
        bucket: TokenBucket | None = None,
        health: Callable[[], dict[str, object]] | None = None,
        shutdown_timeout_s: float = 15.0,
    ) -> None:
        self._desk = desk
        self._config = config
        self._tokens = dict(tokens)
        self._bucket = bucket or TokenBucket(config.rate_per_s, config.bucket_depth)
        self._health = health or (lambda: {})
        self._shutdown_timeout_s = shutdown_timeout_s
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Listen; returns the port (the one the system chose when the config says 0).

        Raises OSError when the port cannot be had (in use, or the host is not this machine's).
        """
        app = web.Application(middlewares=[self._door], client_max_size=self._config.max_body_bytes)
        app.router.add_post("/orders", self._post_order)
        app.router.add_get("/orders/{command_id}", self._get_order)
        app.router.add_get("/health", self._get_health)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=self._shutdown_timeout_s,
            keepalive_timeout=KEEPALIVE_S,
            auto_decompress=False,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._config.host, self._config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self.port

    def replace_tokens(self, tokens: Mapping[str, Secret]) -> None:
        """From the next request on, only these senders' tokens are accepted."""
        self._tokens = dict(tokens)

    async def stop(self) -> None:
        """Stop listening; requests under way get `shutdown_timeout_s` to finish."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ---- the door ---------------------------------------------------------------------------

    @web.middleware
    async def _door(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await self._guarded(request, handler)
        log.debug("intake %s %s -> %d", request.method, request.path[:80], response.status)
        return response

    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._bucket.try_take():
            wait = max(1, math.ceil(self._bucket.retry_after_s()))
            return json_response(
                429,
                {"error": f"Too many requests: at most {self._config.rate_per_s:g} a second."},
                **{hdrs.RETRY_AFTER: str(wait)},
            )
        sender = sender_of(request.headers.get(hdrs.AUTHORIZATION), self._tokens)
        if sender is not None:
            request[SENDER] = sender
        elif request.path != "/health":
            return json_response(
                401,
                {"error": "Missing or wrong intake token: send Authorization: Bearer <token>."},
                **{hdrs.WWW_AUTHENTICATE: 'Bearer realm="trader-gui intake"'},
            )
        try:
            return await handler(request)
        except web.HTTPException as error:  # aiohttp's own: no route, wrong method, too large
            if error.status == 413:
                sentence = f"The body is larger than {self._config.max_body_bytes} bytes."
            else:
                sentence = _REASONS.get(error.status, error.reason)
            return json_response(error.status, {"error": sentence})
        except Exception:
            log.exception("intake: %s %s failed", request.method, request.path[:80])
            return json_response(
                500, {"error": "The intake failed on this request; the program's log has why."}
            )

    # ---- routes -----------------------------------------------------------------------------

    async def _post_order(self, request: web.Request) -> web.StreamResponse:
        if self._in_flight >= self._config.max_in_flight:
            return json_response(
                429,
                {"error": f"{self._in_flight} orders are already being worked on; try again."},
                **{hdrs.RETRY_AFTER: "1"},
            )
        if request.content_type != "application/json":
            return json_response(
                415, {"error": "Send the ticket as JSON (Content-Type: application/json)."}
            )
        if request.headers.get(hdrs.CONTENT_ENCODING, "identity").lower() != "identity":
            return json_response(415, {"error": "Send the body uncompressed."})
        length = request.content_length
        if length is not None and length > self._config.max_body_bytes:
            return json_response(
                413, {"error": f"The body is larger than {self._config.max_body_bytes} bytes."}
            )
        self._in_flight += 1
        try:
            body = await request.read()
            try:
                ticket = read_ticket(body)
            except BodyError as error:
                return json_response(400, {"error": str(error)})
            return _respond(await self._desk.receive(ticket, request[SENDER]))
        finally:
            self._in_flight -= 1

    async def _get_order(self, request: web.Request) -> web.StreamResponse:
        return _respond(await self._desk.status(request.match_info["command_id"]))

    async def _get_health(self, request: web.Request) -> web.StreamResponse:
        return json_response(200, {"status": "ok"} | self._health())


def _respond(answer: Answer) -> web.Response:
    return json_response(answer.status, answer.body)
