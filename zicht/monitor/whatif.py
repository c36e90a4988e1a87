"""What would a reporting obligation ("meldplicht") for a reporter category bring?

For a scenario (``nl-baseline``, or one fitted to a year of data by :func:`calibrate`: as many
victims as the estimate, each category's rate the share of them it registered) and a category
with an assumed new detection rate - a number, or another category's rate ("as often as the
police") - each replicate draws one year's victims once and detects them twice with the *same*
random numbers (:meth:`zicht.simulate.SimulatedYear.redetect`: every (victim, reporter) pair
is decided by one uniform number, so a higher rate only adds detections): once as now, once
with the obligation.  Both capture-history tables are estimated with the same method.
Over the replicates:

* extra persons detected by the category and extra registered persons (on any list), extra
  reports (detections x the expected reports per detection of the scenario);
* the detection rate (registered / true victims) before and after;
* the estimate's relative bias and 95 % interval width (as a share of the truth) before and
  after, and how much the interval narrows (after / before), with the interval coverage.

A category merged into a wider list (e.g. youth care into ``OTHER``) is given a list of its own
in both arms (``own_list``), so that the estimate can use what it reports.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..i18n import N_, format_percent, number_symbols, translator
from ..mse import EstimateNotAvailable, MSEInputError, make_estimator
from ..simulate import Scenario, ScenarioError, load_scenario, simulate_year
from ..simulate import calibrate as calibrate_scenario

YEAR = 2024
BASELINE = "nl-baseline"  # the scenario the what-if page fits to a publication
# the result's rows as the command and the what-if page show them: key of summary(), unit,
# label (an English msgid of the catalogue)
ROWS = (
    ("detected by category", "count", N_("detected by the category")),
    ("reports by category", "count", N_("reports by the category")),
    ("registered", "count", N_("registered persons")),
    ("detection rate", "share", N_("detection rate")),
    ("estimate", "count", N_("estimate")),
    ("relative bias", "share", N_("relative bias of the estimate")),
    ("interval width / truth", "share", N_("95% interval width / true number")),
    ("coverage", "share", N_("coverage of the 95% interval")),
)


class WhatIfError(ValueError):
    """A what-if question that cannot be asked of this scenario."""


@dataclass
class WhatIfResult:
    scenario: str
    category: str
    rate_now: float
    rate_obliged: float
    method: str
    replicates: pd.DataFrame  # one row per replicate and arm ("now", "obligation")

    def summary(self) -> pd.DataFrame:
        """Per arm: means over the replicates."""
        r = self.replicates.copy()
        r["width"] = (r["ci_high"] - r["ci_low"]) / r["truth"]
        r["rel_error"] = (r["estimate"] - r["truth"]) / r["truth"]
        r["covered"] = (r["ci_low"] <= r["truth"]) & (r["truth"] <= r["ci_high"])
        r["detection_rate"] = r["registered"] / r["truth"]
        g = r.groupby("arm", sort=False)
        return pd.DataFrame({
            "victims": g["truth"].mean(),
            "detected by category": g["category_detected"].mean(),
            "reports by category": g["category_reports"].mean(),
            "registered": g["registered"].mean(),
            "detection rate": g["detection_rate"].mean(),
            "estimate": g["estimate"].mean(),
            "relative bias": g["rel_error"].mean(),
            "interval width / truth": g["width"].mean(),
            "coverage": g["covered"].mean(),
            "without estimate": g["estimate"].apply(lambda s: int(s.isna().sum())),
        }).loc[["now", "obligation"]]

    @property
    def narrowing(self) -> float:
        """Mean interval width with the obligation / without (below 1: narrower)."""
        s = self.summary()
        return float(s.loc["obligation", "interval width / truth"]
                     / s.loc["now", "interval width / truth"])

    def table(self, lang: str = "en") -> list[tuple[str, str, str, str]]:
        """The rows of :data:`ROWS` as people read them: label, now, with the obligation,
        difference (shares in percentage points); ``-`` where no replicate had a value."""
        from .indicators import format_value

        _ = translator(lang)

        def value(x: float, unit: str) -> str:
            return "-" if not math.isfinite(x) else format_value(x, unit, lang)

        def difference(d: float, unit: str) -> str:
            if not math.isfinite(d):
                return "-"
            if unit == "share":  # percentage points
                text = f"{d * 100:+.1f}".replace(".", number_symbols(lang)["decimal"])
                return _("{value} pt").format(value=text)
            return ("+" if d >= 0 else "-") + format_value(abs(d), unit, lang)

        s = self.summary()
        return [(_(label), value(s.loc["now", key], unit),
                 value(s.loc["obligation", key], unit),
                 difference(s.loc["obligation", key] - s.loc["now", key], unit))
                for key, unit, label in ROWS]

    def narrowing_text(self, lang: str = "en") -> str:
        """How much the 95 % interval narrows (or widens) with the obligation, and, beside it,
        what happens to the estimate's mean error and to how often the interval holds the
        true number (:func:`summary_text`)."""
        s = self.summary()
        return summary_text(*(_arm(s.loc[arm]) for arm in ("now", "obligation")), lang)

    def to_dict(self) -> dict:
        s = self.summary()
        return {
            "scenario": self.scenario, "category": self.category, "rate_now": self.rate_now,
            "rate_obliged": self.rate_obliged, "method": self.method,
            "replicates": int(self.replicates["seed"].nunique()),
            "arms": {arm: {k: (None if isinstance(v, float) and math.isnan(v) else float(v))
                           for k, v in row.items()} for arm, row in s.iterrows()},
            "narrowing": self.narrowing,
        }


def calibrate(scenario: Scenario, victims: float, persons: dict[str, int],
              year: int | None = None) -> Scenario:
    """The scenario fitted to one year of data (:func:`zicht.simulate.calibrate`);
    :class:`WhatIfError` when the numbers do not fit."""
    try:
        return calibrate_scenario(scenario, victims, persons, year)
    except ScenarioError as exc:
        raise WhatIfError(str(exc)) from None


def fitted_scenario(found: dict | None, name: str = BASELINE) -> tuple[Scenario, dict | None]:
    """The what-if's scenario for a publication: the shipped scenario ``name`` fitted by
    :func:`calibrate` to ``found`` (a publication's ``analyst.calibration``: the latest
    estimated year) and that calibration, or the scenario as shipped and None when there is
    none or it names categories the scenario does not know."""
    scenario = load_scenario(name)
    if found:
        try:
            return calibrate(scenario, **found), found
        except WhatIfError:  # categories the scenario does not know: its own rates
            pass
    return scenario, None


def calibration(data, year: int | None = None) -> dict:
    """What :func:`calibrate` needs from the monitor's data (``MonitorData`` with estimates):
    the year (default: the latest with an estimate), its estimate, and the persons each
    reporter category registered that year."""
    from .indicators import INDICATORS

    est = INDICATORS["estimated_victims"].compute(data, ()).dropna(subset=["value"])
    if est.empty:
        raise WhatIfError("no year has an estimate to calibrate to")
    year = int(est["year"].max()) if year is None else int(year)
    row = est[est["year"] == year]
    if row.empty:
        raise WhatIfError(f"no estimate for {year}")
    by = INDICATORS["persons_by_reporter"].compute(data, ("reporter_category",))
    by = by[by["year"] == year]
    return {"year": year, "victims": float(row["value"].iloc[0]),
            "persons": {str(c): int(n) for c, n in zip(by["reporter_category"], by["value"],
                                                        strict=True) if n > 0}}


def obligation_scenario(scenario: Scenario, category: str, rate: float | None = None,
                        like: str | None = None, own_list: bool = True,
                        victims: int | None = None) -> tuple[Scenario, Scenario]:
    """The scenario now and with the obligation (both with the category on its own list when
    ``own_list``)."""
    if category not in scenario.reporters:
        raise WhatIfError(f"category {category!r} is not a reporter of scenario "
                          f"{scenario.name} ({', '.join(scenario.reporters)})")
    if (rate is None) == (like is None):
        raise WhatIfError("give either the new rate or a category whose rate to take (like)")
    if like is not None:
        if like not in scenario.reporters:
            raise WhatIfError(f"category {like!r} is not a reporter of scenario {scenario.name}")
        rate = scenario.reporters[like].rate
    if not 0 < rate < 1:
        raise WhatIfError(f"rate {rate} must be between 0 and 1")
    now = scenario
    if victims is not None:
        if victims < 1:
            raise WhatIfError("victims must be at least 1")
        now = replace(now, victims_per_year=int(victims))
    if own_list:
        lists = {}
        for name, members in now.mse_lists.items():
            rest = tuple(m for m in members if m != category)
            if rest:
                lists[name] = rest
        if not any(members == (category,) for members in lists.values()):
            lists[category] = (category,)
        now = replace(now, mse_lists=lists)
    reporters = dict(now.reporters)
    reporters[category] = replace(reporters[category], rate=float(rate))
    return now, replace(now, reporters=reporters)


def whatif(scenario: Scenario, category: str, rate: float | None = None,
           like: str | None = None, replicates: int = 20, seed: int = 1,
           method: str = "stepwise", level: float = 0.95, own_list: bool = True,
           victims: int | None = None, progress=None) -> WhatIfResult:
    """Simulate the obligation against now, ``replicates`` times (see the module's text)."""
    if replicates < 1:
        raise WhatIfError("replicates must be at least 1")
    now, obliged = obligation_scenario(scenario, category, rate, like, own_list, victims)
    rows = _simulate(now, {"obligation": obliged}, category, replicates, seed, method, level,
                     progress)
    return WhatIfResult(scenario.name, category, scenario.reporters[category].rate,
                        obliged.reporters[category].rate, method,
                        pd.DataFrame(rows["now"] + rows["obligation"]))


def _simulate(now: Scenario, obliged: dict[str, Scenario], category: str, replicates: int,
              seed: int, method: str, level: float, progress=None) -> dict[str, list[dict]]:
    """One row per replicate for ``now`` and for each obliged scenario: each replicate's
    year is drawn once and detected again with each scenario's rates (the same random
    numbers), and every table is estimated with ``method``."""
    per_detection = 1.0 / (1.0 - now.duplicate_rate)  # reports per detection (geometric)
    rows: dict[str, list[dict]] = {"now": [], **{name: [] for name in obliged}}
    for i, s in enumerate(np.random.SeedSequence(seed).generate_state(replicates)):
        year_now = simulate_year(now, int(s), YEAR)
        arms = [("now", year_now)] + [(name, year_now.redetect(sc))
                                      for name, sc in obliged.items()]
        for arm, simulated in arms:
            detected = simulated.detected_by(category)
            row = {"seed": int(s), "arm": arm, "truth": simulated.truth,
                   "category_detected": detected,
                   "category_reports": float(detected * per_detection),
                   "registered": simulated.registered, "estimate": np.nan,
                   "ci_low": np.nan, "ci_high": np.nan}
            table = simulated.histories()
            if table is not None:
                try:
                    res = make_estimator(method).fit(table, ci="profile", level=level)
                    row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high)
                except (EstimateNotAvailable, MSEInputError):
                    pass
            rows[arm].append(row)
        if progress is not None:
            progress(i + 1)
    return rows


