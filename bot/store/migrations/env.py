"""Alembic environment: migrations run on the connection newsbot hands over at start-up."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("newsbot applies its migrations itself at start-up; run `newsbot check`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
