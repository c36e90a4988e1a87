"""Cells, interaction terms and design matrices of log-linear capture-recapture models.

The 2^k - 1 observable cells are indexed by their code - 1, where bit i of the code is set when
the cell's individuals are on list i.  A model term is a sorted tuple of list indices: ``(0, 2)``
is the interaction of lists 0 and 2.  Main effects are always in a model.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from .errors import MSEInputError

Term = tuple[int, ...]


@lru_cache(maxsize=64)
def cell_patterns(k: int) -> np.ndarray:
    """(2^k - 1, k) 0/1 matrix of the observable cells in code order."""
    codes = np.arange(1, 2**k)
    pats = ((codes[:, None] >> np.arange(k)) & 1).astype(np.int8)
    pats.flags.writeable = False
    return pats


def all_pairs(k: int) -> list[Term]:
    """Pairs (i, j), i < j, in SparseMSE's lexicographic order (1,2), (1,3), ..., (k-1,k)."""
    return list(itertools.combinations(range(k), 2))


@lru_cache(maxsize=4096)
def term_column(k: int, term: Term) -> np.ndarray:
    """0/1 column of a term over the observable cells (cached, read-only)."""
    pats = cell_patterns(k)
    col = pats[:, list(term)].prod(axis=1).astype(float)
    col.flags.writeable = False
    return np.asarray(col)


def design_matrix(k: int, terms: Sequence[Term], extra: np.ndarray | None = None) -> np.ndarray:
    """Columns: intercept, k main effects, one column per term, then ``extra`` columns."""
    pats = cell_patterns(k).astype(float)
    cols = [np.ones((pats.shape[0], 1)), pats]
    if terms:
        cols.append(np.column_stack([term_column(k, t) for t in terms]))
    if extra is not None:
        cols.append(np.asarray(extra, dtype=float).reshape(pats.shape[0], -1))
    return np.hstack(cols)


def cells_containing(k: int, term: Term) -> np.ndarray:
    """Boolean mask of the cells whose individuals are on every list of ``term``."""
    return term_column(k, term).astype(bool)


@lru_cache(maxsize=64)
def pair_cells(k: int) -> np.ndarray:
    """(P, 2^k - 1) boolean: row j marks the cells containing both lists of pair j."""
    pats = cell_patterns(k).astype(bool)
    return np.array([pats[:, i] & pats[:, j] for i, j in all_pairs(k)]).reshape(-1, 2**k - 1)


def pair_model_masks(
    k: int, include: np.ndarray, nonempty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Columns of ``design_matrix(k, all_pairs(k))`` and cells kept for a pair model.

    ``include`` marks the pairs in the model, ``nonempty`` the pairs whose lists share someone.
    An included pair with an empty overlap is at minus infinity (SparseMSE's extended MLE): its
    column is left out and every cell containing both its lists is deleted.
    """
    include = np.asarray(include, dtype=bool)
    nonempty = np.asarray(nonempty, dtype=bool)
    keep = ~pair_cells(k)[include & ~nonempty].any(axis=0)
    cols = np.concatenate([np.ones(1 + k, dtype=bool), include & nonempty])
    return cols, keep


def term_name(lists: Sequence[str], term: Term) -> str:
    return ":".join(lists[i] for i in term)


def parse_terms(spec: str | Iterable[str] | None, lists: Sequence[str]) -> list[Term]:
    """Parse interaction terms like ``"A:B,B:C"`` (or ``["A:B"]``) against list names.

    Also accepts Rcapture's hierarchical notation ``"[12,13,4]"`` (1-based list numbers, one
    digit each, for up to 9 lists).  Terms come back sorted, without duplicates.
    """
    if spec is None:
        return []
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            return []
        if text.startswith("[") and text.endswith("]"):
            return _parse_rcapture(text, len(lists))
        parts = [p.strip() for p in re.split(r"[,\s]+", text) if p.strip()]
    else:
        parts = [str(p).strip() for p in spec]
    index = {name: i for i, name in enumerate(lists)}
    terms: set[Term] = set()
    for part in parts:
        names = [n.strip() for n in part.split(":")]
        if len(names) < 2:
            raise MSEInputError(
                f"term {part!r} is not an interaction (write it as LIST:LIST, e.g. "
                f"{lists[0]}:{lists[1]}); main effects are always in the model"
            )
        try:
            idx = tuple(sorted(index[n] for n in names))
        except KeyError as exc:
            raise MSEInputError(
                f"term {part!r}: no list named {exc.args[0]!r} (lists: {', '.join(lists)})"
            ) from None
        if len(set(idx)) != len(idx):
            raise MSEInputError(f"term {part!r} names a list twice")
        terms.add(idx)
    return sorted(terms, key=lambda t: (len(t), t))


def _parse_rcapture(text: str, k: int) -> list[Term]:
    terms: set[Term] = set()
    for part in text[1:-1].split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()) or any(int(c) < 1 or int(c) > k for c in part):
            raise MSEInputError(f"model {text!r}: {part!r} is not a set of list numbers 1..{k}")
        idx = tuple(sorted(int(c) - 1 for c in part))
        if len(idx) >= 2:
            # a hierarchical generator implies all its lower-order interactions
            for r in range(2, len(idx) + 1):
                terms.update(itertools.combinations(idx, r))
    return sorted(terms, key=lambda t: (len(t), t))


def rcapture_name(k: int, terms: Sequence[Term]) -> str:
    """Rcapture's hierarchical model name, e.g. ``[12,13,4]`` (maximal terms, then lone lists)."""
    maximal = [t for t in terms if not any(set(t) < set(u) for u in terms)]
    covered = set(itertools.chain.from_iterable(terms))
    gens = ["".join(str(i + 1) for i in t) for t in sorted(maximal)]
    gens += [str(i + 1) for i in range(k) if i not in covered]
    return "[" + ",".join(gens) + "]"
