"""Small categories pooled before disclosure control, so that suppression does not take over.

Suppression alone hides every count below ``k`` and then, because the totals are published,
as many neighbours again (:mod:`zicht.monitor.disclosure`): on a list of 31 combinations of
reporters 24 were hidden, and a level that is small in most years showed only here and there.
As the National Rapporteur and the CTDC do, small categories are first pooled into "other",
and only what is still below ``k`` after pooling (or needed for secondary suppression) is
suppressed.

* **Combinations of reporters** (:func:`pool_combinations`): every combination with
  ``0 < persons < k`` goes into "other combinations of *n* reporter categories", one pool per
  number of categories *n* (the degree of overlap is what the estimate rests on, so it is kept
  where possible; one pool for everything would publish one number instead of several). A pool
  still below ``k`` is merged with its neighbour (the next larger *n*, else the next smaller):
  "other combinations of 2 to 4 reporter categories", but never across one category | two or
  more (the persons seen by two or more categories are a published share, so both sums are
  known). So every pool is ``>= k`` unless all small combinations of its side together are
  below ``k``; then that pool is suppressed with a neighbour.
* **Levels of a breakdown over years** (:func:`pool_levels`): the levels suppressed (primary or
  secondary) in more than half of the years in which they have anyone are pooled, when one of
  them is below ``k`` in some year, together with the breakdown's own "other" level if it has
  one, into "other", or "other/unknown" when "unknown" is among them (a level such as
  "unknown" that is large but suppressed year after year to protect a small one goes with
  it), so that the chart shows one continuous line instead of fragments. A pooling that
  would cost a level that stays on its own a published year (the pool still below ``k`` and
  protected by a neighbour) is not done. Pooling needs
  at least two members (a pool of one is a rename) and leaves at least one level unpooled; it
  is repeated until no more levels qualify. Which levels are pooled is published (it discloses
  no count).

Pooled codes are ``other:<n>`` / ``other:<lo>-<hi>`` (combinations) and ``other`` /
``other/unknown`` (levels, with their members listed in the publication): :func:`is_pool`,
:func:`combination_label` and :func:`level_label` name them in either language.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..i18n import N_, translator
from . import labels
from .inputs import MISSING

OTHER, OTHER_UNKNOWN, UNKNOWN = "other", "other/unknown", "unknown"
POOL_PREFIX = "other:"


def is_pool(code: str) -> bool:
    """Whether a combination's code is a pool of small combinations."""
    return code.startswith(POOL_PREFIX)


def is_pool_level(code: str) -> bool:
    """Whether a breakdown's level is a pool of levels ("other", "other/unknown")."""
    return code in (OTHER, OTHER_UNKNOWN)


def pool_code(lo: int, hi: int) -> str:
    return f"{POOL_PREFIX}{lo}" if lo == hi else f"{POOL_PREFIX}{lo}-{hi}"


def pool_degrees(code: str) -> tuple[int, int]:
    """The least and greatest number of reporter categories in a pool's combinations."""
    lo, _, hi = code[len(POOL_PREFIX):].partition("-")
    return int(lo), int(hi or lo)


def pool_combinations(combos: pd.Series, k: int) -> pd.Series:
    """Persons per combination of reporter categories (codes ``A+B``) with the combinations of
    ``0 < persons < k`` pooled by their number of categories (see the module docstring): the
    combinations kept, largest first, then the pools by number of categories. The sum is
    unchanged; combinations of 0 persons are dropped (a zero is no combination anyone saw)."""
    combos = combos[combos > 0]
    small = combos[combos < k]
    kept = combos[combos >= k].sort_values(ascending=False, kind="stable")
    degree = pd.Series([len(c.split("+")) for c in small.index], index=small.index, dtype=int)
    out = {str(c): int(n) for c, n in kept.items()}
    # a pool never mixes persons of one category with persons of more: the share of persons
    # seen by two or more categories is a published indicator, so both subtotals are known
    # and each side is protected on its own (publish._overlap)
    for side in (degree[degree == 1], degree[degree > 1]):
        pools = [[d, d, int(small[side[side == d].index].sum())] for d in sorted(set(side))]
        while len(pools) > 1:
            below = [i for i, p in enumerate(pools) if p[2] < k]
            if not below:
                break
            i = below[0]
            j = i + 1 if i + 1 < len(pools) else i - 1
            a, b = sorted((i, j))
            pools[a] = [pools[a][0], pools[b][1], pools[a][2] + pools[b][2]]
            del pools[b]
        out.update({pool_code(lo, hi): n for lo, hi, n in pools})
    return pd.Series(out, dtype="int64", name=combos.name)


