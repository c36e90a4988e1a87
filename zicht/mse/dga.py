"""Decomposable graphical model averaging (as R ``dga``, Madigan & York 1997).

The posterior of the population size N is computed exactly on a grid of dark-figure values,
averaged over every decomposable (chordal) graph on the lists with a hyper-Dirichlet prior
(``delta`` pseudo-counts per cell of the full table) - see ``docs/METHODS.md`` 5.3.

* :func:`decomposable_graphs` enumerates the labelled chordal graphs on p lists (8, 61, 822 for
  3, 4, 5 lists) with their maximal cliques and separators.  It is written here rather than
  taken from networkx: p <= 6 makes brute force over the 2^(p choose 2) edge sets instant,
  and the separators must follow dga's convention (empty separators between disconnected
  components are not listed).
* :func:`dga_posterior` returns the joint posterior over (graph, N) and its margins.

The choice of ``delta`` moves the answer (UK, 5 lists: median 2,786 at delta = 0.5, 22,992 at
1/32: pseudo-counts in empty high-order cells act as overlap); the result keeps delta and the
callers show estimates at several values rather than one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
from scipy.special import gammaln, logsumexp

from ._types import Array, FloatArray
from .base import Estimator, FitSettings, check_level
from .data import CaptureHistories, as_capture_histories
from .errors import MSEInputError
from .posterior import PosteriorResult

LogPrior = Callable[[FloatArray], Array]  # log p(N) for an array of N

__all__ = ["DGA", "DGAResult", "Graph", "decomposable_graphs", "dga_posterior",
           "negative_binomial_log_prior"]


@dataclass(frozen=True)
class Graph:
    edges: frozenset[tuple[int, int]]
    cliques: tuple[frozenset[int], ...]
    separators: tuple[frozenset[int], ...]

    def label(self, lists: tuple[str, ...]) -> str:
        """Cliques as list names joined, e.g. ``"AB,BC"`` (the names in list order); names
        longer than one letter are joined by ``:`` (``"LA:NG,NG:GP"``)."""
        sep = "" if all(len(name) == 1 for name in lists) else ":"
        return ",".join(sorted(sep.join(lists[i] for i in sorted(c)) for c in self.cliques))


def _is_chordal(p: int, adj: list[set[int]]) -> bool:
    """Maximum cardinality search gives a perfect elimination ordering iff chordal."""
    order, weight, numbered = [], [0] * p, [False] * p
    for _ in range(p):
        v = max((u for u in range(p) if not numbered[u]), key=lambda u: weight[u])
        numbered[v] = True
        order.append(v)
        for u in adj[v]:
            if not numbered[u]:
                weight[u] += 1
    position = {v: i for i, v in enumerate(order)}
    for v in order:  # earlier-numbered neighbours of v must form a clique
        earlier = [u for u in adj[v] if position[u] < position[v]]
        if earlier:
            parent = max(earlier, key=lambda u: position[u])
            if not set(earlier) - {parent} <= adj[parent]:
                return False
    return True


def _maximal_cliques(p: int, adj: list[set[int]]) -> list[frozenset[int]]:
    cliques: list[frozenset[int]] = []
    for size in range(p, 0, -1):
        for subset in combinations(range(p), size):
            s = frozenset(subset)
            if all(b in adj[a] for a, b in combinations(subset, 2)) and \
                    not any(s < c for c in cliques):
                cliques.append(s)
    return cliques


def _separators(cliques: list[frozenset[int]]) -> list[frozenset[int]]:
    """Separators of a junction tree (maximum-weight spanning tree of the clique graph,
    weight = size of the intersection); empty intersections are not separators."""
    n = len(cliques)
    edges = sorted(((len(cliques[i] & cliques[j]), i, j) for i, j in combinations(range(n), 2)),
                   reverse=True)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    out = []
    for weight, i, j in edges:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
            if weight > 0:
                out.append(cliques[i] & cliques[j])
    return out


@lru_cache(maxsize=8)
def decomposable_graphs(p: int) -> tuple[Graph, ...]:
    """Every labelled decomposable graph on ``p`` lists (8, 61, 822, 18,154 for 3-6)."""
    if not 2 <= p <= 6:
        raise MSEInputError(f"dga handles 2 to 6 lists, not {p}")
    pairs = list(combinations(range(p), 2))
    out = []
    for mask in range(1 << len(pairs)):
        edges = frozenset(pr for b, pr in enumerate(pairs) if mask >> b & 1)
        adj: list[set[int]] = [set() for _ in range(p)]
        for a, b in edges:
            adj[a].add(b)
            adj[b].add(a)
        if _is_chordal(p, adj):
            cliques = _maximal_cliques(p, adj)
            out.append(Graph(edges, tuple(cliques), tuple(_separators(cliques))))
    return tuple(out)


def negative_binomial_log_prior(a: float, b: float) -> LogPrior:
    """log p(N) of a negative binomial prior with shape ``a`` and odds ``b`` (mean a*b), as
    in dga's Madigan-York example (a = 13.14, b = 55.17): for ``dga_posterior(log_prior=)``."""

    def log_prior(n: np.ndarray) -> np.ndarray:
        return np.asarray(n * np.log(b) - (n + a) * np.log1p(b) + gammaln(n + a) - gammaln(n + 1)
                - gammaln(a))

    return log_prior


