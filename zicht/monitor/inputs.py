"""What the monitor reads: reports (non-identifying fields only), which person each report is,
the linked persons, and optionally estimates.

Stages hand each other files: the registry's pseudonymised export (or a ``zicht simulate``
folder) and a ``zicht link`` output folder.  The monitor keeps only the fields it counts with -
never a name, birth date or token - so nothing identifying reaches an indicator, a page or a
report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..codes import AGE_BANDS, OBLIGED, nationality_group, region_of_place

# the report fields indicators use; everything else in an export is dropped on reading
REPORT_FIELDS = (
    "report_id", "reporter_category", "reference_year", "legal_basis", "age_band", "sex",
    "nationality", "residence_status", "exploitation_forms", "place_of_exploitation",
    "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
    "referred_to_care", "means_of_control", "recruiter_relation",
)
# fields added after exports were first made: an older export lacks them, and they read as not
# recorded ("")
OPTIONAL_REPORT_FIELDS = ("referred_to_care", "means_of_control", "recruiter_relation")
PERSON_FIELDS = ("person_id", "sex", "age_band", "form", "nationality_group", "region")
MINOR_BANDS = ("0-11", "12-17")
MISSING = ("", "U", "UNK", "unknown", "nan", "None")


class MonitorInputError(ValueError):
    """The monitor's input files are missing a field or do not fit together."""


@dataclass
class MonitorData:
    """Reports and persons, joined: ``person_years`` has one row per person and year in which
    the person was reported, with the person's attributes and the reporter categories that
    year."""

    reports: pd.DataFrame
    persons: pd.DataFrame
    report_persons: pd.DataFrame
    estimates: pd.DataFrame | None = None
    chain: pd.DataFrame | None = None  # zicht.monitor.chain figures (one version)
    _person_years: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.reports = self.reports.assign(**{f: "" for f in OPTIONAL_REPORT_FIELDS
                                              if f not in self.reports.columns})
        _require(self.reports, REPORT_FIELDS, "reports")
        _require(self.persons, PERSON_FIELDS, "persons")
        _require(self.report_persons, ("report_id", "person_id"), "report_persons")
        self.reports = _derive(self.reports[list(REPORT_FIELDS)].copy())
        self.persons = self.persons[list(PERSON_FIELDS)].copy()
        self.persons["minor"] = self.persons["age_band"].isin(MINOR_BANDS)
        self.persons["dutch"] = self.persons["nationality_group"].eq("dutch")
        person_of = self.report_persons.set_index("report_id")["person_id"]
        self.reports["person_id"] = self.reports["report_id"].map(person_of)
        unlinked = self.reports["person_id"].isna()
        if unlinked.any():
            first = self.reports.loc[unlinked, "report_id"].iloc[0]
            raise MonitorInputError(
                f"{int(unlinked.sum())} report(s) have no person (e.g. {first}): the linkage "
                "output belongs to another export")
        if self.estimates is not None:
            _require(self.estimates, ("year", "estimate", "ci_low", "ci_high"), "estimates")
            self.estimates = self.estimates.copy()
            numeric = ("year", "observed", "estimate", "ci_low", "ci_high", "band_low",
                       "band_high", "combined_low", "combined_high")
            for col in [c for c in numeric if c in self.estimates.columns]:
                values = self.estimates[col].replace("", None)
                number = pd.to_numeric(values, errors="coerce")
                bad = number.isna() & values.notna()
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise MonitorInputError(f"estimates: row {row + 1}, column {col!r}: "
                                            f"{values.iloc[row]!r} is not a number")
                self.estimates[col] = number
            self.estimates = self.estimates[self.estimates["year"].notna()]

    @classmethod
    def from_files(cls, reports: str | Path, linkage_dir: str | Path,
                   estimates: str | Path | None = None) -> MonitorData:
        """A reports file (Parquet or CSV; a registry export or ``reports.parquet`` of a
        simulation) and a ``zicht link`` output folder."""
        folder = Path(linkage_dir)
        return cls(
            reports=_read(reports_file(reports), REPORT_FIELDS),
            persons=_read(folder / "persons.parquet", PERSON_FIELDS),
            report_persons=_read(folder / "report_persons.parquet", ("report_id", "person_id")),
            estimates=None if estimates is None else _read(Path(estimates), None),
        )

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.reports["reference_year"].dropna().unique())

    def person_years(self) -> pd.DataFrame:
        """One row per (person, year reported): the person's attributes, the number of reports
        that year, the reporter categories, and whether an obliged reporter was among them.
        Computed once (vectorised) and copied to each caller."""
        if self._person_years is None:
            self._person_years = self._compute_person_years()
        return self._person_years.copy()

    def _compute_person_years(self) -> pd.DataFrame:
        r = self.reports
        flags = pd.DataFrame({
            "person_id": r["person_id"], "year": r["reference_year"],
            "complaint_filed": r["complaint_filed"].eq("yes"),
            # "no" and "considering" (not yet filed) say the person has not filed one
            "complaint_known": r["complaint_filed"].isin(("yes", "no", "considering")),
            "reflection_period": r["reflection_period"].isin(("offered", "granted")),
            # whether a report records the outcome at all (zicht.monitor.protection compares
            # only persons of whom some report does): "unknown", empty or, for the reflection
            # period, "not_applicable" (Dutch nationals are not offered one) record nothing
            "reflection_period_known": r["reflection_period"].isin(("offered", "granted", "no")),
            "shelter_requested": r["shelter_requested"].eq("yes"),
            "shelter_requested_known": r["shelter_requested"].isin(("yes", "no")),
            "shelter_placed": r["shelter_placed"].eq("yes"),
            "shelter_placed_known": r["shelter_placed"].isin(("yes", "no")),
            "referred_to_care": r["referred_to_care"].eq("yes"),
            "referred_to_care_known": r["referred_to_care"].isin(("yes", "no")),
            "obliged": r["obliged"],
        })
        keys = ["person_id", "year"]
        g = flags.groupby(keys, sort=True)
        frame = g.agg(reports=("obliged", "size"), complaint_filed=("complaint_filed", "any"),
                      complaint_known=("complaint_known", "any"),
                      reflection_period=("reflection_period", "any"),
                      reflection_period_known=("reflection_period_known", "any"),
                      shelter_requested=("shelter_requested", "any"),
                      shelter_requested_known=("shelter_requested_known", "any"),
                      shelter_placed=("shelter_placed", "any"),
                      shelter_placed_known=("shelter_placed_known", "any"),
                      referred_to_care=("referred_to_care", "any"),
                      referred_to_care_known=("referred_to_care_known", "any"),
                      obliged=("obliged", "any"))
        cats = (r[["person_id", "reference_year", "reporter_category"]]
                .drop_duplicates()
                .sort_values(["person_id", "reference_year", "reporter_category"])
                .rename(columns={"reference_year": "year"})
                .groupby(keys, sort=True)["reporter_category"].agg(tuple))
        frame["categories"] = cats
        frame["n_categories"] = frame["categories"].map(len)
        frame = frame.reset_index()
        return frame.merge(self.persons, on="person_id", how="left", validate="many_to_one")

