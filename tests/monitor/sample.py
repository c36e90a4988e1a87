"""A publication built from the hand-made dataset of test_indicators, with a method comparison
in its analyst part (Korea), for the web and browser tests."""

import json
from pathlib import Path

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.monitor.inputs import MonitorData
from zicht.monitor.publish import build_publication

K = 2  # the dataset is tiny: with k = 2 every count of one person is suppressed


def sample_publication(path: Path) -> Path:
    from zicht.mse import compare, load_dataset

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    pub = build_publication(data, path, k=K, compare_methods=False, today=2025)
    c = compare(load_dataset("korea"), lcmcr_settings={"burnin": 200, "samples": 100,
                                                        "thinning": 2})
    pub["analyst"]["comparison"] = {
        "year": 2024, "observed": c.observed, "lists": list(c.lists), "findings": c.findings,
        "rows": [{k: v for k, v in r.items() if k != "result"} for r in c.to_dict()],
        "chart": c.plot().to_dict()}
    path.write_text(json.dumps(pub))
    return path
