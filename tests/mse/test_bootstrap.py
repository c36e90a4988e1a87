"""SparseMSE's BCa bootstrap, reproduced from the resamples R drew (exact) and from our own
seeded resampling (within Monte Carlo error)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tests.support import REF_DIR, ids, load, refs, rel
from zicht.mse import MainEffects, Stepwise
from zicht.mse.bootstrap import (
    bca_from_replicates,
    bca_limit,
    jackknife,
    quantile_type8,
    rows_to_cells,
)

BOOT = refs("SparseMSE::estimatepopulation (BCa bootstrap)")


def r_resamples(ref):
    frame = pd.read_csv(REF_DIR / "bootstrap" / f"{ref['dataset'][:-4]}__nboot1000.csv")
    return frame[[c for c in frame.columns if c.startswith("row")]].to_numpy(), frame["estimate"]


def estimator_for(ref):
    return Stepwise(ref["settings"]["pthresh"]) if ref["settings"]["pthresh"] else MainEffects()


@pytest.mark.parametrize("ref", BOOT, ids=[f"{i}-p{r['settings']['pthresh']}"
                                           for i, r in zip(ids(BOOT), BOOT, strict=True)])
def test_bca_from_r_resamples(ref):
    """Re-run the estimator on each of R's 1,000 resampled tables, jackknife, BCa: the limits
    must equal SparseMSE's to 0.01 %."""
    table = load(ref["dataset"])
    rows, r_estimates = r_resamples(ref)
    est = estimator_for(ref)
    batch = est._estimate_batch
    ours = batch(table.k, rows_to_cells(table, rows))
    theta = batch(table.k, table.cell_counts()[None, :])[0]
    assert rel(theta, ref["estimate"]) < 1e-7  # R stops glm at a 1e-8 deviance change
    if ref["settings"]["pthresh"]:
        # the replicates themselves: the file holds R's estimate of each resample
        finite = np.isfinite(ours)
        assert np.allclose(ours[finite], r_estimates[finite], rtol=1e-6)
        # one Artificial_3 resample has no overlap at all: its MLE is at infinity (R's glm
        # stopped at 1.3e13); we report inf, which sorts to the same place
        assert (~finite).sum() == (r_estimates > 1e12).sum()
    theta_jack, weights = jackknife(table, batch)
    res = bca_from_replicates(theta, ours, theta_jack, weights)
    assert res.acceleration == pytest.approx(ref["extra"]["ahat"], rel=1e-6)
    z0_r = ref["extra"].get("z0")
    if ref["dataset"].startswith("MultipleSystemsEstimation__Korea"):
        # 7 of Korea's replicates equal the estimate (268.7777...) up to rounding: whether they
        # count as "below" is decided by floating-point noise, so z0 differs (R 0.3611, us
        # 0.3505).  With R's z0 the limits are exact: the formula is the same.
        ties = np.isclose(ours, theta, rtol=1e-9, atol=0).sum()
        assert ties == 7
        share_r = norm.cdf(z0_r)
        assert abs(share_r - np.mean(ours < theta)) * len(ours) <= ties
        limits = {a: bca_limit(ours, theta, z0_r, res.acceleration, a)
                  for a in res.quantiles}
    else:
        if z0_r is not None:
            assert res.z0 == pytest.approx(z0_r, rel=1e-6, abs=1e-9)
        limits = res.quantiles
    for alpha, want in ref["extra"]["BCaquantiles"].items():
        assert rel(limits[float(alpha)], want) < 1e-4, alpha


SEEDED = [r for r in BOOT if r["dataset"] in (
    "SparseMSE__UKdat_5.csv", "MultipleSystemsEstimation__Kosovo.csv", "Rcapture__lesbian.csv",
    "Rcapture__HIV.csv") and r["settings"]["pthresh"]]


