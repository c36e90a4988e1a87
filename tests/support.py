"""Helpers shared by the test packages: R reference look-ups and error-message checks."""
import json
import re
from pathlib import Path

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


def names_row(message: str, row: int) -> bool:
    """'row 3' (1-based data row) or 'line 4' (file line, the header is line 1)."""
    return re.search(rf"\b(row {row}|line {row + 1})\b", message) is not None


def names_column(message: str, column: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(column)}(?!\w)", message) is not None


def assert_error_names(message: str, row: int | None, column: str | None, text: str | None):
    """An input error is one line naming the data row, the column and, where given, a phrase."""
    assert "\n" not in message, message
    assert row is None or names_row(message, row), message
    assert column is None or names_column(message, column), message
    assert text is None or text in message, message
