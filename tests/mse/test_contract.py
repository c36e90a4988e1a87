"""The estimator contract, the method registry and the exception tree of zicht.mse."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import zicht.mse as mse
from zicht.mse import errors
from zicht.mse.base import Estimator
from zicht.mse.closedp import CLI_NAMES
from zicht.mse.covariates import StratifiedHistories
from zicht.mse.frequency import CaptureFrequencies
from zicht.mse.methods import (
    FAMILIES,
    METHODS,
    REGISTRY,
    entries,
    lookup,
    make_estimator,
    names,
)
from zicht.mse.result import Result

QUICK_LCMCR = {"burnin": 200, "samples": 100, "thinning": 2}


def _registered():
    return [pytest.param(m, id=f"{m.family}:{m.name}") for m in REGISTRY]


@pytest.mark.parametrize("method", _registered())
def test_every_registered_method_is_an_estimator_whose_params_round_trip(method):
    est = method.make()
    assert isinstance(est, Estimator)
    params = est.get_params()
    assert list(params) == type(est)._param_names()
    again = type(est)(**params)
    assert again.get_params() == params
    assert repr(again) == repr(est)
    assert repr(est).startswith(type(est).__name__ + "(")


@pytest.mark.parametrize("method", _registered())
def test_every_estimator_keeps_its_settings_as_attributes(method):
    cls = method.estimator_class()
    for name in cls._param_names():
        assert name in inspect.signature(cls.__init__).parameters
    est = method.make(level=0.9)
    assert est.level == 0.9
    assert "level=0.9" in repr(est)


def test_repr_shows_only_the_settings_that_differ_from_their_defaults():
    assert repr(mse.Stepwise()) == "Stepwise()"
    assert repr(mse.Stepwise(0.05, ci="bca", nboot=200)) == \
        "Stepwise(pthresh=0.05, ci='bca', nboot=200)"
    assert repr(mse.LogLinear("A:B")) == "LogLinear(terms='A:B')"


def test_registry_names_are_what_make_estimator_accepts():
    assert METHODS == names(input="histories")
    assert METHODS == ("stepwise", "aic", "bic", "model", "Mt",
                       *[m for m in CLI_NAMES if m != "Mt"], "dga", "lcmcr")
    for name in METHODS:
        assert isinstance(make_estimator(name), Estimator)
    for inp in ("frequencies", "strata"):
        for name in names(input=inp):
            assert isinstance(make_estimator(name, input=inp), Estimator)
    with pytest.raises(mse.MSEInputError, match="unknown method 'nope'.*stepwise"):
        make_estimator("nope")
    with pytest.raises(mse.MSEInputError, match="unknown method 'dga'"):
        make_estimator("dga", input="frequencies")


def test_registry_families_and_inputs():
    assert {m.family for m in REGISTRY} == set(FAMILIES)
    assert names(family="frequency") == ("M0", "Mh-chao", "Mh-poisson2", "Mh-darroch",
                                         "Mh-gamma3.5")
    assert names(family="stratified") == mse.StratifiedEstimate.METHODS
    assert set(names(family="closedp")) | {"Mt"} == set(CLI_NAMES)
    assert type(lookup("aic", "strata").make()).__name__ == "CovariateSearch"
    assert type(lookup("aic", "strata", "stratified").make()).__name__ == "StratifiedEstimate"
    assert type(make_estimator("M0", input="frequencies")).__name__ == "ClosedP0"
    assert type(make_estimator("M0")).__name__ == "ClosedP"
    with pytest.raises(mse.MSEInputError, match="unknown family"):
        entries(family="nope")
    from zicht.mse.compare import FAMILIES as COMPARE_LABELS
    from zicht.mse.compare import FAMILY_LABELS

    assert set(FAMILY_LABELS) == set(FAMILIES)  # compare labels every registered family
    assert set(FAMILY_LABELS.values()) == set(COMPARE_LABELS)


def test_make_estimator_passes_the_settings_each_class_takes():
    step = make_estimator("stepwise", pthresh=0.1, seed=7, ci="none", level=0.8)
    assert step.get_params() == {"pthresh": 0.1, "ci": "none", "level": 0.8, "nboot": 1000,
                                 "seed": 7}
    assert make_estimator("model", "A:B").terms == "A:B"
    assert make_estimator("dga", delta=0.5).delta == 0.5
    assert make_estimator("lcmcr", seed=5).seed == 5
    assert make_estimator("lcmcr").seed == 123  # None: the class's default


def test_settings_in_init_or_fit_give_the_same_result(uk5):
    by_fit = mse.Stepwise().fit(uk5, ci="bootstrap", level=0.9, nboot=60, seed=11)
    est = mse.Stepwise(ci="bootstrap", level=0.9, nboot=60, seed=11)
    by_init = est.fit(uk5)
    assert by_init.estimate == by_fit.estimate
    assert by_init.ci == by_fit.ci and by_init.level == 0.9
    assert est.result_ is by_init
    # fit's keywords override for that call only
    none = est.fit(uk5, ci="none")
    assert none.ci is None and est.ci == "bootstrap"


def test_settings_in_init_or_fit_give_the_same_result_for_every_family(uk5):
    freq = CaptureFrequencies.from_histories(uk5)
    pairs = [
        (mse.ClosedP("Mth Darroch", level=0.9), mse.ClosedP("Mth Darroch"), uk5),
        (mse.ClosedP0("Mh Darroch", ci="model", level=0.9), mse.ClosedP0("Mh Darroch"), freq),
        (mse.DGA(level=0.9, sensitivity=()), mse.DGA(sensitivity=()), uk5),
        (mse.LCMCR(level=0.9, **QUICK_LCMCR), mse.LCMCR(**QUICK_LCMCR), uk5),
    ]
    for by_init, plain, data in pairs:
        a = by_init.fit(data)
        b = plain.fit(data, ci=by_init.ci, level=0.9)
        assert a.estimate == b.estimate and a.ci == b.ci and a.level == b.level == 0.9


def test_covariate_settings_in_init_or_fit(strata):
    a = mse.CovariateLogLinear("*:sex", level=0.8).fit(strata)
    b = mse.CovariateLogLinear("*:sex").fit(strata, level=0.8)
    assert a.estimate == b.estimate and a.ci == b.ci == a.total.ci
    assert a.ci_low == a.total.ci_low and a.dark_figure == a.estimate - a.observed


@pytest.fixture
def strata():
    rng = np.random.default_rng(3)
    cells = rng.poisson(40, size=(2, 7)) + 1
    return StratifiedHistories(("A", "B", "C"), ("sex",), pd.DataFrame({"sex": ["F", "M"]}),
                               cells)


def test_the_level_and_ci_checks_are_one_check(uk5):
    for make in (lambda **kw: mse.Stepwise(**kw), lambda **kw: mse.DGA(**kw),
                 lambda **kw: mse.LCMCR(**kw), lambda **kw: mse.ClosedP0(**kw),
                 lambda **kw: mse.CovariateSearch(**kw),
                 lambda **kw: mse.StratifiedEstimate(**kw)):
        with pytest.raises(errors.InvalidSetting, match="level must be between 0 and 1"):
            make(level=1.0)
        with pytest.raises(ValueError, match="level must be between 0 and 1"):
            make().fit(uk5, level=0.0)
    with pytest.raises(errors.InvalidSetting, match="ci must be one of profile"):
        mse.Stepwise(ci="posterior")
    with pytest.raises(errors.InvalidSetting, match="ci must be one of lognormal"):
        mse.CovariateLogLinear(ci="profile")
    mse.DGA(ci="profile")  # the posterior estimators take any ci (the interval is theirs)


def test_every_mse_exception_is_an_mse_error():
    found = [obj for obj in vars(errors).values()
             if isinstance(obj, type) and issubclass(obj, Exception)]
    assert len(found) >= 5
    for exc in found:
        assert issubclass(exc, errors.MSEError), exc
    assert issubclass(errors.MSEInputError, ValueError)
    assert issubclass(errors.InvalidSetting, ValueError)
    assert issubclass(errors.EstimateNotAvailable, RuntimeError)
    from zicht.mse.frequency import _GlmError

    assert issubclass(_GlmError, errors.MSEError)


def test_every_result_satisfies_the_protocol(uk5):
    results = [
        mse.Stepwise().fit(uk5, ci="none"),
        mse.DGA(sensitivity=()).fit(uk5),
        mse.LCMCR(**QUICK_LCMCR).fit(uk5),
        mse.ClosedP0("M0").fit(CaptureFrequencies.from_histories(uk5)),
    ]
    for r in results:
        assert isinstance(r, Result)
        assert r.dark_figure == pytest.approx(r.estimate - r.observed)
        assert (r.ci_low, r.ci_high) == ((None, None) if r.ci is None else r.ci)
