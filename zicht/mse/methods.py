"""Estimators by name, as the CLI and the simulation study name them."""

from __future__ import annotations

from .closedp import CLI_NAMES, ClosedP
from .errors import MSEInputError
from .loglinear import LogLinear, MainEffects
from .search import ModelSearch
from .stepwise import Stepwise

METHODS = ("stepwise", "aic", "bic", "model", "Mt", *[m for m in CLI_NAMES if m != "Mt"],
           "dga", "lcmcr")


def make_estimator(method: str, terms: str | None = None, pthresh: float = 0.02,
                   delta: float | None = None, seed: int | None = None):
    """``stepwise``, ``aic``, ``bic``, ``model`` (with ``terms``), ``Mt``, a closedp name,
    ``dga`` (with ``delta``) or ``lcmcr`` (latent classes, with ``seed``)."""
    if method == "stepwise":
        return Stepwise(pthresh)
    if method in ("aic", "bic"):
        return ModelSearch(method)
    if method == "model":
        return LogLinear(terms or "")
    if method == "Mt":
        return MainEffects()
    if method == "dga":
        from .dga import DGA

        return DGA(delta)
    if method == "lcmcr":
        from .lcmcr import LCMCR

        return LCMCR() if seed is None else LCMCR(seed=seed)
    if method in CLI_NAMES:
        return ClosedP(method)
    raise MSEInputError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
