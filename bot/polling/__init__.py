"""Polling: the poll pipeline, its schedule, alert decisions, rule books, feed health."""
