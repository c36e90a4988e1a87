"""Person-level data in the CTDC schema, k-anonymised (``zicht export --format ctdc``; issue 21).

The Counter Trafficking Data Collaborative (IOM, Polaris and partners) publishes a global
dataset of identified victims in one harmonised schema (the CTDC data codebook, version 6), and
k-anonymises it with k = 11 before it leaves.  This module writes the registry's persons in that
schema so the data can be shared, and protects them the same way:

* **one row per person and year of registration** (the persons of a ``zicht link`` folder, the
  reports of a pseudonymised export), in the codebook's column names (:data:`COLUMNS`);
  a value the reports do not give is -99, the codebook's "missing";
* **quasi-identifiers** (:data:`QUASI_IDENTIFIERS`): what someone who knows a victim could
  know - year, gender, age band, majority, citizenship, country of exploitation, type of
  exploitation and the recruiter's relation.  Every combination of their values must occur at
  least k times (a suppressed value, -99, counts as a value of its own, which is stricter than
  reading it as "any");
* **local suppression, then removal**: for the rows of a combination with fewer than k rows,
  one quasi-identifier at a time is set to -99, in :data:`SUPPRESSION_ORDER` (the most
  identifying and least used first), until every combination holds k rows; rows that still
  fall short when only the year is left are removed.  :func:`k_check` verifies the result, and
  the export refuses to write a table that fails it.

The means of control are the sensitive attributes, not quasi-identifiers (as in CTDC's own
dataset); a means that fewer than k persons of a year had is set to -99 for that year.  That
does not make every count of the file k or more: the persons of one combination of
quasi-identifiers who had a means can be fewer (say 2 of the 15 men of a year), and a group
whose means are all alike tells that they share them (l-diversity would be needed against
that).  The file is for sharing with CTDC under its agreement, which protects what CTDC
publishes; it is not a publication (the dashboard's tables are, and keep every count at k or
more).  ``-99`` in the means after a suppressed recruiter still shows that something was
recorded.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from ..codes import CTDC_MEANS, CTDC_MEANS_NOT_SPECIFIED, CTDC_RECRUITER
from ..tabular import write_csv
from .modus import recruiter_of

K = 11  # CTDC's k for its global dataset
MISSING = -99
AGE_BANDS = ((0, 8, "0--8"), (9, 17, "9--17"), (18, 20, "18--20"), (21, 23, "21--23"),
             (24, 26, "24--26"), (27, 29, "27--29"), (30, 38, "30--38"), (39, 47, "39--47"),
             (48, 200, "48+"))
EXPLOITATION = {  # zicht's form code -> the codebook's flag and its text
    "LAB": ("isForcedLabour", "Forced labour"),
    "SEX": ("isSexualExploit", "Sexual exploitation"),
    "CRIM": ("isOtherExploit", "Other"),  # criminal exploitation: "other" in CTDC
    "ORG": ("isOrganRemoval", "Organ removal"),
}
EXPLOIT_FLAGS = ("isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour",
                 "isForcedMarriage", "isForcedMilitary", "isOrganRemoval",
                 "isSlaveryAndPractices")
RECRUITER_TEXT = {"intimate_partner": "Intimate Partner", "family": "Family",
                  "friend": "Friend", "employer": "Other", "other": "Other",
                  "unknown": "Unknown"}
# in the codebook's order (Friend before Family)
RECRUITER_FLAGS = ("recruiterRelationIntimatePartner", "recruiterRelationFriend",
                   "recruiterRelationFamily", "recruiterRelationOther",
                   "recruiterRelationUnknown")
assert set(RECRUITER_FLAGS) == set(CTDC_RECRUITER.values())
MEANS_FLAGS = (*CTDC_MEANS.values(), CTDC_MEANS_NOT_SPECIFIED)
QUASI_IDENTIFIERS = ("yearOfRegistration", "gender", "ageBroad", "majorityStatus",
                     "citizenship", "CountryOfExploitation", "typeOfExploitConcatenated",
                     "RecruiterRelationship")
# suppressed first: the most identifying and least used; the year is never suppressed
SUPPRESSION_ORDER = ("citizenship", "ageBroad", "CountryOfExploitation",
                     "RecruiterRelationship", "typeOfExploitConcatenated", "gender",
                     "majorityStatus")
DEPENDENT = {"typeOfExploitConcatenated": EXPLOIT_FLAGS,
             "RecruiterRelationship": RECRUITER_FLAGS}
# the codebook's columns, in its order, that the registry can fill (or says are missing: -99);
# typeOfLabour* and typeOfSex* are left out (the registry's sector is free text)
COLUMNS = ("yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
           "majorityStatusAtExploit", "majorityEntry", "citizenship", *MEANS_FLAGS,
           "meansOfControlConcatenated", *EXPLOIT_FLAGS, "typeOfExploitConcatenated",
           "isAbduction", "RecruiterRelationship", "CountryOfExploitation", *RECRUITER_FLAGS)
DATASOURCE = "Case Management"  # the codebook's two sources: Case Management, Hotline
READS = ("report_id", "reference_year", "sex", "age_at_report", "age_band", "nationality",
         "exploitation_forms", "place_of_exploitation", "means_of_control",
         "recruiter_relation")


class CtdcError(ValueError):
    """The inputs cannot make a CTDC table (the message says what is missing)."""


@dataclass
class Protection:
    """What :func:`anonymise` did: rows in and out, cells suppressed per column, the
    smallest combination of quasi-identifiers left."""

    k: int
    rows_in: int
    rows_out: int
    removed: int
    suppressed: dict[str, int] = field(default_factory=dict)
    smallest: int | None = None
    quasi_identifiers: tuple[str, ...] = QUASI_IDENTIFIERS


def _alpha2(alpha3: str) -> object:
    country = pycountry.countries.get(alpha_3=alpha3.upper()) if len(alpha3) == 3 else None
    return country.alpha_2 if country is not None else MISSING


def _country(place: str) -> object:
    """The country of exploitation (alpha-2) of a place: a Dutch municipality NL, Bonaire,
    Sint Eustatius and Saba BQ, else the place's country."""
    code = place.upper()
    if not code:
        return MISSING
    if code.startswith("GM"):
        return "NL"
    if code.startswith("BQ-"):
        return "BQ"
    return _alpha2(code)


