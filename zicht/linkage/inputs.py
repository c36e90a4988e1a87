"""Reports for linkage, always pseudonymised, from one of two sources:

- a **registry export** (``zicht export --out DIR``: ``DIR/reports.parquet``, or the file
  itself), which carries the token scheme and the key fingerprint in its Parquet metadata;
- a **``zicht simulate`` folder** (``manifest.json`` + ``reports.parquet`` or ``.csv``), whose
  clear names and birth dates are turned into tokens here by the function the registry's
  intake uses, :func:`zicht.tokens.pseudonymise_frame` (one function, in one place), and then
  dropped; its truth (report -> person) and its lists for estimation come along.

Whatever the source, the result holds no clear identifier.  Bad input (no such path, an empty
file, missing token columns, an export made under another key) raises
:class:`LinkageInputError` with one line saying what is wrong; nothing is written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..tokens import (
    CLEAR_COLUMNS,
    SCHEME,
    TOKEN_FIELDS,
    Pseudonymiser,
    normalise_country,
    pseudonymise_frame,
)

log = logging.getLogger(__name__)
META_SCHEME = b"zicht.scheme"
META_FINGERPRINT = b"zicht.key_fingerprint"


class LinkageInputError(ValueError):
    """The reports cannot be linked as given (the message says why)."""


# content columns that order an export's rows (see _export)
ORDER_KEYS = ("received_date", "organisation", "source_ref", "reference_year",
              "reporter_category", "tok_name_sorted", "tok_birth_date", "tok_given", "tok_surname")


@dataclass
class Reports:
    frame: pd.DataFrame  # one row per report: report_id, attributes, token columns
    fingerprint: str  # of the key the tokens were made with
    source: str  # "export" or "simulation"
    truth: pd.DataFrame | None = None  # report_id, person_id (simulations only)
    lists: dict[str, tuple[str, ...]] | None = None  # a simulation's lists (its manifest's)


def load_reports(path: str | Path, pseudonymiser: Pseudonymiser | None = None,
                 expect_fingerprint: str | None = None) -> Reports:
    """Reports from a registry export or a simulation folder (see the module's text).

    ``pseudonymiser`` pseudonymises a simulation (default: the key from the environment); for
    an export it is only used to check that the export was made under the same key.
    ``expect_fingerprint`` must match the tokens' key fingerprint when given."""
    path = Path(path)
    if not path.exists():
        raise LinkageInputError(f"{path}: no such file or folder")
    if path.is_dir() and (path / "manifest.json").exists():
        reports = _simulation(path, pseudonymiser)
    else:
        file = path / "reports.parquet" if path.is_dir() else path
        if not file.is_file():
            raise LinkageInputError(f"{path}: neither a registry export (reports.parquet) nor "
                                    "a zicht simulate folder (manifest.json)")
        reports = _export(file)
        if pseudonymiser is not None and pseudonymiser.fingerprint != reports.fingerprint:
            raise LinkageInputError(
                f"{file}: made under another pseudonymisation key (fingerprint "
                f"{reports.fingerprint}, this key's is {pseudonymiser.fingerprint})")
    if expect_fingerprint is not None and expect_fingerprint != reports.fingerprint:
        raise LinkageInputError(f"{path}: key fingerprint {reports.fingerprint}, expected "
                                f"{expect_fingerprint}: tokens of different keys never match")
    clear = [c for c in CLEAR_COLUMNS if c in reports.frame.columns]
    assert not clear, f"clear identifiers reached linkage: {clear}"  # a bug, not bad input
    return reports


def _export(file: Path) -> Reports:
    try:
        parquet = pq.ParquetFile(file)
    except Exception as exc:  # pyarrow names the problem (not Parquet, truncated, ...)
        raise LinkageInputError(f"{file}: not a readable Parquet file ({exc})") from None
    meta = parquet.schema_arrow.metadata or {}
    if META_FINGERPRINT not in meta:
        raise LinkageInputError(f"{file}: no key fingerprint in its metadata: not a zicht "
                                "registry export (make one with `zicht export`)")
    scheme = meta.get(META_SCHEME, b"").decode()
    if scheme != SCHEME:
        raise LinkageInputError(f"{file}: token scheme {scheme!r}, this zicht reads {SCHEME!r}")
    names = set(parquet.schema_arrow.names)
    missing = [c for c in ("report_id", *TOKEN_FIELDS) if c not in names]
    if missing:
        raise LinkageInputError(f"{file}: missing column(s) {', '.join(missing)}")
    if parquet.metadata.num_rows == 0:
        raise LinkageInputError(f"{file}: no reports in it")
    frame = parquet.read().to_pandas()
    # The registry's report ids are random (UUIDs), so its row order differs between two
    # registries holding the same reports; Splink's seeded sampling depends on row order.
    # Ordering by content makes the same reports give the same links.
    keys = [c for c in ORDER_KEYS if c in frame.columns]
    frame = frame.sort_values(keys, kind="stable", na_position="last", ignore_index=True)
    return Reports(frame, meta[META_FINGERPRINT].decode(), "export")


def _simulation(folder: Path, pseudonymiser: Pseudonymiser | None) -> Reports:
    pseudonymiser = pseudonymiser or Pseudonymiser()
    if (folder / "reports.parquet").exists():
        frame = pd.read_parquet(folder / "reports.parquet")
    elif (folder / "reports.csv").exists():
        frame = pd.read_csv(folder / "reports.csv", dtype=str, keep_default_na=False)
    else:
        raise LinkageInputError(f"{folder}: a simulation folder without reports.parquet or "
                                "reports.csv")
    if frame.empty:
        raise LinkageInputError(f"{folder}: the simulation has no reports")
    missing = [c for c in ("report_id", *CLEAR_COLUMNS) if c not in frame.columns]
    if missing:
        raise LinkageInputError(f"{folder}: reports lack column(s) {', '.join(missing)}")
    truth = None
    for name in ("truth_reports.parquet", "truth_reports.csv"):
        if (folder / name).exists():
            truth = (pd.read_parquet(folder / name) if name.endswith(".parquet")
                     else pd.read_csv(folder / name))
            truth = truth[["report_id", "person_id"]]
            break
    frame = pseudonymise_frame(frame, pseudonymiser)
    for column in ("nationality", "country_of_birth"):  # alpha-3, as intake stores it
        if column in frame.columns:
            frame[column] = _as_alpha3(frame[column])
    return Reports(frame, pseudonymiser.fingerprint, "simulation", truth,
                   scenario_lists(folder))


def scenario_lists(folder: Path) -> dict[str, tuple[str, ...]] | None:
    """The lists for estimation a simulation folder was made with (list -> reporter
    categories): the ``mse_lists`` its ``manifest.json`` carries.

    A folder written before the manifest carried them (zicht before issue 15) names only its
    scenario: a shipped scenario of that name (or a scenario file still at that path) gives
    its lists; when there is none, the answer is None (linkage then uses its default lists),
    with a warning.  A manifest that is not a JSON object, or lists that are not a mapping of
    names to categories, raise :class:`LinkageInputError`."""
    file = Path(folder) / "manifest.json"
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LinkageInputError(f"{file}: not a readable simulation manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise LinkageInputError(f"{file}: not a simulation manifest (expected a JSON object)")
    lists = manifest.get("mse_lists")
    if lists is not None:
        if not (isinstance(lists, dict) and all(
                isinstance(cats, list) and all(isinstance(c, str) for c in cats)
                for cats in lists.values())):
            raise LinkageInputError(f"{file}: mse_lists is not a mapping of list names to "
                                    "reporter categories")
        return {str(name): tuple(cats) for name, cats in lists.items()}
    return _lists_of_named_scenario(file, manifest.get("scenario"))


def _lists_of_named_scenario(file: Path, name) -> dict[str, tuple[str, ...]] | None:
    """An older manifest's lists: those of the scenario it names, if that can still be
    found; else None (and a warning)."""
    from ..simulate.scenario import ScenarioError, load_scenario

    if not isinstance(name, str) or not name:
        log.warning("%s: no mse_lists and no scenario named; the default lists apply", file)
        return None
    try:
        scenario = load_scenario(name)
    except ScenarioError as exc:
        log.warning("%s: no mse_lists, and its scenario cannot be loaded (%s); the default "
                    "lists apply", file, exc)
        return None
    return {k: tuple(v) for k, v in scenario.mse_lists.items()}


def _as_alpha3(values: pd.Series) -> pd.Series:
    """Country values as the registry's intake normalises them (alpha-2, names and Dutch
    adjectives become alpha-3; unknown values stay as written)."""
    text = values.fillna("").astype(str)
    mapping = {v: (normalise_country(v) or v) if v else "" for v in text.unique()}
    return text.map(mapping)
