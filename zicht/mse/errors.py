"""Errors raised by :mod:`zicht.mse`, all subclasses of :class:`MSEError`.

Input problems raise :class:`MSEInputError`, whose message is one line naming the row and column
at fault; the CLI prints it and exits with code 2.  A model whose maximum likelihood estimate does
not exist, or is not identifiable, raises :class:`EstimateNotAvailable` with the reason.  A
setting outside its range (``level``, ``ci``) raises :class:`InvalidSetting`.  Each keeps the
builtin parent it had before :class:`MSEError` existed (``ValueError``, ``RuntimeError``), so
``except ValueError`` keeps working.
"""

from __future__ import annotations


class MSEError(Exception):
    """Base of every exception :mod:`zicht.mse` raises on purpose."""


class MSEInputError(MSEError, ValueError):
    """The capture-history table is malformed (one-line message naming row and column)."""


class InvalidSetting(MSEError, ValueError):
    """An estimator setting is outside its range (``level``, ``ci``, ``pthresh``, ...)."""


class EstimateNotAvailable(MSEError, RuntimeError):
    """The requested model has no (identifiable) maximum likelihood estimate on these data."""

    def __init__(self, message: str, ierr: int = 0):
        super().__init__(message)
        self.ierr = ierr


class GlmError(MSEError, RuntimeError):
    """R's ``glm.fit``, as reproduced for Rcapture's ``closedp.0``, stopped with an error."""
