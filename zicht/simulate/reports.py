"""Reports ("meldingen") from detections, with noisy identifiers, and the files a run writes.

Every detection of a victim by a reporter category in a year yields one report, plus more with
probability ``duplicate_rate`` each (the same organisation reporting the same person again).
A report carries the fields of the report data model (docs/DOMAIN.md section 5) in the registry's
import format; its name and birth-date fields pass through :func:`zicht.simulate.noise.apply_noise`.

Output files (all from one seed, byte-identical on rerun):

* ``reports.csv`` / ``reports.parquet`` - the import format, one row per report;
* ``truth_reports.csv`` - report -> person, and the noise applied to the report;
* ``truth_persons.csv`` - every victim with clear attributes and names;
* ``truth_person_years.csv`` - victim x year: age, and which reporter categories saw them;
* ``capture_histories_by_category.csv`` - the true capture histories per year, one column per
  reporter category;
* ``capture_histories_<year>.csv`` - the same merged into the scenario's lists for estimation,
  ready for ``zicht estimate``;
* ``chain.csv`` - synthetic chain figures of the simulated years (police cases, prosecutions,
  convictions, capacity and budget per development line; :mod:`zicht.simulate.chain`), for
  ``zicht monitor chain``: illustrative, marked so in their source column;
* ``manifest.json`` - scenario, seed, years, counts per year (victims, registered, reports),
  and the scenario's lists for estimation (``mse_lists``: list -> reporter categories), so that
  a reader of the folder needs no scenario file.

Every CSV goes through :mod:`zicht.tabular` (no cell can run as a spreadsheet formula; the
simulator's own values pass unchanged, so ``reports.csv`` stays the exact import format).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..codes import OBLIGED
from ..tabular import CsvStreamWriter, write_csv
from .chain import write_chain
from .detection import detect
from .modus import draw as draw_modus
from .noise import apply_noise
from .population import age_at, age_band, object_frame, person_years
from .protection import draw as draw_protection
from .scenario import Scenario

REPORT_COLUMNS = [
    "report_id", "organisation", "reporter_category", "received_date", "reference_year",
    "channel", "legal_basis", "consent_registration", "consent_care_referral",
    "given_name", "surname_prefix", "surname", "birth_date", "birth_year", "age_at_report",
    "age_band", "sex", "nationality", "country_of_birth", "residence_status",
    "exploitation_forms", "sector", "nr_group", "place_of_exploitation",
    "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
    "referred_to_care", "means_of_control", "recruiter_relation",
]
MIX_FORMS = ("SEX;LAB", "LAB;CRIM", "SEX;CRIM")


@dataclass
class YearBatch:
    """Everything one simulated year produces."""

    year: int
    persons: pd.DataFrame  # victims exploited this year (with attributes)
    seen: np.ndarray  # (persons, reporters) detections
    reports: pd.DataFrame  # REPORT_COLUMNS
    truth: pd.DataFrame  # report_id, person_id, year, reporter_category, noise


@dataclass
class RunSummary:
    scenario: str
    seed: int
    years: list[int]
    per_year: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _stated_age(age: np.ndarray, recorded: np.ndarray, received: np.ndarray) -> np.ndarray:
    """The age a report states: the true age, unless the recorded birth date (noise included)
    gives an age more than a year away, as when a digit of the year was mistyped; a form
    then states the age of the date written on it, as the registry demands (it refuses an
    age more than a year from the birth date's).  -1 where that age is impossible (a
    mistyped date after the report)."""
    dates = pd.to_datetime(pd.Series(recorded, dtype=object).replace("", None),
                           format="%Y-%m-%d", errors="coerce")
    valid = dates.notna().to_numpy()
    if not valid.any():
        return age
    out = age.copy()
    of_date = age_at(dates[valid].to_numpy(dtype="datetime64[D]"), received[valid])
    away = np.abs(of_date - age[valid]) > 1
    fixed = np.where((of_date >= 0) & (of_date <= 120), of_date, -1)
    out[np.flatnonzero(valid)[away]] = fixed[away]
    return out


def simulate_years(scenario: Scenario, years: list[int], seed: int) -> Iterator[YearBatch]:
    """Generate the years one by one (memory stays at one year's worth)."""
    root = np.random.SeedSequence(seed)
    # a fourth stream for the process fields and a fifth for the modus operandi: spawning them
    # leaves the first three (and the fourth) as they were
    pop_seq, det_seq, rep_seq, prot_seq, mo_seq = root.spawn(5)
    first_report = 1
    for (year, persons), dseq, rseq, pseq, mseq in zip(
        person_years(scenario, years, pop_seq), det_seq.spawn(len(years)),
        rep_seq.spawn(len(years)), prot_seq.spawn(len(years)), mo_seq.spawn(len(years)),
        strict=True,
    ):
        seen = detect(scenario, persons, np.random.default_rng(dseq))
        reports, truth = make_reports(scenario, year, persons, seen, first_report,
                                      np.random.default_rng(rseq), np.random.default_rng(pseq),
                                      np.random.default_rng(mseq), year - min(years))
        first_report += len(reports)
        yield YearBatch(year, persons, seen, reports, truth)


def make_reports(scenario: Scenario, year: int, persons: pd.DataFrame, seen: np.ndarray,
                 first_id: int, rng: np.random.Generator,
                 process_rng: np.random.Generator, modus_rng: np.random.Generator,
                 years_on: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One year's reports (and which person each is): ``rng`` draws the reports, their names
    and noise; ``process_rng`` the complaint and the protection each person got
    (:mod:`zicht.simulate.protection`); ``modus_rng`` the means of control and the recruiter
    (:mod:`zicht.simulate.modus`, ``years_on`` years after the first year for its trend)."""
    cats = np.array(list(scenario.reporters))
    pi, rj = np.nonzero(seen)
    copies = rng.geometric(1.0 - scenario.duplicate_rate, size=pi.size) if pi.size else pi
    pi, rj = np.repeat(pi, copies), np.repeat(rj, copies)
    n = pi.size
    p = persons.iloc[pi].reset_index(drop=True)
    cat = cats[rj]
    units = np.array([scenario.reporters[c].units for c in cats])[rj]
    unit = rng.integers(0, 1 << 30, n) % units + 1
    organisation = np.array([c if u == 1 else f"{c}-{k:02d}"
                             for c, u, k in zip(cat, units, unit, strict=True)], dtype=object)
    received = (np.datetime64(f"{year}-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]"))
    obliged = np.isin(cat, OBLIGED)
    channel = np.where(obliged, np.array(["api", "bulk", "form"])[rng.choice(3, n, p=[.6, .3, .1])],
                       np.array(["form", "api"])[rng.choice(2, n, p=[.8, .2])])
    age = age_at(p["birth_date"].to_numpy(), received)
    forms = p["form"].to_numpy().astype(object)
    mix = forms == "MIX"
    forms[mix] = np.array(MIX_FORMS)[rng.integers(0, len(MIX_FORMS), mix.sum())]
    dutch = p["nationality"].to_numpy() == "NLD"
    residence = np.where(dutch, "NL_citizen", np.array(
        ["EU_citizen", "asylum_seeker", "irregular", "residence_permit", "unknown"]
    )[rng.choice(5, n, p=[.35, .2, .2, .1, .15])])
    # the process fields come from their own stream (below); these three draws stay, unused,
    # so that the names and their noise drawn next are those earlier versions drew
    rng.choice(4, n, p=[.3, .4, .1, .2])
    rng.choice(4, n, p=[.2, .2, .4, .2])
    rng.random(n)
    clear = pd.DataFrame({
        "given_name": p["given_name"], "surname_prefix": p["surname_prefix"],
        "surname": p["surname"],
        "birth_date": pd.DatetimeIndex(p["birth_date"]).strftime("%Y-%m-%d"),
        "nationality": p["nationality"],
    })
    noisy = apply_noise(rng, clear, scenario.noise)
    stated = _stated_age(age, noisy["birth_date"].to_numpy(), received)
    age_known = (rng.random(n) < 0.9) & (stated >= 0)  # the form states an age
    reports = object_frame({
        "report_id": np.array([f"R{i:08d}" for i in range(first_id, first_id + n)], dtype=object),
        "organisation": organisation,
        "reporter_category": cat,
        "received_date": pd.DatetimeIndex(received).strftime("%Y-%m-%d"),
        "reference_year": year,
        "channel": channel,
        "legal_basis": np.where(obliged, "obligation", "consent"),
        "consent_registration": np.where(obliged, "not_required", "yes"),
        "consent_care_referral": np.where(rng.random(n) < 0.6, "yes", "no"),
        "given_name": noisy["given_name"],
        "surname_prefix": noisy["surname_prefix"],
        "surname": noisy["surname"],
        "birth_date": noisy["birth_date"],
        "birth_year": noisy["birth_year"],
        "age_at_report": pd.array(np.where(age_known, stated, -1), dtype="Int64"),
        "age_band": np.where(age_known | (noisy["birth_date"].to_numpy() != ""),
                             age_band(age), "unknown"),
        "sex": np.where(rng.random(n) < 0.02, "U", p["sex"].to_numpy()),
        "nationality": noisy["nationality"],
        "country_of_birth": np.where(rng.random(n) < 0.25, "", p["country_of_birth"]),
        "residence_status": residence,
        "exploitation_forms": forms,
        "sector": p["sector"],
        "nr_group": p["nr_group"],
        "place_of_exploitation": np.where(rng.random(n) < 0.1, "", p["place"]),
        **draw_protection(scenario.protection, p["person_id"].to_numpy(), dutch, process_rng),
        **draw_modus(scenario.modus_operandi, p["person_id"].to_numpy(), forms, years_on,
                     modus_rng),
    })[REPORT_COLUMNS]
    reports["age_at_report"] = reports["age_at_report"].mask(reports["age_at_report"] < 0)
    truth = object_frame({
        "report_id": reports["report_id"], "person_id": p["person_id"].to_numpy(),
        "year": year, "reporter_category": cat, "noise": noisy["noise"].to_numpy(),
    })
    return reports, truth


def capture_table(scenario: Scenario, seen: np.ndarray, merged: bool) -> pd.DataFrame:
    """Observed capture patterns of one year: by reporter category, or merged into the
    scenario's ``mse_lists``."""
    cats = list(scenario.reporters)
    if merged:
        names = list(scenario.mse_lists)
        cols = np.column_stack([
            seen[:, [cats.index(c) for c in members]].any(axis=1)
            for members in scenario.mse_lists.values()
        ]) if names else np.zeros((len(seen), 0), dtype=bool)
    else:
        names, cols = cats, seen
    cols = cols[cols.any(axis=1)].astype(np.int8)
    frame = pd.DataFrame(cols, columns=names)
    if frame.empty:
        frame["count"] = pd.Series(dtype=np.int64)
        return frame
    return frame.groupby(names, sort=True).size().reset_index(name="count")


PERSON_COLUMNS = ["person_id", "first_year", "sex", "birth_date", "nationality",
                  "country_of_birth", "form", "sector", "nr_group", "region", "place",
                  "latent_group", "given_name", "surname_prefix", "surname"]
_INTS = {"reference_year": pa.int32(), "birth_year": pa.int32(), "age_at_report": pa.int32(),
         "person_id": pa.int64(), "year": pa.int32(), "first_year": pa.int32(),
         "latent_group": pa.int8(), "age": pa.int32()}
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed")


def _schema(columns: list[str], int8_columns: tuple[str, ...] = ()) -> pa.Schema:
    """Fixed column types, so every year's batch appends to the same files."""
    return pa.schema([(c, pa.int8() if c in int8_columns else _INTS.get(c, pa.string()))
                      for c in columns])


class _Sink:
    """One output table, streamed year by year to CSV and/or Parquet (pyarrow writers).

    Writing (compression, formatting) runs on a background thread, where pyarrow releases the
    GIL, so it overlaps with simulating the next year on the other core; one thread keeps the
    batches in order.
    """

    def __init__(self, out: Path, name: str, schema: pa.Schema, formats: tuple[str, ...],
                 pool: ThreadPoolExecutor):
        self.schema = schema
        self.pool = pool
        self.pending: list[Future] = []
        self.writers = []
        if "csv" in formats:
            self.writers.append(CsvStreamWriter(out / f"{name}.csv", schema,
                                                write_options=_CSV_OPTIONS))
        if "parquet" in formats:
            self.writers.append(pq.ParquetWriter(str(out / f"{name}.parquet"), schema))

    def write(self, columns: dict) -> None:
        arrays = [pa.array(np.asarray(columns[f.name]) if not isinstance(
            columns[f.name], pd.Series | pd.api.extensions.ExtensionArray) else columns[f.name],
            type=f.type, from_pandas=True) for f in self.schema]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        # at most one batch waiting per table: memory stays at about two years' worth
        for fut in self.pending:
            fut.result()
        self.pending = [self.pool.submit(w.write_table, table) for w in self.writers]

    def close(self) -> None:
        for fut in self.pending:
            fut.result()
        for w in self.writers:
            w.close()


def write_run(scenario: Scenario, years: list[int], seed: int, out: Path,
              formats: tuple[str, ...] = ("csv", "parquet"), progress=None) -> RunSummary:
    """Simulate and write every output file into ``out`` (created), one year at a time.

    ``formats`` chooses CSV and/or Parquet for the four row-level tables (reports and truth);
    the capture-history tables and the manifest are small and always CSV / JSON.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(scenario.name, seed, list(years))
    cats = list(scenario.reporters)
    pool = ThreadPoolExecutor(max_workers=1)
    sinks = {
        "reports": _Sink(out, "reports", _schema(REPORT_COLUMNS), formats, pool),
        "truth_reports": _Sink(out, "truth_reports", _schema(
            ["report_id", "person_id", "year", "reporter_category", "noise"]), formats, pool),
        "truth_persons": _Sink(out, "truth_persons", _schema(PERSON_COLUMNS), formats, pool),
        "truth_person_years": _Sink(out, "truth_person_years", _schema(
            ["person_id", "year", "age", "lists", *cats], tuple(cats)), formats, pool),
    }
    by_category = []
    try:
        for batch in simulate_years(scenario, years, seed):
            sinks["reports"].write(batch.reports)
            sinks["truth_reports"].write(batch.truth)
            persons = batch.persons
            fresh = persons[persons["first_year"].to_numpy() == batch.year]
            sinks["truth_persons"].write({
                **{c: fresh[c] for c in PERSON_COLUMNS if c != "birth_date"},
                "birth_date": pd.DatetimeIndex(fresh["birth_date"]).strftime("%Y-%m-%d"),
            })
            sinks["truth_person_years"].write({
                "person_id": persons["person_id"], "year": np.full(len(persons), batch.year),
                "age": persons["age"], "lists": _lists(cats, batch.seen),
                **{c: batch.seen[:, j].astype(np.int8) for j, c in enumerate(cats)},
            })
            cat_table = capture_table(scenario, batch.seen, merged=False)
            cat_table.insert(0, "year", batch.year)
            by_category.append(cat_table)
            write_csv(capture_table(scenario, batch.seen, merged=True),
                      out / f"capture_histories_{batch.year}.csv")
            summary.per_year.append({
                "year": batch.year, "victims": int(len(persons)),
                "registered": int(batch.seen.any(axis=1).sum()),
                "reports": int(len(batch.reports)),
            })
            if progress is not None:
                progress(batch.year)
    finally:
        for sink in sinks.values():
            sink.close()
        pool.shutdown()
    write_csv(pd.concat(by_category, ignore_index=True).fillna(0).astype(int),
              out / "capture_histories_by_category.csv")
    written = [f"{name}.{ext}" for name in sinks for ext in ("csv", "parquet")
               if ext in formats]
    write_chain(out, out / "chain.csv", seed=seed)
    written += ["capture_histories_by_category.csv", "chain.csv", "manifest.json"]
    written += [f"capture_histories_{y}.csv" for y in years]
    summary.files = sorted(written)
    (out / "manifest.json").write_text(json.dumps({
        "scenario": summary.scenario, "seed": seed, "years": summary.years,
        "per_year": summary.per_year, "files": summary.files,
        "mse_lists": {name: list(cats) for name, cats in scenario.mse_lists.items()},
    }, indent=2) + "\n")
    return summary


def _lists(cats: list[str], seen: np.ndarray) -> np.ndarray:
    """'POL;ZC' per row: the categories that saw the person (vectorised)."""
    out = np.full(seen.shape[0], "", dtype=object)
    for j, c in enumerate(cats):
        hit = seen[:, j]
        out[hit] = out[hit] + (c + ";")
    return np.array([x[:-1] for x in out], dtype=object) if len(out) else out