# -- the summary sentence, shared by the analysts' form, the public page and the report

# an arm's means as the publication stores them: key, key of WhatIfResult.summary()
ARM_KEYS = (("victims", "victims"), ("detected", "detected by category"),
            ("reports", "reports by category"), ("registered", "registered"),
            ("detection_rate", "detection rate"), ("estimate", "estimate"),
            ("bias", "relative bias"), ("width", "interval width / truth"),
            ("coverage", "coverage"), ("without_estimate", "without estimate"))


def _arm(row) -> dict[str, float | None]:
    """One arm of :meth:`WhatIfResult.summary` under the publication's keys (None: no
    value)."""
    out: dict[str, float | None] = {}
    for key, column in ARM_KEYS:
        value = float(row[column])
        out[key] = value if math.isfinite(value) else None
    return out


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(float(v)) for v in values)


def summary_text(now: dict, obliged: dict, lang: str = "en") -> str:
    """The what-if in words, from two arms (:data:`ARM_KEYS`): how much the 95 % interval
    narrows or widens, and always beside it what happens to the estimate's mean error and to
    how often the interval holds the true number; a narrower interval around a worse
    estimate must not read as progress (issue 18: "narrows by 53 %" beside an error from
    -5 % to -19 % and coverage from 90 % to 10 %).  When the coverage drops by 5 points or
    more, a last sentence says that the narrower interval is not the better estimate."""
    _ = translator(lang)
    if not _finite(now.get("width"), obliged.get("width")) or not now["width"]:
        return _("No simulated year gave an estimate, so nothing can be said about the "
                 "interval or the estimate's error.")
    change = 1 - obliged["width"] / now["width"]
    share = format_percent(abs(change), lang)
    if change > 0:
        text = _("The 95% interval narrows by {share}.").format(share=share)
    else:
        text = _("The 95% interval widens by {share}.").format(share=share)

    def signed(x: float) -> str:
        return ("+" if x >= 0 else "-") + format_percent(abs(float(x)), lang)

    bias_now, bias_obliged = now.get("bias"), obliged.get("bias")
    cover_now, cover_obliged = now.get("coverage"), obliged.get("coverage")
    if not _finite(bias_now, bias_obliged, cover_now, cover_obliged):
        return " ".join((text, _("How often the interval holds the true number cannot be "
                                 "said: some simulated years gave no estimate.")))
    rest = _("The estimate's mean error goes from {bias_now} to {bias_obliged}, and the "
             "interval holds the true number in {cover_now} of the years now and in "
             "{cover_obliged} with the obligation.").format(
        bias_now=signed(bias_now), bias_obliged=signed(bias_obliged),
        cover_now=format_percent(float(cover_now), lang),
        cover_obliged=format_percent(float(cover_obliged), lang))
    parts = [text, rest]
    if cover_obliged <= cover_now - COVERAGE_DROP:
        parts.append(_("A narrower interval that holds the true number less often is not a "
                       "better estimate.") if change > 0 else
                     _("The interval holds the true number less often."))
    return " ".join(parts)


