"""Persistence: SQLAlchemy tables, repositories, Alembic migrations and the S3 blob store."""
