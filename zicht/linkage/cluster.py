"""Scored pairs become persons: connected components, with the analysts' decisions on top.

A pair an analyst marked *match* is a link whatever the model says; a pair marked *no match*
is never a link.  Everything else is a link when its match probability reaches the threshold.
Connected components are computed with SciPy (``scipy.sparse.csgraph``) rather than Splink's
SQL clusterer because the linkage band reclusters the same pairs hundreds of times, which
takes milliseconds in memory and seconds per round trip through SQL.

A *no match* decision removes the direct link only: two reports can still end up in one person
through a chain of other links (connected components cannot forbid that).  The review queue
shows such conflicts (:func:`conflicts`) so that an analyst can cut the chain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["MAX_PERSON_REPORTS", "Graph", "conflicts"]

# more reports than this in one person is taken as a sign of chaining (see Graph.labels); in
# ten simulated years of 520,000 victims a year no true person had more than 8
MAX_PERSON_REPORTS = 10


class Graph:
    """The reports (nodes) and scored pairs (edges) of one linkage run."""

    def __init__(self, ids: pd.Series | np.ndarray, pairs: pd.DataFrame,
                 decisions: pd.DataFrame | None = None):
        self.ids = np.asarray(ids, dtype=object)
        index = pd.Index(self.ids)
        if not index.is_unique:
            raise ValueError("report ids must be unique")
        self.left = index.get_indexer(pairs["id_l"])
        self.right = index.get_indexer(pairs["id_r"])
        if (self.left < 0).any() or (self.right < 0).any():
            raise ValueError("a scored pair names a report that is not among the reports")
        self.probability = pairs["match_probability"].to_numpy(dtype=float).copy()
        self.decided = np.zeros(len(pairs), dtype=bool)
        self._extra_left = np.zeros(0, dtype=np.int64)
        self._extra_right = np.zeros(0, dtype=np.int64)
        if decisions is not None and len(decisions):
            self._apply(index, pairs, decisions)

    def _apply(self, index: pd.Index, pairs: pd.DataFrame, decisions: pd.DataFrame) -> None:
        key = pd.MultiIndex.from_arrays([pairs["id_l"], pairs["id_r"]])
        known = decisions[decisions["id_l"].isin(index) & decisions["id_r"].isin(index)]
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

    def labels(self, threshold: float = 0.5,
               max_reports: int | None = MAX_PERSON_REPORTS) -> np.ndarray:
        """Person number (0..k-1) of each report, linking pairs at or above ``threshold``.

        Connected components chain: one report with few identifiers (no name, a common birth
        date) can join several people into one.  A component of more than ``max_reports``
        reports is therefore split by raising the bar inside it, halfway to 1 each round
        (0.5 -> 0.75 -> 0.875 ...), until every part fits or eight rounds have passed.
        Analysts' *match* decisions always stay links."""
        required = np.full(len(self.probability), float(threshold))
        labels = self._components(self.probability >= required)
        for _ in range(8 if max_reports else 0):
            size = np.bincount(labels)[labels]
            oversized = size > max_reports
            if not oversized.any():
                break
            inside = oversized[self.left] & oversized[self.right]
            required[inside] = 1 - (1 - required[inside]) / 2
            labels = self._components((self.probability >= required)
                                      | (self.decided & (self.probability == 1.0)))
        return labels

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """Person numbers of one plausible linkage: each undecided pair is a link with its
        match probability, independently; decided pairs follow the decision."""
        return self._components(rng.random(len(self.probability)) < self.probability)

    def _components(self, link: np.ndarray) -> np.ndarray:
        n = len(self.ids)
        rows = np.concatenate([self.left[link], self._extra_left])
        cols = np.concatenate([self.right[link], self._extra_right])
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        return _renumber(labels)


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
