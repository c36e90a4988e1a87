"""From reports with person numbers to the tables estimation reads.

- :func:`persons_table` - one row per person: reports, years, reporter categories and lists,
  and the person's attributes (the most frequent known value over their reports).
- :func:`capture_histories` - per reference year (or window of years) and optionally per
  stratum (sex, age band, form, nationality group, region): for each pattern of lists, the
  number of persons seen by exactly those lists.  The columns are those of ``zicht estimate``'s
  input (one 0/1 column per list and ``count``), with the year and stratum columns in front.

A person counts in a year's table when one of their reports has that reference year; the
lists are the reporter categories merged by ``lists`` (default: the national programme's six
lists, :data:`DEFAULT_LISTS`).  Strata come from the person's attributes in that year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..codes import nationality_group, region_of_place

__all__ = ["DEFAULT_LISTS", "STRATA", "capture_histories", "list_of", "parse_lists", "person_ids",
           "persons_table"]

# the lists of the national estimate (the nl-baseline scenario's mse_lists)
DEFAULT_LISTS: dict[str, tuple[str, ...]] = {
    "POL": ("POL",), "ZC": ("ZC",), "NGO": ("NGO",), "NLA": ("NLA",), "KMAR": ("KMAR",),
    "OTHER": ("OPV", "JZ", "GEM", "IMM", "ZORG", "SELF", "CAR", "OTH", "ADV", "OM", "UNK"),
}
STRATA = ("sex", "age_band", "form", "nationality_group", "region")


def parse_lists(text: str | None) -> dict[str, tuple[str, ...]]:
    """``"POL=POL;ZC=ZC;OTHER=OPV,JZ,GEM"`` -> mapping of list name to reporter categories."""
    if not text:
        return dict(DEFAULT_LISTS)
    out: dict[str, tuple[str, ...]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, members = part.partition("=")
        cats = tuple(m.strip().upper() for m in members.split(",") if m.strip())
        if not name.strip() or not cats:
            raise ValueError(f"list {part!r}: write NAME=CAT[,CAT...]")
        out[name.strip()] = cats
    if len(out) < 2:
        raise ValueError("at least two lists are needed for estimation")
    return out


def list_of(categories: pd.Series, lists: Mapping[str, Iterable[str]]) -> pd.Series:
    lookup = {cat: name for name, cats in lists.items() for cat in cats}
    return categories.fillna("").astype(str).str.upper().map(lookup)


_UNKNOWN = {"sex": "U", "age_band": "unknown", "form": "unknown",
            "nationality_group": "unknown", "region": "unknown"}


def _report_attributes(reports: pd.DataFrame) -> pd.DataFrame:
    """Stratum variables of each report (missing values: the stratum's unknown)."""
    out = pd.DataFrame(index=reports.index)

    def column(name: str) -> pd.Series:
        return reports.get(name, pd.Series(index=reports.index, dtype=object))

    for target, source in (("sex", "sex"), ("age_band", "age_band"), ("form", "nr_group")):
        out[target] = column(source).fillna(_UNKNOWN[target]).replace("", _UNKNOWN[target])
    for source, target, fn in (("nationality", "nationality_group", nationality_group),
                               ("place_of_exploitation", "region", region_of_place)):
        values = column(source).fillna("")
        out[target] = values.map({v: fn(v) for v in values.unique()})
    return out


def _joined(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per key, its distinct known values sorted and joined with ";" (one sort, then one
    string join per key over plain arrays: pandas' per-group machinery took a minute for a
    million reports)."""
    raw = values.to_numpy(dtype=object)
    known = pd.notna(raw)
    text = np.array([str(v) for v in raw[known]], dtype=object)
    frame = pd.DataFrame({"k": keys.to_numpy()[known], "v": text})
    frame = frame[frame["v"] != ""].drop_duplicates().sort_values(["k", "v"], kind="stable")
    k, v = frame["k"].to_numpy(), frame["v"].to_numpy(dtype=object)
    if len(k) == 0:
        return pd.Series(dtype=object)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    ends = np.r_[starts[1:], len(k)]
    return pd.Series([";".join(v[a:b]) for a, b in zip(starts, ends, strict=True)],
                     index=k[starts])


def person_ids(labels: np.ndarray) -> np.ndarray:
    """Person numbers as ids: 0 -> "P0000000"."""
    return np.char.add("P", np.char.zfill(labels.astype(str), 7))


def persons_table(reports: pd.DataFrame, labels: np.ndarray,
                  lists: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """One row per person (see the module's text); ``reports`` is the linkage table."""
    lists = lists or DEFAULT_LISTS
    frame = _report_attributes(reports)
    frame["person_id"] = person_ids(labels)
    frame["report_id"] = reports["unique_id"].to_numpy()
    frame["year"] = reports["reference_year"].to_numpy()
    frame["category"] = reports["reporter_category"].fillna("UNK").to_numpy()
    frame["list"] = list_of(reports["reporter_category"], lists).to_numpy()
    frame["organisation"] = reports.get("organisation", pd.Series(index=reports.index)) \
        .to_numpy()
    grouped = frame.groupby("person_id", sort=True)
    out = grouped.agg(n_reports=("report_id", "size"), first_year=("year", "min"),
                      last_year=("year", "max"), organisations=("organisation", "nunique"))
    for name, column in (("years", "year"), ("categories", "category"), ("lists", "list")):
        out[name] = _joined(frame["person_id"], frame[column]).reindex(out.index).fillna("")
    for column, unknown in _UNKNOWN.items():
        out[column] = _first_mode(frame["person_id"], frame[column], unknown).reindex(out.index)
    return out.reset_index()


def _first_mode(keys: pd.Series, values: pd.Series, unknown: str) -> pd.Series:
    """Per key, the most frequent known value (ties: the smallest); ``unknown`` if none."""
    k = keys.to_numpy()
    v = values.to_numpy(dtype=object)
    known = pd.notna(v)
    known[known] = (v[known] != "") & (v[known] != unknown)
    # values as sorted integer codes: the groupby runs on integers, and the smallest code is
    # the smallest value for the tie rule
    codes, uniques = pd.factorize(v[known], sort=True)
    counts = pd.DataFrame({"k": k[known], "c": codes}).groupby(["k", "c"], sort=False) \
        .size().reset_index(name="n")
    counts = counts.sort_values(["n", "c"], ascending=[False, True], kind="stable")
    best = counts.drop_duplicates("k").set_index("k")["c"]
    best = pd.Series(np.asarray(uniques, dtype=object)[best.to_numpy()], index=best.index)
    return best.reindex(pd.unique(k)).fillna(unknown)


def capture_histories(reports: pd.DataFrame, labels: np.ndarray,
                      lists: Mapping[str, Iterable[str]] | None = None,
                      by: Iterable[str] = (), window: int = 1) -> pd.DataFrame:
    """Capture-history counts per year (or window of ``window`` years, labelled by its first
    year) and per stratum ``by`` (a subset of :data:`STRATA`).

    Vectorised (no Python loop over persons): the linkage band calls it once per sampled
    linkage."""
    lists = dict(lists or DEFAULT_LISTS)
    by = list(by)
    unknown = [b for b in by if b not in STRATA]
    if unknown:
        raise ValueError(f"unknown stratum {unknown[0]!r} (one of {', '.join(STRATA)})")
    if window < 1:
        raise ValueError("window must be at least one year")
    names = list(lists)
    year = pd.to_numeric(reports["reference_year"], errors="coerce").to_numpy(dtype=float)
    listed = list_of(reports["reporter_category"], lists)
    list_index = pd.Categorical(listed, categories=names).codes
    keep = ~np.isnan(year) & (list_index >= 0)
    year = year[keep].astype(np.int64)
    year = year - (year - year.min()) % window if len(year) else year
    person = np.asarray(labels)[keep].astype(np.int64)
    # one key per (year, person); OR the bits of the lists that saw them that year
    key = year * (int(person.max()) + 1 if len(person) else 1) + person
    uniq, inverse = np.unique(key, return_inverse=True)
    bits = np.zeros(len(uniq), dtype=np.int64)
    np.bitwise_or.at(bits, inverse, np.left_shift(1, list_index[keep].astype(np.int64)))
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # a report of each (year, person)
    cells = pd.DataFrame({"year": year[first], "bits": bits})
    if by:
        attrs = _report_attributes(reports.loc[keep])
        for b in by:
            cells[b] = _first_mode(pd.Series(inverse), attrs[b].reset_index(drop=True),
                                   _UNKNOWN[b]).sort_index().to_numpy()
    table = cells.groupby(["year", *by, "bits"], sort=True).size().reset_index(name="count")
    for i, name in enumerate(names):
        table[name] = ((table["bits"].to_numpy() >> i) & 1).astype(np.int8)
    table = table[["year", *by, *names, "count"]]
    return table.sort_values(["year", *by, *names], ignore_index=True)
