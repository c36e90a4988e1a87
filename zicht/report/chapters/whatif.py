"""Chapter 7, what a reporting obligation would bring: the publication's precomputed scenarios
(``public.whatif``, :func:`zicht.monitor.whatif.published_whatif`), with the same table rows
and summary sentences as the public what-if page (:func:`zicht.monitor.whatif.published_view`)."""

from __future__ import annotations

from ...i18n import format_number
from ...monitor.labels import reporters
from ...monitor.whatif import published_chart, published_view
from ..data import ReportData
from ..formatting import Numbering


def whatif(data: ReportData, n: Numbering) -> dict | None:
    """None when the publication holds no what-if."""
    f, _ = data.fmt, data.fmt._
    w = data.public.get("whatif")
    if not w:
        return None
    out: dict = {"categories": published_view(w, f.lang), "replicates": w["replicates"],
                 "seed": w["seed"], "method": w["method"], "k": w.get("k", data.k),
                 "fitted_year": w.get("fitted_year"), "victims": f.num(w["victims"]),
                 "police": None if w.get("police_rate") is None
                 else f.num(w["police_rate"], "share"),
                 "factor": format_number(w["level_factor"], f.lang, decimals=1),
                 "cap": f.num(w["rate_cap"], "share"),
                 "left_out": ", ".join(reporters(c, f.lang) for c in w.get("left_out") or []),
                 "chart": None}
    chart = published_chart(w, f.lang)
    if chart is not None:
        out["chart"] = f.svg(chart)
        out["figure"] = n.next_figure()
    for c in out["categories"]:
        c["table"] = n.next_table()
    return out