def _age_band(age) -> object:
    if pd.isna(age):
        return MISSING
    age = int(age)
    return next((label for lo, hi, label in AGE_BANDS if lo <= age <= hi), MISSING)


def _first_mode(keys: pd.DataFrame, values: pd.Series) -> pd.Series:
    """Per key, the most frequent non-empty value (ties: the smallest); "" when none."""
    frame = keys.assign(v=values.astype(str).to_numpy())
    frame = frame[frame["v"] != ""]
    cols = list(keys.columns)
    counts = frame.groupby([*cols, "v"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values([*cols, "n", "v"], ascending=[*([True] * len(cols)), False,
                                                              True], kind="stable")
    return counts.drop_duplicates(cols).set_index(cols)["v"]


def _codes_by(keys: pd.DataFrame, values: pd.Series, upper: bool) -> pd.DataFrame:
    """Per key, a 0/1 column per code that any of its values (codes joined by ";") names."""
    text = values.astype(str).str.upper() if upper else values.astype(str).str.lower()
    frame = keys.assign(code=text.str.split(";").to_numpy()).explode("code")
    frame = frame[frame["code"].fillna("") != ""]
    cols = list(keys.columns)
    if frame.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=cols))
    return pd.crosstab([frame[c] for c in cols], frame["code"]).clip(upper=1)


