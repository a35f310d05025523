"""Summarise a py-spy profile per thread: where each engine thread spends its busy time.

Why: the engine's work runs on its database thread and broker threads, which cProfile and
pyinstrument (one thread each) do not see. py-spy samples every thread; this reads its raw
(folded) output, drops samples of threads waiting for work, and prints, for one thread, the
share of busy samples under each frame whose name matches.

    py-spy record --threads -r 500 -f raw -o /tmp/engine.txt -- \\
        python -m benchmarks.order_throughput --broker stub --concurrency 1 --orders 3000
    python -m benchmarks.profile_summary /tmp/engine.txt --thread trader-db
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py)",
    "select (selectors.py)",
    "wait (threading.py)",
)
"""Leaf frames of a thread waiting for work: a pool worker on its queue, a loop on epoll."""
DEFAULT_MATCH = (
    "OrderRepository.",
    "Blockers.",
    "Reconciler.",
    "OrderEngine.",
    "_on_begin",
    "Engine.connect",
    "Engine.begin",
    "Connection.close",
    "_write_to_self",
    "do_execute",
    "do_commit",
)
_LINE = re.compile(r" \((.*):\d+\)$")


@dataclass
class ThreadProfile:
    busy: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    leaves: Counter[str] = field(default_factory=Counter)


def read(lines: Iterable[str], thread: str) -> ThreadProfile:
    """Busy samples of the threads whose label contains `thread`, per frame (no line numbers)."""
    profile = ThreadProfile()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        label, *frames = stack.split(";")
        if thread not in label or not frames:
            continue
        names = [_LINE.sub(r" (\1)", frame) for frame in frames]
        if any(idle in names[-1] for idle in IDLE_LEAVES):
            continue
        samples = int(count)
        profile.busy += samples
        profile.leaves[names[-1]] += samples
        for name in set(names):
            profile.inclusive[name] += samples
    return profile


def report(profile: ThreadProfile, thread: str, match: Sequence[str], top: int) -> list[str]:
    busy = max(profile.busy, 1)
    lines = [f"thread {thread!r}: {profile.busy} busy samples", "inclusive (frames matching):"]
    lines += [
        f"  {count / busy:6.1%}  {name}"
        for name, count in profile.inclusive.most_common()
        if any(word in name for word in match)
    ]
    lines.append(f"self (top {top}):")
    lines += [f"  {count / busy:6.1%}  {name}" for name, count in profile.leaves.most_common(top)]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy output recorded with -f raw")
    parser.add_argument("--thread", default="trader-db", help="thread name (part of it)")
    parser.add_argument(
        "--match", nargs="+", default=list(DEFAULT_MATCH), help="frame names to show"
    )
    parser.add_argument("--top", type=int, default=15, help="how many self-time frames")
    options = parser.parse_args(argv)
    with options.profile.open(encoding="utf-8") as handle:
        profile = read(handle, options.thread)
    print("\n".join(report(profile, options.thread, options.match, options.top)))


if __name__ == "__main__":
    main()