COVERAGE_DROP = 0.05  # a drop in coverage the summary warns about


# -- the publication's scenarios (issue 18, point 4): computed at publish time

POLICE = "POL"
# the non-obliged reporters' reports fell from about 550 a year (2014-2017) to about 150 in
# 2018, once written consent was required (docs/DOMAIN.md, section 1): one factor for all of
# them, as no source gives the fall per category
LEVEL_2014_2017 = 550 / 150
RATE_CAP = 0.95  # "twice as often" and the 2014-2017 level stay below 1
# the published scenarios: key, label (an English msgid)
SCENARIOS = (("police", N_("as often as the police")), ("twice", N_("twice as often")),
             ("level_2014_2017", N_("the 2014-2017 level")))
# simulated years per category: 100 (coverage to about +-4 points), fewer when many
# categories would keep a publication waiting (about 0.18 s per year and category on the demo)
PUBLISHED_REPLICATES = 100
PUBLISHED_BUDGET = 250  # category x simulated years at most, with at least 20 years each
PUBLISHED_SEED = 20240418


def scenario_rates(scenario: Scenario, category: str) -> dict[str, float | None]:
    """The new detection rate of ``category`` in each published scenario: the police's rate,
    twice its own, its own times :data:`LEVEL_2014_2017` (both capped at
    :data:`RATE_CAP`); None when the scenario would not raise the rate."""
    rate = scenario.reporters[category].rate
    police = scenario.reporters[POLICE].rate if POLICE in scenario.reporters else None
    rates = {"police": police, "twice": min(2 * rate, RATE_CAP),
             "level_2014_2017": min(LEVEL_2014_2017 * rate, RATE_CAP)}
    return {key: (r if r is not None and r > rate else None) for key, r in rates.items()}


