"""Covariate (stratified) log-linear MSE: input, the model, intervals, selection, comparison.

The coverage study draws populations and detections from zicht's simulator with a scenario whose
detection depends on sex and form of exploitation only (logit p = a_r + effects, no latent
heterogeneity, no referral), so the model with list x sex and list x form terms is correctly
specified: within a stratum the lists are independent and each list's log-odds is additive in
the covariates, which is exactly what A:sex + A:form say.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from tests.support import assert_error_names
from zicht.mse import CaptureHistories, EstimateNotAvailable, MSEInputError
from zicht.mse.covariates import (
    CovariateLogLinear,
    CovariateSearch,
    StratifiedEstimate,
    StratifiedHistories,
    lognormal_interval,
    parse_covariate_terms,
)
from zicht.simulate.detection import detect
from zicht.simulate.population import person_years
from zicht.simulate.scenario import parse_scenario

# -- helpers ---------------------------------------------------------------------------------


def _long(rows, lists, covs):
    """Long frame from {(stratum values): {pattern string: count}}."""
    out = []
    for stratum, cells in rows.items():
        for pat, n in cells.items():
            out.append([*map(int, pat), *stratum, n])
    return pd.DataFrame(out, columns=[*lists, *covs, "count"])


# three lists, one binary covariate; every overlap positive in both strata
THREE = _long({
    ("F",): {"100": 40, "010": 31, "001": 25, "110": 12, "101": 9, "011": 7, "111": 4},
    ("M",): {"100": 22, "010": 30, "001": 11, "110": 6, "101": 3, "011": 8, "111": 2},
}, ["A", "B", "C"], ["sex"])


def _scenario(n, dependence=(), extra=None):
    reporters = {
        "POL": {"rate": 0.25, "effects": {"form.SEX": 0.6, "form.LAB": -0.8, "sex.M": -0.3}},
        "ZC": {"rate": 0.20, "effects": {"form.SEX": 0.8, "sex.F": 0.3}},
        "NGO": {"rate": 0.15, "effects": {"form.LAB": 1.5}},
        "NLA": {"rate": 0.10, "effects": {"form.LAB": 2.5, "form.SEX": -1.5}},
    }
    reporters.update(extra or {})
    return parse_scenario({
        "name": "covariates", "victims_per_year": n,
        "population": {"sex": {"F": 0.6, "M": 0.4}, "minor": 0.2,
                       "form": {"SEX": 0.4, "LAB": 0.4, "CRIM": 0.2},
                       "nationality": {"NLD": 0.5, "POL": 0.5}, "region": {"NL": 1.0}},
        "reporters": reporters,
        "dependence": [{"from": a, "to": b, "odds_ratio": o} for a, b, o in dependence],
    })


# the list x covariate terms that are true in _scenario (a reporter with an effect of sex/form)
TRUE_TERMS = {"POL:sex", "POL:form", "ZC:sex", "ZC:form", "NGO:form", "NLA:form"}


def _simulate(scenario, covariates, populations, draws, seed):
    """Tables from the simulator: ``populations`` populations, ``draws`` detections of each.

    Returns the first table (a template with the strata), Y (B, S, 2^k - 1) and the true
    stratum sizes (B, S)."""
    lists = list(scenario.reporters)
    k = len(lists)
    Ys, truths, template = [], [], None
    root = np.random.SeedSequence(seed)
    for pop_seq, det_seq in (s.spawn(2) for s in root.spawn(populations)):
        (_, persons), = person_years(scenario, [2024], pop_seq)
        keys = persons[covariates].astype(str)
        sid, uniq = pd.factorize(pd.MultiIndex.from_frame(keys), sort=True)
        S = len(uniq)
        strata = pd.DataFrame(list(uniq), columns=covariates)
        rng = np.random.default_rng(det_seq)
        Y = np.zeros((draws, S, 2**k - 1), dtype=np.int64)
        for r in range(draws):
            code = detect(scenario, persons, rng).astype(np.int64) @ (1 << np.arange(k))
            seen = code > 0
            Y[r] = np.bincount(sid[seen] * 2**k + code[seen],
                               minlength=S * 2**k).reshape(S, 2**k)[:, 1:]
        if template is None:
            template = StratifiedHistories(tuple(lists), tuple(covariates), strata, Y[0])
        else:
            assert strata.equals(template.strata)
        Ys.append(Y)
        truths.append(np.repeat(np.bincount(sid, minlength=S)[None], draws, axis=0))
    return template, np.concatenate(Ys), np.concatenate(truths)


# -- input -----------------------------------------------------------------------------------
def test_reads_long_csv_and_detects_covariates(tmp_path):
    path = tmp_path / "t.csv"
    THREE.to_csv(path, index=False)
    data = StratifiedHistories.from_csv(path)
    assert data.lists == ("A", "B", "C")
    assert data.covariates == ("sex",)
    assert data.strata["sex"].tolist() == ["F", "M"]
    assert data.observed.tolist() == [128, 82]
    # cell code: bit i = list i; pattern "110" (A, B) is code 3
    assert data.cells[0, 3 - 1] == 12 and data.cells[1, 7 - 1] == 2
    # missing patterns are zero; explicit covariates give the same table
    same = StratifiedHistories.from_frame(THREE.iloc[1:], covariates=["sex"])
    assert same.cells[0, 0] == 0 and same.cells[1].tolist() == data.cells[1].tolist()
    # collapse: the plain table summed over strata
    plain = data.collapse()
    assert isinstance(plain, CaptureHistories)
    assert plain.cell_counts().tolist() == data.cells.sum(axis=0).tolist()
    assert data.stratum(1).n_observed == 82
    # round trip through the long format
    back = StratifiedHistories.from_frame(data.to_frame())
    assert np.array_equal(back.cells, data.cells)


def test_from_individuals_aggregates():
    frame = pd.DataFrame({"A": [1, 1, 0, 1], "B": [0, 1, 1, 0], "sex": ["F", "F", "M", "F"]})
    data = StratifiedHistories.from_individuals(frame, ["A", "B"], ["sex"])
    assert data.cells.tolist() == [[2, 0, 1], [0, 1, 0]]


@pytest.mark.parametrize("text, covariates, row, column, phrase", [
    ("A,B,sex,count\n1,0,F,3\n0,2,F,4\n1,1,M,1\n", ["sex"], 2, "B", "not 0 or 1"),
    ("A,B,sex,count\n1,0,F,3\n0,1,F,x\n1,1,M,1\n", None, 2, "count", "whole number"),
    ("A,B,sex,count\n1,0,F,3\n0,1,F,-1\n1,1,M,1\n", None, 2, "count", "negative"),
    ("A,B,sex,count\n1,0,F,3\n0,1,,4\n1,1,M,1\n", None, 2, "sex", "empty"),
    ("A,B,sex,count\n1,0,F,3\n0,0,F,4\n1,1,M,1\n", None, 2, None, "unobserved"),
    ("A,B,sex,count\n1,0,F,3\n1,0,F,4\n1,1,M,1\n", None, 2, None, "repeat"),
    # a list column with one bad value is not silently taken for a covariate
    ("A,B,sex,count\n1,0,F,3\n0,1,F,4\n1,y,M,1\n0,1,M,2\n", None, 3, "B", "not 0 or 1"),
])
def test_bad_values_name_line_and_column(tmp_path, text, covariates, row, column, phrase):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(MSEInputError) as err:
        StratifiedHistories.from_csv(path, covariates=covariates)
    assert_error_names(str(err.value), row, column, phrase)
    assert f"line {row + 1}" in str(err.value)


@pytest.mark.parametrize("frame, covariates, phrase", [
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1, 2]}), None, "no covariate columns"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "sex": ["F", "M"], "count": [1, 0]}), None,
     "sex='M' has nobody"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "sex": ["F", "M"]}), None, "missing column"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "sex": ["F", "M"], "count": [1, 2]}), ["age"],
     "no covariate column 'age'"),
    (pd.DataFrame({"A": [1, 1], "sex": ["F", "M"], "count": [1, 2]}), None, "two list"),
    (pd.DataFrame({"A": [1, 1], "B": [0, 0], "C": [0, 1], "sex": ["F", "M"],
                   "count": [1, 2]}), None, "'B' saw nobody"),
    (pd.DataFrame(columns=["A", "B", "sex", "count"]), None, "no rows"),
])
def test_table_level_errors(frame, covariates, phrase):
    with pytest.raises(MSEInputError, match=phrase):
        StratifiedHistories.from_frame(frame, covariates=covariates)


def test_csv_file_errors(tmp_path):
    with pytest.raises(MSEInputError, match="no such file"):
        StratifiedHistories.from_csv(tmp_path / "none.csv")
    with pytest.raises(MSEInputError, match="line 3"):
        StratifiedHistories.from_csv(io.StringIO("A,B,sex,count\n1,0,F,1\n0,1,F,2,9\n"))


def test_term_parsing():
    lists, covs = ["A", "B", "C"], ["sex", "form"]
    levels = {"sex": ("F", "M"), "form": ("LAB", "SEX")}
    names = [t.name(lists, covs) for t in parse_covariate_terms("*:sex, A:B:form", lists,
                                                                covs, levels)]
    # '*' expands over lists; A:B:form brings its lower-order terms
    assert set(names) == {"A:sex", "B:sex", "C:sex", "A:B", "A:form", "B:form", "A:B:form"}
    for bad, phrase in [("A", "not an interaction"), ("sex:form", "has no list"),
                        ("A:age", "neither a list"), ("A:A", "twice")]:
        with pytest.raises(MSEInputError, match=phrase):
            parse_covariate_terms(bad, lists, covs, levels)
    with pytest.raises(MSEInputError, match="one level"):
        parse_covariate_terms("A:sex", lists, covs, {"sex": ("F",), "form": ("LAB", "SEX")})


# -- the model -------------------------------------------------------------------------------
def test_saturated_in_covariates_equals_separate_fits_and_strata_sum_to_total():
    data = StratifiedHistories.from_frame(THREE)
    cov = CovariateLogLinear("*:sex").fit(data)
    sep = StratifiedEstimate("Mt", ci="none").fit(data)
    assert np.allclose(cov.strata["estimate"], sep.strata["estimate"], rtol=1e-7)
    assert math.isclose(cov.strata["estimate"].sum(), cov.total.estimate, rel_tol=1e-12)
    # the separate fit of each stratum, directly through zicht's plain estimator
    from zicht.mse import MainEffects
    for s in range(data.n_strata):
        plain = MainEffects().fit(data.stratum(s), ci="none").estimate
        assert math.isclose(cov.strata["estimate"][s], plain, rel_tol=1e-7)
    # with a list x list term: A:B:sex (and its lower terms) = a separate A:B model per stratum
    cov_ab = CovariateLogLinear("*:sex, A:B:sex").fit(data)
    sep_ab = StratifiedEstimate("model", terms="A:B", ci="none").fit(data)
    assert np.allclose(cov_ab.strata["estimate"], sep_ab.strata["estimate"], rtol=1e-7)
    # deviance and parameters add up over the strata as well
    assert math.isclose(cov_ab.deviance, sep_ab.deviance, rel_tol=1e-6, abs_tol=1e-8)
    assert cov_ab.n_params == sep_ab.n_params
    # a model in between is not the stratified one
    mid = CovariateLogLinear("A:sex").fit(data)
    assert not np.allclose(mid.strata["estimate"], sep.strata["estimate"], rtol=1e-3)
    assert math.isclose(mid.strata["estimate"].sum(), mid.total.estimate, rel_tol=1e-12)


def test_two_covariates_saturated_equals_stratified():
    rng = np.random.default_rng(5)
    rows = {}
    for sex in "FM":
        for region in ("N", "S", "W"):
            rows[(sex, region)] = {f"{c:03b}": int(rng.integers(3, 40)) for c in range(1, 8)}
    data = StratifiedHistories.from_frame(_long(rows, ["A", "B", "C"], ["sex", "region"]))
    cov = CovariateLogLinear("*:sex:region").fit(data)
    sep = StratifiedEstimate("Mt", ci="none").fit(data)
    assert data.n_strata == 6
    assert np.allclose(cov.strata["estimate"], sep.strata["estimate"], rtol=1e-7)


TWO = _long({("F",): {"10": 60, "01": 45, "11": 30}, ("M",): {"10": 20, "01": 35, "11": 10}},
            ["A", "B"], ["sex"])


def test_two_lists_closed_forms():
    data = StratifiedHistories.from_frame(TWO)
    y = {"F": (60, 45, 30), "M": (20, 35, 10)}
    # list x sex: Lincoln-Petersen in each stratum, N = n1 n2 / m
    sat = CovariateLogLinear("A:sex, B:sex").fit(data)
    for s, (a, b, m) in enumerate(y.values()):
        assert math.isclose(sat.strata["estimate"][s], (a + m) * (b + m) / m, rel_tol=1e-8)
        # the log-normal interval with the Poisson variance of log d = log(a b / m)
        d = a * b / m
        var = d + d * d * (1 / a + 1 / b + 1 / m)
        z = 1.959963984540054
        c = math.exp(z * math.sqrt(math.log(1 + var / d**2)))
        assert math.isclose(sat.strata["ci_low"][s], a + b + m + d / c, rel_tol=1e-6)
        assert math.isclose(sat.strata["ci_high"][s], a + b + m + d * c, rel_tol=1e-6)
    # no list x covariate term: the strata only share out the collapsed Lincoln-Petersen
    # dark figure n10 n01 / n11 in proportion to their observed numbers
    main = CovariateLogLinear().fit(data)
    n10, n01, n11 = 80, 80, 40
    n = n10 + n01 + n11
    dark = n10 * n01 / n11
    assert math.isclose(main.total.estimate, n + dark, rel_tol=1e-8)
    for s, cells in enumerate(y.values()):
        ns = sum(cells)
        assert math.isclose(main.strata["estimate"][s], ns + dark * ns / n, rel_tol=1e-8)
    assert main.df == 6 - 4 and sat.df == 6 - 6


def test_lognormal_interval_function():
    lo, hi = lognormal_interval(100, 50, 400, 0.95)
    c = math.exp(1.959963984540054 * math.sqrt(math.log(1 + 400 / 2500)))
    assert math.isclose(lo, 100 + 50 / c) and math.isclose(hi, 100 + 50 * c)


def test_missing_level_refused_with_reason():
    # list C saw nobody with sex M: C:sex has no finite MLE
    frame = THREE.copy()
    frame.loc[(frame["sex"] == "M") & (frame["C"] == 1), "count"] = 0
    data = StratifiedHistories.from_frame(frame)
    with pytest.raises(EstimateNotAvailable, match=r"nobody on C with sex='M'") as err:
        CovariateLogLinear("C:sex").fit(data)
    assert err.value.ierr & 1
    # without the term the model is fine
    assert CovariateLogLinear("A:sex").fit(data).total.estimate > data.n_observed


def test_pair_without_overlap_goes_to_minus_infinity():
    frame = THREE[~((THREE["A"] == 1) & (THREE["B"] == 1))]
    data = StratifiedHistories.from_frame(frame)
    res = CovariateLogLinear("A:B, A:sex").fit(data)
    assert res.minus_inf == ["A:B"] and "A:B" in res.model
    assert np.isfinite(res.total.estimate)
    # ... as zicht's plain model treats it: with A:sex:B-free model the strata sum as usual
    assert math.isclose(res.strata["estimate"].sum(), res.total.estimate, rel_tol=1e-12)


def test_result_outputs():
    data = StratifiedHistories.from_frame(THREE)
    res = CovariateLogLinear("A:sex").fit(data)
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["model"] == ["A:sex"] and len(d["strata"]) == 2
    assert d["strata"][0]["sex"] == "F"
    summ = res.summary()
    assert summ["estimate"].iloc[-1] == pytest.approx(res.total.estimate)
    assert summ["sex"].iloc[-1] == "total"
    assert "A:sex[M]" in res.coefficients.index
    assert res.total.ci_low <= res.total.estimate <= res.total.ci_high
    chart = res.plot().to_dict()
    assert "layer" in chart
    assert "total" in str(res)
    sep = StratifiedEstimate("stepwise").fit(data)
    json.dumps(sep.to_dict(), allow_nan=False)
    assert sep.total.ci_low < sep.total.estimate < sep.total.ci_high
    assert (sep.strata["status"] == "ok").all()


def test_parametric_bootstrap_interval_is_close_to_lognormal():
    data = StratifiedHistories.from_frame(THREE)
    ln = CovariateLogLinear("A:sex").fit(data)
    bs = CovariateLogLinear("A:sex", ci="bootstrap", nboot=400, seed=3).fit(data)
    assert bs.details["bootstrap"]["nboot"] == 400
    assert bs.total.estimate == ln.total.estimate
    for a, b in ((bs.total.ci_low, ln.total.ci_low), (bs.total.ci_high, ln.total.ci_high)):
        assert abs(a / b - 1) < 0.1
    assert (bs.strata["ci_low"] <= bs.strata["estimate"]).all()
    assert (bs.strata["estimate"] <= bs.strata["ci_high"]).all()


# -- coverage and recovery on the simulator --------------------------------------------------
def test_batch_fits_equal_single_fits():
    template, Y, _ = _simulate(_scenario(6000), ["sex", "form"], 1, 3, seed=7)
    model = CovariateLogLinear("*:sex, *:form")
    batch = model.fit_batch(template, Y)
    for b in range(3):
        one = model.fit(template.with_cells(Y[b]))
        assert np.allclose(batch.strata[b], one.strata["estimate"], rtol=1e-8)
        assert np.allclose(batch.strata_low[b], one.strata["ci_low"], rtol=1e-6)
        assert math.isclose(batch.total_high[b], one.total.ci_high, rel_tol=1e-6)


@pytest.mark.slow  # a simulation study of coverage (many fits)
def test_coverage_and_bias_on_simulated_covariate_population():
    """1,200 replicates (12 populations of 6,000 victims x 100 detection draws): the Monte Carlo
    standard error of a 95 % coverage is 0.63 %, so 93-97 % is about +-3 standard errors."""
    template, Y, truth = _simulate(_scenario(6000), ["sex", "form"], 12, 100, seed=2024)
    res = CovariateLogLinear("*:sex, *:form").fit_batch(template, Y)
    assert res.ok.all()
    covered = (res.strata_low <= truth) & (truth <= res.strata_high)
    total = truth.sum(axis=1)
    covered_total = (res.total_low <= total) & (total <= res.total_high)
    assert Y.shape[0] >= 1000
    assert 0.93 <= covered.mean() <= 0.97, covered.mean(axis=0)
    assert 0.93 <= covered_total.mean() <= 0.97, covered_total.mean()
    # each of the six strata on its own (6 x 1,200 draws: a wider band for multiplicity)
    assert ((covered.mean(axis=0) >= 0.92) & (covered.mean(axis=0) <= 0.98)).all()
    # both tails miss: neither all high nor all low
    assert 0.01 < (res.strata_high < truth).mean() < 0.04
    assert 0.01 < (res.strata_low > truth).mean() < 0.04
    rel = res.strata / truth - 1
    assert (np.abs(rel.mean(axis=0)) < 0.02).all(), rel.mean(axis=0)
    assert abs((res.total / total - 1).mean()) < 0.02
    # the collapsed independence model, which ignores the covariates, is biased here (the
    # covariates make the lists dependent), so the recovery check above can fail
    from zicht.mse import MainEffects
    naive = MainEffects().fit(template.collapse(), ci="none").estimate
    assert abs(naive / total[0] - 1) > 0.05


def test_selection_finds_the_true_interactions():
    scen = _scenario(200_000, dependence=[("ZC", "POL", 3.0)])
    template, Y, truth = _simulate(scen, ["sex", "form"], 1, 1, seed=11)
    data = template.with_cells(Y[0])
    search = CovariateSearch("bic")
    res = search.fit(data)
    assert set(res.model) == TRUE_TERMS | {"POL:ZC"}, search.path_
    assert search.path_["action"].iloc[0] == "start" and len(search.path_) > 5
    assert search.ranking_["delta"].min() >= 0  # no (existing) move improves the model
    assert not search.ranking_["refused"].any()
    assert abs(res.total.estimate / truth[0].sum() - 1) < 0.02
    # AIC may add a spurious term or two but keeps the true ones
    aic = CovariateSearch("aic").fit(data)
    assert set(aic.model) >= TRUE_TERMS | {"POL:ZC"}
    # exhaustive over a few candidates (the sex terms kept in): all 2^6 models ranked
    small = CovariateSearch("bic", candidates="*:form, POL:ZC, NGO:NLA", keep="POL:sex, ZC:sex")
    sm = small.fit(data)
    assert sm.details["search"] == "exhaustive"
    assert len(small.ranking_) == 2**6
    assert set(sm.model) == TRUE_TERMS | {"POL:ZC"}
    assert small.ranking_["delta"].iloc[0] == 0 and small.ranking_["delta"].iloc[1] > 0


def test_stratified_comparison_on_simulated_table():
    template, Y, truth = _simulate(_scenario(30_000), ["sex", "form"], 1, 1, seed=3)
    data = template.with_cells(Y[0])
    sep = StratifiedEstimate("bic").fit(data)
    cov = CovariateLogLinear("*:sex, *:form").fit(data)
    assert math.isclose(sep.strata["estimate"].sum(), sep.total.estimate, rel_tol=1e-12)
    for res in (sep, cov):
        assert abs(res.total.estimate / truth[0].sum() - 1) < 0.05
    # the covariate model borrows strength across strata: narrower intervals
    width = lambda r: r.total.ci_high - r.total.ci_low  # noqa: E731
    assert width(cov) < width(sep)


def test_search_refuses_a_term_without_mle_and_is_json_ready():
    frame = THREE.copy()
    frame.loc[(frame["sex"] == "M") & (frame["C"] == 1), "count"] = 0
    data = StratifiedHistories.from_frame(frame)
    # C:sex would fit the empty margin perfectly (its MLE is at infinity): refused, not chosen
    search = CovariateSearch("aic", max_exhaustive=0)
    res = search.fit(data)
    assert "C:sex" not in res.model
    assert search.path_["refused"].str.contains("add C:sex").any()
    json.dumps(res.to_dict(), allow_nan=False)
    # the exhaustive search flags it in its ranking (ierr 1) and skips it
    ex = CovariateSearch("aic")
    res_ex = ex.fit(data)
    assert "C:sex" not in res_ex.model
    flagged = ex.ranking_[ex.ranking_["model"].str.contains("C:sex")]
    assert flagged.index[0] == 0 and flagged["ierr"].iloc[0] == 1  # best AIC, but no MLE
    assert (ex.ranking_["ierr"] == 0).idxmax() == (ex.ranking_["delta"] == 0).idxmax()
    # the stepwise ranking marks the refused move
    assert search.ranking_.loc[search.ranking_["move"] == "add C:sex", "refused"].all()
    json.dumps(res_ex.to_dict(), allow_nan=False)
