"""Fetching a broker's published symbol masters over HTTP into a folder, with a time limit.

Shoonya publishes each exchange's master as a public zip, `<base>/NSE_symbols.txt.zip`,
refreshed before the market opens; no login is needed. The files are written as they come
(`load_master` reads and checks them afterwards): this module only fetches, and says in one
sentence why a fetch failed, in the server's own words where it gave any.

The base address is a parameter so that tests (and a broker's mirror) can serve the files.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from trader_gui.domain.enums import Exchange

SHOONYA_MASTER_BASE = "https://api.shoonya.com"
"""Where Shoonya publishes `<EXCHANGE>_symbols.txt.zip`."""
SHOONYA_EXCHANGES: tuple[Exchange, ...] = (
    Exchange.NSE,
    Exchange.NFO,
    Exchange.BSE,
    Exchange.BFO,
    Exchange.MCX,
)
"""The exchanges this program trades; Shoonya's CDS file holds only contracts it skips."""
DOWNLOAD_TIMEOUT_S = 60.0
"""The whole of one file's download, not only each wait for bytes: a server that sends a
byte a second never ends the wait of a per-read timeout."""
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
"""Real masters are a few to tens of megabytes; more is not a master."""
CHUNK_BYTES = 256 * 1024
ERROR_TEXT_CHARS = 200


class MasterDownloadError(Exception):
    """A master that could not be fetched: names the file and says why in one sentence."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def shoonya_master_file(exchange: Exchange) -> str:
    return f"{exchange.value}_symbols.txt.zip"


def shoonya_master_url(exchange: Exchange, base_url: str = SHOONYA_MASTER_BASE) -> str:
    return f"{base_url.rstrip('/')}/{shoonya_master_file(exchange)}"


def download_shoonya_masters(
    folder: Path,
    *,
    base_url: str = SHOONYA_MASTER_BASE,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
    exchanges: Sequence[Exchange] = SHOONYA_EXCHANGES,
) -> list[Path]:
    """Every exchange's zip saved in `folder`, one after the other; the first failure raises.

    All or nothing: a day's masters with one exchange missing would drop that exchange's
    contracts from the list, so the caller keeps the previous list instead.
    """
    return [
        download(
            shoonya_master_url(exchange, base_url),
            folder / shoonya_master_file(exchange),
            timeout_s=timeout_s,
        )
        for exchange in exchanges
    ]


def download(url: str, target: Path, *, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """`url` saved as `target` (written beside it, renamed when complete); `target` returned.

    Raises `MasterDownloadError` for an HTTP error (its status and the server's words), a
    refused or lost connection, a download that takes longer than `timeout_s` in all, or
    one larger than `MAX_DOWNLOAD_BYTES`.
    """
    source = target.name
    if not url.startswith(("http://", "https://")):
        raise MasterDownloadError(source, f"{url!r} is not an http(s) address")
    deadline = time.monotonic() + timeout_s
    partial = target.with_name(f".{target.name}.part")
    request = urllib.request.Request(url, headers={"User-Agent": "trader-gui"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            size = 0
            with partial.open("wb") as out:
                while chunk := response.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise MasterDownloadError(
                            source, f"more than {MAX_DOWNLOAD_BYTES:,} bytes: not a master"
                        )
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    out.write(chunk)
        if size == 0:
            raise MasterDownloadError(source, f"{url} sent an empty file")
        os.replace(partial, target)
    except urllib.error.HTTPError as error:
        raise MasterDownloadError(source, _http_sentence(url, error)) from None
    except TimeoutError:
        raise MasterDownloadError(
            source, f"{url} did not send the file within {timeout_s:g} s"
        ) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise MasterDownloadError(
                source, f"{url} did not answer within {timeout_s:g} s"
            ) from None
        raise MasterDownloadError(source, f"{url} cannot be reached: {error.reason}") from None
    except OSError as error:
        raise MasterDownloadError(
            source, f"download from {url} failed: {error.strerror or error}"
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def _http_sentence(url: str, error: urllib.error.HTTPError) -> str:
    """`HTTP 500 Internal Server Error from <url>: <the first words the server sent>`."""
    try:
        body = error.read(ERROR_TEXT_CHARS * 4).decode("utf-8", "replace")
    except OSError:
        body = ""
    words = " ".join(body.split())[:ERROR_TEXT_CHARS]
    sentence = f"HTTP {error.code} {error.reason} from {url}"
    return f"{sentence}: {words}" if words else sentence
