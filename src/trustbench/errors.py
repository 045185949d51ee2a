"""Errors that the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


class TrustbenchError(Exception):
    """Base class: a problem the user can fix; the message says what and where."""

    exit_code = 1


class UsageError(TrustbenchError):
    """Bad arguments: an unknown task, model spec or option value."""

    exit_code = 2


class DataError(TrustbenchError):
    """A data file or record that does not match its schema."""

    exit_code = 2

    def __init__(self, file: str, message: str, index: int | None = None, field: str | None = None):
        self.file = file
        self.index = index
        self.field = field
        where = file
        if index is not None:
            where += f": record {index}"
        if field is not None:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")


class ModelError(TrustbenchError):
    """A model backend that cannot be loaded or reached."""

    exit_code = 1


class StoreError(TrustbenchError):
    """The response store cannot be read or written: damaged, locked, or not writable."""

    exit_code = 1
