"""Plain data and rules of the order flow: no Qt, no database, no I/O."""
