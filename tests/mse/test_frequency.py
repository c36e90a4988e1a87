"""Rcapture 1.4-4 ``closedp.0`` (frequency-of-capture data) against the stored R results."""

from __future__ import annotations

import io
import json
import math
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tests.support import assert_error_names, load, refs
from zicht.mse.closedp import ClosedP
from zicht.mse.datasets import load_frequencies
from zicht.mse.datasets import path as dataset_path
from zicht.mse.errors import EstimateNotAvailable, MSEInputError
from zicht.mse.frequency import (
    CLI_NAMES,
    FREQUENCY_MODELS,
    CaptureFrequencies,
    ClosedP0,
    closedp0_table,
    fit_closedp0,
)

REFS = refs("Rcapture::closedp.0")
QUANTITIES = ("abundance", "stderr", "deviance", "df", "AIC", "BIC")


def _t(entry) -> int | float:
    return math.inf if entry["settings"]["t"] == "Inf" else int(entry["settings"]["t"])


@cache
def _freq(dataset: str, t) -> CaptureFrequencies:
    with dataset_path(dataset).open() as fh:
        return CaptureFrequencies.from_csv(fh, t)


@cache
def _table(dataset: str, t) -> pd.DataFrame:
    return closedp0_table(_freq(dataset, t)).set_index("model")


def _rows():
    for entry in REFS:
        for row in entry["models"]:
            flag = "" if row["infoFit"] == 0 else f"-infoFit{row['infoFit']}"
            name = entry["dataset"].removesuffix(".csv")
            yield pytest.param(entry["dataset"], _t(entry), row, id=f"{name}:{row['model']}{flag}")


def test_reference_is_complete():
    assert sorted(e["dataset"] for e in REFS) == [
        "Rcapture__BBS2001.csv", "Rcapture__cbird.csv", "Rcapture__ill.csv"]
    for entry in REFS:
        assert [r["model"] for r in entry["models"]] == list(FREQUENCY_MODELS)


@pytest.mark.parametrize(("dataset", "t", "ref"), list(_rows()))
def test_closedp0_matches_rcapture(dataset, t, ref):
    """Every number of Rcapture's table, including the fits its infoFit flags: the glm
    iterations are R's, so even the unconverged BBS2001 Mh Poisson2 (infoFit 13: stopped after
    25 iterations) is R's iterate.  Codes 3 are 'fitted rates numerically 0' warnings (cells with
    c near 50 fitted at ~0), harmless for N."""
    got = _table(dataset, t).loc[ref["model"]]
    for q in QUANTITIES:
        assert got[q] == pytest.approx(ref[q], rel=1e-6), q
    assert got["df"] == ref["df"]
    assert got["infoFit"] == ref["infoFit"]


def test_bbs2001_poisson2_converged_mle():
    """The flagged BBS2001 Mh Poisson2 (column 2^c - 1 up to 2^50, 25 iterations): iterated to
    convergence, N and its standard error are R's to 1e-6; the deviance (so AIC, BIC) is what
    R had not reached yet: a little lower."""
    ref = next(r for r in REFS[0]["models"] if r["model"] == "Mh Poisson2")
    assert REFS[0]["dataset"] == "Rcapture__BBS2001.csv"
    freq = _freq("Rcapture__BBS2001.csv", 50)
    short = fit_closedp0(freq, "Mh Poisson2")
    assert not short.converged and short.iterations == 25
    full = fit_closedp0(freq, "Mh Poisson2", maxit=100)
    assert full.converged
    assert full.estimate == pytest.approx(ref["abundance"], rel=1e-6)
    assert full.stderr == pytest.approx(ref["stderr"], rel=1e-6)
    assert ref["deviance"] - 1e-3 < full.deviance < ref["deviance"]
    with pytest.raises(EstimateNotAvailable, match="did not converge"):
        ClosedP0("Mh Poisson2").fit(freq)
    res = ClosedP0("Mh Poisson2", maxit=100).fit(freq)
    assert res.ci[0] <= res.estimate <= res.ci[1]


