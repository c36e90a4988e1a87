"""Which reporter categories detect which victims in a year.

For reporter r and victim i: logit p_ir = a_r + x_i . b_r + h_g(i), where x_i are the victim's
attributes (form, sex, region, minor, Dutch, Caribbean), b_r the scenario's effects, and h_g the
log-odds shift of the victim's latent group (heterogeneity: the same for every list).  The
intercept a_r is solved so that the average p_ir over the year's victims equals the scenario's
``rate``.  Dependence (referral) then applies in the order given: for victims detected by the
source, the target's odds are multiplied by ``odds_ratio``.  One uniform number per (victim,
reporter) decides detection, so raising a probability only ever adds detections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from .population import CARIBBEAN
from .scenario import EFFECT_KEYS, Scenario


def features(persons: pd.DataFrame) -> np.ndarray:
    """(n, len(EFFECT_KEYS)) 0/1 matrix of the attributes effects can refer to."""
    coded = {}
    for col in ("form", "sex", "region", "nationality"):
        codes, uniques = pd.factorize(persons[col].to_numpy())
        coded[col] = (codes, {u: i for i, u in enumerate(uniques)})

    def equals(col: str, value: str) -> np.ndarray:
        codes, index = coded[col]
        return codes == index.get(value, -2)

    cols = []
    for key in EFFECT_KEYS:
        if key.startswith("form."):
            cols.append(equals("form", key[5:]))
        elif key.startswith("sex."):
            cols.append(equals("sex", key[4:]))
        elif key.startswith("region."):
            cols.append(equals("region", key[7:]))
        elif key == "minor":
            cols.append(persons["minor"].to_numpy())
        elif key == "dutch":
            cols.append(equals("nationality", "NLD"))
        elif key == "caribbean":
            cols.append(np.logical_or.reduce([equals("region", r) for r in CARIBBEAN]))
    return np.column_stack(cols).astype(float) if cols else np.zeros((len(persons), 0))


def detect(scenario: Scenario, persons: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """(n, reporters) boolean detections, reporters in the scenario's order."""
    n = len(persons)
    cats = list(scenario.reporters)
    if n == 0:
        return np.zeros((0, len(cats)), dtype=bool)
    X = features(persons)
    het = np.array([e for _, e in scenario.heterogeneity])[persons["latent_group"].to_numpy()]
    logits = np.empty((n, len(cats)))
    for j, cat in enumerate(cats):
        rep = scenario.reporters[cat]
        b = np.array([rep.effects.get(k, 0.0) for k in EFFECT_KEYS])
        shift = X @ b + het
        logits[:, j] = shift + _intercept(shift, rep.rate)
    u = rng.random((n, len(cats)))
    seen = u < expit(logits)
    for dep in scenario.dependence:
        s, t = cats.index(dep.source), cats.index(dep.target)
        boosted = u[:, t] < expit(logits[:, t] + np.log(dep.odds_ratio))
        seen[:, t] = np.where(seen[:, s], boosted, seen[:, t])
    return seen


def _intercept(shift: np.ndarray, rate: float) -> float:
    """a with mean(expit(a + shift)) = rate.

    The shifts take few distinct values (they are sums of effects of categorical attributes),
    so Newton's method runs on the distinct values weighted by their counts."""
    if rate <= 0:
        return -np.inf
    codes, values = pd.factorize(shift)  # hashing: faster than np.unique's sort
    counts = np.bincount(codes, minlength=values.size)
    w = counts / counts.sum()
    a = float(np.log(rate / (1 - rate)) - w @ values)
    for _ in range(100):
        p = expit(a + values)
        f = float(w @ p) - rate
        d = float(w @ (p * (1 - p)))
        step = f / d if d > 0 else 0.0
        a -= float(np.clip(step, -5, 5))
        if abs(f) < 1e-12 * rate:
            return a
    return brentq(lambda x: float(w @ expit(x + values)) - rate, -60.0, 60.0, xtol=1e-12)
