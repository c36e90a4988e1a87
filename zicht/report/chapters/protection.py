"""Chapter 8 (7 without the what-if), protection regardless of a complaint: the publication's
``public.protection`` (:func:`zicht.monitor.protection.published`) for the report's year, for
everyone and by each breakdown, with the gap per year as a chart."""

from __future__ import annotations

from ...monitor import charts, labels
from ...monitor.protection import BREAKDOWNS, NO_VALUE, OUTCOMES, gap_text, index_cells, levels_of
from ..data import ReportData
from ..formatting import Numbering


def protection(data: ReportData, n: Numbering) -> dict | None:
    """None when the publication has no protection part (published before issue 21)."""
    f, _, year = data.fmt, data.fmt._, data.year
    p = data.public.get("protection")
    if not p or not p.get("cells"):
        return None
    cells = [c for c in p["cells"] if c["year"] <= year]
    index = index_cells(cells)

    def cell_text(c: dict | None) -> str:
        if c is None:
            return NO_VALUE
        return "x" if c["suppressed"] else gap_text(c, f.lang)

    overall, findings, shown = [], [], 0
    for o in OUTCOMES:
        c = index.get((year, None, None, o))
        if c is None:
            continue
        name = _(OUTCOMES[o])
        if c["suppressed"]:
            overall.append([name, "x", "x", "x"])
            continue
        overall.append([name, *(NO_VALUE if c[s] is None else f.num(c[s], "share")
                                for s in ("share_with", "share_without")), gap_text(c, f.lang)])
        shown += c["gap"] is not None
        if c["found"]:
            findings.append(_("{outcome}: {with_share} of the persons with a complaint, {without} "
                              "of those without; the difference is {gap} percentage points "
                              "(95% interval).").format(
                outcome=name, with_share=f.num(c["share_with"], "share"),
                without=f.num(c["share_without"], "share"), gap=gap_text(c, f.lang)))
    overall_table = n.next_table() if overall else None
    tables = []
    for by in BREAKDOWNS:
        levels = levels_of(cells, by, year)
        if not levels:
            continue
        rows = [[f.level(by, lv), *(cell_text(index.get((year, by, lv, o))) for o in OUTCOMES)]
                for lv in levels]
        tables.append({"by": by, "name": labels.breakdown_name(by, f.lang), "rows": rows,
                       "table": n.next_table()})
    everyone = [c for c in cells if c["by"] is None]
    out = {"overall": overall, "findings": findings, "tables": tables,
           "outcomes": [_(OUTCOMES[o]) for o in OUTCOMES],
           "none_found": shown > 0 and not findings, "table": overall_table,
           "chart": None}
    if any(c.get("gap") is not None for c in everyone):
        out["chart"] = f.svg(charts.protection_gaps(everyone, OUTCOMES, f.lang, width=520))
        out["figure"] = n.next_figure()
    return out
