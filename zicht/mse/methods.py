"""Every estimator by name: the one registry the CLI, :func:`zicht.mse.compare` and the
simulation study read.

Each :class:`Method` has a ``name`` (as the CLI's ``--method`` takes it), a ``family``, the
``inputs`` it accepts (``histories``: a capture-history table; ``frequencies``: frequencies of
capture; ``strata``: capture histories by covariates) and a factory :meth:`Method.make` taking
the settings.  A name can mean one method per input: ``M0`` on capture histories is Rcapture's
``closedp.t`` model, on frequencies its ``closedp.0`` model.

* ``names(family=..., input=...)`` lists names (in registry order, each once);
* ``lookup(name, input=..., family=...)`` gives the entry, refusing an unknown name;
* ``make_estimator(name, terms, pthresh, delta, seed, **settings)`` builds the estimator;
* :data:`METHODS` are the names on capture histories (``zicht estimate --method``).

The estimator classes are imported when an entry is made, not when this module is imported
(the latent-class sampler loads numba).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from .base import Estimator
from .closedp import CLI_NAMES
from .errors import InvalidSetting, MSEInputError

HISTORIES, FREQUENCIES, STRATA = "histories", "frequencies", "strata"
INPUTS = (HISTORIES, FREQUENCIES, STRATA)

#: family -> what it is (``compare`` shows its own labels, :data:`zicht.mse.compare.FAMILIES`)
FAMILIES: dict[str, str] = {
    "loglinear": "log-linear models: a given model, stepwise selection, AIC/BIC search",
    "closedp": "Rcapture's classical closed-population models (closedp.t)",
    "bayesian": "decomposable graphical model averaging (dga)",
    "latent class": "latent-class MSE (LCMCR)",
    "frequency": "Rcapture's closedp.0 models on frequencies of capture",
    "covariates": "one log-linear model over all strata of the covariates",
    "stratified": "a separate model in each stratum, summed",
}


@dataclass(frozen=True)
class Method:
    """One registered method: ``make(**settings)`` builds its estimator.

    ``fixed`` are the arguments that make this method of its class (``criterion="bic"``,
    ``model="Mh Chao (LB)"``); ``make`` passes on, of the settings it is given, those the
    class's ``__init__`` takes (``terms``, ``pthresh``, ``delta``, ``ci``, ``level``, ``nboot``,
    ``seed``, ...) and leaves out the others and those that are ``None``.
    """

    name: str
    family: str
    module: str  # the class's module in zicht.mse, imported on make
    cls_name: str
    inputs: tuple[str, ...] = (HISTORIES,)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # the name in tables (compare): Rcapture's for its models

    @property
    def display(self) -> str:
        return self.label or self.name

    def estimator_class(self) -> type[Estimator[Any]]:
        cls: type[Estimator[Any]] = getattr(import_module(f"{__package__}.{self.module}"),
                                            self.cls_name)
        return cls

    def make(self, strict: bool = False, **settings: Any) -> Estimator[Any]:
        """The estimator, with the settings its class takes (``None`` means its default).

        ``strict``: every setting is the caller's choice for this method, as given (``None``
        too, e.g. ``seed=None`` for a fresh seed); one the class does not take is refused
        instead of left out."""
        cls = self.estimator_class()
        takes = set(cls._param_names())
        if strict:
            unknown = sorted(set(settings) - takes)
            if unknown:
                raise InvalidSetting(f"{self.name}: no setting {', '.join(map(repr, unknown))} "
                                     f"(it takes {', '.join(sorted(takes))})")
            return cls(**{**settings, **self.fixed})
        given = {k: v for k, v in settings.items() if k in takes and v is not None}
        return cls(**{**given, **self.fixed})


def _closedp(name: str) -> Method:
    return Method(name, "closedp", "closedp", "ClosedP", fixed={"model": CLI_NAMES[name]},
                  label=CLI_NAMES[name])


def _frequency(name: str) -> Method:
    return Method(name, "frequency", "frequency", "ClosedP0", (FREQUENCIES,),
                  fixed={"model": name}, label=CLI_NAMES[name])


def _stratified(name: str) -> Method:
    return Method(name, "stratified", "covariates", "StratifiedEstimate", (STRATA,),
                  fixed={"method": name})


REGISTRY: tuple[Method, ...] = (
    Method("stepwise", "loglinear", "stepwise", "Stepwise"),
    Method("aic", "loglinear", "search", "ModelSearch", fixed={"criterion": "aic"}),
    Method("bic", "loglinear", "search", "ModelSearch", fixed={"criterion": "bic"}),
    Method("model", "loglinear", "loglinear", "LogLinear"),
    Method("Mt", "loglinear", "loglinear", "MainEffects"),
    *[_closedp(name) for name in CLI_NAMES if name != "Mt"],
    Method("dga", "bayesian", "dga", "DGA"),
    Method("lcmcr", "latent class", "lcmcr", "LCMCR"),
    *[_frequency(name) for name in ("M0", "Mh-chao", "Mh-poisson2", "Mh-darroch",
                                    "Mh-gamma3.5")],
    Method("model", "covariates", "covariates", "CovariateLogLinear", (STRATA,)),
    Method("aic", "covariates", "covariates", "CovariateSearch", (STRATA,),
           fixed={"criterion": "aic"}),
    Method("bic", "covariates", "covariates", "CovariateSearch", (STRATA,),
           fixed={"criterion": "bic"}),
    *[_stratified(name) for name in ("stepwise", "aic", "bic", "model", "Mt")],
)


def entries(family: str | None = None, input: str | None = None) -> tuple[Method, ...]:
    """The registered methods of ``family`` that accept ``input`` (``None``: any)."""
    if family is not None and family not in FAMILIES:
        raise MSEInputError(f"unknown family {family!r} (choose from {', '.join(FAMILIES)})")
    if input is not None and input not in INPUTS:
        raise MSEInputError(f"unknown input {input!r} (choose from {', '.join(INPUTS)})")
    return tuple(m for m in REGISTRY if (family is None or m.family == family)
                 and (input is None or input in m.inputs))


def names(family: str | None = None, input: str | None = None) -> tuple[str, ...]:
    """Names of the methods of ``family`` that accept ``input``, in registry order, each once:
    ``names(input="histories")`` is :data:`METHODS`, ``names(family="frequency")`` the
    ``closedp.0`` models, ``names(family="stratified")`` what ``--stratified`` takes."""
    return tuple(dict.fromkeys(m.name for m in entries(family, input)))


def lookup(name: str, input: str = HISTORIES, family: str | None = None) -> Method:
    """The method ``name`` on ``input`` (of ``family`` where a name has more than one there:
    ``aic`` on strata is the covariate search, or with ``family="stratified"`` a separate
    search per stratum)."""
    for m in entries(family, input):
        if m.name == name:
            return m
    raise MSEInputError(f"unknown method {name!r} (choose from "
                        f"{', '.join(names(family, input))})")


METHODS = names(input=HISTORIES)


def make_estimator(method: str, terms: Any = None, pthresh: float = 0.02,
                   delta: float | None = None, seed: int | None = None, *,
                   input: str = HISTORIES, family: str | None = None,
                   **settings: Any) -> Estimator[Any]:
    """The estimator registered as ``method``: ``stepwise`` (with ``pthresh``), ``aic``,
    ``bic``, ``model`` (with ``terms``), ``Mt``, a closedp name, ``dga`` (with ``delta``) or
    ``lcmcr`` on capture histories; see :func:`names` for the other inputs.  ``seed`` and the
    ``settings`` (``ci``, ``level``, ``nboot``, a model's own) go to the estimators that take
    them; ``None`` leaves an estimator's default."""
    return lookup(method, input, family).make(terms=terms, pthresh=pthresh, delta=delta,
                                              seed=seed, **settings)
