"""The covariate model at the scale of real stratifications (zicht.mse.covariates.blocked).

Tables come from tests/mse/stratified_tables.py (numpy alone, not zicht.simulate)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tests.mse.stratified_tables import stratified_table
from zicht.mse.covariates import CovariateLogLinear, CovariateSearch, StratifiedHistories
from zicht.mse.covariates import design as design_module
from zicht.mse.covariates.blocked import Blocks, blocked_ierr, fit_blocked
from zicht.mse.covariates.design import _Design
from zicht.mse.covariates.terms import hierarchical_closure, parse_covariate_terms
from zicht.mse.glm import fit_poisson
from zicht.mse.identifiability import IdentCache

MODELS = ["", "*:a", "L1:L2", "L1:L2,*:a", "L1:a,L2:b", "L1:L2:a", "L1:L2,L2:L3,L1:L3",
          "*:a,*:b"]


def _data(seed: int, lists: int, people: int) -> StratifiedHistories:
    t = stratified_table({"a": 3, "b": 2}, lists=lists, people=people, seed=seed, base=-1.5)
    return StratifiedHistories.from_frame(t.frame, t.covariates)


def _design(data: StratifiedHistories, spec: str
            ) -> tuple[_Design, np.ndarray, np.ndarray, np.ndarray]:
    terms = hierarchical_closure(parse_covariate_terms(spec or None, data.lists,
                                                       data.covariates, data.levels))
    des = _Design(data, terms)
    y = data.cells.ravel().astype(float)
    cols, rows, *_ = des.masks(terms, y)
    return des, y, cols, rows


@pytest.mark.parametrize("seed", range(4))
def test_the_blocked_fit_equals_the_dense_one(seed: int) -> None:
    data = _data(seed, lists=4, people=3_000)
    for spec in MODELS:
        des, y, cols, rows = _design(data, spec)
        dense = fit_poisson(des.X[:, cols], y, rowmask=rows)
        blocked = fit_blocked(des.blocks_of(cols), y, rowmask=rows)
        assert blocked.converged[0] == dense.converged[0]
        np.testing.assert_allclose(blocked.deviance, dense.deviance, rtol=1e-9, atol=1e-7)
        if IdentCache().check(des.X[:, cols][rows], y[rows]) == 0:
            np.testing.assert_allclose(blocked.beta, dense.beta, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(blocked.cov, dense.cov, rtol=1e-6, atol=1e-9)


def test_the_product_structure_gives_the_sparse_products() -> None:
    """X'WX from the per-stratum sums equals the sparse product, with cells weighted 0."""
    data = _data(5, lists=5, people=4_000)
    des, y, cols, rows = _design(data, "L1:L2,*:a,L2:L3:b")
    b = des.blocks_of(cols)
    plain = Blocks(b.Xq, b.stratum, b.S)
    assert b.A is not None and plain.A is None
    w = np.random.default_rng(0).gamma(1.0, size=y.size) * (np.arange(y.size) % 7 != 0)
    for got, want in zip(b.parts(w), plain.parts(w), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_existence_verdicts_agree_with_the_full_programme() -> None:
    """Sparse tables, where many models have no MLE: the verdict from the null directions
    equals the linear programme over all cells (zicht.mse.identifiability)."""
    verdicts = []
    for seed in range(30):
        data = _data(seed, lists=3 + seed % 2, people=60 + 10 * seed)
        for spec in MODELS[1:]:
            try:
                des, y, cols, rows = _design(data, spec)
            except Exception:  # noqa: BLE001 - a term this sparse table cannot have
                continue
            full = IdentCache().check(des.X[:, cols][rows], y[rows])
            assert blocked_ierr(des.blocks_of(cols), y, rows) == full, (seed, spec)
            assert blocked_ierr(des.blocks_of(cols).take(rows), y[rows]) == full  # unstructured
            verdicts.append(full)
    assert verdicts.count(0) > 20 and verdicts.count(1) > 20  # both kinds were tested


def test_a_stratum_with_nobody_has_no_mle() -> None:
    """Two strata of a 3-list independence model; the second's people all unobserved."""
    Xq = np.tile(np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1],
                           [1, 1, 1]], float), (2, 1))
    b = Blocks(sp.csr_matrix(Xq), np.repeat([0, 1], 7), 2)
    y = np.r_[np.arange(1, 8), np.zeros(7)].astype(float)
    assert blocked_ierr(b, y) == 1
    assert blocked_ierr(b, y + np.r_[np.zeros(7), np.ones(7)]) == 0


@pytest.mark.parametrize("seed", [3, 4])
def test_screened_stepwise_finds_the_model_of_the_full_stepwise(seed: int, monkeypatch) -> None:
    """On a design too large to form, each step fits only the moves that the score and Wald
    statistics rank first; on tables where both paths run it ends at the full search's model."""
    t = stratified_table({"a": 4, "b": 3, "c": 2}, lists=5, people=20_000, seed=seed)
    data = StratifiedHistories.from_frame(t.frame, t.covariates)
    monkeypatch.setattr(design_module, "DENSE_LIMIT", 10**12)
    full = CovariateSearch(criterion="bic").fit(data)
    monkeypatch.setattr(design_module, "DENSE_LIMIT", 0)
    screened = CovariateSearch(criterion="bic").fit(data)
    assert screened.model == full.model
    assert screened.estimate == pytest.approx(full.estimate, rel=1e-6)
    assert screened.details["models_fitted"] < full.details["models_fitted"] / 3


def test_a_real_sized_stratification_is_fitted_without_the_dense_design(monkeypatch) -> None:
    """Five covariates, ~2,000 strata of 63 cells: the dense design would be ~1 GB and its
    products ~900 GB; the blocked fit never forms it and recovers the total."""
    t = stratified_table({"year": 10, "sex": 2, "age": 6, "form": 4, "nat": 4}, lists=6,
                         people=60_000, seed=7)
    data = StratifiedHistories.from_frame(t.frame, t.covariates)
    assert data.n_strata > 1_500

    def refuse(self: Blocks) -> np.ndarray:
        raise AssertionError("the dense design was formed")

    monkeypatch.setattr(Blocks, "dense", refuse)
    res = CovariateLogLinear(terms="*:year,*:sex,*:age,*:form,*:nat,L1:L2").fit(data)
    truth = int(t.truth.sum())
    low, high = res.ci
    assert low < truth < high
    assert abs(res.estimate / truth - 1) < 0.05
    assert len(res.strata) == data.n_strata
    by_year = res.strata.groupby("year")["estimate"].sum()
    true_by_year = t.truth.groupby(level="year").sum()
    assert (abs(by_year / true_by_year - 1) < 0.15).all()


def test_a_model_too_large_for_memory_is_refused_in_one_line(monkeypatch, tmp_path) -> None:
    from typer.testing import CliRunner

    from zicht.cli import app

    t = stratified_table({"year": 5, "nat": 4}, lists=4, people=5_000, seed=1)
    path = tmp_path / "t.csv"
    t.frame.to_csv(path, index=False)
    monkeypatch.setattr(design_module, "MEMORY_LIMIT", 1_000)
    result = CliRunner().invoke(app, ["estimate", str(path), "--covariates", "year,nat"])
    assert result.exit_code != 0
    assert "too many to fit" in result.output and "Traceback" not in result.output
    assert result.output.strip().count("\n") <= 2
