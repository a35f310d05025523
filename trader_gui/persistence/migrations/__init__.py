"""Alembic migrations, applied at start-up by `database.open_database`."""
