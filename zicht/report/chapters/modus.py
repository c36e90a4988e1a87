"""Chapter 9 (fewer without the what-if or protection), how traffickers work: the publication's
``public.modus`` (:func:`zicht.monitor.modus.published`) up to the report's year: the trends
found, every code's share per year and trend with a chart, and the report's year by form."""

from __future__ import annotations

from ...monitor import charts
from ...monitor.modus import code_label, view
from ..data import ReportData
from ..formatting import Numbering


def modus(data: ReportData, n: Numbering) -> dict | None:
    """None when the publication has no modus operandi part (published before issue 21)."""
    f, _, year = data.fmt, data.fmt._, data.year
    m = data.public.get("modus")
    if not m or not any(c["year"] <= year for c in m.get("cells") or []):
        return None
    shown = view(m, f.lang, year, hidden="x")
    out = {**shown, "table": n.next_table(), "chart": None,
           "form": next((t for t in shown["tables"] if t["by"] == "form"), None)}
    trends = [t for t in m.get("trends") or [] if t["last"] <= year and t.get("slope") is not None]
    if trends:
        names = {(kind, code): code_label(kind, code, f.lang)
                 for kind, codes in m["kinds"].items() for code in codes}
        out["chart"] = f.svg(charts.modus_trends(trends, names, f.lang))
        out["figure"] = n.next_figure()
    if out["form"] is not None:
        out["form_table"] = n.next_table()
    return out
