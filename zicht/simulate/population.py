"""The hidden population: victims, their attributes, and which years they are exploited.

Each year has ``victims_per_year`` victims (times (1 + ``victims_trend``) to the power of the
years since the first simulated year); a share ``carry_over`` of one year's victims is still
exploited the next year (same person, one year older), the rest are new.  Attributes follow the
scenario's distributions; sector, NR group and place follow from form, nationality and region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import codes
from .names import sample_names
from .scenario import Scenario

# A subset of CBS municipality codes (GMxxxx) with rough weights by population: the largest
# municipalities, where most registered exploitation takes place.
MUNICIPALITIES = {
    "GM0363": 9.3, "GM0599": 6.6, "GM0518": 5.6, "GM0344": 3.7, "GM0772": 2.4, "GM0014": 2.4,
    "GM0855": 2.2, "GM0034": 2.2, "GM0758": 1.9, "GM0268": 1.8, "GM0202": 1.6, "GM0392": 1.6,
    "GM0193": 1.3, "GM0153": 1.6, "GM0796": 1.6, "GM0307": 1.6, "GM0935": 1.2, "GM0546": 1.3,
    "GM0503": 1.0, "GM0479": 1.6, "GM0200": 1.7, "GM0394": 1.6, "GM0080": 1.3, "GM0150": 1.0,
    "GM0361": 1.1, "GM0505": 1.2, "GM0637": 1.3,
}
# places per Caribbean region: the BES islands by ISO 3166-2 code, the countries by themselves
CARIBBEAN_PLACES = {"BES": tuple(p for p in codes.CARIBBEAN_PLACES if p.startswith("BQ-")),
                    **{p: (p,) for p in codes.CARIBBEAN_PLACES if not p.startswith("BQ-")}}
ABROAD = ("DEU", "BEL", "ESP", "GBR", "FRA", "ITA", "POL", "ROU")
SECTORS = {
    "SEX": ("window", "club", "escort", "home", "online", "street"),
    "LAB": ("agriculture", "food_processing", "construction", "hospitality", "cleaning",
            "transport", "domestic_work", "shipping", "retail"),
    "CRIM": ("drug_production", "drug_trade", "property_crime", "fraud", "begging"),
    "ORG": ("organ_removal",),
    "MIX": ("hospitality", "domestic_work", "online"),
    "UNK": ("unknown",),
}
CARIBBEAN = codes.CARIBBEAN_REGIONS


def _choice(rng: np.random.Generator, dist: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(dist), dtype=object)
    p = np.array(list(dist.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def new_persons(scenario: Scenario, year: int, n: int, first_id: int,
                rng: np.random.Generator) -> pd.DataFrame:
    """``n`` new victims first exploited in ``year`` (ids from ``first_id``)."""
    sex = _choice(rng, scenario.sex, n)
    minor = rng.random(n) < scenario.minor
    # ages: minors mostly 12-17 (a tenth younger), adults 18 upwards with a long right tail
    age = np.where(
        minor,
        np.where(rng.random(n) < 0.1, rng.integers(4, 12, n), rng.integers(12, 18, n)),
        18 + np.minimum(rng.gamma(2.0, 7.0, n).astype(int), 50),
    )
    # born up to a year before 1 July of (year - age): exactly `age` on 1 July of `year`, the
    # reference date for minor/adult
    day = rng.integers(1, 365, n)
    birth = ((np.datetime64(f"{year}-07-01") - (age * 365.25).astype("timedelta64[D]"))
             - day.astype("timedelta64[D]"))
    nationality = _choice(rng, scenario.nationality, n)
    born_elsewhere = rng.random(n) < 0.08  # e.g. Dutch nationals born abroad and vice versa
    country_of_birth = np.where(born_elsewhere, np.where(nationality == "NLD", "SUR", "NLD"),
                                nationality)
    form = _choice(rng, scenario.form, n)
    sector = np.empty(n, dtype=object)
    for f, options in SECTORS.items():
        idx = np.flatnonzero(form == f)
        sector[idx] = np.array(options, dtype=object)[rng.integers(0, len(options), idx.size)]
    region = _choice(rng, scenario.region, n)
    place = np.empty(n, dtype=object)
    nl = np.flatnonzero(region == "NL")
    place[nl] = _choice(rng, MUNICIPALITIES, nl.size)
    for r, options in CARIBBEAN_PLACES.items():
        idx = np.flatnonzero(region == r)
        place[idx] = np.array(options, dtype=object)[rng.integers(0, len(options), idx.size)]
    abroad = np.flatnonzero(region == "ABROAD")
    place[abroad] = np.array(ABROAD, dtype=object)[rng.integers(0, len(ABROAD), abroad.size)]
    shares = np.array([s for s, _ in scenario.heterogeneity])
    group = rng.choice(len(shares), size=n, p=shares / shares.sum())
    names = sample_names(rng, nationality, sex)
    return object_frame({
        "person_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "first_year": year,
        "sex": sex,
        "birth_date": birth.astype("datetime64[D]"),
        "nationality": nationality,
        "country_of_birth": country_of_birth,
        "form": form,
        "sector": sector,
        "nr_group": nr_group(form, nationality),
        "region": region,
        "place": place,
        "latent_group": group.astype(np.int8),
        "given_name": names["given_name"].to_numpy(),
        "surname_prefix": names["surname_prefix"].to_numpy(),
        "surname": names["surname"].to_numpy(),
    })


def object_frame(columns: dict) -> pd.DataFrame:
    """A DataFrame whose string columns stay numpy object arrays.

    pandas 3 converts strings to Arrow-backed columns by default; for a million rows that
    conversion (and the one back to numpy for every comparison) cost more than the whole
    detection step, so the simulator keeps plain object columns.
    """
    return pd.DataFrame({
        k: pd.Series(v, dtype=object, copy=False)
        if isinstance(v, np.ndarray) and v.dtype.kind in "OU" else v
        for k, v in columns.items()
    })


def nr_group(form: np.ndarray, nationality: np.ndarray) -> np.ndarray:
    """The National Rapporteur's grouping: domestic / cross-border sexual, labour, criminal,
    organ, unknown."""
    out = np.full(form.shape, "unknown", dtype=object)
    out[(form == "SEX") & (nationality == "NLD")] = "domestic_sexual"
    out[(form == "SEX") & (nationality != "NLD")] = "cross_border_sexual"
    out[form == "LAB"] = "labour"
    out[form == "CRIM"] = "criminal"
    out[form == "ORG"] = "organ"
    return out


def person_years(scenario: Scenario, years: list[int], seed_seq: np.random.SeedSequence):
    """Yield (year, persons exploited that year) with carry-over between years."""
    prev: pd.DataFrame | None = None
    next_id = 1
    for year, child in zip(years, seed_seq.spawn(len(years)), strict=True):
        rng = np.random.default_rng(child)
        n = scenario.victims_in(year, years[0])
        if prev is not None and len(prev):
            stay = prev[rng.random(len(prev)) < scenario.carry_over]
            stay = stay.iloc[: n]
        else:
            stay = None
        n_new = n - (0 if stay is None else len(stay))
        fresh = new_persons(scenario, year, n_new, next_id, rng)
        next_id += n_new
        cur = fresh if stay is None else pd.concat([stay, fresh], ignore_index=True)
        cur["age"] = age_at(cur["birth_date"].to_numpy(),
                            np.full(len(cur), np.datetime64(f"{year}-07-01")))
        cur["minor"] = cur["age"].to_numpy() < 18
        yield year, cur
        prev = cur


def age_at(birth_date: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Whole years between two datetime64[D] arrays."""
    b = pd.DatetimeIndex(birth_date)
    w = pd.DatetimeIndex(when)
    years = w.year - b.year
    before = (w.month < b.month) | ((w.month == b.month) & (w.day < b.day))
    return np.asarray(years - before, dtype=np.int64)



def age_band(age: np.ndarray) -> np.ndarray:
    out = np.full(age.shape, "unknown", dtype=object)
    for lo, hi, label in codes.AGE_BAND_LIMITS:
        out[(age >= lo) & (age <= hi)] = label
    return out
