"""Reading a publication: one module that loads, checks and offers the views of the JSON file
``zicht monitor publish`` writes (:mod:`zicht.monitor.publish`).

The dashboard and the annual report both read the publication through :func:`load`, so both
refuse the same broken files with the same message and compute the same views from it:

* :data:`FORMAT_VERSION` - the version of the file's shape, written into the file as
  ``format_version``; a file without one (published before the version existed) is read as
  version 1 when its shape is right, a version this code does not know is refused;
* :class:`PublicationError` - a ``ValueError`` with one line naming what is wrong: the file is
  missing or not JSON, a key is missing, a value has the wrong type, the version is unknown;
* :class:`Publication` - the checked file as a read-only mapping (``pub["public"]`` works as
  on the raw dict) with the views the pages and the report compute from it: the series of an
  indicator, the latest year, the estimates with their intervals, the published levels of a
  breakdown, whether a breakdown holds Caribbean regions, the publication cut at a year.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from ..codes import CARIBBEAN_REGIONS

# 2: small categories pooled before disclosure control (overlap codes ``other:<n>``,
# breakdowns' ``pooled``) and the public estimates by group (``public.groups``); a file of
# version 1 is still read (it has neither), a zicht that reads only 1 refuses a 2 by name.
# 3: protection with and without a complaint (``public.protection``) and indicators whose
# values carry an interval (``low``, ``high``); versions 1 and 2 are read (without them)
# 4: the capacity needed per agency and development line (``public.capacity``) and the modus
# operandi (``public.modus``); 1-3 are read
FORMAT_VERSION = 4
READS = (1, 2, 3, 4)  # the format versions this code reads

# the keys every publication has, with their JSON types (dotted: inside "public" / "analyst")
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "years": list, "latest_year": int, "k": int, "public": dict, "analyst": dict,
    "public.indicators": list, "public.breakdowns": dict,
}
# keys a publication may lack (or hold null); when present they have these types
OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "built_at": str, "zicht_version": str, "inputs": dict,
    "public.estimates": list, "public.overlap": dict, "public.targets": list,
    "public.programme": list, "analyst.breakdowns": dict, "analyst.overlap": dict,
    "analyst.comparison": dict, "analyst.calibration": dict, "analyst.strata": dict,
    "public.trend": dict, "public.hidden": dict, "analyst.series": dict,
    "public.whatif": dict, "public.groups": dict, "public.protection": dict,
    "public.capacity": dict, "public.modus": dict,
}
INDICATOR_KEYS: dict[str, type | tuple[type, ...]] = {
    "key": str, "version": (int, str), "name_nl": str, "name_en": str, "unit": str,
    "values": list}
BREAKDOWN_KEYS: dict[str, type | tuple[type, ...]] = {"levels": list, "years": list,
                                                      "counts": list}
# the public what-if of a reporting obligation (zicht.monitor.whatif.published_whatif)
WHATIF_KEYS: dict[str, type | tuple[type, ...]] = {
    "replicates": int, "seed": int, "method": str, "victims": int, "categories": list}
WHATIF_CATEGORY_KEYS: dict[str, type | tuple[type, ...]] = {
    "category": str, "rate_now": (int, float), "scenarios": list}
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", int: "an integer",
               float: "a number", bool: "true or false", type(None): "null"}


class PublicationError(ValueError):
    """A file that is not a publication this code reads (the message says why, in one line)."""


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # JSON true/false is no integer
        return kind is bool or (isinstance(kind, tuple) and bool in kind)
    return isinstance(value, kind)


def _wanted(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_JSON_TYPES.get(k, k.__name__) for k in kinds)


def _get(doc: dict, dotted: str) -> tuple[bool, Any]:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _check_keys(node: dict, keys: dict, where: str, name: str, required: bool) -> None:
    for key, kind in keys.items():
        label = f"{where}{key}"
        present, value = _get(node, key)
        if not present or value is None:
            if required:
                raise PublicationError(f"{name}: not a publication (missing key {label!r})")
            continue
        if not _is(value, kind):
            raise PublicationError(f"{name}: {label} is {_type_name(value)}, not "
                                   f"{_wanted(kind)}")


def format_version(doc: dict, name: str = "publication") -> int:
    """The file's format version (1 for a file written before versions existed)."""
    version = doc.get("format_version", 1)
    if not _is(version, int):
        raise PublicationError(f"{name}: format_version is {_type_name(version)}, not an "
                               "integer")
    if version not in READS:
        reads = ", ".join(map(str, READS))
        raise PublicationError(f"{name}: format version {version} is not one this zicht reads "
                               f"(it reads {reads}); update zicht or publish again")
    return version