def test_bbs2001_chao_mle_does_not_exist():
    """Rcapture keeps eta50 (its column is max(c - 49, 0), non-zero only at c = 50 where nobody
    is): its MLE is at minus infinity, glm stops at a finite positive value.  The table
    reproduces R; the estimator refuses, like the rest of zicht.mse, and says why."""
    freq = _freq("Rcapture__BBS2001.csv", 50)
    fit = fit_closedp0(freq, "Mh Chao (LB)")
    assert fit.extra_names == ["beta", "eta3", "eta5", "eta10", "eta16", "eta25", "eta36",
                               "eta50"]
    assert len(fit.dropped) == 41 and fit.ierr == 1
    with pytest.raises(EstimateNotAvailable, match="eta50") as err:
        ClosedP0("Mh-chao").fit(freq)
    assert err.value.ierr == 1 and "\n" not in str(err.value)


# -- equivalence with closedp.t ---------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["Rcapture__hare.csv", "Rcapture__HIV.csv",
                                     "Rcapture__duck.csv"])
def test_histories_collapse_to_frequencies(dataset):
    """M0 and Mh give every history with c captures the same mean, so closedp.0 on the collapsed
    frequencies has closedp.t's N, standard error and profile likelihood (the two likelihoods
    differ by a constant)."""
    table = load(dataset)
    freq = CaptureFrequencies.from_histories(table)
    assert freq.t == table.k and freq.n_observed == table.n_observed
    for model in FREQUENCY_MODELS:
        a, b = ClosedP(model).fit(table), ClosedP0(model).fit(freq)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-8), model
        # R's covariance is that of the last-but-one iterate; closedp.py's of the converged fit
        assert b.fit.stderr == pytest.approx(a.fit.stderr, rel=1e-4), model
        assert b.ci == pytest.approx(a.ci, rel=1e-7), model
        assert b.details["profile_estimate"] == pytest.approx(
            a.details["profile_estimate"], rel=1e-5), model
        assert b.fit.extra_names == a.fit.extra_names


# -- estimator ---------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", REFS, ids=[e["dataset"] for e in REFS])
def test_estimator_intervals(entry):
    freq = _freq(entry["dataset"], _t(entry))
    fitted = 0
    for model in FREQUENCY_MODELS:
        try:
            res = ClosedP0(model).fit(freq)
        except EstimateNotAvailable:
            # BBS2001: Chao's MLE does not exist, Poisson2 did not converge in R's 25 iterations
            assert entry["dataset"] == "Rcapture__BBS2001.csv"
            assert model in ("Mh Chao (LB)", "Mh Poisson2")
            continue
        fitted += 1
        ref = next(r for r in entry["models"] if r["model"] == model)
        assert res.estimate == pytest.approx(ref["abundance"], rel=1e-6)
        assert res.ci_method == "profile likelihood"
        assert freq.n_observed <= res.ci[0] <= res.details["profile_estimate"] <= res.ci[1]
        assert res.ci[0] <= res.estimate <= res.ci[1]
        model_ci = ClosedP0(model).fit(freq, ci="model", level=0.9).ci
        assert model_ci[0] < res.estimate < model_ci[1]
        assert ClosedP0(model).fit(freq, ci="none").ci is None
        json.dumps(res.to_dict())
    assert fitted == (3 if entry["dataset"] == "Rcapture__BBS2001.csv" else 5)


