"""Chapter 2, registered and estimated: the registered persons and the estimate per year, as a
chart and as a table."""

from __future__ import annotations

from ...monitor import charts
from ...monitor.publication import estimate_interval
from ..data import ReportData
from ..formatting import MISSING, Numbering


def overview(data: ReportData, n: Numbering) -> dict:
    f = data.fmt
    rows, combined = [], False
    for y in data.years:
        e = data.estimates.get(y)
        lo, hi = estimate_interval(e) if e else (None, None)
        combined = combined or bool(e and e.get("combined_low") is not None)
        rows.append({
            "year": y, "registered": f.num(data.value("registered_persons", y)),
            "estimate": f.num(e["estimate"]) if e else MISSING,
            "interval": f.interval(lo, hi),
            "detection": f.num(data.value("detection_rate", y), "share") if e else MISSING,
            "dark": f.num(data.value("dark_number", y)) if e else MISSING})
    chart = charts.overview(data.pub.upto(data.year), f.lang, width=540, height=260)
    return {"chart": f.svg(chart), "figure": n.next_figure(), "table": n.next_table(),
            "rows": rows, "combined": combined}
