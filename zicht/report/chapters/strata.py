"""Section 5.3, the estimate by group (analyst part).

A level is shown only where the public breakdown shows its count of persons for the year: an
interval's lower bound can sit on the observed count, so a level suppressed there (small, or to
protect a neighbour) is suppressed here too, and then the sum (it would give the level away by
subtraction).  Observed counts by group are never printed."""

from __future__ import annotations

from ...monitor import labels
from ..data import ReportData
from ..formatting import MISSING, SUPPRESSED, Numbering


def strata(data: ReportData, n: Numbering) -> list[dict]:
    f, _, year = data.fmt, data.fmt._, data.year
    out: list[dict] = []
    by_group = data.pub.strata
    if not by_group or by_group.get("year") != year:
        return out
    for by, part in by_group["by"].items():
        if not part["rows"]:
            continue
        shown = data.pub.published_levels(by, year)
        rows, withheld = [], False
        for r in part["rows"]:
            small = r["level"] not in shown
            withheld |= small
            rows.append((f.level(by, r["level"]),
                         SUPPRESSED if small else f.num(r["estimate"], "count", MISSING),
                         SUPPRESSED if small else f.interval(r.get("ci_low"), r.get("ci_high"))))
        total = None if withheld else part.get("total")
        if total is None:
            rows.append((_("sum of the groups"), MISSING, MISSING))
        else:
            rows.append((_("sum of the groups"), f.num(total["estimate"]),
                         f.interval(total.get("ci_low"), total.get("ci_high"))))
        out.append({"by": by, "table": n.next_table(),
                    "name": labels.breakdown_name(by, f.lang), "rows": rows})
    return out