def table(reports: pd.DataFrame, report_persons: pd.DataFrame) -> pd.DataFrame:
    """The CTDC table, unprotected: one row per person and year of registration.
    ``reports`` is a pseudonymised export (or a simulation's reports) and ``report_persons``
    a ``zicht link`` folder's report -> person."""
    missing = [c for c in ("report_id", "reference_year") if c not in reports.columns]
    if missing:
        raise CtdcError(f"the reports lack {', '.join(missing)}")
    r = reports.reindex(columns=list(READS)).copy()
    for col in READS:
        if col != "age_at_report":
            r[col] = r[col].astype("string").fillna("").astype(str)
    person_of = report_persons.set_index("report_id")["person_id"]
    r["person_id"] = r["report_id"].map(person_of)
    if r["person_id"].isna().any():
        raise CtdcError(f"{int(r['person_id'].isna().sum())} report(s) have no person: the "
                        "linkage folder belongs to another export")
    r["year"] = pd.to_numeric(r["reference_year"], errors="coerce")
    r = r[r["year"].notna()]
    keys = r[["person_id", "year"]].astype({"person_id": str, "year": int})
    index = keys.drop_duplicates().set_index(["person_id", "year"]).sort_index().index
    out = pd.DataFrame(index=index)
    out["yearOfRegistration"] = index.get_level_values("year").astype(int)
    out["Datasource"] = DATASOURCE
    sex = _first_mode(keys, r["sex"].str.upper()).reindex(index)
    out["gender"] = sex.map({"F": "Female", "M": "Male"}).astype(object).where(
        sex.isin(["F", "M"]), MISSING)
    age = pd.to_numeric(r["age_at_report"], errors="coerce").groupby(
        [keys["person_id"], keys["year"]]).min().reindex(index)
    out["ageBroad"] = [_age_band(a) for a in age]
    band = _first_mode(keys, r["age_band"].where(r["age_band"] != "unknown", "")).reindex(index)
    out["majorityStatus"] = np.where(band.isin(["0-11", "12-17"]), "Minor",
                                     np.where(band.fillna("") != "", "Adult", None))
    out["majorityStatus"] = out["majorityStatus"].astype(object).where(
        out["majorityStatus"].notna(), MISSING)
    out["majorityStatusAtExploit"] = MISSING
    out["majorityEntry"] = MISSING
    out["isAbduction"] = MISSING
    nationality = _first_mode(keys, r["nationality"]).reindex(index).fillna("")
    out["citizenship"] = [_alpha2(n) if n else MISSING for n in nationality]
    means = _codes_by(keys, r["means_of_control"], upper=False).reindex(index, fill_value=0)
    relation = recruiter_of(keys, r["recruiter_relation"]).reindex(index).fillna("")
    recorded = (means.reindex(columns=list(CTDC_MEANS), fill_value=0).sum(axis=1) > 0) | \
        (relation != "")
    for code, column in CTDC_MEANS.items():
        flags = means[code] if code in means.columns else pd.Series(0, index=index)
        out[column] = flags.astype(object).where(recorded, MISSING)
    any_means = means.reindex(columns=list(CTDC_MEANS), fill_value=0).sum(axis=1) > 0
    out[CTDC_MEANS_NOT_SPECIFIED] = (~any_means).astype(int)
    names = {code: column[len("meansOfControl"):] for code, column in CTDC_MEANS.items()}
    listed = means.reindex(columns=list(CTDC_MEANS), fill_value=0)
    out["meansOfControlConcatenated"] = [
        ";".join(sorted(names[c] for c, v in zip(listed.columns, row, strict=True) if v))
        or MISSING for row in listed.to_numpy()]
    forms = _codes_by(keys, r["exploitation_forms"], upper=True).reindex(index, fill_value=0)
    forms = forms.reindex(columns=list(EXPLOITATION), fill_value=0)
    known = forms.sum(axis=1) > 0
    for flag in EXPLOIT_FLAGS:
        out[flag] = pd.Series(0, index=index, dtype=object).where(known, MISSING)
    for code, (flag, _text) in EXPLOITATION.items():
        out[flag] = forms[code].astype(object).where(known, MISSING)
    out["isSexAndLabour"] = ((forms["SEX"] > 0) & (forms["LAB"] > 0)).astype(int) \
        .astype(object).where(known, MISSING)
    texts = [text for _flag, text in EXPLOITATION.values()]
    out["typeOfExploitConcatenated"] = [
        ";".join(sorted(t for t, v in zip(texts, row, strict=True) if v)) or MISSING
        for row in forms.to_numpy()]
    for flag in RECRUITER_FLAGS:
        out[flag] = pd.Series(0, index=index, dtype=object).where(relation != "", MISSING)
    for code, flag in CTDC_RECRUITER.items():
        out.loc[relation == code, flag] = 1
    out["RecruiterRelationship"] = relation.map(RECRUITER_TEXT).astype(object).where(
        relation != "", MISSING)
    place = _first_mode(keys, r["place_of_exploitation"]).reindex(index).fillna("")
    out["CountryOfExploitation"] = [_country(p) for p in place]
    # object columns: a code or -99 in one column, as the codebook has it
    return out.reset_index(drop=True)[list(COLUMNS)].astype(object)


