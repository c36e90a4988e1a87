"""The linkage model: Splink 5 on pseudonymised tokens, trained without labels.

Comparisons (each level is plain SQL over the columns of :mod:`zicht.linkage.prepare`, so the
same model runs on DuckDB and on Spark):

- **name** - one comparison over given name and surname together, so that a swapped or merged
  name (equal sorted name parts) and a typo in one part are levels of their own instead of two
  disagreeing comparisons: sorted name parts equal (term-frequency adjusted), one part equal
  and the other similar (Dice of the Bloom filters >= 0.75), both similar, surname equal with
  the given name missing on one side, surname equal (TF), given name equal (TF), both
  loosely similar (Dice >= 0.55), else.
- **birth date** - exact (TF), day and month swapped, same year and month, same month and day
  with another year (a year typed wrong), same year with the date known on one side only, same
  year, else; NULL when either side has no year.
- **implied birth year** from the age at report (reference year - age), only where a side has
  no birth year: equal, within 1, within 3, else.
- **year** between the reports: same, 1 apart, 2-3, further.
- **sex**: equal or not.
- **context**: place and forms of exploitation as one comparison (see
  :func:`context_comparison`; nationality is left out, names carry it).
- **extra tokens** (``tok_extra_*``): equal (TF) or not.

Training is unsupervised: u from random pairs; the prior match probability λ from the pairs
that agree on sorted name and birth date, with that rule's recall taken from the model's own
m-probabilities (iterated twice: recall = m(name equal) x m(date equal), conditional
independence), and m by EM on two blocking rules that each leave one side of the comparisons
free.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .assumptions import M_BOUNDS, both_known, person_term_frequencies
from .prepare import BLOOM_WORDS, extra_tokens

Backend = Literal["duckdb", "spark"]
log = logging.getLogger(__name__)

__all__ = ["BLOCKING_RULES", "BROAD_RULES", "LinkageModel", "dice_sql", "select_blocking_rules",
           "settings"]


def dice_sql(field: str, at_least: float) -> str:
    """SQL: Dice of the two records' Bloom filters of ``field`` is at least ``at_least``.

    ``2 |A & B| >= t (|A| + |B|)`` with |A & B| summed over the 64-bit words; portable
    (``bit_count`` and ``&`` on BIGINT exist in DuckDB and Spark SQL)."""
    common = " + ".join(f"CAST(bit_count({field}_{i}_l & {field}_{i}_r) AS INTEGER)"
                        for i in range(BLOOM_WORDS))
    return (f"({field}_n_l IS NOT NULL AND {field}_n_r IS NOT NULL AND "
            f"2 * ({common}) >= {at_least} * ({field}_n_l + {field}_n_r))")


def _eq(col: str) -> str:
    return f"{col}_l = {col}_r"


def _level(sql: str, label: str, tf: str | None = None, null: bool = False) -> dict:
    level = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _missing(col: str) -> str:
    return f"({col}_l IS NULL OR {col}_r IS NULL)"


def name_comparison() -> dict:
    given_sim, surname_sim = dice_sql("bf_given", 0.75), dice_sql("bf_surname", 0.75)
    one_missing = f"({_missing('tok_given')} OR {_missing('tok_surname')})"
    return {
        "output_column_name": "name",
        "comparison_description": "given name and surname (tokens and Bloom filters)",
        "comparison_levels": [
            _level(f"{_missing('tok_given')} AND {_missing('tok_surname')}", "no name to compare",
                   null=True),
            _level(_eq("tok_name_sorted"), "all name parts equal (order free)",
                   tf="tok_name_sorted"),
            _level(f"({_eq('tok_given')} AND {surname_sim}) OR "
                   f"({_eq('tok_surname')} AND {given_sim})",
                   "one part equal, the other similar"),
            _level(f"{given_sim} AND {surname_sim}", "both parts similar (Dice >= 0.75)"),
            _level(f"NOT {one_missing} AND {dice_sql('bf_name', 0.8)}",
                   "all parts similar, order free (Dice >= 0.8)"),
            _level(f"{_eq('tok_surname')} AND {_missing('tok_given')}",
                   "surname equal, given name missing"),
            _level(f"{_eq('tok_given')} AND {_missing('tok_surname')}",
                   "given name equal, surname missing"),
            _level(f"{one_missing} AND ({given_sim} OR {surname_sim})",
                   "one part missing, the other similar"),
            _level(_eq("tok_surname"), "surname equal", tf="tok_surname"),
            _level(_eq("tok_given"), "given name equal", tf="tok_given"),
            _level(dice_sql("bf_name", 0.55), "all parts loosely similar (Dice >= 0.55)"),
            _level("ELSE", "different"),
        ],
    }


def birth_date_comparison() -> dict:
    return {
        "output_column_name": "birth_date",
        "comparison_description": "birth date tokens",
        "comparison_levels": [
            _level(_missing("tok_birth_year"), "birth year unknown", null=True),
            _level(_eq("tok_birth_date"), "date equal", tf="tok_birth_date"),
            _level("(tok_birth_date_l = tok_birth_date_swapped_r OR "
                   "tok_birth_date_swapped_l = tok_birth_date_r)", "day and month swapped"),
            _level(_eq("tok_birth_ym"), "year and month equal"),
            _level(_eq("tok_birth_md"), "day and month equal, year differs"),
            _level(f"{_eq('tok_birth_year')} AND {_missing('tok_birth_date')}",
                   "year equal, date known on one side only"),
            _level(_eq("tok_birth_year"), "year equal, date differs"),
            _level("ELSE", "different"),
        ],
    }


def _years_apart(column: str, name: str, description: str, null: tuple[str, str],
                 labels: tuple[str, str, str, str]) -> dict:
    """A comparison of two years: equal, 1 apart, 2-3 apart, further (``labels``)."""
    gap = f"abs({column}_l - {column}_r)"
    return {
        "output_column_name": name,
        "comparison_description": description,
        "comparison_levels": [
            _level(null[0], null[1], null=True),
            _level(f"{gap} = 0", labels[0]),
            _level(f"{gap} <= 1", labels[1]),
            _level(f"{gap} <= 3", labels[2]),
            _level("ELSE", labels[3]),
        ],
    }


def approx_year_comparison() -> dict:
    # only where the birth date comparison has no year to compare: the two are not
    # independent (the age is mostly computed from the birth date)
    return _years_apart(
        "approx_birth_year", "age", "birth year implied by the age at report",
        (f"{_missing('approx_birth_year')} OR NOT {_missing('tok_birth_year')}",
         "age unknown, or birth years compared"),
        ("same implied birth year", "implied birth years 1 apart",
         "implied birth years 2-3 apart", "different"))


def year_gap_comparison() -> dict:
    return _years_apart(
        "reference_year", "year", "years between the reports (reference year)",
        (_missing("reference_year"), "year unknown"),
        ("same year", "1 year apart", "2-3 years apart", "further apart"))


def context_comparison() -> dict:
    """Place and forms of exploitation as one comparison.

    They are far from independent among different people (women in sexual exploitation in
    Amsterdam; men in agriculture in Westland), so two separate comparisons would count one
    coincidence twice; as levels of one comparison their joint frequency is what u measures.
    Nationality is left out: names already carry it (people of one nationality share a pool
    of names), so among pairs with similar names an equal nationality is the rule, not the
    coincidence random pairs suggest.  With it, false links at 100,000 simulated reports
    rose by half (pairwise F1 0.934 instead of 0.957)."""
    place, forms = (_eq(c) for c in ("place_of_exploitation", "exploitation_forms"))
    return {
        "output_column_name": "context",
        "comparison_description": "place and forms of exploitation together",
        "comparison_levels": [
            _level(f"{_missing('place_of_exploitation')} AND {_missing('exploitation_forms')}",
                   "nothing to compare", null=True),
            _level(f"{place} AND {forms}", "place and forms equal"),
            _level(place, "place equal"),
            _level("ELSE", "different"),
        ],
    }


def _exact(col: str, description: str, tf: bool = False) -> dict:
    return {
        "output_column_name": col,
        "comparison_description": description,
        "comparison_levels": [
            _level(_missing(col), f"{col} unknown", null=True),
            _level(_eq(col), f"{col} equal", tf=col if tf else None),
            _level("ELSE", "different"),
        ],
    }


# Blocking rules for predictions: a pair is scored when it agrees on any of these.  Together
# they keep pairs whose names or dates carry one error of each kind the simulator knows
# (typo, swap, missing part, merged prefix, wrong year, swapped day and month).
BLOCKING_RULES = (
    ("tok_birth_date",),
    ("tok_name_sorted",),
    ("tok_given", "tok_surname"),
    ("tok_surname", "tok_birth_year"),
    ("tok_given", "tok_birth_year"),
    ("tok_surname", "tok_birth_md"),
    ("tok_given", "tok_birth_md"),
    ("tok_given_metaphone", "tok_surname_metaphone"),
    ("tok_given_soundex", "tok_surname_soundex"),
)
SWAP_RULE = "l.tok_birth_date = r.tok_birth_date_swapped"
# Rules for a name with an error and no birth date (a name part and the birth year implied by
# the age, in two-year bins at two offsets), then broad rules within one reference year.
# Most of the links the rules above miss are between reports of one year with errors in both
# names and no usable birth date - exactly the links between lists that the estimate depends
# on.  They are added in this order while the pairs they generate stay within the budget
# (see :func:`select_blocking_rules`): ten years of nl-baseline (12,000 reports) take them
# all, a million reports - where they would add 150 million pairs to the 50 million above -
# only what fits.
BROAD_RULES = (
    ("tok_surname", "approx_year_bin"),
    ("tok_surname", "approx_year_bin_odd"),
    ("tok_given", "approx_year_bin"),
    ("tok_given", "approx_year_bin_odd"),
    ("tok_surname_metaphone", "approx_year_bin"),
    ("tok_surname_metaphone", "approx_year_bin_odd"),
    ("tok_given_metaphone", "approx_year_bin"),
    ("tok_given_metaphone", "approx_year_bin_odd"),
    ("tok_surname", "reference_year"),
    ("tok_given", "reference_year"),
    ("tok_surname_soundex", "reference_year"),
    ("tok_given_soundex", "reference_year"),
    ("tok_birth_md", "reference_year"),
    ("tok_birth_year", "reference_year", "sex"),
    ("nationality", "reference_year", "sex", "exploitation_forms"),  # blocking only
    ("approx_year_bin", "reference_year", "sex"),
    ("approx_year_bin_odd", "reference_year", "sex"),
    ("place_of_exploitation", "reference_year", "sex"),
)
BROAD_BUDGET = 100  # pairs per report that the broad rules may add ...
BROAD_CAP = 2e7  # ... and never more than this many in all (a million reports)


def rule_pairs(table: pd.DataFrame, columns: tuple[str, ...]) -> int:
    """Pairs a blocking rule on equal ``columns`` generates (NULLs never block)."""
    counts = table.dropna(subset=list(columns)).groupby(list(columns), sort=False).size()
    c = counts.to_numpy(dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def select_blocking_rules(table: pd.DataFrame, budget_per_report: float = BROAD_BUDGET
                          ) -> list[tuple[str, ...]]:
    """The always-used rules plus the broad rules, cheapest first, while their pairs stay
    within ``budget_per_report`` x reports (and :data:`BROAD_CAP`)."""
    rules = list(BLOCKING_RULES)
    budget = min(budget_per_report * len(table), BROAD_CAP)
    for rule in BROAD_RULES:
        cost = rule_pairs(table, rule)
        if cost > budget:
            log.info("blocking rule %s left out: %s pairs over the budget", rule, f"{cost:,}")
            continue
        rules.append(rule)
        budget -= cost
    return rules


def _blocking_sql(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in columns)


def settings(rules: list[tuple[str, ...]] | None = None, extra: tuple[str, ...] = (),
             link_type: str = "dedupe_only") -> dict:
    """The Splink settings of the token model (before training); ``extra`` names the
    ``tok_extra_*`` columns, each compared exactly (term-frequency adjusted)."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "comparisons": [name_comparison(), birth_date_comparison(), approx_year_comparison(),
                        year_gap_comparison(), _exact("sex", "sex"), context_comparison(),
                        *(_exact(column, column.removeprefix("tok_extra_"), tf=True)
                          for column in extra)],
        "blocking_rules_to_generate_predictions": [
            *(_blocking_sql(rule) for rule in (rules or BLOCKING_RULES)), SWAP_RULE],
        # Splink keeps the comparison vector (gamma_*: each pair's level) only with the
        # matching columns; predict() selects the levels and weights, not the columns
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "max_iterations": 20,
        "em_convergence": 0.001,
    }