def test_ill_result_presentation():
    freq = CaptureFrequencies.from_frame(load_frequencies("ill"), "inf")
    assert freq.t == math.inf and freq.n_cells == 6 and freq.n_observed == 1880
    res = ClosedP0("Mh Darroch").fit(freq, level=0.9)
    assert res.level == 0.9 and res.observed == 1880 and res.df == 3
    assert res.ci == pytest.approx(ClosedP0("Mh Darroch").fit(freq, level=0.9).ci)
    narrower = res.ci[1] - res.ci[0] < np.subtract(*ClosedP0("Mh Darroch").fit(freq).ci[::-1])
    assert narrower
    fitted = res.fitted
    assert list(fitted["nbcap"]) == [1, 2, 3, 4, 5, 6]
    assert fitted["observed"].sum() == 1880
    assert fitted["fitted"].sum() == pytest.approx(1880, rel=1e-6)  # the intercept's score
    assert list(res.coefficients.index) == ["(Intercept)", "beta", "tau"]
    summary = res.summary()["value"]
    assert summary["data"] == "frequencies of capture, t = inf"
    out = res.to_dict()
    assert out["t"] == "inf" and out["infoFit"] == 0
    # the same data through every entry point
    via_path = ClosedP0("Mh Darroch").fit(dataset_path("ill"), t=math.inf, ci="none")
    assert via_path.estimate == res.estimate


def test_models_names_and_small_t():
    freq = _freq("Rcapture__cbird.csv", 11)
    assert set(CLI_NAMES.values()) == set(FREQUENCY_MODELS)
    assert fit_closedp0(freq, "Mh-darroch").estimate == fit_closedp0(freq, "Mh Darroch").estimate
    with pytest.raises(MSEInputError, match="unknown closedp.0 model"):
        fit_closedp0(freq, "Mt")
    with pytest.raises(MSEInputError, match="unknown closedp.0 model"):
        ClosedP0("Mbh")
    with pytest.raises(ValueError, match="ci must be"):
        ClosedP0().fit(freq, ci="bootstrap")
    with pytest.raises(ValueError, match="level"):
        ClosedP0().fit(freq, level=1.5)
    with pytest.raises(MSEInputError, match="do not carry t"):
        ClosedP0().fit(load_frequencies("cbird"))
    # two cells: Rcapture fits M0 only
    two = CaptureFrequencies(2, [30, 10])
    assert list(closedp0_table(two)["model"]) == ["M0"]
    with pytest.raises(MSEInputError, match="at least 3"):
        fit_closedp0(two, "Mh Poisson2")
    # t = inf and nobody caught twice: no cell to fit a slope to
    with pytest.raises(MSEInputError, match="more than once"):
        fit_closedp0(CaptureFrequencies(math.inf, [12]), "M0")
    # nobody caught more than once over 10 occasions: N has no finite MLE
    with pytest.raises(EstimateNotAvailable, match="does not exist"):
        ClosedP0("M0").fit(CaptureFrequencies(10, [5]))


@pytest.mark.slow  # a simulation study of coverage (many fits)
def test_m0_profile_coverage_simulation():
    """N = 2000, t = 8, everybody caught with probability 0.2 on every occasion (M0 true):
    the 95 % profile interval covers N in about 95 % of 200 replicates."""
    rng = np.random.default_rng(20240601)
    covered = 0
    for _ in range(200):
        f = np.bincount(rng.binomial(8, 0.2, size=2000), minlength=9)[1:]
        res = ClosedP0("M0").fit(CaptureFrequencies(8, f))
        assert res.ci[0] <= res.estimate <= res.ci[1]
        covered += res.ci[0] <= 2000 <= res.ci[1]
    assert 0.90 <= covered / 200 <= 0.99


# -- input errors ------------------------------------------------------------------------------
def _csv(text: str, t=11) -> CaptureFrequencies:
    return CaptureFrequencies.from_csv(io.StringIO(text), t)


