"""Scored pairs become persons: links joined by average linkage, with the analysts'
decisions on top.

A pair an analyst marked *match* is a link whatever the model says; a pair marked *no match*
is never a link, and the two reports are never put in one person (unless other *match*
decisions demand it: then the conflict is reported).  Every other pair is a *candidate* link
when its match probability reaches the threshold.

Connected components over the candidates chain: one report with few identifiers (no birth
date, a common name) links to two people and joins them, and every pair between them counts
as a false link.  So candidates are joined like average-linkage clustering, strongest first:
two groups of reports become one person only when the mean match probability over *all* pairs
between them (a pair the model did not score counts as 0) is at least ``cohesion`` (0.3), and
the person then has at most ``max_reports`` reports.  A pair of single reports joins when its
link is a candidate, so for two-report persons nothing changes; a chain A-B-C with no
evidence that A and C are one person does not.  Measured on the same scored pairs (pairwise
F1 and persons counted, threshold 0.4; connected components at 0.5 in brackets): ten years
of nl-baseline 0.981, +0.3 % (0.969, +0.2 %); independent generator 20,000 reports 0.930,
+1.5 % (0.917, +3.0 %), 100,000 reports 0.883, +1.6 % (0.870, +2.5 %); docs/LINKAGE.md.

The loop runs in Python over the candidate groups of three or more reports only (two-report
groups are joined at once, vectorised): SciPy's hierarchical clustering needs a dense
distance matrix per group and has no size cap or forbidden pairs; in the linkage band the
same pairs are reclustered many times, which takes milliseconds per thousand groups in
memory and seconds per round trip through Splink's SQL clusterer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["COHESION", "DEFAULT_THRESHOLD", "MAX_PERSON_REPORTS", "Graph", "conflicts"]

# more reports than this in one person is taken as a sign of chaining (see Graph.labels); in
# ten simulated years of 520,000 victims a year no true person had more than 8
MAX_PERSON_REPORTS = 10
# the mean match probability two groups of reports need between them to become one person
COHESION = 0.3
# a pair is a candidate link from this match probability (with COHESION, chosen on ten years
# of nl-baseline and the independent generator's 20,000 and 100,000 reports, seed 0; checked
# on others, docs/LINKAGE.md)
DEFAULT_THRESHOLD = 0.3


class Graph:
    """The reports (nodes) and scored pairs (edges) of one linkage run."""

    def __init__(self, ids: pd.Series | np.ndarray, pairs: pd.DataFrame,
                 decisions: pd.DataFrame | None = None):
        self.ids = np.asarray(ids, dtype=object)
        index = pd.Index(self.ids)
        if not index.is_unique:
            raise ValueError("report ids must be unique")
        pairs = _one_row_per_pair(pairs)
        self.left = index.get_indexer(pairs["id_l"])
        self.right = index.get_indexer(pairs["id_r"])
        if (self.left < 0).any() or (self.right < 0).any():
            raise ValueError("a scored pair names a report that is not among the reports")
        self.probability = pairs["match_probability"].to_numpy(dtype=float).copy()
        self.decided = np.zeros(len(pairs), dtype=bool)
        self._extra_left = np.zeros(0, dtype=np.int64)
        self._extra_right = np.zeros(0, dtype=np.int64)
        self._apart_left = np.zeros(0, dtype=np.int64)
        self._apart_right = np.zeros(0, dtype=np.int64)
        if decisions is not None and len(decisions):
            self._apply(index, pairs, decisions)

    def _apply(self, index: pd.Index, pairs: pd.DataFrame, decisions: pd.DataFrame) -> None:
        key = pd.MultiIndex.from_arrays([pairs["id_l"], pairs["id_r"]])
        known = _one_row_per_pair(decisions[decisions["id_l"].isin(index)
                                            & decisions["id_r"].isin(index)], keep="last")
        known = known[known["decision"].isin(["match", "no_match"])]
        dkey = pd.MultiIndex.from_arrays([known["id_l"], known["id_r"]])
        where = key.get_indexer(dkey)
        value = known["decision"].eq("match").to_numpy(dtype=float)
        scored = where >= 0
        self.probability[where[scored]] = value[scored]
        self.decided[where[scored]] = True
        # a "match" on a pair the model never scored (outside every blocking rule) still links
        unscored = ~scored & (value == 1.0)
        self._extra_left = index.get_indexer(known["id_l"][unscored])
        self._extra_right = index.get_indexer(known["id_r"][unscored])
        # and a "no match" on one still forbids joining the two reports' groups
        apart = ~scored & (value == 0.0)
        self._apart_left = index.get_indexer(known["id_l"][apart])
        self._apart_right = index.get_indexer(known["id_r"][apart])

    def labels(self, threshold: float = DEFAULT_THRESHOLD,
               max_reports: int | None = MAX_PERSON_REPORTS,
               cohesion: float = COHESION) -> np.ndarray:
        """Person number (0..k-1) of each report: candidates (pairs at or above
        ``threshold``) joined by average linkage (see the module's text).  ``cohesion`` 0
        and ``max_reports`` None give plain connected components when no pair is decided
        *no match*.

        A greedy, link-ordered form of average linkage: a candidate refused when it comes up
        is not tried again after its groups have grown."""
        return self._cluster(self.probability >= threshold, max_reports, cohesion)

    def sample(self, rng: np.random.Generator, max_reports: int | None = MAX_PERSON_REPORTS,
               cohesion: float = COHESION) -> np.ndarray:
        """Person numbers of one plausible linkage: each undecided pair is a candidate with
        its match probability, independently (decided pairs follow the decision), and the
        candidates are joined as in :meth:`labels`, so that a drawn weak link does not chain
        two people whose other pairs say they are different."""
        return self._cluster(rng.random(len(self.probability)) < self.probability,
                             max_reports, cohesion)

    def _cluster(self, candidate: np.ndarray, max_reports: int | None,
                 cohesion: float) -> np.ndarray:
        forced = self.decided & (self.probability == 1.0)
        candidate = candidate | forced
        labels = self._components(candidate)
        if max_reports is None and cohesion <= 0 and not self._forbidden():
            return labels
        size = np.bincount(labels)
        # groups of two are one candidate link: nothing to check (a "no match" pair is never
        # a candidate); larger ones are joined link by link
        big = size[labels] > 2
        if not big.any():
            return labels
        nodes = np.flatnonzero(big)
        parent = np.arange(len(self.ids))
        # groups only ever join within one component: pairs between components are not needed
        inside = big[self.left] & big[self.right] & (labels[self.left] == labels[self.right])
        order = np.flatnonzero(inside & candidate)
        # strongest first; forced links (decisions) before all; equal probabilities (pairs
        # with the same comparison levels) by the reports' places in the table, which the
        # export orders by content: the registry's random report ids must not decide
        low = np.minimum(self.left[order], self.right[order])
        high = np.maximum(self.left[order], self.right[order])
        order = order[np.lexsort((high, low, -self.probability[order], ~forced[order]))]
        apart = (big[self._apart_left] & big[self._apart_right]
                 & (labels[self._apart_left] == labels[self._apart_right]))
        joined = _agglomerate(
            nodes, np.concatenate([self.left[inside], self._apart_left[apart]]),
            np.concatenate([self.right[inside], self._apart_right[apart]]),
            np.concatenate([self.probability[inside], np.zeros(int(apart.sum()))]),
            np.concatenate([self.decided[inside] & (self.probability[inside] == 0.0),
                            np.ones(int(apart.sum()), dtype=bool)]),
            self.left[order], self.right[order], forced[order],
            self._extra_left, self._extra_right, max_reports, cohesion)
        parent[nodes] = joined
        # reports outside the big groups keep their component; inside, the joined groups
        out = np.where(big, parent + len(self.ids), labels)
        return _renumber(out)

    def _forbidden(self) -> bool:
        return bool((self.decided & (self.probability == 0.0)).any()) or len(self._apart_left) > 0

    def _components(self, link: np.ndarray) -> np.ndarray:
        n = len(self.ids)
        rows = np.concatenate([self.left[link], self._extra_left])
        cols = np.concatenate([self.right[link], self._extra_right])
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        return _renumber(labels)


def _one_row_per_pair(pairs: pd.DataFrame, keep: str = "first") -> pd.DataFrame:
    """The pairs with ``id_l < id_r`` (as strings, the order Splink's output and the decision
    log use) and each pair once (``keep``: the first row, or the last - the latest decision)."""
    if pairs.empty:
        return pairs
    left, right = pairs["id_l"].astype(str), pairs["id_r"].astype(str)
    swap = (left > right).to_numpy()
    if swap.any() or pairs.duplicated(["id_l", "id_r"]).any():
        pairs = pairs.copy()
        pairs.loc[swap, ["id_l", "id_r"]] = pairs.loc[swap, ["id_r", "id_l"]].to_numpy()
        pairs = pairs.drop_duplicates(["id_l", "id_r"], keep=keep).reset_index(drop=True)
    return pairs


def _agglomerate(nodes, pair_l, pair_r, pair_p, pair_no, link_l, link_r, link_forced,
                 extra_l, extra_r, max_reports, cohesion) -> np.ndarray:
    """Average-linkage joining of ``nodes`` (report indices) along the candidate links in
    the given order; returns each node's group (a report index).

    ``pair_*``: every scored pair among the nodes with its probability (the numerator of the
    mean between two groups) and whether an analyst decided it is no match (such groups are
    never joined by the model's links).  Forced links (decisions, and ``extra_*``, decided
    matches the model never scored) always join."""
    group = {int(v): int(v) for v in nodes}
    members: dict[int, list[int]] = {int(v): [int(v)] for v in nodes}
    between: dict[int, dict[int, float]] = {}
    forbid: dict[int, set[int]] = {}
    for a, b, p, no in zip(pair_l.tolist(), pair_r.tolist(), pair_p.tolist(), pair_no.tolist(),
                           strict=True):
        if a == b:
            continue
        if no:
            forbid.setdefault(a, set()).add(b)
            forbid.setdefault(b, set()).add(a)
        elif p > 0:
            between.setdefault(a, {})[b] = between.get(a, {}).get(b, 0.0) + p
            between.setdefault(b, {})[a] = between.get(b, {}).get(a, 0.0) + p

    def join(x: int, y: int) -> None:  # y into x
        for v in members[y]:
            group[v] = x
        members[x].extend(members.pop(y))
        for c, w in between.pop(y, {}).items():
            row = between.setdefault(x, {})
            row[c] = row.get(c, 0.0) + w
            other = between[c]
            other.pop(y, None)
            other[x] = other.get(x, 0.0) + w
        between.get(x, {}).pop(x, None)
        for c in forbid.pop(y, set()):
            forbid.setdefault(x, set()).add(c)
            forbid[c].discard(y)
            forbid[c].add(x)
        forbid.get(x, set()).discard(x)

    links = [(a, b, True) for a, b in zip(extra_l.tolist(), extra_r.tolist(), strict=True)
             if a in group and b in group]
    links += list(zip(link_l.tolist(), link_r.tolist(), link_forced.tolist(), strict=True))
    for a, b, is_forced in links:
        x, y = group[a], group[b]
        if x == y:
            continue
        if len(members[x]) < len(members[y]):
            x, y = y, x
        if not is_forced:
            if max_reports is not None and len(members[x]) + len(members[y]) > max_reports:
                continue
            if y in forbid.get(x, ()):
                continue
            # two single reports join on their candidate link alone, as a group of two does
            # outside the loop; larger groups need the mean over all pairs between them
            alone = len(members[x]) == 1 and len(members[y]) == 1
            mean = between.get(x, {}).get(y, 0.0) / (len(members[x]) * len(members[y]))
            if mean < cohesion and not alone:
                continue
        join(x, y)
    return np.array([group[int(v)] for v in nodes], dtype=np.int64)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Person numbers in order of each person's first report (stable across runs)."""
    return pd.factorize(labels)[0]


def conflicts(ids: np.ndarray, labels: np.ndarray, decisions: pd.DataFrame) -> pd.DataFrame:
    """The *no match* decisions whose two reports still ended up in one person."""
    if decisions is None or decisions.empty:
        return pd.DataFrame(columns=["id_l", "id_r", "person"])
    person = pd.Series(labels, index=ids)
    no = decisions[decisions["decision"].eq("no_match")
                   & decisions["id_l"].isin(person.index) & decisions["id_r"].isin(person.index)]
    same = person.reindex(no["id_l"]).to_numpy() == person.reindex(no["id_r"]).to_numpy()
    out = no.loc[same, ["id_l", "id_r"]].copy()
    out["person"] = person.reindex(out["id_l"]).to_numpy()
    return out.reset_index(drop=True)
