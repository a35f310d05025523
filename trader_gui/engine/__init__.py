"""The order engine: the six steps, blockers, watcher, recovery. asyncio only, never Qt."""
