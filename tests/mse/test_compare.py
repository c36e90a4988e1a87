"""``zicht.mse.compare``: every method on one table, with verdicts checked against what the R
packages say about the same tables (reference.json), and a run on every shipped dataset."""

import json

import numpy as np
import pytest

from tests.support import load, refs
from zicht.mse import EstimateNotAvailable, MSEInputError, datasets
from zicht.mse.compare import (
    Comparison,
    MethodSpec,
    compare,
    covariate_methods,
    default_methods,
)
from zicht.mse.data import CaptureHistories
from zicht.mse.errors import InvalidSetting
from zicht.mse.identifiability import MESSAGES
from zicht.mse.loglinear import LogLinear

QUICK_LCMCR = {"burnin": 500, "samples": 200, "thinning": 5}


def _ref(dataset, r_method, **settings):
    (entry,) = [r for r in refs(r_method, **settings) if r["dataset"] == dataset]
    return entry


@pytest.fixture(scope="module")
def artificial() -> Comparison:
    return compare(load("SparseMSE__Artificial_3.csv"), lcmcr_settings=QUICK_LCMCR)


@pytest.fixture(scope="module")
def korea() -> Comparison:
    return compare(load("MultipleSystemsEstimation__Korea.csv"), lcmcr_settings=QUICK_LCMCR)


@pytest.fixture(scope="module")
def uk5() -> Comparison:
    return compare(load("SparseMSE__UKdat_5.csv"), lcmcr_settings=QUICK_LCMCR)


def test_artificial_3_verdicts_follow_sparsemse(artificial):
    check = _ref("SparseMSE__Artificial_3.csv", "SparseMSE::checkallmodels")
    # all three pairs: not identifiable (SparseMSE: "The model including all two-list
    # parameters is not identifiable"); it has no number
    pairs = artificial.row("all pairs")
    assert pairs.estimate is None and pairs.verdicts == ["no estimate"]
    assert pairs.notes == [MESSAGES[2]]
    assert "the model with all two-list interactions is not identifiable" in artificial.findings
    failing = ", ".join(check["extra"]["failing_models"])
    assert any(f.startswith(f"{check['extra']['n_models_failing']} two-list model(s) have no "
                            "maximum likelihood estimate") and f.endswith(failing)
               for f in artificial.findings)
    assert f"{check['n_nonoverlapping_pairs']} pair(s) of lists have no one in common" in \
        artificial.findings
    # stepwise and main effects exist and equal SparseMSE's estimate
    main = _ref("SparseMSE__Artificial_3.csv", "SparseMSE::estimatepopulation.0", method="main")
    for name in ("stepwise", "Mt"):
        assert artificial.row(name).estimate == pytest.approx(main["estimate"], rel=1e-8)
        assert artificial.row(name).verdicts == []
    # AIC keeps the two empty pairs at -inf: a boundary fit, named
    aic = artificial.row("aic")
    assert "boundary" in aic.verdicts and "A:C" in aic.notes[0] and "B:C" in aic.notes[0]


def test_korea_verdicts(korea):
    check = _ref("MultipleSystemsEstimation__Korea.csv", "SparseMSE::checkallmodels")
    pairs = korea.row("all pairs")
    assert pairs.estimate is None and pairs.verdicts == ["no estimate"]
    assert pairs.notes == [MESSAGES[1]]
    assert any(f.endswith(", ".join(check["extra"]["failing_models"])) for f in korea.findings)
    # Rcapture's Mbh gives 76 people where 123 were seen (reference.json flags it too)
    mbh = korea.row("Mbh")
    assert mbh.estimate < korea.observed and "below observed" in mbh.verdicts
    # main effects: deviance 138.6 on 3 df
    assert "poor fit" in korea.row("Mt").verdicts
    bic = _ref("MultipleSystemsEstimation__Korea.csv",
               "MultipleSystemsEstimation::estimate_population_bic")
    assert korea.row("bic").estimate == pytest.approx(bic["estimate"], rel=1e-8)
    assert korea.row("bic").verdicts == []


def test_uk5_dga_rows_match_r_and_flag_the_prior(uk5):
    for delta, name in ((0.03125, "dga (delta = 1/32)"), (0.5, "dga (delta = 1/2)")):
        ref = [r for r in refs("dga::bma.cr", delta=delta)
               if r["dataset"] == "SparseMSE__UKdat_5.csv"][0]
        row = uk5.row(name)
        assert row.estimate == pytest.approx(ref["estimate"], rel=2e-3), name
        assert "prior-sensitive" in row.verdicts, name
    stepwise = _ref("SparseMSE__UKdat_5.csv", "SparseMSE::estimatepopulation.0",
                    method="stepwise")
    assert uk5.row("stepwise").estimate == pytest.approx(stepwise["estimate"], rel=1e-8)
    # the disagreement is stated: the smallest and largest usable estimates, and their ratio
    usable = [r.estimate for r in uk5.rows if r.estimate is not None
              and r.estimate >= uk5.observed]
    spread = [f for f in uk5.findings if f.startswith("estimates range from")]
    assert spread and f"a factor {max(usable) / min(usable):.1f}" in spread[0]


