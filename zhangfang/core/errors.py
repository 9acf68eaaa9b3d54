"""Domain errors that services raise and views turn into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an action; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConcurrentEditError(DomainError):
    """Someone else saved the record after this user opened it."""


class TransitionNotAllowed(DomainError):
    """A status change that the record's workflow does not allow."""
