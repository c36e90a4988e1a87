"""The profile-likelihood machinery on its own: derivative, root search, edges."""

import numpy as np
import pytest

from zicht.mse.datasets import load_dataset
from zicht.mse.design import parse_terms
from zicht.mse.fitting import fit_loglinear
from zicht.mse.profile import _crossing, _Profile, profile_ci


def test_envelope_derivative_matches_finite_differences():
    uk = load_dataset("uk5")
    fit = fit_loglinear(uk.k, uk.cell_counts(), parse_terms("LA:NG,NG:GP", uk.lists))
    prof = _Profile(fit)
    for N in (3000.0, 9000.0, 20000.0):
        numeric = (prof(N + 0.5)[0] - prof(N - 0.5)[0]) / 1.0
        assert prof(N)[1] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


class Quadratic:
    """A concave 'profile' 10 - (N - 100)^2 / 50 with its derivative."""

    def __call__(self, N):
        return 10 - (N - 100) ** 2 / 50, -(N - 100) / 25


@pytest.mark.parametrize("guess", [101.0, 110.0, 121.0, 150.0])
def test_crossing_with_derivative_finds_both_roots(guess):
    q = Quadratic()
    f = lambda N: q(N)[0]  # noqa: E731  (roots at 100 +/- sqrt(500))
    root, at_edge = _crossing(f, 100.0, guess, 300.0, slope=q)
    assert not at_edge and root == pytest.approx(100 + np.sqrt(500), rel=1e-7)
    root, at_edge = _crossing(f, 100.0, 200.0 - guess, 0.0, slope=q)
    assert not at_edge and root == pytest.approx(100 - np.sqrt(500), rel=1e-7)


def test_crossing_reports_the_edge_when_never_reached():
    q = Quadratic()
    root, at_edge = _crossing(lambda N: q(N)[0], 100.0, 105.0, 115.0, slope=q)
    assert at_edge and root == 115.0
    root, at_edge = _crossing(lambda N: q(N)[0], 100.0, 105.0, 115.0, slope=None)
    assert at_edge and root == 115.0


def test_sparse_table_upper_bound_capped_and_flagged():
    # two lists that barely overlap: the profile is nearly flat far above the estimate
    from zicht.mse.data import CaptureHistories

    table = CaptureHistories(("A", "B", "C"), [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]],
                             [30, 25, 40, 1])
    fit = fit_loglinear(table.k, table.cell_counts(), [])
    ci = profile_ci(fit)
    assert ci.high_at_bound and ci.high == pytest.approx(3 * fit.estimate)
    assert ci.low < fit.estimate
