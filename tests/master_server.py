"""Shoonya's symbol masters as it publishes them, served from 127.0.0.1 (a unique module name).

`MasterServer` answers `GET /<EXCHANGE>_symbols.txt.zip` with whatever the test put there: a
real zip, damaged bytes, an HTTP error, or nothing until the test releases it (a download
that hangs). It counts the requests, so a test can say that nothing was fetched.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NSE_HEADER = "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,"
FO_HEADER = (
    "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"
)
MCX_HEADER = "Exchange,Token,LotSize,GNGD,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"
BSE_HEADER = NSE_HEADER

NSE_LINES = (
    NSE_HEADER,
    "NSE,26000,1,Nifty 50,NIFTY INDEX,INDEX,0,",
    "NSE,3045,1,SBIN,SBIN-EQ,EQ,5,",
    ",,,,,,,",
    "",
    "NSE,2885,1,RELIANCE,RELIANCE-EQ,EQ,10,",
    "NSE,11536,1,TCS,TCS-EQ,EQ,10,",
)
"""Ticks in paise (5 = 0.05) and blank placeholder rows, as Shoonya's cash files have them."""
BSE_LINES = (BSE_HEADER, "BSE,500112,1,SBIN,SBIN,A,5,")
MCX_LINES = (MCX_HEADER, "MCX,440939,1,,CRUDEOIL,CRUDEOIL16DEC26,16-DEC-2026,FUTCOM,XX,0,1,")
BFO_LINES = (FO_HEADER, "BFO,1122,20,BSXOPT,SENSEX26DEC90000CE,24-DEC-2026,OPTIDX,CE,90000,0.05,")


def nfo_lines(strikes: int = 3) -> tuple[str, ...]:
    """NIFTY's December future and `strikes` calls from 24000 up, in Shoonya's NFO layout."""
    lines = [FO_HEADER, "NFO,43650,65,NIFTY,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,"]
    for number in range(strikes):
        strike = 24000 + 50 * number
        lines.append(
            f"NFO,{50000 + number},65,NIFTY,NIFTY29DEC26C{strike},29-DEC-2026,OPTIDX,CE,{strike},0.05,"
        )
    return tuple(lines)


def zipped(name: str, lines: tuple[str, ...] | list[str]) -> bytes:
    """`name` inside a zip, as Shoonya serves `NSE_symbols.txt` in `NSE_symbols.txt.zip`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, "\n".join(lines) + "\n")
    return buffer.getvalue()


def shoonya_day(strikes: int = 3) -> dict[str, bytes]:
    """A whole day's masters: every exchange's zip by its file name."""
    return {
        "NSE_symbols.txt.zip": zipped("NSE_symbols.txt", NSE_LINES),
        "NFO_symbols.txt.zip": zipped("NFO_symbols.txt", nfo_lines(strikes)),
        "BSE_symbols.txt.zip": zipped("BSE_symbols.txt", BSE_LINES),
        "BFO_symbols.txt.zip": zipped("BFO_symbols.txt", BFO_LINES),
        "MCX_symbols.txt.zip": zipped("MCX_symbols.txt", MCX_LINES),
    }


def write_shoonya_day(folder: Path, strikes: int = 3) -> list[Path]:
    """The day's zips as files, as the trader would download them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in shoonya_day(strikes).items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    hold: bool = False
    """Send nothing until the server's `release` is set (a download that hangs)."""


class MasterServer:
    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.requests: list[str] = []
        self.release = threading.Event()
        self.holding = threading.Event()
        """Set once a held request has arrived: the download is under way and waiting."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_day(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            self.replies[name] = Reply(body=data)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                server.requests.append(name)
                reply = server.replies.get(name, Reply(404, b"Not Found"))
                if reply.hold:
                    server.holding.set()
                    server.release.wait(60)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/zip")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def master_server() -> Iterator[MasterServer]:
    server = MasterServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
