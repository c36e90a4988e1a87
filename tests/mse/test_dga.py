"""Decomposable graphical model averaging against R dga 2.0.2 (reference.json): the graph
counts, and on every reference table the posterior median and 95 % quantiles of N exactly on
the same grid, the posterior mean and the top models' probabilities within 0.1 %."""

import numpy as np
import pytest

from tests.support import ids, load, refs, rel
from zicht.mse import MSEInputError
from zicht.mse.dga import decomposable_graphs, dga_posterior, negative_binomial_log_prior

DGA = refs("dga::bma.cr")


@pytest.mark.parametrize("p,count", [(2, 2), (3, 8), (4, 61), (5, 822)])
def test_number_of_decomposable_graphs(p, count):
    graphs = decomposable_graphs(p)
    assert len(graphs) == count
    assert len({g.edges for g in graphs}) == count


def test_cliques_and_separators_follow_dga():
    by_edges = {g.edges: g for g in decomposable_graphs(4)}
    chain = by_edges[frozenset({(0, 1), (1, 2), (2, 3)})]  # a-b-c-d
    assert set(chain.cliques) == {frozenset({0, 1}), frozenset({1, 2}), frozenset({2, 3})}
    assert sorted(map(sorted, chain.separators)) == [[1], [2]]
    apart = by_edges[frozenset({(0, 1)})]  # ab, c, d: no empty separators listed
    assert len(apart.cliques) == 3 and apart.separators == ()
    assert frozenset({(0, 1), (1, 2), (2, 3), (0, 3)}) not in by_edges  # a 4-cycle


def test_cdf_quantiles_on_a_tiny_grid():
    table = load("dga__madigan_york_3list.csv")
    r = dga_posterior(table, 0.125, np.arange(0, 5))
    assert r.posterior.sum() == pytest.approx(1.0)
    assert list(r.n_grid) == [r.observed + k for k in range(5)]
    assert r.model_probabilities.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("ref", DGA, ids=[f"{i}-{e['settings']['delta']}"
                                          for i, e in zip(ids(DGA), DGA, strict=True)])
def test_matches_r_dga(ref):
    table = load(ref["dataset"])
    s = ref["settings"]
    grid = np.arange(s["Nmissing_grid"]["from"], s["Nmissing_grid"]["to"] + 1,
                     s["Nmissing_grid"]["by"])
    prior = negative_binomial_log_prior(13.14, 55.17) if "negative" in s["prior_N"] else None
    r = dga_posterior(table, s["delta"], grid, prior)
    extra = ref["extra"]
    assert r.observed == extra["n_observed"]
    assert r.median == extra["posterior_median"] == ref["estimate"]
    assert r.interval(0.95) == (ref["ci_low"], ref["ci_high"])
    assert r.mode == extra["posterior_mode"]
    assert rel(r.mean, extra["posterior_mean"]) < 1e-3
    # R writes a clique as its list names run together ("EXHOSCEHRW")
    ours = {frozenset("".join(table.lists[i] for i in sorted(c)) for c in g.cliques): prob
            for g, prob in zip(r.graphs, r.model_probabilities, strict=True)}
    for top in extra["top_models"]:
        if top["posterior_prob"] > 1e-6:
            assert rel(ours[frozenset(top["cliques"].split(","))], top["posterior_prob"]) < 1e-3


def test_delta_moves_the_answer_as_documented():
    uk = load("SparseMSE__UKdat_5.csv")
    grid = np.arange(0, 40_001, 10)
    wide = dga_posterior(uk, 1 / 32, grid).median
    narrow = dga_posterior(uk, 0.5, grid).median
    assert narrow < 3_500 < 15_000 < wide


@pytest.mark.parametrize("kwargs,message", [({"delta": 0}, "delta"),
                                            ({"dark_grid": np.array([-1, 0])}, "grid")])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(MSEInputError, match=message):
        dga_posterior(load("dga__madigan_york_3list.csv"), **kwargs)


