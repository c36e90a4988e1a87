"""Reports ("meldingen") from detections, with noisy identifiers, and the files a run writes.

Every detection of a victim by a reporter category in a year yields one report, plus more with
probability ``duplicate_rate`` each (the same organisation reporting the same person again).
A report carries the fields of the report data model (DOMAIN.md section 5) in the registry's
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
* ``manifest.json`` - scenario, seed, years, counts per year (victims, registered, reports).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .detection import detect
from .noise import apply_noise
from .population import age_at, age_band, person_years
from .scenario import Scenario

OBLIGED = ("POL", "KMAR", "NLA")
REPORT_COLUMNS = [
    "report_id", "organisation", "reporter_category", "received_date", "reference_year",
    "channel", "legal_basis", "consent_registration", "consent_care_referral",
    "given_name", "surname_prefix", "surname", "birth_date", "birth_year", "age_at_report",
    "age_band", "sex", "nationality", "country_of_birth", "residence_status",
    "exploitation_forms", "sector", "nr_group", "place_of_exploitation",
    "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
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


def simulate_years(scenario: Scenario, years: list[int], seed: int) -> Iterator[YearBatch]:
    """Generate the years one by one (memory stays at one year's worth)."""
    root = np.random.SeedSequence(seed)
    pop_seq, det_seq, rep_seq = root.spawn(3)
    first_report = 1
    for (year, persons), dseq, rseq in zip(
        person_years(scenario, years, pop_seq), det_seq.spawn(len(years)),
        rep_seq.spawn(len(years)), strict=True,
    ):
        seen = detect(scenario, persons, np.random.default_rng(dseq))
        reports, truth = make_reports(scenario, year, persons, seen, first_report,
                                      np.random.default_rng(rseq))
        first_report += len(reports)
        yield YearBatch(year, persons, seen, reports, truth)


def make_reports(scenario: Scenario, year: int, persons: pd.DataFrame, seen: np.ndarray,
                 first_id: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    cats = np.array(list(scenario.reporters))
    pi, rj = np.nonzero(seen)
    copies = rng.geometric(1.0 - scenario.duplicate_rate, size=pi.size) if pi.size else pi
    pi, rj = np.repeat(pi, copies), np.repeat(rj, copies)
    n = pi.size
    p = persons.iloc[pi].reset_index(drop=True)
    cat = cats[rj]
    units = np.array([scenario.reporters[c].units for c in cats])[rj]
    unit = rng.integers(0, 1 << 30, n) % units + 1
    organisation = np.where(units > 1, np.char.add(np.char.add(cat.astype(str), "-"),
                                                   np.char.zfill(unit.astype(str), 2)), cat)
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
    complaint = np.array(["yes", "no", "considering", "unknown"])[
        rng.choice(4, n, p=[.3, .4, .1, .2])]
    reflection = np.where(dutch, "not_applicable", np.array(
        ["offered", "granted", "no", "unknown"])[rng.choice(4, n, p=[.2, .2, .4, .2])])
    shelter_req = rng.random(n) < 0.35
    clear = pd.DataFrame({
        "given_name": p["given_name"], "surname_prefix": p["surname_prefix"],
        "surname": p["surname"],
        "birth_date": pd.DatetimeIndex(p["birth_date"]).strftime("%Y-%m-%d"),
        "nationality": p["nationality"],
    })
    noisy = apply_noise(rng, clear, scenario.noise)
    reports = pd.DataFrame({
        "report_id": [f"R{i:08d}" for i in range(first_id, first_id + n)],
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
        "age_at_report": np.where(rng.random(n) < 0.9, age.astype(str), ""),
        "age_band": age_band(age),
        "sex": np.where(rng.random(n) < 0.02, "U", p["sex"].to_numpy()),
        "nationality": noisy["nationality"],
        "country_of_birth": np.where(rng.random(n) < 0.25, "", p["country_of_birth"]),
        "residence_status": residence,
        "exploitation_forms": forms.astype(str),
        "sector": p["sector"],
        "nr_group": p["nr_group"],
        "place_of_exploitation": np.where(rng.random(n) < 0.1, "", p["place"]),
        "complaint_filed": complaint,
        "reflection_period": reflection,
        "shelter_requested": np.where(shelter_req, "yes", "no"),
        "shelter_placed": np.where(shelter_req & (rng.random(n) < 0.7), "yes", "no"),
    }, columns=REPORT_COLUMNS)
    reports = reports.astype({c: str for c in REPORT_COLUMNS if c != "reference_year"})
    truth = pd.DataFrame({
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


def write_run(scenario: Scenario, years: list[int], seed: int, out: Path,
              formats: tuple[str, ...] = ("csv", "parquet"), progress=None) -> RunSummary:
    """Simulate and write every output file into ``out`` (created)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(scenario.name, seed, list(years))
    cats = list(scenario.reporters)
    writer = None
    written_persons: set[int] = set()
    by_category = []
    first = True
    for batch in simulate_years(scenario, years, seed):
        mode = "w" if first else "a"
        if "csv" in formats:
            batch.reports.to_csv(out / "reports.csv", mode=mode, header=first, index=False)
        if "parquet" in formats:
            table = pa.Table.from_pandas(batch.reports, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(out / "reports.parquet", table.schema)
            writer.write_table(table)
        batch.truth.to_csv(out / "truth_reports.csv", mode=mode, header=first, index=False)
        fresh = batch.persons[~batch.persons["person_id"].isin(written_persons)]
        written_persons.update(fresh["person_id"].tolist())
        fresh[PERSON_COLUMNS].to_csv(out / "truth_persons.csv", mode=mode, header=first,
                                     index=False)
        py = pd.DataFrame(batch.seen.astype(np.int8), columns=cats)
        py.insert(0, "person_id", batch.persons["person_id"].to_numpy())
        py.insert(1, "year", batch.year)
        py.insert(2, "age", batch.persons["age"].to_numpy())
        py.insert(3, "lists", [";".join(c for c, s in zip(cats, row, strict=True) if s)
                               for row in batch.seen])
        py.to_csv(out / "truth_person_years.csv", mode=mode, header=first, index=False)
        cat_table = capture_table(scenario, batch.seen, merged=False)
        cat_table.insert(0, "year", batch.year)
        by_category.append(cat_table)
        capture_table(scenario, batch.seen, merged=True).to_csv(
            out / f"capture_histories_{batch.year}.csv", index=False)
        summary.per_year.append({
            "year": batch.year, "victims": int(len(batch.persons)),
            "registered": int(batch.seen.any(axis=1).sum()), "reports": int(len(batch.reports)),
        })
        first = False
        if progress is not None:
            progress(batch.year)
    if writer is not None:
        writer.close()
    pd.concat(by_category, ignore_index=True).fillna(0).to_csv(
        out / "capture_histories_by_category.csv", index=False)
    summary.files = sorted(p.name for p in out.iterdir())
    (out / "manifest.json").write_text(json.dumps({
        "scenario": summary.scenario, "seed": seed, "years": summary.years,
        "per_year": summary.per_year, "files": summary.files,
    }, indent=2) + "\n")
    return summary