U_MIN_COUNT = None  # count every sampled pair: Splink stops early otherwise (see _train)


@dataclass
class TrainingReport:
    probability_two_random_records_match: float
    deterministic_recall: float
    warnings: tuple[str, ...] = ()


class LinkageModel:
    """Splink's linker on one backend, trained on the data it will score."""

    def __init__(self, table: pd.DataFrame, backend: Backend = "duckdb", seed: int = 1,
                 spark=None, broad_budget: float = BROAD_BUDGET):
        from splink import Linker

        self.backend = backend
        self.seed = seed
        self.db = _database(backend, spark)
        self.n = len(table)
        self.input = self.db.register(table)
        extra = tuple(extra_tokens(table))
        self.rules = select_blocking_rules(table, broad_budget) + [(c,) for c in extra]
        self.linker = Linker(self.input, settings(self.rules, extra),
                             log_level=None)  # logging is the caller's
        self.training: TrainingReport | None = None
        self._bound_warnings: list[str] = []
        # the share of pairs the prior's rule can see (both sides with a name and a birth
        # year; see _train)
        self._known = (both_known(table["tok_name_sorted"])
                       * both_known(table["tok_birth_year"]))
        self._register_person_term_frequencies(table)

    def _register_person_term_frequencies(self, table: pd.DataFrame) -> None:
        """Term frequencies among persons, not reports (:func:`person_term_frequencies`),
        registered with Splink in place of the ones it would count itself."""
        for column, tf in person_term_frequencies(table).items():
            frame = tf.rename_axis(column).reset_index(name=f"tf_{column}")
            self.linker.table_management.register_term_frequency_lookup(
                self.db.register(frame), column)

    # -- training ---------------------------------------------------------------------------
    def train(self, max_pairs: float | None = None) -> TrainingReport:
        """Unsupervised training (see the module's text)."""
        with _floored_em():
            return self._train(max_pairs)

    def _train(self, max_pairs: float | None) -> TrainingReport:
        training = self.linker.training
        max_pairs = max_pairs or min(1e7, max(5e6, 20.0 * self.n))
        # EM on a sample of the blocked pairs once they run into tens of millions (a million
        # reports blocked on birth date); small data are trained on every pair
        em_pairs = 5e6 if self.n > 200_000 else None
        # Spark: one chunk (each chunk is a Spark job; ten took twice as long on small data)
        # Splink 5 stops counting a comparison as soon as a probe (1 %, then 10 % chunks of
        # the pairs) holds min_count_per_level of every level; the chunks are chosen by a hash
        # of the report ids, so with its default of 100 the u of common levels (sex,
        # context) came from a few thousand pairs and moved with the registry's random ids
        # (u(sex equal) 0.45-0.59 for the same 552 reports; 10,000 a level still 0.48-0.52).
        # Every sampled pair is counted: the same reports give the same u.
        training.estimate_u_using_random_sampling(
            max_pairs=max_pairs, seed=self.seed, min_count_per_level=U_MIN_COUNT,
            num_chunks=1 if self.backend == "spark" else 10)
        deterministic = [_blocking_sql(("tok_name_sorted", "tok_birth_date"))]
        # the rule can only find pairs where both sides have a name and a date; m of a level
        # is conditional on the comparison not being NULL (for the birth date: a year on both
        # sides; a year-only report is in the levels), so its recall is the m's times the
        # chance that both sides are known (missingness taken as independent of being a
        # match).  Left out, λ came out 1.6 times too low where a quarter of the reports lack
        # a birth date (independent generator, 20,000 reports).
        known = self._known
        recall = 0.5
        # two rounds on DuckDB (cheap); one on Spark, where every EM iteration is a Spark job
        for _ in range(1 if self.backend == "spark" else 2):
            training.estimate_probability_two_random_records_match(deterministic, recall=recall)
            training.estimate_parameters_using_expectation_maximisation(
                _blocking_sql(("tok_birth_date",)), estimate_without_term_frequencies=True,
                max_pairs=em_pairs)
            training.estimate_parameters_using_expectation_maximisation(
                _blocking_sql(("tok_name_sorted",)), estimate_without_term_frequencies=True,
                max_pairs=em_pairs)
            self._bound_m_probabilities()
            new = known * (self.m_probability("name", "all name parts equal (order free)")
                           * self.m_probability("birth_date", "date equal"))
            settled = abs(new - recall) < 0.01
            recall = new
            if settled:
                break
        training.estimate_probability_two_random_records_match(deterministic, recall=recall)
        prior = self.linker._settings_obj._probability_two_random_records_match
        self.training = TrainingReport(float(prior), float(recall),
                                       tuple(self._bound_warnings + self.plausibility()))
        return self.training

    def _bound_m_probabilities(self) -> None:
        """Clamp the m-probabilities of :data:`M_BOUNDS` (after an EM round); the excess goes
        to the comparison's other non-NULL levels in proportion to their m."""
        warnings = []
        for name, levels in self._non_null_levels():
            for level in levels:
                bounds = M_BOUNDS.get((name, level.label_for_charts))
                m = level.m_probability
                if bounds is None or m is None or bounds[0] <= m <= bounds[1]:
                    continue
                bound = min(max(m, bounds[0]), bounds[1])
                # the difference goes to (or comes from) the levels without bounds, so that a
                # bounded level is not pushed back over its own bound
                others = [lv for lv in levels if lv is not level and lv.m_probability
                          and (name, lv.label_for_charts) not in M_BOUNDS]
                fixed = sum(lv.m_probability or 0.0 for lv in levels
                            if lv is not level and lv not in others)
                rest = sum(lv.m_probability for lv in others)
                if rest <= 0 or fixed + bound >= 1:
                    continue
                for lv in others:
                    lv.m_probability = lv.m_probability * (1 - fixed - bound) / rest
                level.m_probability = bound
                side = "above" if m > bound else "below"
                warnings.append(f"m({name}: {level.label_for_charts}) = {m:.3g} by EM, {side} "
                                f"its bound {bound:g}: set to the bound")
        self._bound_warnings = warnings

    def plausibility(self) -> list[str]:
        """Warnings on trained m and u that cannot be right: an agreeing level (the first of
        a comparison) whose m is not above its u, or a disagreeing one (the last) whose m is
        not below its u - the comparison would then count against a match when the values
        agree, or for it when they differ."""
        warnings = []
        for name, levels in self._non_null_levels():
            if len(levels) < 2:
                continue
            for level, sign in ((levels[0], 1), (levels[-1], -1)):
                m, u = level.m_probability, level.u_probability
                if m is None or u is None or not (m > 0 and u > 0):
                    continue
                if sign * (m - u) <= 0:
                    warnings.append(
                        f"m({name}: {level.label_for_charts}) = "
                        f"{m:.3g} is {'not above' if sign > 0 else 'not below'} its u = "
                        f"{u:.3g}: implausible (too few pairs, or a comparison that does not "
                        "tell people apart)")
        return warnings

    def m_u_table(self) -> pd.DataFrame:
        """Every non-NULL level's m and u and its match weight: what ``zicht link`` reports
        (``m_u.csv``) so that a user can judge the trained model."""
        rows = []
        for name, levels in self._non_null_levels():
            for level in levels:
                m, u = level.m_probability, level.u_probability
                rows.append({"comparison": name,
                             "level": level.label_for_charts,
                             "m": None if m is None else float(m),
                             "u": None if u is None else float(u),
                             "weight": (float(np.log2(m / u)) if m and u else None)})
        return pd.DataFrame(rows, columns=["comparison", "level", "m", "u", "weight"])

    def _levels(self):
        """(comparison name, level) for every level of the trained model."""
        for comparison in self.linker._settings_obj.comparisons:
            for level in comparison.comparison_levels:
                yield comparison.output_column_name, level

    def _non_null_levels(self):
        """(comparison name, its levels but the NULL one) for every comparison."""
        for comparison in self.linker._settings_obj.comparisons:
            yield comparison.output_column_name, [
                level for level in comparison.comparison_levels if not level.is_null_level]

    def m_probability(self, comparison: str, label: str) -> float:
        """The m probability of one level (0 while untrained)."""
        for name, level in self._levels():
            if name == comparison and level.label_for_charts == label:
                return float(level.m_probability) if level.m_probability is not None else 0.0
        raise KeyError((comparison, label))

    def level_labels(self) -> dict[str, dict[int, str]]:
        """Each comparison's levels by number (the comparison vector value) -> label."""
        out: dict[str, dict[int, str]] = {}
        for name, level in self._levels():
            out.setdefault(name, {})[int(level.comparison_vector_value)] = \
                level.label_for_charts
        return out

    def parameters(self) -> dict:
        """The trained model as Splink's settings dictionary (m, u, λ): saved with the run."""
        return self.linker.misc.save_model_to_json()

    # -- scoring ----------------------------------------------------------------------------
    def predict(self, threshold: float = 0.01) -> pd.DataFrame:
        """Scored pairs with match probability at least ``threshold``: ``id_l``, ``id_r``,
        ``match_probability``, ``match_weight``, each comparison's weight (``mw_*``) and its
        level's number (``gamma_*``, Splink's comparison vector value; the labels:
        :meth:`level_labels` and :func:`zicht.linkage.run.add_levels`)."""
        scored = self.linker.inference.predict(threshold_match_probability=threshold)
        # only the columns kept leave the engine: the scored table also holds both sides'
        # compared values and comparison vectors (retain_intermediate_calculation_columns),
        # several times the size, which on Spark all crossed to the driver through Arrow
        weights = [c.unquote().name for c in scored.columns
                   if c.unquote().name.startswith(("mw_", "gamma_"))]
        select = ", ".join(["unique_id_l AS id_l", "unique_id_r AS id_r", "match_probability",
                            "match_weight", *weights])
        frame = self.linker.misc.query_sql(f"SELECT {select} FROM {scored.physical_name}",
                                           output_type="pandas")
        scored.drop_table_from_database_and_remove_from_cache()
        swap = frame["id_l"] > frame["id_r"]  # id_l < id_r always, for stable pair keys
        frame.loc[swap, ["id_l", "id_r"]] = frame.loc[swap, ["id_r", "id_l"]].to_numpy()
        return frame.sort_values(["id_l", "id_r"], ignore_index=True)


