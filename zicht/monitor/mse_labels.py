"""The English texts of :mod:`zicht.mse` in the reader's language.

``zicht.mse`` is a standalone library and speaks English: its model labels ("main effects
only"), the notes of a method comparison ("fitted at -inf (no one on both lists): NGO:OTHER"),
its findings ("2 pair(s) of lists have no one in common") and the reasons an estimate does not
exist.  The publication stores them as the library wrote them; the dashboard and the report
show them through :func:`mse_text`, which recognises each text by a pattern and writes it from
the catalogue, with its numbers in the language's notation.  A text no pattern knows is shown as
it is, and tests/monitor/test_mse_labels.py runs the comparison on the published tables and on
simulations and fails on any text it produces that no pattern knows.
"""

from __future__ import annotations

import re

from ..i18n import N_, format_number, translator

# (pattern over the whole text, msgid).  Named groups: n... an integer ("4,752"), x... a
# decimal, v... a number if it is one ("0.5", "1.2e-03"; "1/64" as it is), list... a list of
# texts each translated again (separated by ", " or "; "), m... a method's name, anything else
# as it is.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), m) for p, m in (
    (r"main effects only", N_("main effects only")),
    (r"fitted at -inf \(no one on both lists\): (?P<terms>.+)",
     N_("fitted at minus infinity (no one on both lists): {terms}")),
    (r"lower profile bound is the observed number \(not reached above\)",
     N_("lower profile bound is the observed number (not reached above)")),
    (r"upper profile bound not reached below 3 x estimate: capped there \(as Rcapture\)",
     N_("upper profile bound not reached below 3 x the estimate: capped there (as Rcapture)")),
    (r"(?P<n>\d+) stratum\(s\) without an estimate", N_("strata without an estimate: {n}")),
    (r"(?P<v_share>\S+) of the posterior lies in the top 1 % of a grid that reaches "
     r"(?P<n_max>[\d,]+): the tail is cut off",
     N_("{v_share} of the posterior lies in the top 1% of a grid that reaches {n_max}: the "
        "tail is cut off")),
    (r"median (?P<list>[\d,]+ at delta = .+)", N_("median {list}")),
    (r"(?P<n>[\d,]+) at delta = (?P<v_delta>\S+)", N_("{n} at delta = {v_delta}")),
    (r"(?P<share>\d+%) of the draws at the sampler's cap N = 21 x observed",
     N_("{share} of the draws at the sampler's cap N = 21 x observed")),
    (r"poor mixing: (?P<list>.+); the estimate depends on where the chains happened to be",
     N_("poor mixing: {list}; the estimate depends on where the chains happened to be")),
    (r"R-hat (?P<x_rhat>[\d.]+) > (?P<x_max>[\d.]+): the (?P<n>\d+) chains \(or their "
     r"halves\) disagree, chain medians (?P<list>.+)",
     N_("R-hat {x_rhat} > {x_max}: the {n} chains (or their halves) disagree, chain medians "
        "{list}")),
    (r"R-hat (?P<x_rhat>[\d.]+) > (?P<x_max>[\d.]+): the chain's halves disagree",
     N_("R-hat {x_rhat} > {x_max}: the chain's halves disagree")),
    (r"bulk ESS (?P<n_ess>[\d,]+) < (?P<n_min>\d+)", N_("bulk ESS {n_ess} < {n_min}")),
    (r"dga averages over the decomposable graphs on (?P<low>\d+) to (?P<high>\d+) lists "
     r"\(as R dga\); this table has (?P<k>\d+): merge lists first",
     N_("dga averages over the decomposable graphs on {low} to {high} lists (as R dga); this "
        "table has {k}: merge lists first")),
    (r"(?P<n>\d+) decomposable graphs averaged; most probable (?P<graph>\S+) "
     r"\((?P<share>\d+%)\)", N_("{n} decomposable graphs averaged; most probable {graph} "
                                 "({share})")),
    (r"up to (?P<n>\d+) latent classes, lists independent within a class",
     N_("up to {n} latent classes, lists independent within a class")),
    (r"the maximum likelihood estimate exists and is identifiable",
     N_("the maximum likelihood estimate exists and is identifiable")),
    (r"the maximum likelihood estimate does not exist \(no positive table has the same "
     r"margins\)", N_("the maximum likelihood estimate does not exist (no positive table has "
                      "the same margins)")),
    (r"the model is not identifiable \(its design matrix is rank deficient\)",
     N_("the model is not identifiable (its design matrix is rank deficient)")),
    (r"the maximum likelihood estimate does not exist and the model is not identifiable",
     N_("the maximum likelihood estimate does not exist and the model is not identifiable")),
    (r"(?P<n>\d+) pair\(s\) of lists have no one in common",
     N_("pairs of lists with no one in common: {n}")),
    (r"(?P<n>\d+) two-list model\(s\) have no maximum likelihood estimate: (?P<models>.+)",
     N_("two-list models without a maximum likelihood estimate: {n} ({models})")),
    (r"the model with all two-list interactions is not identifiable",
     N_("the model with all two-list interactions is not identifiable")),
    (r"the model with all two-list interactions has no maximum likelihood estimate",
     N_("the model with all two-list interactions has no maximum likelihood estimate")),
    (r"estimates range from (?P<n_low>[\d,]+) \((?P<m_low>[^)]+(?:\)[^)]*)?)\) to "
     r"(?P<n_high>[\d,]+) \((?P<m_high>.+)\), a factor (?P<x_factor>[\d.]+)",
     N_("estimates range from {n_low} ({m_low}) to {n_high} ({m_high}), a factor "
        "{x_factor}")),
    (r"(?P<n>\d+) method\(s\) without a verdict; their median estimate is (?P<n_median>[\d,]+)",
     N_("methods without a verdict: {n}; their median estimate is {n_median}")),
    # a stratum's reason: "stepwise: <why>"
    (r"(?P<m_method>[\w ]+): (?P<why>.+)", N_("{m_method}: {why}")),
))
# the comparison's method names that are words (the others are names: bic, Mt, Mh Chao ...)
METHODS = {"stepwise": N_("stepwise"), "all pairs": N_("all pairs"),
           "latent classes": N_("latent classes")}


