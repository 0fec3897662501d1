"""Delivery: the outbox sender, its transports, and rendering for Telegram and the terminal."""
