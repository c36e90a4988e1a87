"""Protection regardless of a complaint: does the help a person gets depend on whether they filed
a police complaint?

Victims' rights come first whether or not they file a complaint ("aangifte"; docs/DOMAIN.md
section 4, the EU anti-trafficking directive).  The indicators of section 6.6 give the share of
persons with a complaint, a reflection period, shelter requested and shelter placed; this module
compares those with a complaint and those without, per year and breakdown:

* **groups** per person and year: *with* a complaint when any of that year's reports says
  ``yes``; *without* when none says ``yes`` and at least one says ``no`` or ``considering`` (not
  yet filed); *unknown* otherwise (left out of both groups and counted apart, so a registry that
  seldom records the complaint shows it);
* **outcomes** (:data:`OUTCOMES`): reflection period offered or granted, shelter requested,
  shelter placed, referred to care; each among the persons of whom some report records it
  (``yes`` or ``no``; for the reflection period ``offered``, ``granted`` or ``no``): a person
  whose reports say only ``unknown``, nothing, or ``not_applicable`` (Dutch nationals are not
  offered a reflection period) is left out of that outcome, not counted as not helped, so a
  field one group's reporters seldom fill in makes no gap;
* **the gap**: share with a complaint minus share without, in percentage points, with Newcombe's
  hybrid score interval (Newcombe 1998, method 10: Wilson's interval for each share, combined),
  which keeps its coverage near the nominal level for the small groups the breakdowns make,
  where the Wald interval does not.  A positive gap means persons without a complaint get less.

A gap is *found* when its interval excludes zero.  With many cells (years x breakdown levels x
outcomes), about one in twenty intervals misses zero by chance when there is no gap: the
publication shows the intervals, not only the verdicts, and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..i18n import N_
from .disclosure import complement_groups
from .inputs import MonitorData

# outcome -> (person_years column, label msgid)
OUTCOMES = {
    "reflection_period": N_("reflection period offered or granted"),
    "shelter_requested": N_("shelter requested"),
    "shelter_placed": N_("placed in shelter"),
    "referred_to_care": N_("referred to care"),
}
BREAKDOWNS = ("sex", "minor", "form", "nationality_group", "region")
GROUPS = ("with", "without", "unknown")
LEVEL = 0.95
NO_VALUE = "\u2013"  # a group without persons: no share, no gap


def wilson(k, n, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for k successes of n (vectorised; NaN where n = 0).  Equal to
    ``scipy.stats.binomtest(k, n).proportion_ci(level, "wilson")``, which takes one pair at a
    time: the publication needs thousands."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # exact at the edges (rounding would leave 1e-17 off 0 or 1); no interval without persons
    low = np.where(n == 0, np.nan, np.where(k == 0, 0.0, low))
    high = np.where(n == 0, np.nan, np.where(k == n, 1.0, high))
    return low, high


def newcombe(k1, n1, k2, n2, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The difference p1 - p2 of two independent shares and Newcombe's hybrid score interval
    (method 10 of Newcombe 1998): ``(difference, low, high)``, NaN where a group is empty."""
    k1, n1, k2, n2 = (np.asarray(a, dtype=float) for a in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, level)
    l2, u2 = wilson(k2, n2, level)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return diff, low, high


def complaint_groups(py: pd.DataFrame) -> pd.Series:
    """Each person-year's group: "with", "without" or "unknown" (see the module's docstring)."""
    return pd.Series(np.where(py["complaint_filed"], "with",
                              np.where(py["complaint_known"], "without", "unknown")),
                     index=py.index, name="complaint")


def gap(data: MonitorData, by: tuple[str, ...] | list[str] = (),
        outcomes: tuple[str, ...] | list[str] = tuple(OUTCOMES),
        level: float = LEVEL) -> pd.DataFrame:
    """The gap per year, breakdown and outcome: one row each, with the two groups' persons
    (``n_with``, ``n_without``), how many of them had the outcome (``k_with``, ``k_without``),
    the shares, ``gap`` (share with minus share without, as a fraction: 0.12 is 12 percentage
    points), ``low`` and ``high`` (its interval), ``found`` (the interval excludes zero), and
    the persons whose complaint is not known but whose outcome is (``n_unknown``, of them with
    the outcome ``k_unknown``): left out of the comparison, but counted for disclosure control,
    because the three groups add up to the outcome's share of everyone, which is published."""
    by = list(by)
    bad = [b for b in by if b not in BREAKDOWNS]
    if bad:
        raise ValueError(f"the complaint gap cannot be broken down by {bad[0]!r} (allowed: "
                         f"{', '.join(BREAKDOWNS)})")
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad:
        raise ValueError(f"unknown outcome {bad[0]!r} (choose from {', '.join(OUTCOMES)})")
    py = data.person_years()
    py["complaint"] = complaint_groups(py)
    if "minor" in by:  # as a level: a person of unknown age is neither minor nor adult
        py["minor"] = np.where(py["minor"], "minor",
                               np.where(py["age_band"].eq("unknown"), "unknown", "adult"))
    keys = ["year", *by]
    counted = [f"{stat}_{group}" for group in GROUPS for stat in ("n", "k")]
    parts = []
    for outcome in outcomes:
        frame = py[py[f"{outcome}_known"]]
        g = frame.groupby([*keys, "complaint"], dropna=False)[outcome]
        counts = pd.DataFrame({"n": g.size(), "k": g.sum()}).unstack("complaint", fill_value=0)
        counts.columns = [f"{stat}_{group}" for stat, group in counts.columns]
        for col in counted:
            if col not in counts.columns:
                counts[col] = 0
        counts = counts.reset_index()
        counts.insert(len(keys), "outcome", outcome)
        parts.append(counts)
    columns = [*keys, "outcome", *counted]
    out = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    out = out[(out["n_with"] + out["n_without"]) > 0].reset_index(drop=True)
    for col in counted:
        out[col] = out[col].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_with"] = out["k_with"] / out["n_with"].where(out["n_with"] > 0)
        out["share_without"] = out["k_without"] / out["n_without"].where(out["n_without"] > 0)
    diff, low, high = newcombe(out["k_with"], out["n_with"], out["k_without"], out["n_without"],
                               level)
    out["gap"], out["low"], out["high"] = diff, low, high
    out["found"] = (out["low"] > 0) | (out["high"] < 0)
    return out.sort_values([*keys, "outcome"], kind="stable").reset_index(drop=True)


