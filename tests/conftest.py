import json
from pathlib import Path

import pytest

from zicht.mse.data import CaptureHistories
from zicht.mse.datasets import path as dataset_path

REF_DIR = Path(__file__).parent / "references"
REFERENCES = json.loads((REF_DIR / "reference.json").read_text())["results"]


def refs(r_method: str, **settings):
    """Reference entries of one R method (optionally filtered on settings)."""
    out = []
    for r in REFERENCES:
        if r["method"] != r_method:
            continue
        s = r.get("settings") or {}
        if all(s.get(k) == v for k, v in settings.items()):
            out.append(r)
    return out


def ids(entries):
    return [e["dataset"].removesuffix(".csv") for e in entries]


def load(file_name: str) -> CaptureHistories:
    with dataset_path(file_name).open() as fh:
        return CaptureHistories.from_csv(fh)


def rel(a, b):
    return abs(a - b) / abs(b)


@pytest.fixture
def uk5():
    return load("SparseMSE__UKdat_5.csv")