@dataclass
class DGAResult(PosteriorResult):
    """The posterior of N on the grid and of the graphs; ``estimate`` is the posterior median.

    ``details["delta_sensitivity"]`` (filled by :class:`DGA`) holds the median and interval at
    other values of delta, because delta moves the answer."""

    lists: tuple[str, ...]
    observed: int
    delta: float
    n_grid: np.ndarray  # candidate population sizes N = observed + dark figure
    posterior: np.ndarray  # P(N) on the grid
    graphs: tuple[Graph, ...]
    model_probabilities: np.ndarray  # P(graph)
    details: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    method: str = "dga"

    def quantile(self, q: float) -> float:
        """The smallest N on the grid whose posterior CDF reaches ``q``."""
        cdf = np.cumsum(self.posterior)
        return float(self.n_grid[min(np.searchsorted(cdf, q * cdf[-1]), len(cdf) - 1)])

    @property
    def mean(self) -> float:
        return float(np.dot(self.n_grid, self.posterior) / self.posterior.sum())

    @property
    def mode(self) -> float:
        return float(self.n_grid[int(np.argmax(self.posterior))])

    @property
    def top_mass(self) -> float:
        """Posterior mass in the top 1 % of the grid: large when the grid cuts the tail off."""
        cut = self.n_grid[0] + 0.99 * (self.n_grid[-1] - self.n_grid[0])
        return float(self.posterior[self.n_grid >= cut].sum())

    @property
    def model_label(self) -> str:
        label, prob = self.top_models(1)[0]
        return (f"{len(self.graphs)} decomposable graphs averaged; most probable {label} "
                f"({prob:.0%})")

    def top_models(self, k: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-self.model_probabilities)[:k]
        return [(self.graphs[i].label(self.lists), float(self.model_probabilities[i]))
                for i in order]

    def _summary_rows(self) -> dict[str, Any]:
        step = self.details.get("grid_step") or 1.0
        rows = {"delta": _delta_label(self.delta, len(self.lists)),
                "grid": f"N = {self.n_grid[0]:,.0f} .. {self.n_grid[-1]:,.0f}, step "
                        + ("1" if step <= 1 else f"at most {step:,.0f}"),
                "posterior mode": round(self.mode, 2)}
        for i, (label, prob) in enumerate(self.top_models(3), start=1):
            rows[f"model {i}"] = f"{label} ({prob:.3f})"
        for s in self.details.get("delta_sensitivity", []):
            rows[f"at delta = {s['delta_label']}"] = (
                f"median {s['median']:,.0f}, {self.level:.0%} interval "
                f"{s['ci_low']:,.0f} - {s['ci_high']:,.0f}")
        return rows

    def _dict_extra(self) -> dict[str, Any]:
        return {"delta": self.delta, "posterior_mode": self.mode,
                "model": self.model_label, "n_graphs": len(self.graphs),
                "top_models": [{"cliques": c, "probability": p} for c, p in self.top_models(5)],
                "grid": {"from": float(self.n_grid[0]), "to": float(self.n_grid[-1]),
                         "step": self.details.get("grid_step")},
                "mass_in_top_1pct_of_grid": self.top_mass,
                **{k: v for k, v in self.details.items()
                   if k in ("delta_sensitivity", "grid_extended")}}

    def plot(self) -> Any:
        """Posterior density of N at this delta and at the others (Altair)."""
        import altair as alt
        import pandas as pd

        curves = [self, *self.details.get("_sensitivity", [])]
        frames = []
        for r in curves:
            width = np.gradient(r.n_grid) if len(r.n_grid) > 1 else np.ones(1)
            keep = r.n_grid <= r.quantile(0.995)
            frames.append(pd.DataFrame({
                "N": r.n_grid[keep], "density": r.posterior[keep] / width[keep],
                "delta": f"delta = {_delta_label(r.delta, len(r.lists))}"}))
        frame = pd.concat(frames, ignore_index=True)
        lines = alt.Chart(frame).mark_line().encode(
            x=alt.X("N:Q", title="population size N"),
            y=alt.Y("density:Q", title="posterior density"),
            color=alt.Color("delta:N", title="prior"),
        )
        observed = alt.Chart(pd.DataFrame({"N": [self.observed]})).mark_rule(
            color="grey", strokeDash=[4, 4]).encode(x="N:Q")
        title = alt.TitleParams(
            f"dga: posterior of N (median {self.median:,.0f} at delta = "
            f"{_delta_label(self.delta, len(self.lists))})",
            subtitle=["the dashed line is the number observed; delta moves the answer"])
        return (observed + lines).properties(title=title, width=480, height=280)


