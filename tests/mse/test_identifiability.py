"""The existence test: the cheap kernel certificate never contradicts the LP."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import examples
from zicht.mse.design import all_pairs, cells_containing, design_matrix
from zicht.mse.identifiability import (
    IdentCache,
    mle_exists,
    positive_certificate,
    support_spans,
)


@settings(max_examples=examples(300), deadline=None)
@given(k=st.integers(3, 5), data=st.data())
def test_certificate_agrees_with_lp(k, data):
    pairs = all_pairs(k)
    m = 2**k - 1
    support = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    y = np.where(support, 5.0, 0.0)
    keep = np.ones(m, dtype=bool)
    finite = []
    for t in chosen:
        if y[cells_containing(k, t)].sum() == 0:
            keep &= ~cells_containing(k, t)
        else:
            finite.append(t)
    A = design_matrix(k, finite)[keep]
    if not support[keep].any():
        return
    lp = mle_exists(A, y[keep])
    if positive_certificate(A, support[keep]):
        assert lp  # the certificates are only ever proofs of existence
    if support_spans(A, support[keep]):
        assert lp
    verdict = IdentCache().check(A, y[keep])
    assert (verdict & 1 == 0) == lp


def test_known_non_existence():
    # three lists, main effects + A:B, where cell "A only" is forced to zero by the margins:
    # the Korea resample found in the bootstrap (the LP says no positive table exists)
    A = np.array([[1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [1, 1, 1, 0, 0], [1, 0, 0, 1, 0],
                  [1, 1, 0, 1, 0], [1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], dtype=float)
    y = np.array([0.0, 9.0, 49.0, 49.0, 10.0, 0.0, 6.0])
    assert not positive_certificate(A, y > 0)
    assert not mle_exists(A, y)
    assert IdentCache().check(A, y) == 1
