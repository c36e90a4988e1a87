"""Interaction terms of the covariate models: list x covariate, list x list and both."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import MSEInputError


@dataclass(frozen=True, order=True)
class CovTerm:
    """An interaction: lists (indices, at least one) x covariates (indices, maybe none).

    ``CovTerm((0,), (1,))`` is list 0 x covariate 1 ("A:form"); ``CovTerm((0, 2), ())`` is the
    list x list term "A:C"; ``CovTerm((0, 2), (0,))`` is "A:C:sex" (the A-C dependence differs
    by sex).
    """

    lists: tuple[int, ...]
    covs: tuple[int, ...] = ()

    @property
    def order(self) -> int:
        return len(self.lists) + len(self.covs)

    @property
    def pure(self) -> bool:
        """A list x list term (no covariate)."""
        return not self.covs

    def sort_key(self) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
        return (self.order, len(self.covs), self.lists, self.covs)

    def name(self, lists: Sequence[str], covariates: Sequence[str]) -> str:
        return ":".join([lists[i] for i in self.lists] + [covariates[j] for j in self.covs])

    def subterms(self) -> list[CovTerm]:
        """Proper lower-order terms implied by hierarchy (not main effects, not strata)."""
        out = []
        for r in range(1, len(self.lists) + 1):
            for ls in itertools.combinations(self.lists, r):
                for q in range(len(self.covs) + 1):
                    for cs in itertools.combinations(self.covs, q):
                        t = CovTerm(ls, cs)
                        if t != self and not (len(ls) == 1 and not cs):
                            out.append(t)
        return out


def hierarchical_closure(terms: Iterable[CovTerm]) -> list[CovTerm]:
    """The terms with all their lower-order terms, in a stable order."""
    out = set()
    for t in terms:
        out.add(t)
        out.update(t.subterms())
    return sorted(out, key=CovTerm.sort_key)


def parse_covariate_terms(spec: str | Iterable[str] | Iterable[CovTerm] | None,
                          lists: Sequence[str], covariates: Sequence[str],
                          levels: Mapping[str, Sequence[str]] | None = None) -> list[CovTerm]:
    """Terms like ``"A:sex, A:B, B:C:form"`` against list and covariate names.

    ``*`` stands for every list: ``"*:sex"`` is A:sex, B:sex, ...  The result is closed under
    hierarchy (``A:B:sex`` brings ``A:B``, ``A:sex`` and ``B:sex``) and sorted.
    """
    if spec is None:
        return []
    parts: list[str | CovTerm]
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.replace(";", ",").split(",") if p.strip()]
        if len(parts) == 1 and " " in str(parts[0]).strip():
            parts = list(str(parts[0]).split())
    else:
        parts = list(spec)
    lindex = {n: i for i, n in enumerate(lists)}
    cindex = {n: j for j, n in enumerate(covariates)}
    terms: set[CovTerm] = set()
    for part in parts:
        if isinstance(part, CovTerm):
            terms.add(part)
            continue
        part = str(part).strip()
        names = [n.strip() for n in part.split(":")]
        if len(names) < 2:
            raise MSEInputError(
                f"term {part!r} is not an interaction (write LIST:COVARIATE or LIST:LIST, e.g. "
                f"{lists[0]}:{covariates[0]}); list main effects and the strata are always in")
        if len(set(names)) != len(names):
            raise MSEInputError(f"term {part!r} names something twice")
        wild = names.count("*")
        expand = [[i] for i in range(len(lists))] if wild else [[]]
        ls, cs = [], []
        for n in names:
            if n == "*":
                continue
            if n in lindex:
                ls.append(lindex[n])
            elif n in cindex:
                cs.append(cindex[n])
            else:
                raise MSEInputError(
                    f"term {part!r}: {n!r} is neither a list ({', '.join(lists)}) nor a "
                    f"covariate ({', '.join(covariates)})")
        if wild and ls:
            raise MSEInputError(f"term {part!r}: '*' (every list) goes with covariates only")
        if not ls and not wild:
            raise MSEInputError(
                f"term {part!r} has no list: the covariates are already fully cross-classified "
                "(one parameter per stratum)")
        for extra in expand:
            lt = tuple(sorted(set(ls) | set(extra)))
            if len(lt) == 1 and not cs:
                continue
            terms.add(CovTerm(lt, tuple(sorted(cs))))
    if levels is not None:
        for t in terms:
            for j in t.covs:
                if len(levels[covariates[j]]) < 2:
                    raise MSEInputError(
                        f"term {t.name(lists, covariates)!r}: covariate {covariates[j]!r} has "
                        f"one level ({levels[covariates[j]][0]!r}), so nothing can differ by it")
    return hierarchical_closure(terms)
