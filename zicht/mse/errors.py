"""Errors raised by :mod:`zicht.mse`.

Input problems raise :class:`MSEInputError`, whose message is one line naming the row and column
at fault; the CLI prints it and exits with code 2.  A model whose maximum likelihood estimate does
not exist, or is not identifiable, raises :class:`EstimateNotAvailable` with the reason.
"""


class MSEInputError(ValueError):
    """The capture-history table is malformed (one-line message naming row and column)."""


class EstimateNotAvailable(RuntimeError):
    """The requested model has no (identifiable) maximum likelihood estimate on these data."""

    def __init__(self, message: str, ierr: int = 0):
        super().__init__(message)
        self.ierr = ierr
