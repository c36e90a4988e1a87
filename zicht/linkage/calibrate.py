"""The analysts' decisions train the model: match probabilities recalibrated on them.

The review queue asks about the pairs whose answer would change the counts most
(:func:`zicht.linkage.review.with_value`), so the decided pairs are no random sample of
matches: m-probabilities estimated from them would describe the hard cases (no birth date,
names with typos), not the matches in general.  But the pairs are chosen by their match
probability (and where they sit), not by their answer, so the chance of *match* given the
model's weight is estimated without that bias from them.  That is what is fitted here: a
logistic recalibration

    P(match | weight w) = 1 / (1 + exp(-(a + b ln2 w)))

on the decided pairs the model scored (``w``: Splink's match weight, log2 odds), with a
normal prior on (a, b) around (0, 1) (standard deviation 1: no change until decisions say
so), and applied to every scored pair.  A decided pair itself still follows its decision.
It starts from :data:`MIN_DECISIONS` decisions with at least :data:`MIN_EACH` of each kind;
before that the model's probabilities stand.

Measured on the independent generator (docs/LINKAGE.md): 200 decisions taken from the truth
in queue order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["MIN_DECISIONS", "MIN_EACH", "Calibration", "fit_calibration"]

MIN_DECISIONS = 30
SLOPE_BOUNDS = (0.2, 5.0)
MIN_EACH = 5
PRIOR_SD = 1.0
LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class Calibration:
    decisions: int
    matches: int
    intercept: float  # a, natural-log odds
    slope: float  # b

    def apply(self, match_weight: np.ndarray) -> np.ndarray:
        """Recalibrated match probabilities of Splink match weights (log2 odds)."""
        return special.expit(self.intercept + self.slope * LN2 * np.asarray(match_weight))

    def weight(self, match_weight: np.ndarray) -> np.ndarray:
        """The recalibrated match weights (log2 odds)."""
        return (self.intercept + self.slope * LN2 * np.asarray(match_weight)) / LN2

    def model_probability(self, probability: float) -> float:
        """The model's match probability that recalibrates to ``probability``."""
        target = float(special.logit(probability))
        return float(special.expit((target - self.intercept) / self.slope))

    def as_dict(self) -> dict:
        return asdict(self)


def fit_calibration(pairs: pd.DataFrame, decisions: pd.DataFrame | None) -> Calibration | None:
    """The recalibration from the decided pairs among ``pairs`` (``id_l``, ``id_r``,
    ``match_weight``), or None with too few decisions (see the module's text)."""
    if decisions is None or decisions.empty:
        return None
    decided = decisions[decisions["decision"].isin(["match", "no_match"])]
    joined = pairs[["id_l", "id_r", "match_weight"]].merge(
        decided[["id_l", "id_r", "decision"]], on=["id_l", "id_r"], how="inner")
    joined = joined[np.isfinite(joined["match_weight"].to_numpy(dtype=float))]
    y = joined["decision"].eq("match").to_numpy(dtype=float)
    matches = int(y.sum())
    if len(y) < MIN_DECISIONS or matches < MIN_EACH or len(y) - matches < MIN_EACH:
        return None
    x = LN2 * joined["match_weight"].to_numpy(dtype=float)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = theta
        z = a + b * x
        # -log likelihood of a logistic model, stable for large |z|
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
        r = special.expit(z) - y
        grad = np.array([r.sum(), (r * x).sum()])
        prior = np.array([a, b - 1.0]) / PRIOR_SD**2
        return nll + 0.5 * float(np.dot(theta - (0.0, 1.0), prior)), grad + prior

    # a slope between 0.2 and 5: the model's weight keeps its direction (a pair the model
    # finds likelier is never made less likely), whatever a few decisions suggest
    fit = optimize.minimize(loss, np.array([0.0, 1.0]), jac=True, method="L-BFGS-B",
                            bounds=[(None, None), SLOPE_BOUNDS])
    a, b = (float(v) for v in fit.x)
    return Calibration(len(y), matches, a, b)