def _delta_label(delta: float, p: int) -> str:
    """1/2^p written as such (the documented default), other values as numbers."""
    for k in range(0, 11):
        if abs(delta - 2.0 ** -k) < 1e-12:
            return "1" if k == 0 else f"1/{2**k}" + (" (= 2^-p)" if k == p else "")
    return f"{delta:g}"


def _marginal_counts(table: CaptureHistories, subset: frozenset[int]) -> np.ndarray:
    """Counts of the 2^|subset| cells over the lists in ``subset`` (cell 0: in none)."""
    members = sorted(subset)
    codes = np.zeros(len(table.counts), dtype=np.int64)
    for bit, j in enumerate(members):
        codes |= table.patterns[:, j].astype(np.int64) << bit
    return np.bincount(codes, weights=table.counts, minlength=1 << len(members))


def dga_posterior(table: CaptureHistories, delta: float | None = None,
                  dark_grid: np.ndarray | None = None,
                  log_prior: LogPrior | None = None) -> DGAResult:
    """Exact posterior of N over the decomposable graphs (see the module's text).

    ``delta``: hyper-Dirichlet pseudo-count per cell of the full table (default 2^-p, a
    total prior weight of one).  ``dark_grid``: candidate numbers of unobserved people
    (default 0 .. 10 x observed, step 1).  ``log_prior``: log p(N) for an array of N
    (default -log N)."""
    p = len(table.lists)
    n = int(table.counts.sum())
    if n == 0:
        raise MSEInputError("no one was observed")
    delta = 2.0 ** -p if delta is None else float(delta)
    if not delta > 0:
        raise MSEInputError("delta must be positive")
    dark: Array = np.arange(0, 10 * n + 1) if dark_grid is None else np.asarray(dark_grid)
    if dark.ndim != 1 or len(dark) == 0 or (dark < 0).any():
        raise MSEInputError("the grid of unobserved counts must be non-negative numbers")
    dark = dark.astype(float)
    total = n + dark
    prior = -np.log(total) if log_prior is None else np.asarray(log_prior(total), dtype=float)
    graphs = decomposable_graphs(p)
    cache: dict[frozenset[int], np.ndarray] = {}

    def comp_log_ml(subset: frozenset[int]) -> np.ndarray:
        if subset not in cache:
            counts = _marginal_counts(table, subset)
            d = delta * 2.0 ** (p - len(subset))
            cache[subset] = (gammaln(dark + counts[0] + d) + gammaln(counts[1:] + d).sum()
                             - (1 << len(subset)) * gammaln(d))
        return cache[subset]

    full = 2.0 ** p * delta
    cells = np.zeros(1 << p)
    cells[:] = _marginal_counts(table, frozenset(range(p)))
    common = (gammaln(total + 1) - gammaln(cells[1:] + 1).sum() - gammaln(dark + 1) + prior)
    norm = gammaln(full) - gammaln(dark + n + full)
    logpost = np.empty((len(graphs), len(dark)))
    for g, graph in enumerate(graphs):
        value = sum(comp_log_ml(c) for c in graph.cliques)
        value = value - sum((comp_log_ml(s) for s in graph.separators), np.zeros_like(dark))
        logpost[g] = value + (len(graph.cliques) - len(graph.separators)) * norm + common
    if len(dark) > 1:  # each point holds the mass of its share of the axis (uneven grids)
        logpost += np.log(np.gradient(dark))
    logpost -= logsumexp(logpost)
    joint = np.exp(logpost)
    return DGAResult(table.lists, n, delta, total, joint.sum(axis=0), graphs, joint.sum(axis=1),
                     {"grid_step": float(np.diff(dark).max()) if len(dark) > 1 else None})


MAX_GRID_POINTS = 20_001  # graphs x grid log-posteriors are held at once: 822 x 20,001 = 132 MB
MAX_GRID_MULTIPLE = 1_000  # the posterior is looked for up to 1,000 x the number observed
SENSITIVITY_DELTAS = ("2^-p", 0.5, 1.0)


LOCATE_POINTS = 2_001


def locate_grid(n: int) -> Array:
    """Dark figures 0 and ~``LOCATE_POINTS`` log-spaced values up to ``MAX_GRID_MULTIPLE`` x
    ``n`` (whole numbers): where the posterior is looked for before it is computed finely."""
    top = MAX_GRID_MULTIPLE * max(n, 1)
    spaced = np.round(np.geomspace(1.0, top, LOCATE_POINTS))
    return np.unique(np.concatenate(([0.0], spaced)))


