"""Chapter 1, the summary: the year's key figures in a sentence and in four numbers, and the key
indicators beside the previous year."""

from __future__ import annotations

from ..data import ReportData
from ..formatting import MISSING, Numbering

KEY_INDICATORS = ("registered_persons", "reports", "reports_per_person", "estimated_victims",
                  "detection_rate", "dark_number", "registered_per_100k", "sdg_16_2_2",
                  "overlap", "minors", "dutch_minors_domestic_sexual", "share_obliged",
                  "complaint_filed", "reflection_period", "shelter_placed", "completeness")


def summary(data: ReportData, n: Numbering) -> dict:
    f, year, est = data.fmt, data.year, data.estimate
    reg = data.value("registered_persons", year)
    detection, dark = data.value("detection_rate", year), data.value("dark_number", year)
    low, high = data.pub.estimate_interval(year)
    if est:
        lead = f.t("summary_lead", year=year, registered=f.num(reg),
                   estimate=f.num(est["estimate"]), low=f.num(low), high=f.num(high),
                   rate=f.num(detection, "share"), dark=f.num(dark))
    else:
        lead = f.t("summary_no_estimate", year=year, registered=f.num(reg))
    key_figures = [
        (f.num(reg), f.t("kf_registered"), f.t("kf_registered_note")),
        (f.num(est["estimate"]) if est else MISSING, f.t("kf_estimated"),
         f.t("kf_interval", low=f.num(low), high=f.num(high)) if est and low is not None
         else ""),
        (f.num(detection, "share", MISSING), f.t("kf_detection"), f.t("kf_detection_note")),
        (f.num(dark, "count", MISSING), f.t("kf_dark"), f.t("kf_dark_note")),
    ]
    previous = year - 1 if year - 1 in data.years else None
    return {"lead": lead, "key_figures": key_figures, "rows": _key_rows(data, previous),
            "previous": previous, "table": n.next_table()}


def _key_rows(data: ReportData, previous: int | None) -> list[dict]:
    """The key indicators of the year the publication holds, with the change since
    ``previous``."""
    f, year = data.fmt, data.year
    rows = []
    for key in KEY_INDICATORS:
        ind, values = data.indicators.get(key), data.pub.series(key)
        if ind is None or year not in values:
            continue
        now, unit = values[year], ind["unit"]
        before = values.get(previous) if previous else None
        change = (f.signed(now - before, unit) if now is not None and before is not None
                  else MISSING)
        rows.append({"name": ind["name_nl"] if f.lang == "nl" else ind["name_en"], "key": key,
                     "previous": f.num(before, unit) if previous and previous in values
                     else MISSING,
                     "value": f.num(now, unit), "change": change})
    return rows
