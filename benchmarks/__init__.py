"""Benchmarks: scripts that print figures, each beside its reference, never timed assertions.

Run them from the repository root as modules, e.g. `python -m benchmarks.order_throughput`;
`python -m benchmarks.run_all` runs each at CI size. See docs/BENCHMARKS.md for the figures.
"""
