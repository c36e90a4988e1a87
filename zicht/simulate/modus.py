"""The traffickers' modus operandi in a scenario: the means of control used on each victim and
the recruiter's relation to them (issue 21), in the CTDC codebook's codes (``zicht.codes``).

Drawn once per person and year, so every report of a person that year agrees, then recorded or
left empty per report.  The scenario's ``modus_operandi`` key::

    modus_operandi:
      recorded: 0.6                 # chance a report records the means and the recruiter
      means:                        # per form of exploitation: the chance of each means
        SEX: {threats: 0.45, psychological_abuse: 0.5, ...}
      recruiter:                    # per form: the recruiter's relation (a distribution)
        LAB: {employer: 0.35, friend: 0.2, ...}
      trend: {debt_bondage: 0.05}   # added to a means' chance per year after the first

A form or key left out takes :data:`MEANS` and :data:`RECRUITER`'s illustrative defaults (no
source gives the Dutch shares; they only make the fields look like data).  A person with
several forms takes the first form's chances; a person with none recorded gets no means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..codes import MEANS_OF_CONTROL, RECRUITER_RELATIONS

MEANS: dict[str, dict[str, float]] = {
    "SEX": {"psychological_abuse": 0.5, "threats": 0.45, "takes_earnings": 0.4,
            "sexual_abuse": 0.35, "physical_abuse": 0.3, "restricts_movement": 0.3,
            "false_promises": 0.3, "debt_bondage": 0.2, "psychoactive_substances": 0.15,
            "withholds_documents": 0.15},
    "LAB": {"false_promises": 0.5, "takes_earnings": 0.45, "excessive_working_hours": 0.45,
            "debt_bondage": 0.35, "withholds_documents": 0.35, "threats": 0.3,
            "psychological_abuse": 0.25, "restricts_movement": 0.25,
            "threat_of_law_enforcement": 0.2, "withholds_necessities": 0.15,
            "physical_abuse": 0.1},
    "CRIM": {"threats": 0.5, "psychological_abuse": 0.4, "debt_bondage": 0.3,
             "physical_abuse": 0.3, "psychoactive_substances": 0.25, "false_promises": 0.2,
             "uses_children": 0.1},
    "ORG": {"false_promises": 0.6, "debt_bondage": 0.3, "threats": 0.2},
}
RECRUITER: dict[str, dict[str, float]] = {
    "SEX": {"intimate_partner": 0.35, "family": 0.08, "friend": 0.22, "employer": 0.05,
            "other": 0.15, "unknown": 0.15},
    "LAB": {"intimate_partner": 0.02, "family": 0.08, "friend": 0.2, "employer": 0.35,
            "other": 0.2, "unknown": 0.15},
    "CRIM": {"intimate_partner": 0.08, "family": 0.12, "friend": 0.35, "employer": 0.05,
             "other": 0.25, "unknown": 0.15},
    "ORG": {"family": 0.1, "friend": 0.2, "other": 0.5, "unknown": 0.2},
}
FORMS = tuple(MEANS)


@dataclass(frozen=True)
class ModusOperandi:
    recorded: float = 0.6
    means: dict[str, dict[str, float]] = field(default_factory=lambda: dict(MEANS))
    recruiter: dict[str, dict[str, float]] = field(default_factory=lambda: dict(RECRUITER))
    trend: dict[str, float] = field(default_factory=dict)

    def chance(self, form: str, means: str, years_on: int = 0) -> float:
        """The true chance a victim of ``form`` is controlled by ``means``, ``years_on`` years
        after the first simulated year (clipped to [0, 1])."""
        base = self.means.get(form, {}).get(means, 0.0) + self.trend.get(means, 0.0) * years_on
        return float(min(max(base, 0.0), 1.0))


def parse_modus(raw, fail, prob, distribution) -> ModusOperandi:
    """The ``modus_operandi`` key of a scenario (the parser's own checks, as
    :func:`zicht.simulate.protection.parse_protection` takes them)."""
    if raw is None:
        return ModusOperandi()
    if not isinstance(raw, dict):
        fail("modus_operandi", "expected a mapping (recorded, means, recruiter, trend)")
    allowed = {"recorded", "means", "recruiter", "trend"}
    extra = sorted(set(raw) - allowed)
    if extra:
        fail(f"modus_operandi.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    means = dict(MEANS)
    for form, spec in (raw.get("means") or {}).items():
        where = f"modus_operandi.means.{form}"
        if form not in FORMS:
            fail(where, f"unknown form (allowed: {', '.join(FORMS)})")
        if not isinstance(spec, dict):
            fail(where, "expected a mapping of means to chances")
        bad = sorted(set(spec) - set(MEANS_OF_CONTROL))
        if bad:
            fail(f"{where}.{bad[0]}", "not a means of control (zicht.codes.MEANS_OF_CONTROL)")
        means[form] = {k: prob(v, f"{where}.{k}") for k, v in spec.items()}
    recruiter = dict(RECRUITER)
    for form, spec in (raw.get("recruiter") or {}).items():
        where = f"modus_operandi.recruiter.{form}"
        if form not in FORMS:
            fail(where, f"unknown form (allowed: {', '.join(FORMS)})")
        recruiter[form] = distribution(spec, where, tuple(RECRUITER_RELATIONS))
    trend = {}
    for code, step in (raw.get("trend") or {}).items():
        if code not in MEANS_OF_CONTROL:
            fail(f"modus_operandi.trend.{code}", "not a means of control")
        if isinstance(step, bool) or not isinstance(step, int | float) or abs(step) > 1:
            fail(f"modus_operandi.trend.{code}", "a change of the chance per year, -1 to 1")
        trend[code] = float(step)
    return ModusOperandi(prob(raw.get("recorded", 0.6), "modus_operandi.recorded"), means,
                         recruiter, trend)


def draw(modus: ModusOperandi, person: np.ndarray, form: np.ndarray, years_on: int,
         rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The two fields of one year's reports: ``person`` is each report's person, ``form`` its
    (first) form of exploitation.  One draw per person for the truth, one per report for
    whether it records them."""
    ids, first, of = np.unique(person, return_index=True, return_inverse=True)
    m, n = ids.size, person.size
    first_form = np.array([str(f).split(";")[0] for f in np.asarray(form)[first]], dtype=object)
    codes = list(MEANS_OF_CONTROL)
    u = rng.random((m, len(codes)))
    chances = np.array([[modus.chance(f, c, years_on) for c in codes] for f in FORMS])
    row = np.array([FORMS.index(f) if f in FORMS else -1 for f in first_form], dtype=int)
    has = (u < chances[np.maximum(row, 0)]) & (row >= 0)[:, None]
    means = np.array([";".join(c for c, h in zip(codes, hit, strict=True) if h) for hit in has],
                     dtype=object)
    relations = np.array(list(RECRUITER_RELATIONS))
    recruiter = np.full(m, "unknown", dtype=object)
    for i, f in enumerate(FORMS):
        pick = row == i
        if pick.any():
            dist = modus.recruiter.get(f, {})
            p = np.array([dist.get(r, 0.0) for r in relations])
            recruiter[pick] = relations[rng.choice(len(relations), int(pick.sum()),
                                                   p=p / p.sum())]
    recorded = rng.random(n) < modus.recorded
    return {"means_of_control": np.where(recorded, means[of], ""),
            "recruiter_relation": np.where(recorded, recruiter[of], "")}
