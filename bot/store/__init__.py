"""Storage: SQLAlchemy Core schema, the queries, Alembic migrations."""
