"""Decomposable graphical model averaging (as R ``dga``, Madigan & York 1997).

The posterior of the population size N is computed exactly on a grid of dark-figure values,
averaged over every decomposable (chordal) graph on the lists with a hyper-Dirichlet prior
(``delta`` pseudo-counts per cell of the full table) - see ``../shared/MSE_METHODS.md`` 5.3.

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

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
from scipy.special import gammaln, logsumexp

from .data import CaptureHistories
from .errors import MSEInputError

__all__ = ["DGAResult", "Graph", "decomposable_graphs", "dga_posterior",
           "negative_binomial_log_prior"]


@dataclass(frozen=True)
class Graph:
    edges: frozenset[tuple[int, int]]
    cliques: tuple[frozenset[int], ...]
    separators: tuple[frozenset[int], ...]

    def label(self, lists: tuple[str, ...]) -> str:
        """Cliques as list names joined, e.g. ``"AB,BC"`` (the names in list order)."""
        return ",".join(sorted("".join(lists[i] for i in sorted(c)) for c in self.cliques))


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
    cliques = []
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
        adj = [set() for _ in range(p)]
        for a, b in edges:
            adj[a].add(b)
            adj[b].add(a)
        if _is_chordal(p, adj):
            cliques = _maximal_cliques(p, adj)
            out.append(Graph(edges, tuple(cliques), tuple(_separators(cliques))))
    return tuple(out)


def negative_binomial_log_prior(a: float, b: float):
    """log p(N) of a negative binomial prior with shape ``a`` and odds ``b`` (mean a*b), as
    in dga's Madigan-York example (a = 13.14, b = 55.17): for ``dga_posterior(log_prior=)``."""

    def log_prior(n: np.ndarray) -> np.ndarray:
        return (n * np.log(b) - (n + a) * np.log1p(b) + gammaln(n + a) - gammaln(n + 1)
                - gammaln(a))

    return log_prior


@dataclass
class DGAResult:
    lists: tuple[str, ...]
    observed: int
    delta: float
    n_grid: np.ndarray  # candidate population sizes N = observed + dark figure
    posterior: np.ndarray  # P(N) on the grid
    graphs: tuple[Graph, ...]
    model_probabilities: np.ndarray  # P(graph)
    details: dict = field(default_factory=dict)

    def quantile(self, q: float) -> float:
        """The smallest N on the grid whose posterior CDF reaches ``q``."""
        cdf = np.cumsum(self.posterior)
        return float(self.n_grid[min(np.searchsorted(cdf, q * cdf[-1]), len(cdf) - 1)])

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def mean(self) -> float:
        return float(np.dot(self.n_grid, self.posterior) / self.posterior.sum())

    @property
    def mode(self) -> float:
        return float(self.n_grid[int(np.argmax(self.posterior))])

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        return self.quantile((1 - level) / 2), self.quantile((1 + level) / 2)

    def top_models(self, k: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-self.model_probabilities)[:k]
        return [(self.graphs[i].label(self.lists), float(self.model_probabilities[i]))
                for i in order]


def _marginal_counts(table: CaptureHistories, subset: frozenset[int]) -> np.ndarray:
    """Counts of the 2^|subset| cells over the lists in ``subset`` (cell 0: in none)."""
    members = sorted(subset)
    codes = np.zeros(len(table.counts), dtype=np.int64)
    for bit, j in enumerate(members):
        codes |= table.patterns[:, j].astype(np.int64) << bit
    return np.bincount(codes, weights=table.counts, minlength=1 << len(members))


def dga_posterior(table: CaptureHistories, delta: float | None = None,
                  dark_grid: np.ndarray | None = None,
                  log_prior=None) -> DGAResult:
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
    dark = np.arange(0, 10 * n + 1) if dark_grid is None else np.asarray(dark_grid)
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
    logpost -= logsumexp(logpost)
    joint = np.exp(logpost)
    return DGAResult(table.lists, n, delta, total, joint.sum(axis=0), graphs, joint.sum(axis=1),
                     {"grid_step": float(dark[1] - dark[0]) if len(dark) > 1 else None})
