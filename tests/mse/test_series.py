"""The series: per-year estimates, their change and trend (zicht.mse.series).

The coverage tests draw tables with numpy alone (lists independent within a year, each list's
detection rate different every year): the setting in which the pooled model is right, so its
intervals must cover and its changes must not raise false alarms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zicht.mse import MSEInputError
from zicht.mse.covariates.fit import lognormal_interval
from zicht.mse.series import SeriesLogLinear, SeriesResult, independent_series

LISTS = ["A", "B", "C", "D"]


def _series(N: list[float], cov: np.ndarray, observed: list[float] | None = None
            ) -> SeriesResult:
    obs = observed or [n / 4 for n in N]
    return SeriesResult("test", list(range(2015, 2015 + len(N))), np.array(obs), np.array(N),
                        cov)


def test_a_change_uses_the_covariance_between_the_years() -> None:
    """Positively correlated errors cancel in the difference: the change's interval is
    narrower than from two independent years, and the first year has no change."""
    V = np.array([[400.0, 300.0], [300.0, 400.0]])
    joint = _series([1000, 1040], V).changes()
    apart = _series([1000, 1040], np.diag(np.diag(V))).changes()
    assert joint[0] is None
    z = 1.959963984540054
    assert joint[1].ci_high - joint[1].ci_low == pytest.approx(2 * z * math.sqrt(200), rel=1e-9)
    assert apart[1].ci_high - apart[1].ci_low == pytest.approx(2 * z * math.sqrt(800), rel=1e-9)
    assert joint[1].significant and not apart[1].significant  # 40 +- 27.7 and 40 +- 55.4
    assert joint[1].estimate == 40 and joint[1].relative == pytest.approx(0.04)


def test_the_trend_recovers_a_known_rate() -> None:
    years = np.arange(10)
    rising = _series(list(6000 * 1.05 ** years), np.diag((0.05 * 6000 * 1.05 ** years) ** 2))
    flat = _series([6000.0] * 10, np.diag(np.full(10, 300.0 ** 2)))
    tr = rising.trend()
    assert tr is not None and tr.per_year == pytest.approx(0.05, abs=1e-9)
    assert tr.significant and tr.ci_low > 0
    assert not flat.trend().significant
    assert _series([1.0, 2.0], np.eye(2)).trend() is None  # two years: no trend


def test_independent_fits_give_back_their_variance() -> None:
    """The variance read off a log-normal interval is the one that made it."""
    n, d, var = np.array([900.0, 950.0]), np.array([5000.0, 4000.0]), np.array([6e5, 2e5])
    lo, hi = lognormal_interval(n, d, var)
    s = independent_series("stepwise", [2023, 2024], n, n + d, list(zip(lo, hi, strict=True)))
    np.testing.assert_allclose(np.diag(s.cov), var, rtol=1e-9)
    np.testing.assert_allclose(s.intervals()[0], lo)  # the fits' own intervals are kept
    assert s.cov[0, 1] == 0


def _draw(rng: np.random.Generator, N: np.ndarray) -> pd.DataFrame:
    """Four independent lists; every list's rate differs by year (list x year effects)."""
    rows = []
    for t, n in enumerate(N):
        p = rng.uniform(0.08, 0.3, len(LISTS))
        on = rng.random((int(n), len(LISTS))) < p
        seen = on[on.any(axis=1)].astype(int)
        pats, counts = np.unique(seen, axis=0, return_counts=True)
        rows += [[str(2015 + t), *pat, int(c)] for pat, c in zip(pats, counts, strict=True)]
    return pd.DataFrame(rows, columns=["year", *LISTS, "count"])


def test_where_the_model_holds_the_series_covers_and_raises_few_false_alarms() -> None:
    """40 replicates of 6 years, 2,000 people a year: per-year coverage, change coverage and
    the false-alarm rate near their nominal values (binomial margins at this size)."""
    rng = np.random.default_rng(20261206)
    N = np.full(6, 2000)
    inside, alarms, change_in = [], [], []
    for _ in range(40):
        res = SeriesLogLinear(covariates=["year"]).fit(_draw(rng, N))
        lo, hi = res.intervals()
        inside += list((lo <= N) & (N <= hi))
        for c in res.changes()[1:]:
            alarms.append(c.significant)
            change_in.append(c.ci_low <= 0 <= c.ci_high)
    assert 0.88 <= np.mean(inside) <= 0.995
    assert np.mean(alarms) <= 0.10
    assert np.mean(change_in) >= 0.90


