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
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Evaluation", "TruthError", "evaluate", "read_truth", "true_capture_histories",
           "true_persons"]


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


class TruthError(ValueError):
    """The truth cannot be read or does not cover the linked reports (the message says)."""


def read_truth(path: str | Path) -> pd.DataFrame:
    """Known labels: a ``zicht simulate`` folder (its ``truth_reports``) or a CSV/Parquet
    file with ``person_id`` and ``report_id`` or ``source_ref`` (the reporters' own report
    ids, as in the import file; with ``organisation`` when ids repeat between
    organisations)."""
    path = Path(path)
    file = path
    if path.is_dir():
        file = next((path / n for n in ("truth_reports.parquet", "truth_reports.csv")
                     if (path / n).exists()), path / "truth_reports.parquet")
    if not file.is_file():
        raise TruthError(f"{path}: no such file, and not a folder with truth_reports.parquet "
                         "or .csv")
    try:
        frame = (pd.read_parquet(file) if file.suffix == ".parquet"
                 else pd.read_csv(file, dtype=str, keep_default_na=False))
    except Exception as exc:  # pandas/pyarrow name the problem
        raise TruthError(f"{file}: not a readable table ({exc})") from None
    if "person_id" not in frame.columns or not ({"report_id", "source_ref"}
                                                 & set(frame.columns)):
        raise TruthError(f"{file}: needs the columns person_id and report_id or source_ref")
    blank = _text(frame["person_id"]).eq("")
    if blank.any():
        raise TruthError(f"{file}: {int(blank.sum()):,} rows have no person_id (every report "
                         "needs its person; a report alone is a person of its own)")
    return frame


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped strings, a missing value (None, NaN, NA) as ''."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def true_persons(linked: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true person of each linked report (``report_persons.parquet``'s order), matched
    on ``report_id`` or else on ``source_ref`` (and ``organisation`` when the truth has it).
    Raises :class:`TruthError` when a report is not in the truth or a key is ambiguous."""
    if "report_id" in truth.columns and truth["report_id"].astype(str).isin(
            linked["report_id"].astype(str)).any():
        keys = ["report_id"]
    elif "source_ref" in truth.columns and "source_ref" in linked.columns:
        keys = ["organisation", "source_ref"] if {"organisation"} <= set(truth.columns) \
            else ["source_ref"]
    elif "report_id" in truth.columns and "source_ref" in linked.columns and _text(
            truth["report_id"]).isin(_text(linked["source_ref"])).any():
        # a simulation's truth against a registry export of its reports: the import kept
        # each simulated report_id as the report's source reference
        truth = truth.assign(source_ref=truth["report_id"])
        keys = ["source_ref"]
    else:
        raise TruthError("the truth shares no report_id with the linkage, and has no "
                         "source_ref the linkage carries")
    left = pd.DataFrame({k: _text(linked[k]) for k in keys})
    right = pd.DataFrame({**{k: _text(truth[k]) for k in keys},
                          "person_id": _text(truth["person_id"])})
    duplicated = right.duplicated(keys, keep=False)
    if duplicated.any():
        raise TruthError(f"{int(duplicated.sum()):,} truth rows share their "
                         f"{' + '.join(keys)}: add organisation, or use report_id")
    person = left.merge(right, on=keys, how="left")["person_id"]
    missing = int(person.isna().sum())
    if missing:
        raise TruthError(f"{missing:,} of {len(linked):,} linked reports are not in the truth "
                         f"(matched on {' + '.join(keys)})")
    return person.astype(str).to_numpy()


def true_capture_histories(linked: pd.DataFrame, true_person, lists) -> pd.DataFrame:
    """The capture histories of the true persons: ``linked`` is ``report_persons.parquet``
    (with ``reporter_category`` and ``reference_year``), ``true_person`` each of its reports'
    true person, ``lists`` the linkage's own (``summary.json``), so that the estimate on the
    true links is comparable with the estimate on the linked persons."""
    from .persons import capture_histories

    labels = pd.factorize(pd.Series(np.asarray(true_person)))[0].astype(np.int64)
    return capture_histories(linked, labels, lists)
