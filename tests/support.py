"""Helpers shared by the test packages: R reference look-ups, error-message checks, and
folders built once per test session (shared by the pytest-xdist workers)."""
import fcntl
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from hypothesis import settings

from zicht.mse.data import CaptureHistories
from zicht.mse.datasets import path as dataset_path

# -- Hypothesis profiles (loaded by tests/conftest.py, chosen by HYPOTHESIS_PROFILE) ------------
try:
    from hypothesis._settings import is_in_ci  # what Hypothesis itself takes for a CI
except ImportError:  # pragma: no cover - moved in a later Hypothesis
    def is_in_ci() -> bool:
        return "CI" in os.environ

DEV_EXAMPLES = 10
settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if is_in_ci() else "dev")


def examples(n: int) -> int:
    """A test's own number of Hypothesis examples: all ``n`` in the ``ci`` profile (``make
    test``), at most ``DEV_EXAMPLES`` in ``dev`` (the quick loop).  Write
    ``@settings(max_examples=examples(400))``: an explicit ``@settings`` wins over a profile."""
    return n if PROFILE != "dev" else min(n, DEV_EXAMPLES)


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


# -- built once per session ------------------------------------------------------------------
def shared_root(tmp_path_factory) -> Path:
    """A folder every process of this test session sees: pytest's base temp of the session
    (under pytest-xdist the parent of the workers' own base temps, which is per session too)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory, name: str, build: Callable[[Path], object]):
    """``build(folder)`` run once per test session however many xdist workers ask, into
    ``<shared root>/<name>``; returns ``(folder, what build returned)`` - a JSON value, read back
    by the workers that did not build.  The first worker to ask builds while the others wait
    on a lock file; a build that fails is tried again by the next worker to ask (each then
    reports the error).  The folder is shared: a test that changes it must work on a copy."""
    root = shared_root(tmp_path_factory)
    folder, done = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                if folder.exists():
                    shutil.rmtree(folder)  # what a failed attempt left
                folder.mkdir()
                done_value = build(folder)
                done.write_text(json.dumps({"value": done_value}))
            return folder, json.loads(done.read_text())["value"]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time: compared before and
    after the tests that share a folder, so that one writing into it is found."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}
