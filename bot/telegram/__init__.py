"""Telegram: alert rendering, the sender, commands and keyboards (python-telegram-bot)."""
