"""The composition root's own error."""

from __future__ import annotations


class ConfigurationError(Exception):
    """The settings cannot be wired as given, or a development tool is missing; the message says what to do."""