def check(doc: Any, name: str = "publication") -> None:
    """Raise :class:`PublicationError` unless ``doc`` (the parsed JSON) is a publication of a
    format version this code reads, with every key the readers rely on of the right type."""
    if not isinstance(doc, dict):
        raise PublicationError(f"{name}: not a publication (the file holds "
                               f"{_type_name(doc)}, not an object)")
    format_version(doc, name)
    _check_keys(doc, REQUIRED, "", name, required=True)
    _check_keys(doc, OPTIONAL, "", name, required=False)
    if not doc["years"]:
        raise PublicationError(f"{name}: not a publication (its list of years is empty)")
    for i, year in enumerate(doc["years"]):
        if not _is(year, int):
            raise PublicationError(f"{name}: years[{i}] is {_type_name(year)}, not an integer")
    if doc["latest_year"] not in doc["years"]:
        raise PublicationError(f"{name}: latest_year {doc['latest_year']} is not one of its "
                               "years")
    for i, ind in enumerate(doc["public"]["indicators"]):
        where = f"public.indicators[{i}]"
        if not isinstance(ind, dict):
            raise PublicationError(f"{name}: {where} is {_type_name(ind)}, not an object")
        _check_keys(ind, INDICATOR_KEYS, where + ".", name, required=True)
        for j, value in enumerate(ind["values"]):
            if not isinstance(value, dict) or not _is(value.get("year"), int):
                raise PublicationError(f"{name}: {where}.values[{j}] has no integer year")
    for by, table in doc["public"]["breakdowns"].items():
        where = f"public.breakdowns.{by}"
        if not isinstance(table, dict):
            raise PublicationError(f"{name}: {where} is {_type_name(table)}, not an object")
        _check_keys(table, BREAKDOWN_KEYS, where + ".", name, required=True)
    for i, e in enumerate(doc["public"].get("estimates") or []):
        if not isinstance(e, dict) or not _is(e.get("year"), int):
            raise PublicationError(f"{name}: public.estimates[{i}] has no integer year")
    protection = doc["public"].get("protection")
    if protection is not None:
        _check_keys(protection, {"cells": list, "outcomes": list}, "public.protection.", name,
                    required=True)
        for i, c in enumerate(protection["cells"]):
            if not isinstance(c, dict) or not _is(c.get("year"), int) \
                    or not isinstance(c.get("outcome"), str):
                raise PublicationError(f"{name}: public.protection.cells[{i}] has no integer "
                                       "year and outcome")
    capacity = doc["public"].get("capacity")
    if capacity is not None:
        _check_keys(capacity, {"version": str, "year": int, "agencies": list,
                               "scenarios": list, "lines": list}, "public.capacity.", name,
                    required=True)
    modus = doc["public"].get("modus")
    if modus is not None:
        _check_keys(modus, {"kinds": dict, "breakdowns": list, "cells": list}, "public.modus.",
                    name, required=True)
        for i, c in enumerate(modus["cells"]):
            if not isinstance(c, dict) or not _is(c.get("year"), int) \
                    or not isinstance(c.get("code"), str):
                raise PublicationError(f"{name}: public.modus.cells[{i}] has no integer year "
                                       "and code")
    groups = doc["public"].get("groups")
    if groups is not None:
        _check_keys(groups, {"years": list, "by": dict}, "public.groups.", name, required=True)
    whatif = doc["public"].get("whatif")
    if whatif is not None:
        _check_keys(whatif, WHATIF_KEYS, "public.whatif.", name, required=True)
        for i, c in enumerate(whatif["categories"]):
            where = f"public.whatif.categories[{i}]"
            if not isinstance(c, dict):
                raise PublicationError(f"{name}: {where} is {_type_name(c)}, not an object")
            _check_keys(c, WHATIF_CATEGORY_KEYS, where + ".", name, required=True)


