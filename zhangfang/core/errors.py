"""Domain errors that services raise and views turn into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an action; ``message`` is shown to the user as it is.

    ``field`` names the form field to correct, when there is one, so a page can put the message
    beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConcurrentEditError(DomainError):
    """Someone else saved the record after this user opened it."""


class TransitionNotAllowed(DomainError):
    """A status change that the record's workflow does not allow."""