def pool_levels(wide: pd.DataFrame, k: int,
                suppressed: Callable[[pd.DataFrame], pd.DataFrame]) -> tuple[pd.DataFrame,
                                                                           list[str]]:
    """A breakdown (levels x years of counts) with the levels that suppression takes over
    pooled (see the module docstring), and the pooled levels (empty: nothing pooled).
    ``suppressed(table)`` gives the suppressed cells of a table as disclosure control
    would publish it."""
    members: list[str] = []
    table = wide
    while True:
        hidden = suppressed(table)
        small = ((table > 0) & (table < k)).any(axis=1)
        most = hidden.sum(axis=1) * 2 > (table > 0).sum(axis=1)
        new = [str(lvl) for lvl in table.index if lvl not in (OTHER, OTHER_UNKNOWN) and most[lvl]]
        if not any(small[lvl] for lvl in new):
            return table, members
        grown = [*members, *new]
        if OTHER in wide.index and OTHER not in grown:
            grown.append(OTHER)
        if len(grown) < 2 or len(grown) >= len(wide.index):
            return table, members
        grown = [str(v) for v in wide.index if v in grown]
        code = OTHER_UNKNOWN if any(v in MISSING for v in grown) else OTHER
        rest = wide.loc[[v for v in wide.index if v not in grown]]
        pool = wide.loc[grown].sum().to_frame(code).T
        pooled = pd.concat([rest, pool]).astype(wide.dtypes.iloc[0])
        pooled.index.name, pooled.columns.name = wide.index.name, wide.columns.name
        # a pool still below k is suppressed with a neighbour: keep it only when no level that
        # stays on its own loses a published year by it
        after = suppressed(pooled).sum(axis=1)
        if any(after[v] > hidden.sum(axis=1)[v] for v in rest.index if v in hidden.index):
            return table, members
        table, members = pooled, grown

POOL_LABELS = {OTHER: N_("other"), OTHER_UNKNOWN: N_("other/unknown")}
SINGLE_POOL = N_("other single reporter categories")
DEGREE_POOL = N_("other combinations of {n} reporter categories")
RANGE_POOL = N_("other combinations of {lo} to {hi} reporter categories")


def combination_label(code: str, lang: str) -> str:
    """A combination's name: its reporter categories, or what a pool holds."""
    if not is_pool(code):
        return labels.reporters(code, lang)
    _ = translator(lang)
    lo, hi = pool_degrees(code)
    if lo == hi == 1:
        return _(SINGLE_POOL)
    if lo == hi:
        return _(DEGREE_POOL).format(n=lo)
    return _(RANGE_POOL).format(lo=lo, hi=hi)


def level_label(by: str, code: str, lang: str, pooled: list[str] | None = None) -> str:
    """A level's name; a pooled level's with its members: "other/unknown (organ removal,
    unknown)"."""
    if code in POOL_LABELS and pooled:
        names = ", ".join(labels.level(by, m, lang) for m in pooled)
        return f"{translator(lang)(POOL_LABELS[code])} ({names})"
    return labels.level(by, code, lang)


# the published groups of the estimates by group (zicht.monitor.publish._groups): "minor" is
# the age bands under 18 together, a group of its own
GROUP_NAMES = {"minor": N_("minor or adult")}
GROUP_LEVELS = {"minor": N_("minors (under 18)"), "adult": N_("adults")}
GROUP_REASONS = {
    "fewer than k": N_("not published: fewer than {k} persons"),
    "not published": N_("not published: its number of persons is suppressed or pooled in the "
                        "breakdown"),
    "no estimate": N_("no estimate: too little overlap between the reporters"),
}


def group_name(by: str, lang: str) -> str:
    return translator(lang)(GROUP_NAMES[by]) if by in GROUP_NAMES else \
        labels.breakdown_name(by, lang)


def group_level(by: str, code: str, lang: str) -> str:
    if by == "minor":
        return translator(lang)(GROUP_LEVELS[code]) if code in GROUP_LEVELS else \
            labels.level("age_band", code, lang)
    return labels.level(by, code, lang)


def group_reason(reason: str, k: int, lang: str) -> str:
    return translator(lang)(GROUP_REASONS[reason]).format(k=k) if reason in GROUP_REASONS \
        else reason