def _require(frame: pd.DataFrame, fields, what: str) -> None:
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        raise MonitorInputError(f"{what}: missing field(s) {', '.join(missing)}")


def reports_file(path: str | Path) -> Path:
    """The reports file itself: ``path``, or for a folder (a ``zicht export`` or ``zicht
    simulate`` output) the ``reports.parquet`` or ``reports.csv`` in it."""
    path = Path(path)
    if not path.is_dir():
        return path
    for name in ("reports.parquet", "reports.csv"):
        if (path / name).is_file():
            return path / name
    raise MonitorInputError(f"{path}: a folder without reports.parquet or reports.csv")


def _read(path: Path, fields) -> pd.DataFrame:
    if not path.exists():
        raise MonitorInputError(f"{path}: no such file")
    columns = None if fields is None else list(fields)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if columns is not None:
        frame = frame.assign(**{f: "" for f in OPTIONAL_REPORT_FIELDS
                                if f in columns and f not in frame.columns})
        _require(frame, columns, str(path))
        frame = frame[columns]
    return frame


def _derive(r: pd.DataFrame) -> pd.DataFrame:
    """Report-level categories the breakdowns use."""
    r["reference_year"] = pd.to_numeric(r["reference_year"], errors="coerce").astype("Int64")
    for col in ("age_band", "sex", "nationality", "exploitation_forms", "place_of_exploitation"):
        r[col] = r[col].astype("string").fillna("")
    r["age_band"] = r["age_band"].where(r["age_band"].isin(AGE_BANDS), "unknown")
    r["form"] = r["exploitation_forms"].str.split(";").str[0].replace("", "UNK")
    r["nationality_group"] = [nationality_group(n or None) for n in r["nationality"]]
    r["region"] = [region_of_place(p or None) for p in r["place_of_exploitation"]]
    r["minor"] = r["age_band"].isin(MINOR_BANDS)
    r["obliged"] = r["reporter_category"].isin(OBLIGED)
    return r


def is_missing(values: pd.Series) -> np.ndarray:
    """True where a field carries no information (empty, unknown)."""
    return values.astype("string").fillna("").isin(MISSING).to_numpy()
