"""The mse library's English texts in Dutch (zicht/monitor/mse_labels.py): every note, finding
and model label that a method comparison writes on published tables is recognised, and the Dutch
reads with Dutch numbers and no English left."""

import re

import pytest

from zicht.i18n import translator
from zicht.monitor.mse_labels import PATTERNS, known, method_name, mse_text
from zicht.mse.compare import compare
from zicht.mse.datasets import load_dataset
from zicht.mse.identifiability import MESSAGES

QUICK_LCMCR = {"burnin": 500, "samples": 200, "thinning": 5}
# a model label that is a list of terms ("POL:ZC, NGO:OTHER (-inf)") or of Rcapture's
# parameters ("beta, tau") is notation, not words
NOTATION = re.compile(r"(?:[\w]+:[\w:]+(?: \(-inf\))?|beta\d?|tau|eta\d?)(?:, (?:[\w]+:[\w:]+"
                      r"(?: \(-inf\))?|beta\d?|tau|eta\d?))*")


@pytest.fixture(scope="module", params=["korea", "artificial3", "uk5"])
def texts(request) -> list[str]:
    """Every text the comparison writes on a published table."""
    result = compare(load_dataset(request.param), lcmcr_settings=QUICK_LCMCR)
    out = list(result.findings)
    for row in result.rows:
        out.extend(row.notes)
        if row.model and not NOTATION.fullmatch(row.model):
            out.append(row.model)
    return out


def test_every_text_of_a_comparison_is_known(texts):
    assert texts, "the comparison wrote no text to check"
    assert [t for t in texts if not known(t)] == []


@pytest.mark.parametrize("message", sorted(MESSAGES.values()))
def test_every_reason_an_estimate_does_not_exist_is_known(message):
    assert known(message) and known(f"stepwise: {message}")


def test_dutch_has_dutch_numbers_and_no_english_left():
    nl = "nl"
    assert mse_text("2 pair(s) of lists have no one in common", nl) == \
        translator(nl)("pairs of lists with no one in common: {n}").format(n="2")
    ranged = mse_text("estimates range from 23,281 (Mbh) to 116,667 (all pairs), a factor 5.0",
                      nl)
    assert "23.281" in ranged and "116.667" in ranged and "5,0" in ranged
    assert method_name("all pairs", nl) in ranged and "all pairs" not in ranged
    mixing = mse_text("poor mixing: R-hat 1.841 > 1.01: the 4 chains (or their halves) "
                      "disagree, chain medians 50,876, 141,786; bulk ESS 6 < 100; the estimate "
                      "depends on where the chains happened to be", nl)
    assert "1,841" in mixing and "50.876, 141.786" in mixing and "the estimate" not in mixing
    assert mse_text("fitted at -inf (no one on both lists): K:R, I:K", nl).endswith(": K:R, I:K")
    assert "fitted" not in mse_text("fitted at -inf (no one on both lists): K:R", nl)
    assert mse_text("median 3,964 at delta = 0.5, 4,012 at delta = 1/64", nl) == \
        translator(nl)("median {list}").format(list=", ".join(
            translator(nl)("{n} at delta = {v_delta}").format(n=n, v_delta=d)
            for n, d in (("3.964", "0,5"), ("4.012", "1/64"))))
    # English stays the library's text, but with the catalogue's wording
    assert mse_text("main effects only", "en") == "main effects only"
    # a text no pattern knows is shown as it is
    assert mse_text("something new", nl) == "something new" and not known("something new")


def test_every_pattern_has_a_dutch_translation_that_differs():
    nl = translator("nl")
    same = [m for _, m in PATTERNS if nl(m) == m and m != "{m_method}: {why}"]
    assert same == []
