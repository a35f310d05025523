"""`trader-gui --paths`: where the program keeps its files, one per line.

A trader who wants to back up the database, attach the log to a bug report or delete the
config needs the folders without knowing each platform's conventions. The lines show the
places this very command line would use (`--config` and `--db` included) and create nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from trader_gui.engine.assembly import LaunchOptions, database_url
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings

LABEL_WIDTH = 14


def path_lines(
    settings: Settings, paths: AppPaths, options: LaunchOptions, config_path: Path
) -> list[tuple[str, str]]:
    """(what, where) pairs, in the order a person looks for them."""
    return [
        ("config folder", str(paths.config_dir)),
        ("config file", str(config_path)),
        ("data folder", str(paths.data_dir)),
        ("database", _database_place(database_url(settings, paths, options))),
        ("paper broker", str(paths.paper_broker_file)),
        ("log folder", str(paths.log_dir)),
        ("log file", str(paths.log_file)),
        ("cache folder", str(paths.cache_dir)),
    ]


def run_paths(
    settings: Settings, paths: AppPaths, options: LaunchOptions, config_path: Path
) -> int:
    for label, place in path_lines(settings, paths, options, config_path):
        print(f"{label:<{LABEL_WIDTH}}{place}")
    return 0


def _database_place(url: str) -> str:
    """A SQLite file as its path; any other database as its URL, never with its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return str(Path(parsed.database or ""))
    return parsed.render_as_string(hide_password=True)