def test_every_row_has_a_number_or_a_reason(uk5):
    for row in uk5.rows:
        if row.estimate is None:
            assert row.verdicts and row.notes, row.method
        else:
            assert row.ci_low is None or row.ci_low <= row.estimate <= row.ci_high, row.method
            assert row.model and row.fit, row.method


def test_json_is_a_list_of_the_rows(korea):
    payload = json.loads(json.dumps(korea.to_dict()))  # valid JSON: no inf or NaN left
    assert [p["method"] for p in payload] == [r.method for r in korea.rows]
    for p, r in zip(payload, korea.rows, strict=True):
        assert p["estimate"] == (None if r.estimate is None else pytest.approx(r.estimate))
        assert p["verdicts"] == (r.verdicts or ["ok"])
        if r.estimate is not None:
            assert p["result"]["observed"] == korea.observed


def test_chart_shows_every_estimate_and_the_observed_line(korea, tmp_path):
    spec = korea.plot().to_dict()
    layers = spec["layer"]
    values = [v for layer in spec["datasets"].values() for v in layer]
    assert {v.get("method") for v in values if "method" in v} == \
        {r.method for r in korea.estimated}
    assert any(v.get("estimate") == korea.observed and "method" not in v for v in values)
    assert len(layers) == 3
    path = tmp_path / "compare.svg"
    korea.plot().save(str(path))
    assert path.read_text().lstrip().startswith("<svg")


def test_methods_can_be_chosen_and_a_failing_one_does_not_stop_the_others():
    table = load("SparseMSE__Artificial_3.csv")
    specs = [MethodSpec("A:B", "log-linear", lambda: LogLinear("A:B")),
             MethodSpec("main", "log-linear", lambda: LogLinear([]))]
    result = compare(table, methods=specs)
    assert [r.method for r in result.rows] == ["A:B", "main"]
    assert result.row("A:B").verdicts == ["no estimate"]
    assert result.row("main").estimate > table.n_observed


def test_no_estimate_at_all_cannot_be_plotted():
    table = load("SparseMSE__Artificial_3.csv")
    result = compare(table, methods=[MethodSpec("A:B", "log-linear", lambda: LogLinear("A:B"))])
    with pytest.raises(EstimateNotAvailable):
        result.plot()


def test_methods_that_do_not_take_the_table_say_so():
    table = load("SparseMSE__NewOrl.csv")  # 8 lists: no exhaustive search, no dga
    result = compare(table, lcmcr_settings=QUICK_LCMCR)
    for name in ("bic", "aic", "dga (delta = 1/256)"):
        row = result.row(name)
        assert row.verdicts == ["not applicable"] and row.notes, name
    assert result.row("stepwise").estimate is not None
    assert result.row("latent classes").estimate is not None


def test_default_methods_cover_every_family():
    specs = default_methods(load("SparseMSE__UKdat_5.csv"))
    assert {s.family for s in specs} == {"log-linear", "classical (Rcapture)",
                                         "graph averaging (dga)", "latent classes"}
    assert len({s.name for s in specs}) == len(specs)


def test_empty_table_refused():
    table = load("MultipleSystemsEstimation__Korea.csv")
    table.counts[:] = 0
    with pytest.raises(MSEInputError):
        compare(table)


@pytest.mark.slow  # every method, samplers included, on every dataset
@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_runs_on_every_shipped_dataset(name):
    if datasets.DATASETS[name].kind == "frequency":  # Rcapture's closedp.0 models only
        table = datasets.load_capture_frequencies(name)
    else:
        table = datasets.load_dataset(name)
    result = compare(table, lcmcr_settings=QUICK_LCMCR)
    assert result.rows
    assert any(r.estimate is not None for r in result.rows), name
    for row in result.rows:
        assert row.verdicts or row.estimate is not None
        if row.estimate is not None:
            assert np.isfinite(row.estimate)
    json.dumps(result.to_dict())


