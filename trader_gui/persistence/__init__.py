"""The database: typed models, migrations, and the repository every status change goes through."""
