"""Chain figures (police, prosecution, courts) and programme capacity, imported from CSV,
validated and versioned.

A chain file has one row per figure::

    year,area,measure,value,development_line,source
    2023,NL,police_cases_to_om,212,,Politie jaarverslag 2023
    2023,NL,fte,14.5,1,Programma Samen tegen mensenhandel

``measure`` is one of :data:`MEASURES`: counts (whole numbers) for the chain, FTE and euros per
development line (1-5, required for those and empty otherwise).  ``area``: NL or a Caribbean
area (CN, AW, CW, SX).  Every error names the line and column, and nothing is stored until the
whole file is valid.

:class:`ChainStore` keeps every import as a numbered version (``chain_v3.csv``) with its hash,
time and source file in ``manifest.json``; importing the same content again creates no new
version.  Indicators read the newest version unless told otherwise, and a published number names
the version it was made with.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..tabular import write_csv

MEASURES = {
    "police_cases_to_om": ("zaken van politie naar OM", "police cases to the prosecution", "count"),
    "prosecutions": ("vervolgingen", "prosecutions", "count"),
    "convictions": ("veroordelingen", "convictions", "count"),
    "dismissals": ("sepots", "dismissals", "count"),
    "fte": ("capaciteit (fte)", "capacity (FTE)", "line"),
    "budget_eur": ("budget (euro)", "budget (euro)", "line"),
}
AREAS = ("NL", "CN", "AW", "CW", "SX")
COLUMNS = ("year", "area", "measure", "value", "development_line", "source")


class ChainError(ValueError):
    """The chain file is invalid (the message names the line and column)."""


def read_chain_csv(path: str | Path) -> pd.DataFrame:
    """Read and validate a chain file; the result has typed columns."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ChainError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise ChainError(f"{path}: not a readable CSV file ({exc})") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ChainError(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise ChainError(f"{path}: no rows")
    rows = []
    for i, raw in enumerate(frame[list(COLUMNS)].itertuples(index=False), start=2):
        rows.append(_row(raw, f"{path}: line {i}"))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    key = ["year", "area", "measure", "development_line"]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        lines = [str(i + 2) for i in dup[dup].index[:2]]
        raise ChainError(f"{path}: lines {' and '.join(lines)} give the same figure twice "
                         "(year, area, measure, development line)")
    return out


def _row(raw, where: str) -> tuple:
    year_s, area, measure, value_s, line_s, source = (str(v).strip() for v in raw)
    # ASCII digits only: str.isdigit() also passes '²', which int() refuses
    if not (year_s.isascii() and year_s.isdigit()) or not 1990 <= int(year_s) <= 2100:
        raise ChainError(f"{where}, column 'year': {year_s!r} is not a year")
    if area not in AREAS:
        raise ChainError(f"{where}, column 'area': {area!r} (choose from {', '.join(AREAS)})")
    if measure not in MEASURES:
        raise ChainError(f"{where}, column 'measure': {measure!r} (choose from "
                         f"{', '.join(MEASURES)})")
    try:
        if not value_s.isascii():  # float() also reads Arabic-Indic and other digits
            raise ValueError(value_s)
        value = float(value_s)
    except ValueError:
        raise ChainError(f"{where}, column 'value': {value_s!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ChainError(f"{where}, column 'value': {value_s!r} must be a number >= 0")
    kind = MEASURES[measure][2]
    if kind == "count" and value != int(value):
        raise ChainError(f"{where}, column 'value': {measure} is a count, {value_s!r} is not "
                         "a whole number")
    if kind == "line":
        if line_s not in ("1", "2", "3", "4", "5"):
            raise ChainError(f"{where}, column 'development_line': {measure} needs a "
                             f"development line 1-5, got {line_s!r}")
        line = int(line_s)
    else:
        if line_s:
            raise ChainError(f"{where}, column 'development_line': {measure} is not per "
                             "development line; leave it empty")
        line = 0
    if not source:
        raise ChainError(f"{where}, column 'source': say where the figure comes from")
    return int(year_s), area, measure, value, line, source


@dataclass(frozen=True)
class ChainVersion:
    version: int
    sha256: str
    imported_at: str
    source_file: str
    rows: int
    years: tuple[int, ...]


class ChainStore:
    """Numbered, immutable versions of the chain figures in a folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @property
    def _manifest(self) -> Path:
        return self.folder / "manifest.json"

    def versions(self) -> list[ChainVersion]:
        if not self._manifest.exists():
            return []
        return [ChainVersion(**{**v, "years": tuple(v["years"])})
                for v in json.loads(self._manifest.read_text())]

    def import_csv(self, path: str | Path) -> ChainVersion:
        """Validate ``path`` and store it as the next version (or return the version that
        already holds the same figures)."""
        frame = read_chain_csv(path)
        # the text written is the text hashed (load() checks the file against it)
        canonical = write_csv(frame.sort_values(["year", "area", "measure",
                                                 "development_line"]))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        versions = self.versions()
        for v in versions:
            if v.sha256 == digest:
                return v
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(versions) + 1
        target = self.folder / f"chain_v{number}.csv"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(canonical, encoding="utf-8")
        os.replace(tmp, target)
        entry = ChainVersion(number, digest, datetime.now(UTC).isoformat(timespec="seconds"),
                             Path(path).name, len(frame),
                             tuple(sorted(int(y) for y in frame["year"].unique())))
        manifest = [{**v.__dict__, "years": list(v.years)} for v in [*versions, entry]]
        tmp = self._manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, self._manifest)
        return entry

    def load(self, version: int | None = None) -> tuple[ChainVersion, pd.DataFrame]:
        versions = self.versions()
        if not versions:
            raise ChainError(f"{self.folder}: no chain figures imported yet")
        chosen = versions[-1] if version is None else next(
            (v for v in versions if v.version == version), None)
        if chosen is None:
            raise ChainError(f"{self.folder}: no version {version} (1-{len(versions)})")
        file = self.folder / f"chain_v{chosen.version}.csv"
        if hashlib.sha256(file.read_bytes()).hexdigest() != chosen.sha256:
            raise ChainError(f"{self.folder}: chain_v{chosen.version}.csv does not match its "
                             "recorded hash (changed after import)")
        return chosen, pd.read_csv(file)
