"""A publication built from the hand-made dataset of test_indicators, with a method comparison
in its analyst part (Korea), for the web and browser tests."""

import json
from pathlib import Path

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.monitor.inputs import MonitorData
from zicht.monitor.publish import _sensitivity, build_publication

K = 2  # the dataset is tiny: with k = 2 every count of one person is suppressed

# a realistic overlap of one year: seven combinations of at least 10 persons and seven small
# ones (pooled into "other single reporter categories", 11, and "other combinations of 2 to 3
# reporter categories", 16)
OVERLAP = {"POL": 250, "ZC": 140, "POL+ZC": 90, "NGO": 60, "NLA": 30, "NGO+ZC": 12,
           "KMAR": 4, "OTHER": 7, "KMAR+POL": 1, "NGO+POL": 6, "NLA+POL": 5,
           "KMAR+NGO+POL": 1, "NGO+POL+ZC": 3}
# realistic public breakdowns of 2024 for the estimates by group: F, M, labour and every age
# band published, organ removal suppressed
REALISTIC_BREAKDOWNS = {
    "sex": {"levels": ["F", "M"], "years": [2024], "counts": [[300], [200]]},
    "form": {"levels": ["labour", "organ"], "years": [2024], "counts": [[480], [None]]},
    "age_band": {"levels": ["0-11", "12-17", "18-22", "23-29"], "years": [2024],
                 "counts": [[20], [100], [180], [200]]}}


def realistic_overlap(k: int = 10) -> dict:
    """The public overlap of :data:`OVERLAP` as publish() makes it (pooled, then protected)."""
    import pandas as pd

    from zicht.monitor.disclosure import protect_series
    from zicht.monitor.pooling import is_pool, pool_combinations

    combos = pd.Series(OVERLAP).sort_values(ascending=False, kind="stable")
    pooled = pool_combinations(combos, k)
    p = protect_series(pooled, k=k, total=False, known_total=True)
    return {"year": 2024, "withheld": False, "total": int(combos.sum()), "combinations": [
        {"reporters": c, "persons": None if pd.isna(v) else int(v),
         "suppressed": bool(p.suppressed[c]), "pooled": is_pool(c)}
        for c, v in p.published.items()]}


def protection_rows() -> list[dict]:
    """Two years of a hand-made registry with a protection gap (report rows for
    ``tests.monitor.test_protection._data``): with a complaint three quarters placed in
    shelter, without one a quarter; 11 persons with a complaint referred to care against 4
    without (a row to suppress at k = 10)."""
    rows = []
    for year, with_n, without_n in ((2023, 50, 70), (2024, 60, 80)):
        rows += [{"person": f"w{year}-{i}", "year": year, "complaint": "yes", "requested": "yes",
                  "placed": "yes" if i < 0.75 * with_n else "no",
                  "referred": "yes" if i < 11 else "no"} for i in range(with_n)]
        rows += [{"person": f"o{year}-{i}", "year": year, "complaint": "no", "requested": "yes",
                  "placed": "yes" if i < without_n // 4 else "no",
                  "referred": "yes" if i < 4 else "no"} for i in range(without_n)]
    return rows


_BUILT: list[str] = []  # the publication's text, built once per test process


def sample_publication(path: Path) -> Path:
    """Write the sample publication to ``path`` (built once per process: ~2.5 s, and the
    same document every time but for its build time and the methods' timings)."""
    if not _BUILT:
        _BUILT.append(_build(path))
    path.write_text(_BUILT[0])
    return path


