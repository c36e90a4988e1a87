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
        true number: a narrower interval around a worse estimate must not read as progress
        alone (issue 18: "narrows by 53 %" beside an error from -5 % to -19 % and coverage
        from 90 % to 10 %)."""
        _ = translator(lang)
        change = 1 - self.narrowing
        share = format_percent(abs(change), lang)
        if change > 0:
            text = _("The 95% interval narrows by {share}.").format(share=share)
        else:
            text = _("The 95% interval widens by {share}.").format(share=share)
        s = self.summary()
        bias, cover = s["relative bias"], s["coverage"]
        if not all(math.isfinite(float(v)) for v in (*bias, *cover)):
            return text
        def signed(x: float) -> str:
            return ("+" if x >= 0 else "-") + format_percent(abs(float(x)), lang)
        rest = _("The estimate's mean error goes from {bias_now} to {bias_obliged}, and the "
                 "interval holds the true number in {cover_now} of the years now and in "
                 "{cover_obliged} with the obligation.").format(
            bias_now=signed(bias["now"]), bias_obliged=signed(bias["obligation"]),
            cover_now=format_percent(float(cover["now"]), lang),
            cover_obliged=format_percent(float(cover["obligation"]), lang))
        return f"{text} {rest}"

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
    per_detection = 1.0 / (1.0 - now.duplicate_rate)  # reports per detection (geometric)
    rows = []
    for i, s in enumerate(np.random.SeedSequence(seed).generate_state(replicates)):
        year_now = simulate_year(now, int(s), YEAR)
        for arm, simulated in (("now", year_now), ("obligation", year_now.redetect(obliged))):
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
            rows.append(row)
        if progress is not None:
            progress(i + 1)
    return WhatIfResult(scenario.name, category, scenario.reporters[category].rate,
                        obliged.reporters[category].rate, method, pd.DataFrame(rows))
