"""A publication with the public what-if of a reporting obligation, for the web, report and
browser tests: the sample publication (tests/monitor/sample.py) and ``public.whatif`` computed
by :func:`zicht.monitor.whatif.published_whatif` on a calibration like the demo's 2024 (two
categories with at least k persons; a few simulated years, to stay quick)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.monitor.sample import sample_publication
from zicht.monitor.whatif import published_whatif

CALIBRATION = {"year": 2024, "victims": 3964.2,
               "persons": {"POL": 354, "ZC": 326, "NGO": 244, "NLA": 53, "KMAR": 67, "OPV": 4,
                           "JZ": 5, "GEM": 4, "IMM": 6, "SELF": 2, "ZORG": 3, "OTH": 3,
                           "CAR": 2}}
K, REPLICATES, SEED = 10, 4, 7


def whatif_section(replicates: int = REPLICATES, seed: int = SEED) -> dict:
    return published_whatif(CALIBRATION, K, replicates=replicates, seed=seed)


def whatif_publication(path: Path) -> Path:
    """The sample publication with ``public.whatif``; its path."""
    sample_publication(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["public"]["whatif"] = json.loads(json.dumps(whatif_section()))
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path
