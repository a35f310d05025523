"""The frozen program's first module (see trader_gui.spec): the same `main` as the
`trader-gui` console script, so the bundle takes every command and option the install does."""

from __future__ import annotations

import sys

from trader_gui.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
