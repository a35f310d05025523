"""Where the program keeps its files: the platform's standard folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platformdirs import PlatformDirs

APP_NAME = "trader-gui"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @classmethod
    def standard(cls) -> AppPaths:
        dirs = PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            Path(dirs.user_config_dir),
            Path(dirs.user_data_dir),
            Path(dirs.user_log_dir),
            Path(dirs.user_cache_dir),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Everything under one folder: for tests and a portable install."""
        return cls(root / "config", root / "data", root / "logs", root / "cache")

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "trader_gui.sqlite3"

    @property
    def paper_broker_file(self) -> Path:
        return self.data_dir / "paper_broker.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "trader_gui.log"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