def estimate_interval(e: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """An estimate's published interval: the combined (statistical + linkage) band when the
    publication has one, else the statistical interval."""
    low = e.get("combined_low") if e.get("combined_low") is not None else e.get("ci_low")
    high = e.get("combined_high") if e.get("combined_high") is not None else e.get("ci_high")
    return low, high


class Publication(Mapping[str, Any]):
    """A checked publication: read-only access to the file's keys (``pub["public"]``) and the
    views the dashboard and the report share."""

    def __init__(self, doc: dict, name: str = "publication"):
        check(doc, name)
        self.doc = doc
        self.name = name

    # the raw file, as a mapping
    def __getitem__(self, key: str) -> Any:
        return self.doc[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.doc)

    def __len__(self) -> int:
        return len(self.doc)

    def __repr__(self) -> str:
        return f"Publication({self.name!r}, years {self.years[0]}-{self.latest_year})"

    # -- plain facts
    @property
    def format_version(self) -> int:
        return format_version(self.doc, self.name)

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.doc["years"])

    @property
    def latest_year(self) -> int:
        return int(self.doc["latest_year"])

    @property
    def k(self) -> int:
        return int(self.doc["k"])

    @property
    def public(self) -> dict:
        return self.doc["public"]

    @property
    def analyst(self) -> dict:
        return self.doc["analyst"]

    # -- indicators
    @cached_property
    def indicators(self) -> dict[str, dict]:
        """The published indicators by key."""
        return {i["key"]: i for i in self.public["indicators"]}

    def series(self, key: str) -> dict[int, float | None]:
        """An indicator's values by year (None: suppressed); empty when it is not published."""
        ind = self.indicators.get(key)
        return {} if ind is None else {int(v["year"]): v["value"] for v in ind["values"]}

    def value(self, key: str, year: int | None = None) -> float | None:
        """An indicator's value in ``year`` (default: the latest year); None when suppressed or
        absent."""
        return self.series(key).get(self.latest_year if year is None else int(year))

    def registered_by_year(self) -> dict[int, float | None]:
        """The published number of registered persons per year."""
        return self.series("registered_persons")

    # -- estimates
    @cached_property
    def estimates(self) -> dict[int, dict]:
        """Every published estimate row by year, with or without a number."""
        return {int(e["year"]): e for e in self.public.get("estimates") or []}

    def estimate(self, year: int | None = None) -> dict | None:
        """The estimate of ``year`` (default: the latest) when it has a number, else None."""
        e = self.estimates.get(self.latest_year if year is None else int(year))
        return e if e and e.get("estimate") is not None else None

    @property
    def trend(self) -> dict | None:
        """The published trend (``per_year``, ``ci_low``, ``ci_high``, ``significant``, ``from``
        and the years it spans, ``first`` and ``last``), None without one."""
        return self.public.get("trend")

    def trend_span(self) -> tuple[int, int] | None:
        """The first and last year of the published trend (a publication that does not name
        them: its first and last estimated year); None without a trend."""
        trend = self.trend
        if not trend:
            return None
        if trend.get("first") is not None and trend.get("last") is not None:
            return int(trend["first"]), int(trend["last"])
        years = sorted(y for y in self.estimates if self.estimate(y) is not None)
        return (years[0], years[-1]) if years else None

    @property
    def hidden(self) -> dict | None:
        """The sensitivity range for victims no reporter can see (``year``; ``rows`` of
        ``share``, ``estimate``, ``ci_low``, ``ci_high``), None in a publication without it."""
        return self.public.get("hidden")

    def estimate_interval(self, year: int | None = None) -> tuple[float | None, float | None]:
        """The published interval of the estimate of ``year`` (see :func:`estimate_interval`);
        (None, None) without an estimate."""
        e = self.estimate(year)
        return (None, None) if e is None else estimate_interval(e)

    # -- breakdowns
    def breakdown(self, by: str) -> dict | None:
        """The public (disclosure-controlled) table of a breakdown, None when absent."""
        return self.public["breakdowns"].get(by)

    def published_levels(self, by: str, year: int) -> set[str]:
        """The levels of a public breakdown whose count of persons is published for ``year``."""
        table = self.breakdown(by)
        if not table or year not in table["years"]:
            return set()
        i = table["years"].index(year)
        return {level for level, counts in zip(table["levels"], table["counts"], strict=True)
                if counts[i] is not None}

    def caribbean(self, by: str) -> bool:
        """Whether a breakdown holds regions of the Caribbean part of the Kingdom (small
        numbers, often suppressed: the readers warn)."""
        table = self.breakdown(by)
        return by == "region" and table is not None and any(
            level in CARIBBEAN_REGIONS for level in table["levels"])

    # -- the other parts
    @property
    def overlap(self) -> dict:
        return self.public.get("overlap") or {}

    @property
    def targets(self) -> list[dict]:
        return self.public.get("targets") or []

    @property
    def programme(self) -> list[dict]:
        return self.public.get("programme") or []

    @property
    def comparison(self) -> dict | None:
        return self.analyst.get("comparison")

    @property
    def calibration(self) -> dict | None:
        return self.analyst.get("calibration")

    @property
    def groups(self) -> dict | None:
        """The public estimates by group (``years``; ``by`` -> year -> ``rows`` of ``level``,
        ``estimate``, ``ci_low``, ``ci_high``, ``reason``, and ``total``), None without them."""
        return self.public.get("groups")

    @property
    def strata(self) -> dict | None:
        return self.analyst.get("strata")

    def upto(self, year: int) -> Publication:
        """The publication as far as the trend charts need it: indicator values and estimates
        up to ``year``."""
        public = dict(self.public)
        public["indicators"] = [{**i, "values": [v for v in i["values"] if v["year"] <= year]}
                                for i in public["indicators"]]
        public["estimates"] = [e for e in public.get("estimates") or [] if e["year"] <= year]
        return Publication({**self.doc, "public": public}, self.name)


def parse(doc: Any, name: str = "publication") -> Publication:
    """A parsed JSON document as a :class:`Publication` (checked)."""
    return doc if isinstance(doc, Publication) else Publication(doc, name)


def load(path: str | Path) -> Publication:
    """Read and check a publication file; :class:`PublicationError` when it is missing,
    unreadable, not JSON or not a publication this code reads."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PublicationError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PublicationError(f"{path}: cannot read it "
                               f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublicationError(f"{path}: not a publication (not JSON: line {exc.lineno})"
                               ) from None
    return Publication(doc, str(path))