def refine_grid(low: int, high: int, points: int = MAX_GRID_POINTS) -> Array:
    """Dark figures ``low`` .. ``high``: step 1 where the range allows, else step 1 over the
    first half of the points and log-spaced beyond (a sharp peak near the observed number keeps
    its resolution, a long tail its reach; each point is weighted by its spacing)."""
    if high - low + 1 <= points:
        return np.arange(low, high + 1, dtype=float)
    half = points // 2
    exact = np.arange(low, low + half, dtype=float)
    spaced = np.round(np.geomspace(low + half, high, points - half))
    return np.unique(np.concatenate((exact, spaced)))


class DGA(Estimator[DGAResult]):
    """Decomposable graphical model averaging as an estimator: ``DGA(delta).fit(table)``.

    ``delta`` defaults to 2^-p (total prior weight one, dga's documented suggestion).  Without a
    ``dark_grid`` the posterior is first located on 0 and ~2,000 log-spaced dark figures up to
    1,000 x observed (every graph's mode and tails are resolved wherever they lie, so a second
    mode far out is not missed), then computed on the range holding all but 1e-6 of it: step 1
    where that fits in 20,001 points, else step 1 over the first 10,000 and log-spaced beyond,
    each point weighted by its spacing.  The fit also computes the
    posterior at the other ``sensitivity`` deltas the same way, so that the dependence on delta
    is shown, not hidden.  The interval is always the equal-tailed posterior interval at
    ``level`` (``ci`` is accepted so that every estimator takes the same settings).
    """

    method = "dga"
    ci_methods = None
    lists_supported = (2, 5)  # R dga ships graphs for 3-5 lists; 2 is trivial

    def __init__(self, delta: float | None = None, dark_grid: Array | None = None,
                 log_prior: LogPrior | None = None,
                 sensitivity: Sequence[float | str] | None = SENSITIVITY_DELTAS,
                 ci: str = "posterior", level: float = 0.95):
        if delta is not None and not delta > 0:
            raise MSEInputError("delta must be positive")
        self.delta = delta
        self.dark_grid = dark_grid
        self.log_prior = log_prior
        self.sensitivity = tuple(sensitivity or ())
        self.ci = ci
        self.level = check_level(level)

    def _fit(self, data: Any, settings: FitSettings) -> DGAResult:
        """Posterior of N and its equal-tailed interval at ``level``."""
        level = settings.level
        table = as_capture_histories(data)
        p = table.k
        low, high = self.lists_supported
        if not low <= p <= high:
            raise MSEInputError(
                f"dga averages over the decomposable graphs on {low} to {high} lists (as R dga); "
                f"this table has {p}: merge lists first")
        delta = 2.0 ** -p if self.delta is None else float(self.delta)
        result = self._posterior(table, delta, self.dark_grid)
        result.level = level
        others = []
        for d in self.sensitivity:
            d = 2.0 ** -p if d == "2^-p" else float(d)
            if abs(d - delta) < 1e-12:
                continue
            r = self._posterior(table, d, None)
            r.level = level
            others.append(r)
        result.details["_sensitivity"] = others
        result.details["delta_sensitivity"] = [
            {"delta": r.delta, "delta_label": _delta_label(r.delta, p), "median": r.median,
             "ci_low": r.ci_low, "ci_high": r.ci_high} for r in others]
        return result

    def _posterior(self, table: CaptureHistories, delta: float, grid: Array | None
                   ) -> DGAResult:
        if grid is not None:
            return dga_posterior(table, delta, grid, self.log_prior)
        n = table.n_observed
        # locate: one pass on 0 and ~2,000 log-spaced points up to 1,000 x observed.  Each
        # graph's posterior of N has its own mode and tails; a log-spaced grid resolves every
        # one of them wherever it lies (their widths grow with N), so a second mode far out is
        # seen, where a linear grid widened only while its top held mass could stop short of it
        located_grid = locate_grid(n)
        located = dga_posterior(table, delta, located_grid, self.log_prior)
        mass = located.posterior  # each point's share of the axis (dga_posterior weighs it)
        cdf = np.cumsum(mass)
        last = len(located_grid) - 1
        truncated = float(mass[located_grid >= 0.99 * located_grid[-1]].sum()) > 1e-4
        # refine: the range that holds all but 1e-6 of it (one located point of margin each
        # side), step 1 where it fits in 20,001 points, else step 1 then log-spaced
        low = int(located_grid[max(0, int(np.searchsorted(cdf, 1e-7)) - 1)])
        high = int(located_grid[min(last, int(np.searchsorted(cdf, 1 - 1e-7)) + 1)])
        result = dga_posterior(table, delta, refine_grid(low, high), self.log_prior)
        result.details["grid_extended"] = high > 10 * n  # beyond the old default 10 x observed
        result.details["grid_truncated"] = truncated
        return result
