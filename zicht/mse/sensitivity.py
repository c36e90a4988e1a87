"""Sensitivity of an estimate to the lists: drop each list in turn, merge the two smallest.

Silverman (2020) recommends both checks: an estimate that moves a lot when one list is left out
rests on that list, and merging the two smallest lists removes the sparsest, least reliable
overlaps.  Dropping a list makes the individuals seen only by it unobserved, so each variant is
a genuinely different table, estimated with the same method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .base import Estimator
from .data import CaptureHistories
from .errors import EstimateNotAvailable, MSEInputError


def variants(table: CaptureHistories) -> list[tuple[str, str, CaptureHistories]]:
    """(kind, label, table) for the full table, each list dropped, and the two smallest merged."""
    out = [("all", "all lists", table)]
    if table.k > 2:
        for name in table.lists:
            out.append(("drop", f"without {name}", table.drop_list(name)))
    sizes = table.list_sizes().sort_values(kind="stable")
    if table.k > 2:
        a, b = sizes.index[0], sizes.index[1]
        out.append(("merge", f"{a} and {b} merged", table.merge_lists(a, b, f"{a}+{b}")))
    return out


def sensitivity(
    table: CaptureHistories,
    make_estimator: Callable[[], Estimator[Any]],
    ci: str = "profile",
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Estimate on every variant of :func:`variants`; one row each, failures explained."""
    rows = []
    for kind, label, variant in variants(table):
        row = {"variant": label, "kind": kind, "lists": variant.k,
               "observed": variant.n_observed}
        try:
            res = make_estimator().fit(variant, ci=ci, **fit_kwargs)
        except (EstimateNotAvailable, MSEInputError) as exc:
            row.update(estimate=None, ci_low=None, ci_high=None, model="", note=str(exc))
        else:
            row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high,
                       model=res.model_label, note="")
        rows.append(row)
    frame = pd.DataFrame(rows)
    base = frame.loc[0, "estimate"]
    frame["change"] = (frame["estimate"] / base - 1) if base else None
    return frame
