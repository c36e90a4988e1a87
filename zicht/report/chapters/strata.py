"""Section 5.3, the estimate by group: the public estimates by group (sex, minor or adult, form
of exploitation; ``public.groups`` of the publication, :func:`zicht.monitor.publish._groups`),
so the report shows the numbers the dashboard shows, after the same disclosure control.

A group's estimate is there only when the group counts at least k persons and its count of
persons is published in the breakdown (an interval's lower bound can sit on the observed
count); otherwise x (suppressed), or – without an estimate, and the sum of the groups only when
every group is published. Observed counts by group are never printed."""

from __future__ import annotations

from ...monitor.pooling import group_level, group_name
from ..data import ReportData
from ..formatting import MISSING, SUPPRESSED, Numbering


def strata(data: ReportData, n: Numbering) -> list[dict]:
    f, _, year = data.fmt, data.fmt._, data.year
    out: list[dict] = []
    groups = data.pub.groups
    if not groups:
        return out
    for by, years in groups["by"].items():
        part = years.get(str(year))
        if not part or not part["rows"]:
            continue
        rows = []
        for r in part["rows"]:
            small = r["reason"] in ("fewer than k", "not published")
            rows.append((group_level(by, r["level"], f.lang),
                         SUPPRESSED if small else f.num(r["estimate"], "count", MISSING),
                         SUPPRESSED if small else f.interval(r.get("ci_low"), r.get("ci_high"))))
        total = part.get("total")
        if total is None:
            rows.append((_("sum of the groups"), MISSING, MISSING))
        else:
            rows.append((_("sum of the groups"), f.num(total["estimate"]),
                         f.interval(total.get("ci_low"), total.get("ci_high"))))
        out.append({"by": by, "table": n.next_table(), "name": group_name(by, f.lang),
                    "rows": rows})
    return out
