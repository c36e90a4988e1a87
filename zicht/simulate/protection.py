"""Protection in a scenario: whether a victim filed a complaint, and the help each got.

Drawn once per person and year, so that every report of a person that year tells the same
story (the registry counts persons: "any report says yes").  The scenario's ``protection`` key::

    protection:
      complaint: {yes: 0.375, no: 0.5, considering: 0.125}  # the true status, per person-year
      recorded: 0.8          # chance a report records the complaint and the reflection period
      with_complaint: {reflection_period: 0.5, shelter_requested: 0.35, shelter_placed: 0.7,
                       referred_to_care: 0.5}
      without_complaint: {reflection_period: 0.3, ...}  # a gap: less help without a complaint

``shelter_placed`` is the chance of a placement once shelter was requested; the reflection
period is offered or granted (half each) to persons who are not Dutch nationals, and recorded
as ``not_applicable`` for Dutch ones.  Left out, both groups get the same chances (no gap), and
the report-level shares are those the simulator always had (complaint yes 30 %, no 40 %,
considering 10 %, unknown 20 %; shelter requested 35 %, placed 70 % of those).  The true gap of
an outcome is its chance with a complaint minus its chance without (:meth:`Protection.gap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

COMPLAINT_STATUSES = ("yes", "no", "considering")
OUTCOMES = ("reflection_period", "shelter_requested", "shelter_placed", "referred_to_care")


@dataclass(frozen=True)
class Outcomes:
    """The chance of each outcome for one group (shelter_placed: given requested)."""

    reflection_period: float = 0.5
    shelter_requested: float = 0.35
    shelter_placed: float = 0.7
    referred_to_care: float = 0.5

    def chance(self, outcome: str) -> float:
        """The unconditional chance (placed = requested x placed once requested)."""
        if outcome == "shelter_placed":
            return self.shelter_requested * self.shelter_placed
        return float(getattr(self, outcome))


@dataclass(frozen=True)
class Protection:
    complaint: dict[str, float] = field(
        default_factory=lambda: {"yes": 0.375, "no": 0.5, "considering": 0.125})
    recorded: float = 0.8
    with_complaint: Outcomes = Outcomes()
    without_complaint: Outcomes = Outcomes()

    def gap(self, outcome: str) -> float:
        """The true gap: chance with a complaint minus chance without (a fraction)."""
        return self.with_complaint.chance(outcome) - self.without_complaint.chance(outcome)


def parse_protection(raw, fail, prob, distribution) -> Protection:
    """The ``protection`` key of a scenario; ``fail(key, message)``, ``prob(value, key)`` and
    ``distribution(value, key, allowed)`` are the scenario parser's own checks."""
    if raw is None:
        return Protection()
    if not isinstance(raw, dict):
        fail("protection", "expected a mapping (complaint, recorded, with_complaint, "
                           "without_complaint)")
    allowed = {"complaint", "recorded", "with_complaint", "without_complaint"}
    extra = sorted(set(raw) - allowed)
    if extra:
        fail(f"protection.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    default = Protection()
    complaint = (distribution(raw["complaint"], "protection.complaint", COMPLAINT_STATUSES)
                 if "complaint" in raw else default.complaint)
    complaint = {s: complaint.get(s, 0.0) for s in COMPLAINT_STATUSES}
    groups = {}
    for group in ("with_complaint", "without_complaint"):
        spec = raw.get(group) or {}
        if not isinstance(spec, dict):
            fail(f"protection.{group}", "expected a mapping of outcomes to chances")
        names = {f.name for f in fields(Outcomes)}
        extra = sorted(set(spec) - names)
        if extra:
            fail(f"protection.{group}.{extra[0]}",
                 f"unknown outcome (allowed: {', '.join(OUTCOMES)})")
        groups[group] = Outcomes(**{k: prob(v, f"protection.{group}.{k}")
                                    for k, v in spec.items()})
    return Protection(complaint, prob(raw.get("recorded", default.recorded),
                                      "protection.recorded"), **groups)


def draw(protection: Protection, person: np.ndarray, dutch: np.ndarray,
         rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The protection fields of one year's reports: ``person`` is each report's person (any
    hashable id), ``dutch`` whether that person is a Dutch national.  One draw per person for
    the truth, one per report for whether it records the complaint and reflection period."""
    ids, of = np.unique(person, return_inverse=True)
    m, n = ids.size, person.size
    p = np.array([protection.complaint[s] for s in COMPLAINT_STATUSES], dtype=float)
    status = np.array(COMPLAINT_STATUSES)[rng.choice(3, m, p=p / p.sum())] if m else \
        np.array([], dtype=str)
    with_c = status == "yes"
    u = rng.random((m, 5))

    def chance(outcome: str) -> np.ndarray:
        return np.where(with_c, getattr(protection.with_complaint, outcome),
                        getattr(protection.without_complaint, outcome))

    reflection = u[:, 0] < chance("reflection_period")
    granted = u[:, 1] < 0.5
    requested = u[:, 2] < chance("shelter_requested")
    placed = requested & (u[:, 3] < chance("shelter_placed"))
    referred = u[:, 4] < chance("referred_to_care")
    recorded = rng.random((n, 2)) < protection.recorded
    yes_no = np.array(["no", "yes"])
    foreign = ~np.asarray(dutch, dtype=bool)
    reflection_value = np.where(reflection[of], np.where(granted[of], "granted", "offered"), "no")
    return {
        "complaint_filed": np.where(recorded[:, 0], status[of], "unknown"),
        "reflection_period": np.where(foreign, np.where(recorded[:, 1], reflection_value,
                                                        "unknown"), "not_applicable"),
        "shelter_requested": yes_no[requested[of].astype(int)],
        "shelter_placed": yes_no[placed[of].astype(int)],
        "referred_to_care": yes_no[referred[of].astype(int)],
    }