COUNTS = ("n_with", "k_with", "n_without", "k_without", "n_unknown", "k_unknown")


def disclosive(row, k: int) -> bool:
    """Whether publishing a gap row could show fewer than ``k`` persons: any of the three
    groups (with, without, complaint unknown), or the persons of any group with the outcome,
    between 1 and k - 1.  The unknown group counts too: everyone's share with the outcome is
    published, so the unknown group's count is what the two published groups leave of it."""
    return any(0 < row[c] < k for c in COUNTS)


ROUNDING = 3  # decimals of a published share or gap: 0.1 percentage point, as the pages show


def _round(x) -> float | None:
    """Published at the precision shown: finer shares of a few hundred persons would give the
    counts behind them away (the fraction with the smallest denominator)."""
    return None if x is None or not np.isfinite(x) else round(float(x), ROUNDING)


def published(data: MonitorData, k: int, level: float = LEVEL) -> dict:
    """``public.protection``: for everyone and by each breakdown, per year and outcome, the
    shares with and without a complaint and the gap with its interval, each row suppressed
    when :func:`disclosive`; and per year the share of persons whose complaint status is not
    known (suppressed when it, or the persons whose complaint is known, number 1 to k - 1).
    No count of persons is published: the breakdown by complaint is a table of its own that the
    disclosure control of the breakdowns does not cover, so only shares (of groups and counts
    of 0 or at least ``k`` persons each, rounded to 0.1 percentage point) leave."""
    cells = []
    for by in (None, *BREAKDOWNS):
        frame = gap(data, () if by is None else (by,), level=level)
        frame["hidden"] = [disclosive(row, k) for row in frame.to_dict("records")]
        if by is not None:  # the levels add up to everyone's row: complementary suppression
            frame["size"] = frame[["n_with", "n_without", "n_unknown"]].sum(axis=1)
            for group in GROUPS:
                frame[f"r_{group}"] = frame[f"n_{group}"] - frame[f"k_{group}"]
            frame["hidden"] = complement_groups(
                frame, ["year", "outcome"],
                [*COUNTS, *(f"r_{group}" for group in GROUPS)], k, size="size")
        for row in frame.to_dict("records"):
            hidden = bool(row["hidden"])
            value = str(row[by]) if by is not None else None
            cells.append({
                "year": int(row["year"]), "by": by, "level": value, "outcome": row["outcome"],
                "suppressed": hidden,
                **{key: None if hidden else _round(row[key])
                   for key in ("share_with", "share_without", "gap", "low", "high")},
                "found": None if hidden else bool(row["found"])})
    py = data.person_years()
    status = complaint_groups(py)
    unknown = []
    for year, group in status.groupby(py["year"]):
        n = int((group == "unknown").sum())
        small = 0 < n < k or 0 < len(group) - n < k
        unknown.append({"year": int(year), "share": None if small else _round(n / len(group))})
    return {"level": level, "outcomes": list(OUTCOMES), "breakdowns": list(BREAKDOWNS),
            "cells": cells, "unknown": unknown}


def index_cells(cells: list[dict]) -> dict[tuple, dict]:
    """Published cells by (year, breakdown, level, outcome); everyone's have breakdown and level
    None.  The page and the report look cells up this way."""
    return {(c["year"], c["by"], c["level"], c["outcome"]): c for c in cells}


def levels_of(cells: list[dict], by: str, year: int) -> list[str]:
    """The published levels of breakdown ``by`` in ``year``, in order."""
    return sorted({c["level"] for c in cells if c["by"] == by and c["year"] == year})


def gap_text(cell: dict, lang: str) -> str:
    """A published gap as read: "+12.3 (+5.1 to +19.4)" in percentage points (Dutch:
    "+12,3 (+5,1 tot +19,4)"); a dash where one group has nobody."""
    return points_text(cell.get("gap"), cell.get("low"), cell.get("high"), lang)


def points_text(value: float | None, low: float | None, high: float | None, lang: str) -> str:
    """A difference of shares with its interval in percentage points, signed, as read:
    "+12.3 (+5.1 to +19.4)"; a dash without a value.  The gaps here and the modus operandi's
    trends (:func:`zicht.monitor.modus.trend_text`) are written this way."""
    from ..i18n import number_symbols, translator

    if value is None:
        return NO_VALUE
    decimal = number_symbols(lang)["decimal"]

    def pp(x: float) -> str:
        return f"{100 * x:+.1f}".replace(".", decimal)

    interval = translator(lang)("{low} to {high}").format(low=pp(low), high=pp(high))
    return f"{pp(value)} ({interval})"
