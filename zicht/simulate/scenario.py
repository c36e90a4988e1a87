"""Scenarios: small YAML files that say what population exists and who sees whom.

A scenario fixes the truth a simulation starts from: how many victims there are each year, how
they are distributed (sex, age, nationality, form of exploitation, place), how likely each
reporter category is to detect a victim and for whom, how strongly some victims are hidden
from every list (heterogeneity), how much one organisation's detection raises another's
(dependence: referral), how many reports a detection yields and how noisy their identifiers are.
Every key is validated; an unknown key or an impossible value is an error naming the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .. import codes
from .modus import ModusOperandi, parse_modus
from .noise import NoiseConfig
from .protection import Protection, parse_protection

REPORTER_CATEGORIES = tuple(c for c in codes.REPORTER_CATEGORIES if c != "UNK")
FORMS = tuple(codes.FORMS)
SEXES = tuple(codes.SEXES)
REGIONS = ("NL", "BES", "ABW", "CUW", "SXM", "ABROAD")
# attributes a reporter's detection may depend on (log-odds shifts), see Reporter.effects
EFFECT_KEYS = tuple(
    [f"form.{f}" for f in FORMS] + [f"sex.{s}" for s in SEXES] + [f"region.{r}" for r in REGIONS]
    + ["minor", "dutch", "caribbean"]
)


class ScenarioError(ValueError):
    """A scenario file is invalid (the message names the key)."""


@dataclass(frozen=True)
class Reporter:
    """Detection by one reporter category.

    ``rate`` is the expected share of the year's victims it detects; ``effects`` are log-odds
    shifts for victims with an attribute (``form.LAB: 2.0``: labour victims are far more likely
    seen).  The intercept is solved so that the population average equals ``rate``.
    """

    rate: float
    effects: dict[str, float] = field(default_factory=dict)
    units: int = 1  # organisations within the category (police units, KMar districts)


@dataclass(frozen=True)
class Dependence:
    """Referral: a victim detected by ``source`` has its odds of detection by ``target``
    multiplied by ``odds_ratio``."""

    source: str
    target: str
    odds_ratio: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    victims_per_year: int
    carry_over: float
    sex: dict[str, float]
    minor: float
    form: dict[str, float]
    nationality: dict[str, float]
    region: dict[str, float]
    reporters: dict[str, Reporter]
    heterogeneity: tuple[tuple[float, float], ...]  # (share, log-odds shift for every list)
    dependence: tuple[Dependence, ...]
    duplicate_rate: float  # chance that a detection yields one more report (repeatedly)
    noise: NoiseConfig
    mse_lists: dict[str, tuple[str, ...]]  # lists for estimation -> reporter categories merged
    # relative change of the number of victims a year, from the first simulated year (a trend)
    victims_trend: float = 0.0
    # complaint and protection per person-year (zicht.simulate.protection): no gap by default
    protection: Protection = field(default_factory=Protection)
    # means of control and recruiter per person-year (zicht.simulate.modus)
    modus_operandi: ModusOperandi = field(default_factory=ModusOperandi)

    def victims_in(self, year: int, first_year: int) -> int:
        """The true number of victims in ``year`` of a run that starts in ``first_year``."""
        return int(round(self.victims_per_year * (1.0 + self.victims_trend)
                         ** (year - first_year)))


def _fail(key: str, msg: str):
    raise ScenarioError(f"scenario key {key!r}: {msg}")


MAX_EFFECT = 20.0  # |log-odds| beyond this is certainty in all but name


def _number(value, key: str) -> float:
    """A finite number; YAML 1.1 reads 1e-3 as a string, so numeric strings are accepted."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(key, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        _fail(key, f"{value} is not a finite number")
    return float(value)


def _prob(value, key: str) -> float:
    value = _number(value, key)
    if not 0 <= value <= 1:
        _fail(key, f"{value:g} is not a probability (0 to 1)")
    return value


def _effect(value, key: str) -> float:
    value = _number(value, key)
    if abs(value) > MAX_EFFECT:
        _fail(key, f"log-odds {value:g} is outside -{MAX_EFFECT:g}..{MAX_EFFECT:g}")
    return value


def _distribution(value, key: str, allowed: tuple[str, ...] | None) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        _fail(key, "expected a mapping of categories to shares")
    out = {}
    for cat, share in value.items():
        cat = str(cat)
        if allowed is not None and cat not in allowed:
            _fail(f"{key}.{cat}", f"unknown category (allowed: {', '.join(allowed)})")
        out[cat] = _prob(share, f"{key}.{cat}")
    total = sum(out.values())
    if abs(total - 1) > 1e-6:
        _fail(key, f"shares add up to {total:g}, not 1")
    return out


def _known(mapping: dict, key: str, allowed: set[str]) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        _fail(f"{key}.{sorted(unknown)[0]}" if key else sorted(unknown)[0],
              f"unknown key (allowed: {', '.join(sorted(allowed))})")