def method_name(name: str, lang: str) -> str:
    """A method of the comparison by its name in ``lang``."""
    return translator(lang)(METHODS[name]) if name in METHODS else name


def known(text: str) -> bool:
    """Whether a pattern recognises ``text`` (all of it, parts included)."""
    return _translate(text, "en", strict=True) is not None


def mse_text(text: str, lang: str) -> str:
    """``text`` of zicht.mse in ``lang`` (a text no pattern knows as it is)."""
    if not text:
        return text
    out = _translate(text, lang, strict=False)
    return text if out is None else out


def _translate(text: str, lang: str, strict: bool) -> str | None:
    _ = translator(lang)
    for pattern, msgid in PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {}
        for name, value in match.groupdict().items():
            part = _part(name, value, lang, strict)
            if part is None:
                break
            values[name] = part
        else:
            return _(msgid).format(**values)
    return None


def _part(name: str, value: str, lang: str, strict: bool) -> str | None:
    if name.startswith("n"):
        return format_number(int(value.replace(",", "")), lang)
    if name.startswith("x"):
        decimals = len(value.split(".")[1]) if "." in value else 0
        return format_number(float(value), lang, decimals=decimals)
    if name.startswith("m"):
        return method_name(value, lang)
    if name.startswith("v"):
        try:
            return format_number(float(value), lang)
        except ValueError:
            return value
    if name == "why":
        return _translate(value, lang, strict) if strict else mse_text(value, lang)
    if name == "list":
        sep = "; " if "; " in value else ", "
        items = []
        for item in value.split(sep):
            if re.fullmatch(r"[\d,]+", item):
                items.append(format_number(int(item.replace(",", "")), lang))
                continue
            done = _translate(item, lang, strict)
            if done is None and strict:
                return None
            items.append(done or item)
        return sep.join(items)
    return value
