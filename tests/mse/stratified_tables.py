"""Stratified capture-history tables drawn with numpy alone, apart from ``zicht.simulate``.

Each list's detection probability is a logistic function of the stratum's covariates (its own
effects per covariate level), one pair of lists is positively dependent (people on the first
are more likely to be on the second: a referral), and the true number of people per stratum is
known.  Used by the covariate tests and by ``bench/bench_covariates_scale.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Table:
    frame: pd.DataFrame  # covariates, one 0/1 column per list, count (observed rows only)
    truth: pd.Series  # true people per stratum (covariate tuple index)
    covariates: list[str]
    lists: list[str]


def stratified_table(levels: dict[str, int], lists: int = 6, people: int = 60_000,
                     seed: int = 0, referral: float = 1.5, base: float = -2.2) -> Table:
    """``levels``: covariate name -> number of levels.  ``people`` in all, spread unevenly over
    the strata; ``base``: the lists' mean logit of detection; ``referral``: log-odds added to
    the second list for people on the first."""
    rng = np.random.default_rng(seed)
    names = [f"L{j + 1}" for j in range(lists)]
    covs = list(levels)
    grid = list(itertools.product(*[range(levels[c]) for c in covs]))
    S = len(grid)
    codes = np.array(grid)
    size_logit = sum(rng.normal(0, 0.6, levels[c])[codes[:, i]] for i, c in enumerate(covs))
    weights = np.exp(size_logit)
    N = rng.multinomial(people, weights / weights.sum())
    # detection logit per stratum and list: base + per list an effect of each covariate level
    eff = np.full((S, lists), base) + rng.normal(0, 0.4, lists)
    for i, c in enumerate(covs):
        eff += rng.normal(0, 0.5, (levels[c], lists))[codes[:, i]]
    rows = []
    for s in range(S):
        n = int(N[s])
        if n == 0:
            continue
        p = 1 / (1 + np.exp(-eff[s]))
        on = rng.random((n, lists)) < p
        p2 = 1 / (1 + np.exp(-(eff[s, 1] + referral)))
        on[:, 1] = np.where(on[:, 0], rng.random(n) < p2, on[:, 1])
        seen = on[on.any(axis=1)].astype(int)
        if seen.size == 0:
            continue
        pats, counts = np.unique(seen, axis=0, return_counts=True)
        for pat, k in zip(pats, counts, strict=True):
            rows.append([*(f"{c}{codes[s, i]}" for i, c in enumerate(covs)), *pat, int(k)])
    frame = pd.DataFrame(rows, columns=[*covs, *names, "count"])
    index = pd.MultiIndex.from_tuples(
        [tuple(f"{c}{g[i]}" for i, c in enumerate(covs)) for g in grid], names=covs)
    return Table(frame, pd.Series(N, index=index), covs, names)
