"""Chapter 4, overlap between reporters: persons per combination of reporter categories, from
the public part, for the publication's latest year; the combinations below k are pooled there
into "other combinations of n reporter categories" (:mod:`zicht.monitor.pooling`)."""

from __future__ import annotations

from ...monitor import charts, labels
from ...monitor.pooling import combination_label, is_pool
from ..data import ReportData
from ..formatting import Numbering

UPSET_MAX = 15  # combinations drawn in the UpSet chart (the table lists them all)


def overlap(data: ReportData, n: Numbering) -> dict:
    f, _, year = data.fmt, data.fmt._, data.year
    ov = data.pub.overlap
    out = {"year": ov.get("year"), "state": "absent", "rows": [], "chart": None, "share": None}
    share = data.value("overlap", year)
    if share is not None:
        out["share"] = _("In {year}, {share} of the registered persons were reported by two or "
                         "more reporter categories.").format(year=year,
                                                             share=f.num(share, "share"))
    if ov and ov.get("year") != year:
        out["state"] = "other_year"
        out["note"] = _("The publication holds the combinations of {other} only, not those of "
                        "{year}.").format(other=ov.get("year"), year=year)
    elif ov.get("withheld"):
        out["state"] = "withheld"
        out["note"] = _("The combinations of {year} are not published: too few persons to "
                        "protect them.").format(year=year)
    elif ov:
        combos = ov.get("combinations") or []
        out["state"] = "shown"
        # pools of small combinations (zicht.monitor.pooling) are named, without codes; the
        # UpSet chart draws the combinations themselves
        out["rows"] = [{"label": combination_label(c["reporters"], f.lang),
                        "codes": "" if is_pool(c["reporters"])
                        else c["reporters"].replace("+", " + "),
                        "persons": f.num(c["persons"])} for c in combos]
        shown = [c for c in combos
                 if c["persons"] is not None and not is_pool(c["reporters"])][:UPSET_MAX]
        if shown:
            out["chart"] = f.svg(charts.upset(shown, f.lang, width=520))
            out["figure"] = n.next_figure()
            out["shown"] = len(shown)
        out["table"] = n.next_table()
        codes = sorted({r for c in combos if not is_pool(c["reporters"])
                        for r in c["reporters"].split("+")})
        out["codes"] = _("Reporter categories: {codes}.").format(codes="; ".join(
            f"{c} = {labels.reporters(c, f.lang)}" for c in codes))
    return out