@pytest.mark.parametrize(
    ("text", "t", "row", "column", "phrase"),
    [
        ("nbcap,count\n1,5\n2.5,3\n", 11, 2, "nbcap", "whole number"),
        ("nbcap,count\n1,5\nx,3\n", 11, 2, "nbcap", "whole number"),
        ("nbcap,count\n1,5\n,3\n", 11, 2, "nbcap", "empty"),
        ("nbcap,count\n0,5\n2,3\n", 11, 1, "nbcap", "at least once"),
        ("nbcap,count\n1,5\n-2,3\n", 11, 2, "nbcap", "at least once"),
        ("nbcap,count\n1,5\n12,3\n", 11, 2, "nbcap", "t = 11"),
        ("nbcap,count\n1,5\n2,3\n1,4\n", 11, 3, "nbcap", "repeats row 1"),
        ("nbcap,count\n1,5\n2,-3\n", 11, 2, "count", "negative"),
        ("nbcap,count\n1,5\n2,1.5\n", 11, 2, "count", "whole number"),
        ("nbcap,count\n1,5\n2,many\n", 11, 2, "count", "whole number"),
        ("nbcap,count\n1,0\n2,0\n", 11, None, None, "nobody was observed"),
        ("nbcap,n\n1,5\n", 11, None, "count", "missing column"),
        ("nbcap,count,site\n1,5,a\n", 11, None, "site", "unexpected column"),
        ("A,B,count\n1,0,5\n", 11, None, "nbcap", "missing column"),
        ("nbcap,count\n", 11, None, None, "no rows"),
        ("nbcap,count,count\n1,5,5\n", 11, None, "count", "duplicate"),
        ("nbcap,count\n1,5,7\n", 11, None, None, "more fields"),
        ("", 11, None, None, "empty"),
    ],
)
def test_input_errors_name_row_and_column(text, t, row, column, phrase):
    with pytest.raises(MSEInputError) as err:
        _csv(text, t)
    assert_error_names(str(err.value), row, column, phrase)


@pytest.mark.parametrize("t", [1, 0, -3, 2.5, "x", None, True, math.nan, 1001])
def test_bad_t(t):
    with pytest.raises(MSEInputError) as err:
        _csv("nbcap,count\n1,5\n", t)
    assert "\n" not in str(err.value) and "t" in str(err.value)


def test_frames_and_construction():
    frame = pd.DataFrame({"count": [5, 3, 0], " nbcap": [1, 3, 4]})
    freq = CaptureFrequencies.from_frame(frame, 4)
    assert freq.freq.tolist() == [5, 0, 3] and freq.n_observed == 8 and freq.c_max == 3
    assert freq.cell_counts().tolist() == [5, 0, 3, 0]
    assert freq.offset() == pytest.approx(np.log([4, 6, 4, 1]))
    assert CaptureFrequencies(math.inf, [5, 0, 3]).offset() == pytest.approx(
        -np.log([1, 2, 6]))
    assert freq.to_frame()["nbcap"].tolist() == [1, 2, 3]
    assert CaptureFrequencies("50", [1]).t == 50 and CaptureFrequencies("Inf", [1]).t == math.inf
    with pytest.raises(MSEInputError) as err:  # frames name rows without file lines
        CaptureFrequencies.from_frame(pd.DataFrame({"nbcap": [1, 7], "count": [1, 1]}), 5)
    assert_error_names(str(err.value), 2, "nbcap", "t = 5")
    assert "line" not in str(err.value)
    for bad in ([-1, 2], [1.5], [[1, 2]], [0, 0]):
        with pytest.raises(MSEInputError):
            CaptureFrequencies(5, bad)
    with pytest.raises(MSEInputError, match="caught 3 times"):
        CaptureFrequencies(2, [1, 1, 1])
    with pytest.raises(MSEInputError, match="no such file"):
        CaptureFrequencies.from_csv("/nonexistent/freq.csv", 5)


def test_equality_and_histories_input():
    a, b = CaptureFrequencies(5, [3, 2, 0]), CaptureFrequencies(5, np.array([3, 2]))
    assert a == b and hash(a) == hash(b) and a != CaptureFrequencies(6, [3, 2])
    table = load("Rcapture__hare.csv")
    assert fit_closedp0(table, "M0").estimate == fit_closedp0(
        CaptureFrequencies.from_histories(table), "M0").estimate
    assert closedp0_table(table)["model"].tolist() == list(FREQUENCY_MODELS)
    with pytest.raises(ValueError, match="maxit"):
        fit_closedp0(a, "M0", maxit=0)
