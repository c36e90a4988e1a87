"""What the linkage model takes as given besides what EM learns from the data: bounds on
m-probabilities that EM drives too far, term frequencies counted among persons rather than
reports, and the share of pairs a rule can see (used by :mod:`zicht.linkage.model`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["M_BOUNDS", "PERSON_REPORTS_CAP", "both_known", "person_term_frequencies"]

# Bounds (low, high) on m-probabilities that unsupervised EM drives too far, either way.
# EM trains the birth date on pairs with equal names, where namesakes with other dates look
# like matches with a typo unless other evidence separates them: on the independent
# generator's 20,000 reports EM put m(birth date different) at 0.128 where the true pairs show
# 0.009 (zicht's own simulator: 0.004).  And it drives the other way where errors are common:
# on FEBRL3 (names and dates only) m(name different) came out 0.00009 and m(birth date
# different) 0.0004 - a weight of -13 bits, so that 470 true pairs with a mangled name and an
# equal date, or equal names and a mangled date, scored below 0.01.  The intake validates
# dates, so a true pair whose dates (or names) differ in every part is a rare error, but not
# one to veto a pair on its own: at least 0.01 (-6.6 bits against a random pair), at most
# 0.05.  A bound that binds is reported (``TrainingReport.warnings``) and the difference is
# taken from (or given to) the comparison's other levels in proportion.
M_BOUNDS = {("birth_date", "different"): (0.01, 0.05),
            ("birth_date", "year equal, date differs"): (0.0, 0.05),
            ("name", "different"): (0.01, 0.05)}
# A person's reports counted at most this many times in a name's frequency when nothing else
# tells how many people carry the name (see person_term_frequencies)
PERSON_REPORTS_CAP = 4


def both_known(values: pd.Series) -> float:
    """The share of pairs whose two sides both have a value (random pairs)."""
    share = float(values.notna().mean()) if len(values) else 0.0
    return share * share


def person_term_frequencies(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Term frequencies of the full name and the birth date among *persons*.

    Splink weights an equal value by its frequency among the records: a name on 2 reports of
    20,000 has u = 1e-4.  But when both reports are one person's, no other person carries
    the name, and the chance that a report of *another* person does is smaller; counted by
    reports, a person's own repeat reports make the name look common, and equal rare names
    with no birth date to confirm them were left unlinked (independent generator, 20,000
    reports: 90 % of the pairs with a name seen twice and one date missing were true, the
    model gave them 0.51).

    So a value's frequency counts the people it belongs to, estimated from an identifier
    compared apart from it: a name's people are the distinct birth years among its reports
    (a date's, the distinct sorted names), at least ``count / PERSON_REPORTS_CAP`` (a value
    seen on many reports without that identifier is not taken for one person) and at least
    one.  Frequencies are relative to the reports with a value, as Splink's own."""
    out: dict[str, pd.Series] = {}
    for column, witness in (("tok_name_sorted", "tok_birth_year"),
                            ("tok_birth_date", "tok_name_sorted")):
        if column not in table.columns or witness not in table.columns:
            continue
        known = table.loc[table[column].notna(), [column, witness]]
        if known.empty:
            continue
        grouped = known.groupby(column, sort=False)
        count = grouped.size()
        distinct = grouped[witness].nunique()
        persons = np.maximum(np.maximum(distinct.to_numpy(dtype=float), 1.0),
                             np.ceil(count.to_numpy(dtype=float) / PERSON_REPORTS_CAP))
        out[column] = pd.Series(persons / len(known), index=count.index)
    return out
