"""Chapter 6, programme targets: the targets per development line with their status, each
line's capacity and budget in the report's year or the last year before it, and the capacity
needed (:mod:`zicht.monitor.capacity`)."""

from __future__ import annotations

from ...i18n import N_
from ...monitor import labels
from ...monitor.indicators import INDICATORS
from ..data import ReportData
from ..formatting import MISSING, Numbering

DIRECTION = {"at_least": N_("at least"), "at_most": N_("at most")}


def targets(data: ReportData, n: Numbering) -> list[dict]:
    f, _ = data.fmt, data.fmt._
    lines: dict[int, dict] = {}

    def line_of(entry: dict) -> dict:
        title = _("Development line {line}: {name}").format(line=entry["line"],
                                                            name=f.field(entry, "line"))
        return lines.setdefault(entry["line"], {"line": entry["line"], "title": title,
                                                "rows": [], "capacity": None})

    for t in data.pub.targets:
        unit = _unit(data, t)
        direction = _(DIRECTION[t["direction"]]) if t["direction"] in DIRECTION else t["direction"]
        line_of(t)["rows"].append({
            "indicator": labels.target_indicator(t, data.indicators, f.lang),
            "target": f"{direction} {f.num(t['target'], unit)}",
            "deadline": t.get("deadline") or MISSING,
            "latest": MISSING if t.get("latest") is None else
            f"{f.num(t['latest'], unit)} ({t.get('latest_year')})",
            "status": labels.status(t["status"], f.lang),
            "status_class": t["status"].replace(" ", "-"),
            "reason": f.field(t, "reason")})
    # capacity (FTE) and budget per line in the report's year or the last year before it
    for p in data.pub.programme:
        shown = [y for y in p["years"] if int(y) <= data.year]
        if not shown:
            continue
        y = max(shown, key=int)
        cell = p["years"][y]
        line_of(p)["capacity"] = _("Capacity and budget in {year}: {fte} FTE, {budget} euro."
                                   ).format(year=y, fte=f.num(cell.get("fte"), "ratio", MISSING),
                                            budget=f.num(cell.get("budget_eur"), "count",
                                                         MISSING))
    out = []
    for line in sorted(lines.values(), key=lambda x: x["line"]):
        line["table"] = n.next_table() if line["rows"] else None
        out.append(line)
    return out


def capacity(data: ReportData, n: Numbering) -> dict | None:
    """The capacity needed as the dashboard shows it (:func:`zicht.monitor.capacity.view`),
    with the tables' numbers; None when the publication has none."""
    from ...monitor.capacity import published_view

    shown = published_view(data.pub.public, data.fmt.lang)
    if shown is None:
        return None
    return {**shown, "tables": (n.next_table(), n.next_table(), n.next_table())}


def _unit(data: ReportData, target: dict) -> str:
    """The unit of a target's indicator: the target's own (when the publication records it),
    the published indicator's, else the installed definition's."""
    if target.get("unit"):
        return target["unit"]
    ind = data.indicators.get(target["indicator"])
    if ind:
        return ind["unit"]
    installed = INDICATORS.get(target["indicator"])
    return installed.unit if installed else "count"
