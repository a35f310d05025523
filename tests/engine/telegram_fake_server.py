"""A fake Telegram Bot API on 127.0.0.1: records `sendMessage` calls and fails on demand.

Only what the alert sink uses: `POST /bot<token>/sendMessage` with a JSON body. Failures are
armed for the next requests: HTTP 500, 429 with `retry_after`, or a request that is never
answered (held until the test releases it or `hold_limit_s` passes, then dropped). Each request
is recorded before it is answered, so a client that has its answer finds it recorded.
Thread-safe; tests wait for requests with `wait_for_requests`, never with a sleep.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Fail(StrEnum):
    SERVER_ERROR = "500"
    TOO_MANY = "429"
    NEVER_ANSWER = "hang"


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    body: dict[str, Any]
    answered: int | None
    """The HTTP status sent back; None when the request was never answered."""


class FakeTelegram:
    def __init__(self, token: str, *, hold_limit_s: float = 10.0) -> None:
        self.token = token
        self.hold_limit_s = hold_limit_s
        self.received: list[Received] = []
        self._armed: deque[tuple[Fail, float]] = deque()
        self._lock = threading.Condition()
        self._release = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how soon `stop` is noticed
            name="fake-telegram",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Bodies of the messages Telegram accepted."""
        with self._lock:
            return [r.body for r in self.received if r.answered == 200]

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, kind: Fail, count: int = 1, *, retry_after: float = 3) -> None:
        with self._lock:
            self._armed.extend([(kind, retry_after)] * count)

    def release(self) -> None:
        """Let requests held by NEVER_ANSWER go (they are dropped without an answer)."""
        self._release.set()

    async def wait_for_requests(self, count: int, timeout_s: float = 5.0) -> list[Received]:
        """The first `count` requests, once they have arrived (answered or held)."""

        def wait() -> list[Received]:
            with self._lock:
                if not self._lock.wait_for(lambda: len(self.received) >= count, timeout_s):
                    raise AssertionError(
                        f"{len(self.received)} request(s) reached the fake Telegram, "
                        f"expected {count}"
                    )
                return list(self.received[:count])

        return await asyncio.to_thread(wait)

    # ---- called by the handler thread ---------------------------------------------------------

    def _next_failure(self) -> tuple[Fail, float] | None:
        with self._lock:
            return self._armed.popleft() if self._armed else None

    def _record(self, path: str, body: dict[str, Any], answered: int | None) -> None:
        with self._lock:
            self.received.append(Received(path, body, answered))
            self._lock.notify_all()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up on a held request is expected here, not a failure."""


def _handler_for(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
            if self.path != f"/bot{fake.token}/sendMessage":
                fake._record(self.path, body, 401)
                self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            failure = fake._next_failure()
            if failure is None:
                fake._record(self.path, body, 200)
                self._answer(200, {"ok": True, "result": {"message_id": len(fake.received)}})
                return
            kind, retry_after = failure
            if kind is Fail.NEVER_ANSWER:
                fake._record(self.path, body, None)
                fake._release.wait(fake.hold_limit_s)
                self.close_connection = True
                return
            if kind is Fail.TOO_MANY:
                fake._record(self.path, body, 429)
                self._answer(
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after:g}",
                        "parameters": {"retry_after": retry_after},
                    },
                )
                return
            fake._record(self.path, body, 500)
            self._answer(
                500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            )

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the default prints each request line (with the token) to stderr."""

    return Handler