def test_a_real_trend_is_seen() -> None:
    """10 % more people a year over 6 years: the trend is found significant in most
    replicates and its interval holds the truth."""
    rng = np.random.default_rng(7)
    N = np.round(1500 * 1.10 ** np.arange(6))
    found, covered = [], []
    for _ in range(20):
        tr = SeriesLogLinear(covariates=["year"]).fit(_draw(rng, N)).trend()
        found.append(tr.ci_low > 0)
        covered.append(tr.ci_low <= 0.10 <= tr.ci_high)
    assert np.mean(found) >= 0.8
    assert np.mean(covered) >= 0.8


def test_a_series_needs_years() -> None:
    frame = _draw(np.random.default_rng(1), np.array([500])).drop(columns="year")
    frame["sex"] = "F"
    frame.loc[::2, "sex"] = "M"
    with pytest.raises(MSEInputError, match="year"):
        SeriesLogLinear(covariates=["sex"]).fit(frame)


def test_the_json_holds_every_year_and_the_trend() -> None:
    res = SeriesLogLinear(covariates=["year"]).fit(_draw(np.random.default_rng(3),
                                                         np.full(4, 1500)))
    out = res.to_dict()
    assert [y["year"] for y in out["years"]] == [2015, 2016, 2017, 2018]
    assert out["years"][0]["change"] is None
    assert set(out["years"][1]["change"]) >= {"estimate", "ci_low", "ci_high", "significant"}
    assert set(out["trend"]) >= {"per_year", "ci_low", "ci_high"}
    weights = [m["weight"] for m in out["details"]["models"]]
    assert sum(weights) == pytest.approx(1.0)


def test_single_years_with_the_reselecting_bootstrap_cover_and_raise_few_false_alarms() -> None:
    """The single-year design with the bootstrap that re-selects the model: the years'
    intervals cover and the changes between them, read as independent, rarely alarm."""
    from zicht.mse import CaptureHistories, make_estimator

    rng = np.random.default_rng(11)
    N = np.full(5, 2000)
    inside, alarms = [], []
    for _ in range(40):
        frame = _draw(rng, N)
        obs, est, cis = [], [], []
        for _, part in frame.groupby("year"):
            table = CaptureHistories.from_frame(part.drop(columns="year"))
            r = make_estimator("stepwise", ci="bootstrap", nboot=200).fit(table)
            obs.append(table.n_observed)
            est.append(r.estimate)
            cis.append(r.ci)
        s = independent_series("single-year", list(range(5)), obs, est, cis)
        lo, hi = s.intervals()
        inside += list((lo <= N) & (N <= hi))
        alarms += [c.significant for c in s.changes()[1:]]
    assert np.mean(inside) >= 0.88
    assert np.mean(alarms) <= 0.10


def test_no_trend_where_the_years_cannot_be_weighed() -> None:
    """A year whose interval is open (infinite variance) or a zero variance everywhere (a
    singular covariance) gives no trend instead of an error."""
    open_year = _series([100.0, 120.0, 90.0], np.diag([25.0, np.inf, 30.0]))
    assert open_year.trend() is None
    flat = _series([100.0, 100.0, 100.0], np.zeros((3, 3)))
    assert flat.trend() is None
    assert open_year.changes()[1] is not None  # the changes are still there


def test_the_joint_trend_replaces_only_the_trend() -> None:
    """with_joint_trend: levels, intervals and changes of the separate fits, the trend of the
    joint fit; a joint fit without a trend (two years) leaves the levels' own."""
    from zicht.mse.series import with_joint_trend

    years = np.arange(6)
    N = list(6000 * 1.05 ** years * np.array([1.0, 1.1, 0.9, 1.05, 0.95, 1.0]))
    wide = _series(N, np.diag((0.25 * np.array(N)) ** 2))
    joint = _series(list(5000 * 1.05 ** years), np.diag((0.02 * 5000 * 1.05 ** years) ** 2))
    out = with_joint_trend(wide, joint)
    assert not wide.trend().significant  # 25 % per year: the separate fits see no trend
    assert out.trend() == joint.trend() and out.trend().significant
    assert out.trend().per_year == pytest.approx(0.05, abs=1e-9)
    assert [c and c.to_dict() for c in out.changes()] == \
        [c and c.to_dict() for c in wide.changes()]
    np.testing.assert_array_equal(out.intervals()[0], wide.intervals()[0])
    assert out.to_dict()["details"]["trend"] == "test"
    assert with_joint_trend(wide, _series([1.0, 2.0], np.eye(2))) is wide