def test_clique_labels_separate_long_list_names():
    r = dga_posterior(load("SparseMSE__UKdat_5.csv"), 0.5, np.arange(0, 50))
    label = r.top_models(1)[0][0]
    assert label == "LA:NG:PFNCA:GO:GP"  # the saturated graph: one clique of all five lists
    short = dga_posterior(load("MultipleSystemsEstimation__Korea.csv"), 1.0, np.arange(0, 50))
    assert all(":" not in lab for lab, _ in short.top_models(8))


def _dga_ref(dataset, delta):
    (ref,) = [r for r in DGA if r["dataset"] == dataset and r["settings"]["delta"] == delta]
    return ref


def test_estimator_finds_its_own_grid_and_matches_r():
    from zicht.mse.dga import DGA

    uk = load("SparseMSE__UKdat_5.csv")
    half = DGA(0.5).fit(uk)
    ref = _dga_ref("SparseMSE__UKdat_5.csv", 0.5)
    assert half.details["grid_step"] == 1  # refined to step 1 around the posterior's bulk
    assert half.estimate == ref["estimate"] and half.ci == (ref["ci_low"], ref["ci_high"])
    # 1/32: the tail runs past 10 x observed, so the grid is widened instead of cutting it off
    small = DGA().fit(uk)
    ref = _dga_ref("SparseMSE__UKdat_5.csv", 0.03125)
    assert small.delta == 1 / 32 and small.details["grid_extended"]
    assert not small.details["grid_truncated"] and small.top_mass < 1e-4
    assert rel(small.estimate, ref["estimate"]) < 1e-3
    # the other priors travel with the answer
    others = {s["delta"]: s["median"] for s in small.details["delta_sensitivity"]}
    assert set(others) == {0.5, 1.0}
    assert rel(others[0.5], _dga_ref("SparseMSE__UKdat_5.csv", 0.5)["estimate"]) < 2e-3
    assert small.to_dict()["delta_sensitivity"][0]["median"] == others[0.5]


def test_estimator_refuses_tables_dga_does_not_take():
    from zicht.mse.dga import DGA

    with pytest.raises(MSEInputError, match="to 5 lists"):
        DGA().fit(load("SparseMSE__UKdat.csv"))
    with pytest.raises(MSEInputError, match="positive"):
        DGA(delta=0)


def test_posterior_plot_shows_each_prior():
    from zicht.mse.dga import DGA

    spec = DGA().fit(load("MultipleSystemsEstimation__Korea.csv")).plot().to_dict()
    values = [v for data in spec["datasets"].values() for v in data]
    assert {v["delta"] for v in values if "delta" in v} == \
        {"delta = 1/8 (= 2^-p)", "delta = 1/2", "delta = 1"}


@pytest.mark.parametrize(("name", "delta", "ample"), [
    # a second mode far out: on the Dutch 5-list table at 2^-5 a grid widened only while its
    # top held mass stopped at 11 x observed and gave an upper limit of 55,456
    ("SparseMSE__Ned_5.csv", 2.0 ** -5, 90),
    # a sharp peak at the observed number and a long tail: a coarse even grid put the median
    # at 101 (each point counted as a bin of 5)
    ("SparseMSE__Artificial_3.csv", 2.0 ** -3, 1_000),
])
def test_the_automatic_grid_equals_an_ample_one(name, delta, ample):
    """The automatic grid misses no part of the posterior: its median and interval equal those
    on an explicit grid reaching ``ample`` x observed (step 1 where that is small enough)."""
    from zicht.mse.dga import DGA

    table = load(name)
    n = table.n_observed
    step = max(1, ample * n // 50_000)
    explicit = DGA(delta, dark_grid=np.arange(0, ample * n + 1, step), sensitivity=()).fit(table)
    auto = DGA(delta, sensitivity=()).fit(table)
    # within the grids' resolution: the automatic one is log-spaced far from the observed
    tolerance = max(2 * step, 1e-3 * explicit.estimate)
    assert explicit.top_mass < 1e-3  # the explicit grid itself reaches the tail
    assert abs(auto.estimate - explicit.estimate) <= tolerance
    assert abs(auto.ci[0] - explicit.ci[0]) <= tolerance
    assert abs(auto.ci[1] - explicit.ci[1]) <= tolerance
    assert not auto.details["grid_truncated"]