TOP_KEYS = {"name", "description", "victims_per_year", "victims_trend", "carry_over",
            "population", "reporters", "heterogeneity", "dependence", "duplicate_rate", "noise",
            "mse_lists", "protection", "modus_operandi"}


def parse_scenario(data: dict[str, Any], name: str = "scenario") -> Scenario:
    """Validate a scenario mapping (as read from YAML)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{name}: a scenario is a mapping of keys to values")
    _known(data, "", TOP_KEYS)
    n = data.get("victims_per_year")
    if isinstance(n, bool) or not isinstance(n, int):
        _fail("victims_per_year", f"expected a whole number, got {n!r}")
    if n > 50_000_000:
        _fail("victims_per_year", f"{n:,} is more than this simulator is built for (50 million)")
    if n < 0:
        _fail("victims_per_year", f"{n} is negative")
    trend = _number(data.get("victims_trend", 0.0), "victims_trend")
    if not -0.5 <= trend <= 1.0:
        _fail("victims_trend", f"{trend} is outside -0.5 .. 1 (a relative change a year)")
    pop = data.get("population") or {}
    _known(pop, "population", {"sex", "minor", "form", "nationality", "region"})
    for key in ("sex", "minor", "form", "nationality", "region"):
        if key not in pop:
            _fail(f"population.{key}", "missing")
    reporters = {}
    raw_rep = data.get("reporters") or {}
    if not isinstance(raw_rep, dict) or not raw_rep:
        _fail("reporters", "expected a mapping of reporter categories")
    for cat, spec in raw_rep.items():
        key = f"reporters.{cat}"
        if cat not in REPORTER_CATEGORIES:
            _fail(key, f"unknown reporter category (allowed: {', '.join(REPORTER_CATEGORIES)})")
        if not isinstance(spec, dict):
            _fail(key, "expected a mapping with rate (and effects, units)")
        _known(spec, key, {"rate", "effects", "units"})
        effects = spec.get("effects") or {}
        _known(effects, f"{key}.effects", set(EFFECT_KEYS))
        effects = {ek: _effect(ev, f"{key}.effects.{ek}") for ek, ev in effects.items()}
        units = spec.get("units", 1)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            _fail(f"{key}.units", f"expected a whole number >= 1, got {units!r}")
        rate = _prob(spec.get("rate"), f"{key}.rate")
        if rate >= 1:
            _fail(f"{key}.rate", "a reporter cannot detect every victim (rate must be < 1)")
        reporters[cat] = Reporter(rate, {k: float(v) for k, v in effects.items()}, units)
    het = []
    for i, g in enumerate(data.get("heterogeneity") or [{"share": 1.0, "effect": 0.0}]):
        key = f"heterogeneity[{i}]"
        if not isinstance(g, dict):
            _fail(key, "expected {share, effect}")
        _known(g, key, {"share", "effect"})
        het.append((_prob(g.get("share"), f"{key}.share"),
                    _effect(g.get("effect", 0.0), f"{key}.effect")))
    if abs(sum(s for s, _ in het) - 1) > 1e-6:
        _fail("heterogeneity", "group shares must add up to 1")
    deps = []
    for i, d in enumerate(data.get("dependence") or []):
        key = f"dependence[{i}]"
        if not isinstance(d, dict):
            _fail(key, "expected {from, to, odds_ratio}")
        _known(d, key, {"from", "to", "odds_ratio"})
        for end in ("from", "to"):
            if d.get(end) not in reporters:
                _fail(f"{key}.{end}", f"{d.get(end)!r} is not one of this scenario's reporters")
        if d.get("from") == d.get("to"):
            _fail(key, "a reporter cannot refer to itself")
        orr = _number(d.get("odds_ratio"), f"{key}.odds_ratio")
        if orr <= 0 or abs(math.log(orr)) > MAX_EFFECT:
            _fail(f"{key}.odds_ratio", f"{orr:g} is not a usable odds ratio (positive, finite)")
        deps.append(Dependence(d["from"], d["to"], float(orr)))
    noise_raw = data.get("noise") or {}
    if not isinstance(noise_raw, dict):
        _fail("noise", "expected a mapping of noise rates")
    _known(noise_raw, "noise", set(NoiseConfig.__dataclass_fields__))
    try:
        noise = NoiseConfig(**noise_raw)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"scenario key 'noise': {exc}") from None
    lists_raw = data.get("mse_lists") or {c: [c] for c in reporters}
    if not isinstance(lists_raw, dict):
        _fail("mse_lists", "expected a mapping of list names to reporter categories")
    mse_lists = {}
    seen: set[str] = set()
    for lname, cats in lists_raw.items():
        cats = [cats] if isinstance(cats, str) else list(cats or [])
        if not cats:
            _fail(f"mse_lists.{lname}", "a list needs at least one reporter category")
        for c in cats:
            if c not in reporters:
                _fail(f"mse_lists.{lname}", f"{c!r} is not one of this scenario's reporters")
            if c in seen:
                _fail(f"mse_lists.{lname}", f"{c!r} is in two lists")
            seen.add(c)
        mse_lists[str(lname)] = tuple(cats)
    return Scenario(
        name=str(data.get("name", name)),
        description=str(data.get("description", "")),
        victims_per_year=n,
        victims_trend=trend,
        carry_over=_prob(data.get("carry_over", 0.0), "carry_over"),
        sex=_distribution(pop["sex"], "population.sex", SEXES),
        minor=_prob(pop["minor"], "population.minor"),
        form=_distribution(pop["form"], "population.form", FORMS),
        nationality=_distribution(pop["nationality"], "population.nationality", None),
        region=_distribution(pop["region"], "population.region", REGIONS),
        reporters=reporters,
        heterogeneity=tuple(het),
        dependence=tuple(deps),
        duplicate_rate=_duplicate_rate(data.get("duplicate_rate", 0.0)),
        noise=noise,
        mse_lists=mse_lists,
        protection=parse_protection(data.get("protection"), _fail, _prob, _distribution),
        modus_operandi=parse_modus(data.get("modus_operandi"), _fail, _prob, _distribution),
    )


def _duplicate_rate(value) -> float:
    rate = _prob(value, "duplicate_rate")
    if rate >= 1:
        _fail("duplicate_rate", "must be below 1 (each extra report has this chance)")
    return rate


def shipped_scenarios() -> list[str]:
    folder = resources.files(__package__).joinpath("scenarios")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def _read(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[Any, str]:
    """The raw mapping of a shipped scenario or a YAML file (its ``base`` resolved), and its
    label for messages."""
    path = Path(str(name_or_path))
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{path}: no such scenario file")
        text, label = path.read_text(encoding="utf-8"), str(path)
    else:
        res = resources.files(__package__).joinpath("scenarios", f"{name_or_path}.yaml")
        if not res.is_file():
            shipped = ", ".join(shipped_scenarios())
            raise ScenarioError(f"unknown scenario {str(name_or_path)!r} (shipped: {shipped})")
        text, label = res.read_text(encoding="utf-8"), str(name_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ScenarioError(f"{label}: not valid YAML{at}") from None
    if isinstance(data, dict) and "base" in data:
        base = data["base"]
        if not isinstance(base, str) or not base:
            _fail("base", f"expected the name or file of a scenario, got {base!r}")
        if path.is_file() and (path.parent / base).suffix in (".yaml", ".yml") \
                and not Path(base).is_absolute():
            base = str(path.parent / base)  # a file next to this one, not in the cwd
        chain = (*seen, label)
        if base in chain:
            _fail("base", f"scenarios built on each other in a circle: "
                          f"{' -> '.join((*chain, base))}")
        raw, _ = _read(base, chain)
        if not isinstance(raw, dict):
            raise ScenarioError(f"{base}: a scenario is a mapping of keys to values")
        data = {**raw, **{k: v for k, v in data.items() if k != "base"}}
    return data, label


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """A shipped scenario by name (``nl-baseline``) or a YAML file, with optional overrides.
    A file may start from another scenario (``base: nl-baseline``) and replace some of its
    keys, each key as a whole."""
    data, label = _read(name_or_path)
    if overrides:
        data = {**data, **overrides}
    return parse_scenario(data, label)


def calibrate(scenario: Scenario, victims: float, persons: dict[str, int],
              year: int | None = None) -> Scenario:
    """The scenario fitted to one year of data: as many victims as the estimate, and each
    reporter category detecting the share of them it registered (persons it reported / the
    estimate).  The scenario keeps its structure (who sees whom: effects, heterogeneity,
    referrals, lists); categories the data do not name keep their rate.
    :class:`ScenarioError` when the numbers do not fit."""
    if not victims or not math.isfinite(victims) or victims < 1:
        raise ScenarioError(f"cannot calibrate to {victims!r} victims")
    unknown = sorted(set(persons) - set(scenario.reporters))
    if unknown:
        raise ScenarioError(f"categories {', '.join(unknown)} are not reporters of scenario "
                            f"{scenario.name}")
    reporters = dict(scenario.reporters)
    for category, n in persons.items():
        rate = n / victims
        if not 0 < rate < 1:
            raise ScenarioError(f"{category}: {n} persons of {victims:,.0f} victims is no rate "
                                "between 0 and 1")
        reporters[category] = replace(reporters[category], rate=float(rate))
    name = f"{scenario.name}, calibrated to {year}" if year else f"{scenario.name}, calibrated"
    return replace(scenario, name=name, victims_per_year=int(round(victims)),
                   reporters=reporters)