def _build(path: Path) -> str:
    from zicht.mse import compare, load_dataset

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    pub = build_publication(data, path, k=K, compare_methods=False, today=2025)
    c = compare(load_dataset("korea"), lcmcr_settings={"burnin": 200, "samples": 100,
                                                        "thinning": 2})
    pub["analyst"]["comparison"] = {
        "year": 2024, "observed": c.observed, "lists": list(c.lists), "findings": c.findings,
        "rows": [{k: v for k, v in r.items() if k != "result"} for r in c.to_dict()],
        "chart": c.plot().to_dict(),
        # the lists' sensitivity as publish() computes it; a hand-made linkage band (the
        # sample has no linkage folder)
        "sensitivity": _sensitivity(load_dataset("korea"), path.parent, 2024)}
    # the band around the chosen linkage (threshold 0.7, not the first row): 10 % lower at
    # 0.5, 10 % higher at 0.9
    sens = pub["analyst"]["comparison"]["sensitivity"]
    base = sens["lists"][0]["estimate"]
    sens["linkage"] = [
        {"label": f"threshold {t}", "observed": c.observed, "estimate": base * f,
         "ci_low": base * f * 0.8, "ci_high": base * f * 1.3, "note": ""}
        for t, f in (("0.5", 0.9), ("0.7", 1.0), ("0.9", 1.1))]
    sens["chosen"] = "threshold 0.7"
    pub["analyst"]["strata"] = {"year": 2024, "method": "stepwise", "by": {"sex": {
        "rows": [{"level": "F", "observed": 300, "estimate": 1200.0, "ci_low": 900.0,
                  "ci_high": 1700.0, "model": "POL:ZC", "status": "ok"},
                 {"level": "M", "observed": 200, "estimate": 900.0, "ci_low": 600.0,
                  "ci_high": 1500.0, "model": "main effects only", "status": "ok"}],
        "total": {"observed": 500, "estimate": 2100.0, "ci_low": 1650.0, "ci_high": 2800.0},
        "note": ""}, "form": {
        "rows": [{"level": "labour", "observed": 480, "estimate": 2000.0, "ci_low": 1500.0,
                  "ci_high": 2900.0, "model": "POL:ZC", "status": "ok"},
                 {"level": "organ", "observed": 1, "estimate": None, "ci_low": None,
                  "ci_high": None, "model": "", "status": "fewer than two lists saw anyone"}],
        "total": None, "note": ""}}}
    # one model over all years beside the published estimates (hand-made numbers)
    import numpy as np

    from zicht.mse.series import SeriesResult

    pub["analyst"]["series"] = SeriesResult(
        "series log-linear", [2023, 2024], np.array([5.0, 6.0]), np.array([14.0, 17.0]),
        np.diag([9.0, 16.0])).to_dict()
    # two years give no trend; the pages' trend is hand-made, as publish() writes one from
    # the joint fit of ten years
    pub["public"]["trend"] = {"per_year": 0.05, "ci_low": 0.01, "ci_high": 0.09,
                              "significant": True, "from": "series", "first": 2023,
                              "last": 2024}
    # the hand-made year is too small to publish its overlap (withheld); give the pages a
    # realistic list, pooled and protected as publish() does it
    pub["public"]["overlap"] = realistic_overlap()
    # the hand-made breakdowns publish no count of 2024, so no group estimate either; give the
    # pages the estimates by group as publish() protects them against realistic breakdowns
    from zicht.monitor.publish import public_groups

    strata = {**pub["analyst"]["strata"], "by": {**pub["analyst"]["strata"]["by"], "minor": {
        "rows": [{"level": "minor", "observed": 120, "estimate": 640.0, "ci_low": 410.0,
                  "ci_high": 1150.0, "model": "main effects only", "status": "ok"},
                 {"level": "adult", "observed": 380, "estimate": 1460.0, "ci_low": 1120.0,
                  "ci_high": 2010.0, "model": "POL:ZC", "status": "ok"}],
        "total": {"observed": 500, "estimate": 2100.0, "ci_low": 1610.0, "ci_high": 2900.0},
        "note": ""}}}
    pub["public"]["groups"] = public_groups({2024: strata}, REALISTIC_BREAKDOWNS, 10)
    # the hand-made persons are too few to compare with and without a complaint: the pages
    # get the protection of a larger hand-made registry, as publish() protects it
    from tests.monitor.test_protection import _data
    from zicht.monitor.protection import published

    pub["public"]["protection"] = published(_data(protection_rows()), k=10)
    # the hand-made registered persons are suppressed at k = 10, so no capacity is computed:
    # the pages get the capacity needed for a realistic year, as publish() computes it
    from zicht.monitor.capacity import compute, load_capacity

    chain = [{"year": 2024, "area": "NL", "measure": m, "value": v}
             for m, v in (("police_cases_to_om", 240), ("prosecutions", 150))]
    whatif = {"categories": [{"category": "ZC", "now": {"registered": 980.0}, "scenarios": [
        {"key": "police", "obligation": {"registered": 1210.0}}]}]}
    # the hand-made reports record no modus operandi: the pages get a simulated registry's
    # (nl-modus-trend, read with its true persons), as publish() protects it
    from tests.monitor.test_modus import truth_data
    from zicht.monitor.modus import published as published_modus

    pub["public"]["modus"] = published_modus(truth_data("nl-modus-trend", [2023, 2024], 3000,
                                                        2), k=10)
    estimate = [{"year": 2024, "estimate": 5200.0, "ci_low": 4100.0, "ci_high": 7000.0}]
    pub["public"]["capacity"] = compute(load_capacity(), {2023: 950, 2024: 1000}, chain,
                                        estimate, whatif,
                                        {1: {"2024": 14.5}, 2: {"2024": 12.0}})
    return json.dumps(pub)
