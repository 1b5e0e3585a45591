"""The client's version (sent as part of its User-Agent)."""

__version__ = "0.1.0"