def published_categories(scenario: Scenario, k: int) -> tuple[list[str], list[str]]:
    """The reporter categories the publication simulates an obligation for: those not obliged
    today (``zicht.codes.OBLIGED``, docs/DOMAIN.md section 1) whose rate times the victims
    is at least ``k`` persons (below it the rate would publish a count of fewer than k
    persons, and a handful of persons is no basis for a rate); and the ones left out."""
    from ..codes import OBLIGED

    shown, left = [], []
    for category, reporter in scenario.reporters.items():
        if category in OBLIGED:
            continue
        persons = round(reporter.rate * scenario.victims_per_year)
        (shown if persons >= k else left).append(category)
    return shown, left


def published_whatif(found: dict | None, k: int, replicates: int = PUBLISHED_REPLICATES,
                     seed: int = PUBLISHED_SEED, method: str = "stepwise",
                     level: float = 0.95, name: str = BASELINE) -> dict:
    """The publication's what-if (``public.whatif``): for each category of
    :func:`published_categories`, the scenario now and with each rate of
    :func:`scenario_rates`, simulated ``replicates`` times from ``seed`` on the scenario
    fitted to ``found`` (the publication's calibration; :func:`fitted_scenario`).  Every
    category uses the same seed (the same victims).  The pages and the report only read it."""
    started = time.perf_counter()
    scenario, fitted = fitted_scenario(found, name)
    shown, left = published_categories(scenario, k)
    if shown:
        replicates = max(min(replicates, 20), min(replicates, PUBLISHED_BUDGET // len(shown)))
    categories = []
    for category in shown:
        rates = scenario_rates(scenario, category)
        wanted = {key: r for key, r in rates.items() if r is not None}
        out: dict = {"category": category, "rate_now": scenario.reporters[category].rate,
                     "now": None, "scenarios": []}
        if wanted:
            now, _ = obligation_scenario(scenario, category, rate=next(iter(wanted.values())))
            obliged = {key: obligation_scenario(scenario, category, rate=r)[1]
                       for key, r in wanted.items()}
            out["lists"] = {name: list(members) for name, members in now.mse_lists.items()}
            rows = _simulate(now, obliged, category, replicates, seed, method, level)
            arms = {arm: WhatIfResult(scenario.name, category, 0.0, 0.0, method, pd.DataFrame(
                rows["now"] + [{**r, "arm": "obligation"} for r in rows[arm]])).summary()
                for arm in wanted}
            out["now"] = _arm(next(iter(arms.values())).loc["now"])
        for key, _label in SCENARIOS:
            rate = rates[key]
            entry: dict = {"key": key, "rate": rate}
            if rate is None:
                entry["reason"] = "not_higher"
            else:
                entry["obligation"] = _arm(arms[key].loc["obligation"])
            out["scenarios"].append(entry)
        categories.append(out)
    return {"scenario": name, "fitted_year": None if fitted is None else fitted["year"],
            "victims": scenario.victims_per_year, "method": method, "level": level,
            "replicates": replicates, "seed": seed,
            "police_rate": scenario.reporters[POLICE].rate
            if POLICE in scenario.reporters else None,
            "level_factor": LEVEL_2014_2017, "rate_cap": RATE_CAP, "k": k,
            "categories": categories, "left_out": left,
            "seconds": round(time.perf_counter() - started, 1)}


# -- the publication's what-if as the public page and the annual report show it

# the rows of the published what-if's table per category (English msgids)
TABLE_ROWS = (
    N_("detection rate of the category"), N_("persons the category detects a year"),
    N_("extra registered persons a year"), N_("registered persons (all reporters)"),
    N_("95% interval width / true number"), N_("change of the interval width"),
    N_("mean error of the estimate"), N_("coverage of the 95% interval"))


def scenario_label(key: str, lang: str) -> str:
    """A published scenario's name in ``lang``."""
    return translator(lang)(dict(SCENARIOS)[key])


def published_view(whatif: dict, lang: str) -> list[dict]:
    """Per published category: its name, the table (headers and rows as text: now and each
    scenario), the summary sentence of each scenario (:func:`summary_text`) and why a
    scenario is missing.  The dashboard and the report show these same strings."""
    from .indicators import format_value
    from .labels import reporters

    _ = translator(lang)

    def num(x, unit: str) -> str:
        return "-" if x is None else format_value(x, unit, lang)

    def signed(x, unit: str) -> str:
        if x is None:
            return "-"
        return ("+" if x >= 0 else "-") + format_value(abs(x), unit, lang)

    out = []
    for c in whatif["categories"]:
        now = c.get("now") or {}
        shown = [s for s in c["scenarios"] if s.get("obligation")]
        headers = ["", _("now")] + [scenario_label(s["key"], lang) for s in shown]
        columns = [(c["rate_now"], now, None)] + [(s["rate"], s["obligation"], now)
                                                  for s in shown]
        cells: list[list[str]] = [[] for _row in TABLE_ROWS]
        for rate, arm, base in columns:
            width, base_width = arm.get("width"), (base or {}).get("width")
            values = (
                num(rate, "share"), num(arm.get("detected"), "count"),
                "" if base is None else signed(
                    None if arm.get("registered") is None or base.get("registered") is None
                    else arm["registered"] - base["registered"], "count"),
                num(arm.get("registered"), "count"), num(width, "share"),
                "" if base is None else signed(
                    None if width is None or not base_width else width / base_width - 1,
                    "share"),
                signed(arm.get("bias"), "share"), num(arm.get("coverage"), "share"))
            for row, value in zip(cells, values, strict=True):
                row.append(value)
        missing = [_("{scenario}: left out, it would not raise the rate ({rate} now).").format(
            scenario=scenario_label(s["key"], lang), rate=num(c["rate_now"], "share"))
            for s in c["scenarios"] if not s.get("obligation")]
        out.append({
            "category": c["category"], "name": reporters(c["category"], lang),
            "headers": headers,
            "rows": [(_(label), *row) for label, row in zip(TABLE_ROWS, cells, strict=True)],
            "sentences": [(scenario_label(s["key"], lang), num(s["rate"], "share"),
                           summary_text(now, s["obligation"], lang)) for s in shown],
            "missing": missing})
    return out


def published_chart(whatif: dict, lang: str, width: int = 150):
    """The published what-if as two dot plots side by side: per category and scenario the
    interval width (share of the true number) and the coverage, now and with the obligation
    (two colours and shapes), joined by a line: a narrower interval beside its coverage.  None
    when nothing was simulated."""
    import altair as alt

    from .labels import reporters

    _ = translator(lang)
    rows = []
    for c in whatif["categories"]:
        now = c.get("now") or {}
        for s in c["scenarios"]:
            after = s.get("obligation")
            if not after:
                continue
            label = f"{reporters(c['category'], lang)}: {scenario_label(s['key'], lang)}"
            for measure, key in ((_("95% interval width / true number"), "width"),
                                 (_("coverage of the 95% interval"), "coverage")):
                for arm, values in ((_("now"), now), (_("with obligation"), after)):
                    if values.get(key) is not None:
                        rows.append({"scenario": label, "measure": measure, "key": key,
                                     "arm": arm, "value": values[key]})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["scenario"]))
    arms = [_("now"), _("with obligation")]
    panels = []
    for i, (measure, key) in enumerate(dict.fromkeys(zip(frame["measure"], frame["key"],
                                                        strict=True))):
        part = frame[frame["key"] == key]
        y = alt.Y("scenario:N", sort=order, title=None,
                  axis=alt.Axis(labels=i == 0, labelLimit=220))
        x = alt.X("value:Q", title=measure, axis=alt.Axis(format="%"),
                  scale=alt.Scale(domain=[0, 1] if key == "coverage" else [0, max(0.05, float(
                      part["value"].max()))]))
        tip = [alt.Tooltip("scenario:N", title=_("scenario")),
               alt.Tooltip("arm:N", title=" "),
               alt.Tooltip("value:Q", title=measure, format=".1%")]
        line = alt.Chart(part).mark_line(color="#8c8c8c").encode(
            x=x, y=y, detail="scenario:N")
        points = alt.Chart(part).mark_point(size=70, opacity=1, filled=True).encode(
            x=x, y=y, tooltip=tip,
            color=alt.Color("arm:N", title=None, sort=arms,
                            scale=alt.Scale(domain=arms, range=["#01689b", "#8b4a6a"]),
                            legend=alt.Legend(orient="bottom")),
            shape=alt.Shape("arm:N", sort=arms, title=None,
                            scale=alt.Scale(domain=arms, range=["circle", "diamond"])))
        panels.append(alt.layer(line, points).properties(width=width,
                                                         height=22 * len(order)))
    return alt.hconcat(*panels, spacing=8)