def test_with_covariates_the_covariate_models_join_the_table():
    import pandas as pd

    from zicht.mse.covariates import CovariateSearch, StratifiedEstimate, StratifiedHistories

    rng = np.random.default_rng(3)
    rows = []
    for sex, pa in (("F", 0.5), ("M", 0.2)):
        caught = rng.random((2000, 3)) < [pa, 0.3, 0.25]
        codes = caught @ np.array([1, 2, 4])
        for code in range(1, 8):
            rows.append({"A": code & 1, "B": (code >> 1) & 1, "C": (code >> 2) & 1, "sex": sex,
                         "count": int((codes == code).sum())})
    data = StratifiedHistories.from_frame(pd.DataFrame(rows), ["sex"])
    result = compare(data, lcmcr_settings=QUICK_LCMCR)
    assert result.observed == data.n_observed
    cov = result.row("covariates (bic)")
    assert cov.estimate == pytest.approx(CovariateSearch("bic").fit(data).estimate, rel=1e-9)
    assert cov.family == "log-linear with covariates" and "A:sex" in cov.model
    strat = result.row("stratified (stepwise)")
    assert strat.estimate == pytest.approx(StratifiedEstimate("stepwise").fit(data).estimate,
                                           rel=1e-9)
    # the collapsed table's methods run too
    assert result.row("stepwise").estimate is not None


def test_a_stratified_estimate_with_a_failed_stratum_has_no_total():
    import pandas as pd

    from zicht.mse.covariates import StratifiedHistories

    # stratum M: no one is on two lists -> no model has an estimate there
    frame = pd.DataFrame({
        "A": [1, 0, 0, 1, 1, 0, 1, 1, 0, 0],
        "B": [0, 1, 0, 1, 0, 1, 1, 0, 1, 0],
        "C": [0, 0, 1, 0, 1, 1, 1, 0, 0, 1],
        "sex": ["F"] * 7 + ["M"] * 3,
        "count": [50, 40, 30, 10, 8, 6, 3, 20, 15, 1]})
    data = StratifiedHistories.from_frame(frame, ["sex"])
    row = compare(data, methods=covariate_methods(data)).row("stratified (stepwise)")
    assert row.estimate is None and row.verdicts == ["no estimate"]
    assert any("stratum" in note for note in row.notes)


def test_the_latent_class_settings_are_used_as_given():
    """compare's seed and lcmcr_settings reach LCMCR as given: seed=None is a fresh seed (not
    the class default), and a setting LCMCR does not take is refused rather than dropped."""
    table = load("SparseMSE__Artificial_3.csv")

    def lcmcr(specs):
        return next(s for s in specs if s.name == "latent classes").make()

    assert lcmcr(default_methods(table, seed=None)).seed is None
    assert lcmcr(default_methods(table, seed=7)).seed == 7
    assert lcmcr(default_methods(table, lcmcr_settings={"samples": 50})).samples == 50
    with pytest.raises(InvalidSetting, match="sample"):
        lcmcr(default_methods(table, lcmcr_settings={"sample": 50}))


# the Dutch 6-list table's LCMCR chains at a test-sized budget (tests/mse/test_lcmcr.py)
DUTCH_LCMCR = {"burnin": 10_000, "samples": 1_000, "thinning": 20}


def _latent_classes_only(table, seed, settings) -> Comparison:
    specs = [s for s in default_methods(table, seed, settings) if s.name == "latent classes"]
    return compare(table, methods=specs)


def test_latent_classes_whose_chains_disagree_are_poor_mixing():
    result = _latent_classes_only(load("SparseMSE__Ned.csv"), 4, DUTCH_LCMCR)
    row = result.row("latent classes")
    assert "poor mixing" in row.verdicts
    assert row.fit.startswith("R-hat 1.") and "(4 chains)" in row.fit
    assert any(n.startswith("poor mixing: R-hat") and "(or their halves) disagree" in n
               for n in row.notes)
    assert row.result.rhat > 1.01
    assert row.to_dict()["result"]["poor_mixing"] is True


def test_latent_classes_that_mix_have_no_verdict():
    """Five lists caught independently: the four chains agree (R-hat ~1.000; on 28 of 30 such
    tables at this budget R-hat was <= 1.01).  Korea would not do: its few possible values
    of N keep R-hat near 1.01 (up to 1.013 over 20 seeds at 12,500 and 25,500 sweeps
    a chain)."""
    rng = np.random.default_rng(4)
    seen = rng.random((2000, 5)) < np.array([0.3, 0.4, 0.35, 0.3, 0.25])
    codes = seen[seen.any(axis=1)].astype(int)
    patterns, counts = np.unique(codes, axis=0, return_counts=True)
    table = CaptureHistories(tuple("ABCDE"), patterns, counts)
    result = _latent_classes_only(table, 4, {"burnin": 2_000, "samples": 1_000,
                                             "thinning": 10})
    row = result.row("latent classes")
    assert row.result.chains == 4 and row.result.rhat <= 1.01
    assert "poor mixing" not in row.verdicts and row.verdicts == []
    assert row.fit.startswith("R-hat 1.0") and "(4 chains)" in row.fit