def class_sizes(frame: pd.DataFrame, quasi: tuple[str, ...] = QUASI_IDENTIFIERS) -> pd.Series:
    """Each row's number of rows with the same quasi-identifiers (-99 a value of its own)."""
    if frame.empty:
        return pd.Series(dtype=int)
    keys = frame[list(quasi)].astype(str)
    return keys.groupby(list(quasi), sort=False)[quasi[0]].transform("size")


def k_check(frame: pd.DataFrame, k: int = K,
            quasi: tuple[str, ...] = QUASI_IDENTIFIERS) -> tuple[bool, int | None]:
    """(every combination of the quasi-identifiers holds at least ``k`` rows, the smallest)."""
    sizes = class_sizes(frame, quasi)
    smallest = None if sizes.empty else int(sizes.min())
    return (smallest is None or smallest >= k), smallest


def anonymise(frame: pd.DataFrame, k: int = K) -> tuple[pd.DataFrame, Protection]:
    """Local suppression in :data:`SUPPRESSION_ORDER`, then removal of the rows still in a
    combination of fewer than ``k`` (see the module's text)."""
    if k < 2:
        raise CtdcError("k must be at least 2")
    out = frame.astype(object)
    report = Protection(k, len(frame), 0, 0)
    for column in SUPPRESSION_ORDER:
        small = class_sizes(out) < k
        if not small.any():
            break
        hit = small & (out[column].astype(str) != str(MISSING))
        report.suppressed[column] = int(hit.sum())
        out.loc[small, column] = MISSING
        for dependent in DEPENDENT.get(column, ()):
            out.loc[small, dependent] = MISSING
    small = class_sizes(out) < k
    report.removed = int(small.sum())
    out = out[~small.to_numpy()] if len(out) else out
    # a means of control that fewer than k persons of a year had would be a small count in
    # itself: the flag is -99 for that year (review of issue 21; combinations of a
    # quasi-identifier and a means can still be fewer than k: the module's text)
    for column in CTDC_MEANS.values():
        for rows in out.groupby("yearOfRegistration").groups.values():
            ones = int((out.loc[rows, column].astype(str) == "1").sum())
            if 0 < ones < k:
                out.loc[rows, column] = MISSING
                report.suppressed[column] = report.suppressed.get(column, 0) + len(rows)
    report.rows_out = len(out)  # the input's row labels are kept
    ok, report.smallest = k_check(out, k)
    if not ok:  # cannot happen: the removal leaves only combinations of k rows or more
        raise CtdcError(f"the table fails the k = {k} check (smallest combination "
                        f"{report.smallest})")
    return out, report


def export(reports: pd.DataFrame, report_persons: pd.DataFrame, out: str | Path,
           k: int = K) -> Protection:
    """Write ``ctdc.csv`` (k-anonymised) and ``ctdc_protection.json`` (what was suppressed
    and removed, and the check) into the folder ``out``; nothing is written when anything
    fails, and each file appears whole (written beside, then renamed)."""
    protected, report = anonymise(table(reports, report_persons), k)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"ctdc.csv": write_csv(protected.astype(object)),
             "ctdc_protection.json": json.dumps({**asdict(report),
                                                 "quasi_identifiers": list(QUASI_IDENTIFIERS),
                                                 "missing": MISSING, "codebook": "CTDC v6"},
                                                indent=1)}
    for name, text in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
    return report