M_U_FLOOR = 1e-10


@contextlib.contextmanager
def _floored_em():
    """EM with m and u probabilities floored at 1e-10 while it runs.

    In a small dataset a level can hold only non-matches (e.g. "birth date different" among
    pairs with equal names when every matched person wrote the date the same way); EM then
    sets its m probability to exactly 0, which Splink 5 refuses with a ValueError (by design:
    moj-analytical-services/splink#2333 and #2851) and the whole training fails.  A floor of
    1e-10 keeps the level's meaning (a weight of about -33: never a match on its own) and lets
    training finish.  Splink has no setting for this, so its update function is wrapped for
    the duration of training only."""
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def floored(fixed, level, name, lookup):
        record = lookup.get(name, {}).get(level.comparison_vector_value)
        if record is not None:
            for key in ("m_probability", "u_probability"):
                value = record.get(key)
                if isinstance(value, (int, float)) and value < M_U_FLOOR:
                    record[key] = M_U_FLOOR
        return original(fixed, level, name, lookup)

    em.populate_m_u_from_lookup = floored
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _database(backend: Backend, spark=None):
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # DuckDB takes up to 80 % of the machine by default; capped, it spills to disk instead
        # (ZICHT_DUCKDB_MEMORY, default 1500MB: a million reports then peaked at 4.4 GB with
        # pandas' share, in the same time as uncapped at 12 GB)
        spill = tempfile.mkdtemp(prefix="zicht-duckdb-")
        config = {"memory_limit": os.environ.get("ZICHT_DUCKDB_MEMORY", "1500MB"),
                  "temp_directory": spill}
        api = DuckDBAPI(duckdb.connect(config=config))
        weakref.finalize(api, shutil.rmtree, spill, True)  # the spill folder goes with it
        return api
    if backend == "spark":
        from .spark import spark_api

        return spark_api(spark)
    raise ValueError(f"unknown backend {backend!r} (duckdb or spark)")
