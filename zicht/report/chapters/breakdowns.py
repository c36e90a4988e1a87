"""Chapter 3, breakdowns: registered persons per year by sex, age band, form, nationality and
region, from the public part only (suppressed cells as ``x``, marked in the charts; the levels
pooled before disclosure control named with their members)."""

from __future__ import annotations

from ...monitor import charts, labels
from ...monitor.pooling import level_label
from ..data import ReportData
from ..formatting import SUPPRESSED, Numbering

BREAKDOWNS = ("sex", "age_band", "form", "nationality_group", "region")


def breakdowns(data: ReportData, n: Numbering) -> list[dict]:
    return [_breakdown(data, by, table, n) for by in BREAKDOWNS
            if (table := data.pub.breakdown(by)) is not None]


def _breakdown(data: ReportData, by: str, table: dict, n: Numbering) -> dict:
    f, _, year = data.fmt, data.fmt._, data.year
    cols = [i for i, y in enumerate(table["years"]) if int(y) <= year]
    shown_years = [int(table["years"][i]) for i in cols]
    whole = len(cols) == len(table["years"])
    name = labels.breakdown_name(by, f.lang).capitalize()
    level_totals = table.get("level_totals") or [None] * len(table["levels"])
    pooled = table.get("pooled") or []
    rows = [{"code": code, "label": level_label(by, code, f.lang, pooled),
             "cells": [(shown_years[j], f.num(counts[i])) for j, i in enumerate(cols)],
             "total": f.num(total)}
            for code, counts, total in zip(table["levels"], table["counts"], level_totals,
                                           strict=True)]
    year_totals = table.get("year_totals") or [None] * len(table["years"])
    labelled = {"levels": [level_label(by, c, f.lang, pooled) for c in table["levels"]],
                "years": shown_years,
                "counts": [[counts[i] for i in cols] for counts in table["counts"]]}
    # a chart only where some level has a line (two published years)
    lines = any(sum(c is not None for c in counts) > 1 for counts in labelled["counts"])
    # suppressed points are marked (hollow, bridged by a dashed line), not left out
    chart = charts.trend(labelled, name, width=430, height=200, lang=f.lang) if lines else None
    withheld = [int(w) for w in table.get("withheld_years") or [] if int(w) <= year]
    return {
        "by": by, "name": name, "years": shown_years, "rows": rows,
        "totals": [f.num(year_totals[i]) for i in cols],
        "show_total": whole and any(r["total"] != SUPPRESSED for r in rows),
        "all_years": _("Total {first}\u2013{last}").format(first=shown_years[0],
                                                            last=shown_years[-1]),
        "withheld": _("Not published for {years}: too few persons to protect the counts.")
        .format(years=", ".join(map(str, withheld))) if withheld else None,
        "caribbean": data.pub.caribbean(by),
        "chart": None if chart is None else f.svg(chart),
        "figure": None if chart is None else n.next_figure(),
        "table": n.next_table()}

