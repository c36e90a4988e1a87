"""One linkage run: reports in, a folder of plain tables out.

``link(source, out)`` loads and checks the reports (nothing is written when they are refused),
trains the model, scores the pairs, clusters them with the analysts' decisions on top and writes
into ``out`` (each file written beside and renamed into place, so a reader never sees half a
file):

| file | content |
|---|---|
| ``pairs.parquet`` | scored pairs (match probability >= 0.01) with each comparison's level |
| ``report_persons.parquet`` | report -> person, with ``source_ref``, organisation, year |
| ``persons.parquet`` | one row per person (:func:`zicht.linkage.persons.persons_table`) |
| ``capture_histories.csv`` | per year: list pattern -> persons (``zicht estimate`` columns) |
| ``capture_histories_<year>.csv`` | one year, ready for ``zicht estimate`` |
| ``capture_histories_by_stratum.csv`` | per year and stratum (sex, age band, form, ...) |
| ``capture_histories_band.csv`` | the same per year for each linkage of the band (``linkage``) |
| ``review_queue.csv`` | undecided pairs in the review band, most valuable to the estimate first |
| ``model.json`` | the trained Splink model |
| ``m_u.csv`` | m, u and match weight of every comparison level (what the model learnt) |
| ``summary.json`` | counts, threshold, lists, timings, the evaluation when truth is known |

``decisions.jsonl`` (the review log) is read from ``out`` and never rewritten here.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..tabular import write_csv
from .calibrate import fit_calibration
from .cluster import DEFAULT_THRESHOLD, Graph, conflicts
from .evaluate import Evaluation, evaluate
from .inputs import LinkageInputError, Reports, load_reports
from .persons import STRATA, capture_histories, person_ids, persons_table
from .prepare import prepare
from .review import REVIEW_BAND, DecisionLog, queue

__all__ = ["BAND_THRESHOLDS", "LinkResult", "link", "linkage_band", "report_persons"]
log = logging.getLogger(__name__)

PREDICT_FLOOR = 0.01  # pairs below this probability are not kept (nor sampled)
# the band: the default threshold (0.3) +- 0.2 (docs/LINKAGE.md: how often it held the
# estimate on the true links); thresholds 0.5-0.9, the band before, all lay above it on the
# independent generator's data
BAND_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)


@dataclass
class LinkResult:
    out: Path | None
    reports: pd.DataFrame  # the linkage table
    pairs: pd.DataFrame
    labels: np.ndarray
    persons: pd.DataFrame
    histories: pd.DataFrame
    summary: dict
    evaluation: Evaluation | None = None
    graph: Graph | None = field(default=None, repr=False)


def link(source: str | Path | Reports, out: str | Path | None = None, *,
         backend: str = "duckdb", threshold: float = DEFAULT_THRESHOLD,
         lists: Mapping[str, Iterable[str]] | None = None, band_method: str = "threshold",
         band_thresholds: Iterable[float] = BAND_THRESHOLDS, samples: int = 100, seed: int = 1,
         decisions: Path | None = None, band: tuple[float, float] = REVIEW_BAND,
         pseudonymiser=None, spark=None,
         progress: Callable[[str], None] | None = None) -> LinkResult:
    """Link reports into persons (see the module's text)."""
    from .model import LinkageModel

    if not 0.0 < threshold <= 1.0:
        raise ValueError("the threshold is a match probability in (0, 1]")
    say = progress or (lambda message: log.info(message))
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    reports = source if isinstance(source, Reports) else load_reports(source, pseudonymiser)
    if len(reports.frame) < 2:
        raise LinkageInputError("one report: nothing to link")
    lists = lists if lists is not None else reports.lists  # a simulation's scenario lists
    say(f"{len(reports.frame):,} reports loaded")
    table = prepare(reports.frame)
    lap("load")
    model = LinkageModel(table, backend=backend, seed=seed, spark=spark)
    say("training the model (EM, no labels)")
    training = model.train()
    lap("train")
    say("scoring pairs")
    pairs = model.predict(PREDICT_FLOOR)
    pairs = add_levels(pairs, model)
    lap("predict")
    out = Path(out) if out is not None else None
    log_path = decisions or (out / "decisions.jsonl" if out is not None else None)
    decided = DecisionLog(log_path).current() if log_path is not None else None
    # the decisions recalibrate the model's probabilities once there are enough of them
    calibration = fit_calibration(pairs, decided)
    if calibration is not None:
        floor = calibration.model_probability(PREDICT_FLOOR)
        if floor < PREDICT_FLOOR:  # pairs below the floor now recalibrate above it: score them
            pairs = add_levels(model.predict(floor), model)
        model_weight = pairs["match_weight"].to_numpy()
        pairs["match_probability"] = calibration.apply(model_weight)
        pairs["match_weight"] = calibration.weight(model_weight)
        pairs = pairs[pairs["match_probability"] >= PREDICT_FLOOR].reset_index(drop=True)
    graph = Graph(table["unique_id"], pairs, decided)
    labels = graph.labels(threshold)
    persons = persons_table(table, labels, lists)
    histories = capture_histories(table, labels, lists)
    by_stratum = capture_histories(table, labels, lists, by=STRATA)
    band_table = linkage_band(graph, table, lists, band_method, tuple(band_thresholds),
                              samples, seed)
    review = queue(pairs, decided if decided is not None else pd.DataFrame(), band, labels,
                   table, lists)
    conflicting = conflicts(graph.ids, labels, decided) if decided is not None else None
    lap("cluster")
    evaluation = None
    if reports.truth is not None:
        truth = reports.truth.set_index("report_id")["person_id"].reindex(table["unique_id"])
        if truth.notna().all():
            evaluation = evaluate(labels, truth.to_numpy())
    summary = {
        "reports": len(table), "persons": int(labels.max()) + 1 if len(labels) else 0,
        "pairs_scored": len(pairs), "threshold": threshold, "backend": backend,
        "key_fingerprint": reports.fingerprint, "source": reports.source,
        "lists": {k: list(v) for k, v in (lists or {}).items()} or None,
        "probability_two_random_records_match": training.probability_two_random_records_match,
        "deterministic_rule_recall": training.deterministic_recall,
        "training_warnings": list(training.warnings),
        "decisions": 0 if decided is None else len(decided),
        "calibration": None if calibration is None else calibration.as_dict(),
        "decision_conflicts": 0 if conflicting is None else len(conflicting),
        "review_queue": len(review), "review_band": list(band),
        "linkage_band": {"method": band_method,
                         "thresholds": list(band_thresholds) if band_method == "threshold"
                         else None,
                         "samples": samples if band_method == "sample" else None},
        "seconds": timings,
    }
    if evaluation is not None:
        summary["evaluation"] = evaluation.as_dict()
    if out is not None:
        say(f"writing {out}")
        tables = {
            "pairs.parquet": pairs,
            "report_persons.parquet": report_persons(table, labels),
            "persons.parquet": persons,
            "capture_histories.csv": histories,
            "capture_histories_by_stratum.csv": by_stratum,
            "review_queue.csv": _review_view(review, table),
            "m_u.csv": model.m_u_table(),
        }
        if band_table is not None:
            tables["capture_histories_band.csv"] = band_table
        for year, part in histories.groupby("year"):
            tables[f"capture_histories_{year}.csv"] = part.drop(columns="year")
        _write(out, tables, {"model.json": model.parameters(), "summary.json": summary})
    return LinkResult(out, table, pairs, labels, persons, histories, summary, evaluation, graph)


def report_persons(table: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Report -> person, with what traces a report back to its reporter (``source_ref``,
    ``organisation``) and what places it in the capture histories (``reporter_category``,
    ``reference_year``): enough to rebuild the histories of another labelling, such as the
    truth (``zicht link evaluate --estimates``)."""
    out = pd.DataFrame({"report_id": table["unique_id"].to_numpy()})
    for column in ("source_ref", "organisation", "reporter_category", "reference_year"):
        if column in table.columns:
            out[column] = table[column].to_numpy()
    out["person_id"] = person_ids(labels)
    return out


def linkage_band(graph: Graph, table: pd.DataFrame, lists, method: str = "threshold",
                 thresholds: tuple[float, ...] = BAND_THRESHOLDS, samples: int = 100,
                 seed: int = 1) -> pd.DataFrame | None:
    """Capture histories per year for each linkage of the band (``linkage``, ``label``):

    - ``threshold``: clustering at each of ``thresholds`` (the plausible range of the one
      choice an analyst makes);
    - ``sample``: ``samples`` linkages drawn with each undecided pair linked with its match
      probability (:meth:`Graph.sample`) - multiple imputations of the unknown true links.
      Connected components over independently drawn links over-link (a chain needs only one
      drawn false link), so this band sits low when the model is unsure;
    - ``none``: no band."""
    if method == "none":
        return None
    if method == "threshold":
        draws = [(f"threshold {t:g}", graph.labels(t)) for t in thresholds]
    elif method == "sample":
        rng = np.random.default_rng(seed)
        draws = [(f"sample {s}", graph.sample(rng)) for s in range(samples)]
    else:
        raise ValueError(f"band method {method!r}: threshold, sample or none")
    parts = []
    for number, (label, labels) in enumerate(draws):
        part = capture_histories(table, labels, lists)
        part.insert(0, "label", label)
        part.insert(0, "linkage", number)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else None


def add_levels(pairs: pd.DataFrame, model) -> pd.DataFrame:
    """Each comparison's level label, for review and diagnosis, from the level's number
    (``gamma_*``, which it replaces).  Read back from the weights, as before, two levels of
    equal weight could not be told apart: "year unknown" (NULL, 0) and "same year" when EM
    found it neutral."""
    out = pairs.copy()
    for comparison, names in model.level_labels().items():
        gamma = f"gamma_{comparison}"
        if gamma not in out.columns:
            continue
        categories = list(dict.fromkeys(names.values()))
        codes = out.pop(gamma).map({k: categories.index(v) for k, v in names.items()})
        # categorical: a few bytes per pair instead of a string object (millions of pairs)
        out[f"level_{comparison}"] = pd.Categorical.from_codes(
            codes.fillna(-1).astype(int), categories=categories)
    return out


def _review_view(review: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The queue with each report's non-identifying attributes beside the levels."""
    show = ["unique_id", "reporter_category", "organisation", "reference_year", "sex",
            "nationality", "age_band", "place_of_exploitation", "exploitation_forms"]
    attrs = table[[c for c in show if c in table.columns]].set_index("unique_id")
    levels = [c for c in review.columns if c.startswith("level_")]
    extra = [c for c in ("together", "value") if c in review.columns]
    view = review[["id_l", "id_r", "match_probability", *extra, *levels]].copy()
    for side in ("l", "r"):
        part = attrs.reindex(view[f"id_{side}"]).add_suffix(f"_{side}").reset_index(drop=True)
        view = pd.concat([view.reset_index(drop=True), part], axis=1)
    return view


def _write(out: Path, tables: dict[str, pd.DataFrame], documents: dict[str, dict]) -> None:
    """Write every file to a temporary folder inside ``out``, then rename each into place."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".linking-", dir=out))
    try:
        for name, frame in tables.items():
            if name.endswith(".parquet"):
                frame.to_parquet(staging / name, index=False)
            else:
                write_csv(frame, staging / name)
        for name, document in documents.items():
            (staging / name).write_text(json.dumps(document, indent=2, default=_plain))
        for old in out.glob("capture_histories_*.csv"):  # years of an earlier run
            if old.name not in tables:
                old.unlink()
        for name in (*tables, *documents):
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