@pytest.mark.parametrize("ref", SEEDED, ids=ids(SEEDED))
def test_seeded_bca_agrees_within_monte_carlo_error(ref):
    """Our own resamples (PCG64, seed 1234) cannot be R's; compare in distribution.

    A BCa limit is the replicate quantile at an adjusted level q.  With B replicates the rank of
    that order statistic has binomial sd s = sqrt(B q (1 - q)), so the limit's Monte Carlo sd is
    about (x[Bq + s] - x[Bq - s]) / 2 in each run.  R's limit and ours are independent, so their
    difference has sd sqrt(sd_R^2 + sd_ours^2); the test allows 3.3 of those (0.1 % two-sided)
    for the 2.5 % and 97.5 % limits.
    """
    table = load(ref["dataset"])
    result = Stepwise().fit(table, ci="bca", nboot=1000, seed=1234)
    boot = result.details["_bootstrap"]
    _, r_estimates = r_resamples(ref)
    r_sorted, ours_sorted = np.sort(r_estimates.to_numpy()), np.sort(boot.replicates)
    B = len(ours_sorted)
    for alpha in (0.025, 0.975):
        za = norm.ppf(alpha)
        sds = []
        for sorted_, z0, a in ((ours_sorted, boot.z0, boot.acceleration),
                               (r_sorted, ref["extra"]["z0"], ref["extra"]["ahat"])):
            q = norm.cdf(z0 + (z0 + za) / (1 - a * (z0 + za)))
            s = np.sqrt(B * q * (1 - q))
            lo = int(np.clip(np.floor(B * q - s), 0, B - 1))
            hi = int(np.clip(np.ceil(B * q + s), 0, B - 1))
            sds.append((sorted_[hi] - sorted_[lo]) / 2)
        ours = boot.quantiles[alpha]
        theirs = ref["extra"]["BCaquantiles"][str(alpha)]
        assert abs(ours - theirs) <= 3.3 * np.hypot(*sds), (alpha, ours, theirs, sds)
    assert result.ci[0] < result.estimate < result.ci[1]


def test_bootstrap_is_reproducible_and_seed_dependent(uk5):
    a = Stepwise().fit(uk5, ci="bca", nboot=60, seed=7)
    b = Stepwise().fit(uk5, ci="bca", nboot=60, seed=7)
    c = Stepwise().fit(uk5, ci="bca", nboot=60, seed=8)
    ra, rb, rc = (x.details["_bootstrap"].replicates for x in (a, b, c))
    assert np.array_equal(ra, rb) and a.ci == b.ci
    assert not np.array_equal(ra, rc)


def test_type8_quantile_matches_r_and_handles_infinite_replicates():
    # R: quantile(1:10, c(0.1, 0.5, 0.975), type = 8) = 1.366667 5.500000 10.000000
    x = np.arange(1.0, 11.0)
    assert quantile_type8(x, 0.1) == pytest.approx(1 + 11 / 30, rel=1e-12)
    assert quantile_type8(x, 0.5) == 5.5 and quantile_type8(x, 0.975) == 10.0
    rng = np.random.default_rng(0)
    y = rng.lognormal(size=999)
    for q in (0.025, 0.16, 0.5, 0.84, 0.975):
        assert quantile_type8(y, q) == pytest.approx(
            np.quantile(y, q, method="median_unbiased"), rel=1e-12)
    # an infinite replicate (MLE at infinity) makes the limits next to it infinite, as in R,
    # where numpy would give NaN (inf - inf)
    z = np.append(np.arange(1.0, 20.0), np.inf)
    assert quantile_type8(z, 0.99) == np.inf
    assert quantile_type8(z, 0.5) == pytest.approx(10.5)


def test_percentile_interval_uses_type8_limits(uk5):
    res = Stepwise().fit(uk5, ci="bootstrap", nboot=80, seed=3)
    reps = np.sort(res.details["_bootstrap"].replicates)
    # type 8 at 2.5 % of 80: position 80 * 0.025 + (0.025 + 1) / 3 = 2.3417
    assert res.ci[0] == pytest.approx(reps[1] + 0.341666666 * (reps[2] - reps[1]), rel=1e-9)
    assert res.ci[1] == pytest.approx(reps[77] + 0.658333333 * (reps[78] - reps[77]), rel=1e-9)
