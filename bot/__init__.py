"""newsbot: RSS/Atom keyword alerts for Telegram."""

__version__ = "0.1.0"
