"""Chapter 1, the summary: the year's key figures in a sentence and in four numbers, and the key
indicators beside the previous year."""

from __future__ import annotations

from ..data import ReportData
from ..formatting import MISSING, Numbering

# indicators computed from the estimate: their change is as uncertain as the estimate's
FROM_ESTIMATE = ("estimated_victims", "detection_rate", "dark_number")
KEY_INDICATORS = ("registered_persons", "reports", "reports_per_person", "estimated_victims",
                  "detection_rate", "dark_number", "registered_per_100k", "sdg_16_2_2",
                  "overlap", "minors", "dutch_minors_domestic_sexual", "share_obliged",
                  "complaint_filed", "reflection_period", "shelter_placed", "completeness")


def summary(data: ReportData, n: Numbering) -> dict:
    f, _, year, est = data.fmt, data.fmt._, data.year, data.estimate
    reg = data.value("registered_persons", year)
    detection, dark = data.value("detection_rate", year), data.value("dark_number", year)
    low, high = data.pub.estimate_interval(year)
    if est:
        lead = _("In {year} organisations reported {registered} distinct persons as possible "
                 "victims of human trafficking. Far from every victim is seen: from the overlap "
                 "between the reporters, the number of victims in {year} is estimated at "
                 "{estimate} (95% interval {low} to {high}). About {rate} of them were "
                 "registered; the dark number, the victims no one reported, is estimated at "
                 "{dark}.").format(year=year, registered=f.num(reg),
                                   estimate=f.num(est["estimate"]), low=f.num(low),
                                   high=f.num(high), rate=f.num(detection, "share"),
                                   dark=f.num(dark))
    else:
        lead = _("In {year} organisations reported {registered} distinct persons as possible "
                 "victims of human trafficking. The publication holds no estimate of the total "
                 "number of victims for {year}.").format(year=year, registered=f.num(reg))
    interval = ""
    if est and low is not None:
        interval = _("95% interval {low}\u2013{high}").format(low=f.num(low), high=f.num(high))
    key_figures = [
        (f.num(reg), _("registered persons"), _("after linking the reports")),
        (f.num(est["estimate"]) if est else MISSING, _("estimated victims"), interval),
        (f.num(detection, "share", MISSING), _("detection rate"), _("registered / estimated")),
        (f.num(dark, "count", MISSING), _("dark number"), _("estimated, not registered")),
    ]
    previous = year - 1 if year - 1 in data.years else None
    return {"lead": lead, "key_figures": key_figures, "rows": _key_rows(data, previous),
            "previous": previous, "table": n.next_table()}


def _key_rows(data: ReportData, previous: int | None) -> list[dict]:
    """The key indicators of the year the publication holds, with the change since
    ``previous``."""
    f, _, year = data.fmt, data.fmt._, data.year
    est_change = (data.pub.estimates.get(year) or {}).get("change")
    rows = []
    for key in KEY_INDICATORS:
        ind, values = data.indicators.get(key), data.pub.series(key)
        if ind is None or year not in values:
            continue
        now, unit = values[year], ind["unit"]
        before = values.get(previous) if previous else None
        change = (f.signed(now - before, unit) if now is not None and before is not None
                  else MISSING)
        if key in FROM_ESTIMATE and change != MISSING and est_change:
            change += " (" + (_("significant change") if est_change["significant"]
                              else _("no significant change")) + ")"
        rows.append({"name": f.field(ind, "name"), "key": key,
                     "previous": f.num(before, unit) if previous and previous in values
                     else MISSING,
                     "value": f.num(now, unit), "change": change})
    return rows
