"""What the command line may override over the config file.

Its own module, free of the engine's imports, so that the command line and the window can
be started (and the window painted) before the engine and its libraries are imported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """What the command line may override over the config file."""

    db_url: str | None = None
    broker: str | None = None
    client_id: str | None = None
    broker_url: str | None = None
    intake_port: int | None = None
