"""Linkage against known truth: pairwise and cluster precision, recall and F1.

- **pairwise**: over all pairs of reports, a pair is *predicted* when both reports are in one
  predicted person and *true* when they belong to one true person (the clustering's pairs, so
  transitive links count);
- **cluster**: a predicted person is correct when its reports are exactly one true person's
  reports; precision = correct / predicted persons, recall = correct / true persons;
- **persons**: predicted vs true count, and the relative difference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    reports: int
    true_persons: int
    persons: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float

    @property
    def persons_error(self) -> float:
        """(persons - true persons) / true persons."""
        return (self.persons - self.true_persons) / self.true_persons

    def as_dict(self) -> dict:
        return {**asdict(self), "persons_error": self.persons_error}


def _pairs(counts: pd.Series) -> int:
    c = counts.to_numpy(dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(predicted: pd.Series | np.ndarray, true: pd.Series | np.ndarray) -> Evaluation:
    """Compare two labellings of the same reports (same order, any label values)."""
    frame = pd.DataFrame({"p": np.asarray(predicted), "t": np.asarray(true)})
    if frame["t"].isna().any():
        raise ValueError("the truth has no person for some reports")
    both = frame.groupby(["p", "t"], sort=False).size()
    pred_sizes = frame.groupby("p", sort=False).size()
    true_sizes = frame.groupby("t", sort=False).size()
    tp, pred_pairs, true_pairs = _pairs(both), _pairs(pred_sizes), _pairs(true_sizes)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # a predicted person is exact when it meets one true person only, and all of them
    pure = both.reset_index(name="n")
    pure = pure[pure.groupby("p")["n"].transform("size") == 1]
    exact = int((pure["n"].to_numpy() == true_sizes.reindex(pure["t"]).to_numpy()).sum())
    c_precision, c_recall = exact / len(pred_sizes), exact / len(true_sizes)
    return Evaluation(len(frame), len(true_sizes), len(pred_sizes), precision, recall,
                      _f1(precision, recall), c_precision, c_recall, _f1(c_precision, c_recall))
