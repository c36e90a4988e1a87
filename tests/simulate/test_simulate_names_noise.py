"""Name pools (zicht.simulate.names) and identifier noise (zicht.simulate.noise)."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from zicht.simulate.names import (
    DUTCH_PREFIXES,
    NATIONALITIES,
    romanise,
    sample_names,
    shared_name_rate,
    split_dutch_prefix,
)
from zicht.simulate.noise import (
    NATIONALITY_CODES,
    NOISE_KINDS,
    NoiseConfig,
    apply_noise,
    noise_counts,
    prefix_variants,
    strip_diacritics,
    transliteration_variants,
)

N_ROWS = 50_000
NAT_SHARES = {
    "NLD": 0.30, "POL": 0.10, "NGA": 0.07, "ROU": 0.07, "BGR": 0.07, "HUN": 0.05, "UKR": 0.08,
    "VNM": 0.05, "CHN": 0.06, "ERI": 0.05, "RUS": 0.05, "GBR": 0.05,
}  # fmt: skip


def make_clear(seed: int, n: int = N_ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array(list(NAT_SHARES))
    p = np.array(list(NAT_SHARES.values()))
    nat = rng.choice(codes, size=n, p=p / p.sum())
    sex = rng.choice(np.array(["F", "M", "X", "U"]), size=n, p=[0.55, 0.43, 0.01, 0.01])
    frame = sample_names(rng, nat, sex)
    start = np.datetime64("1950-01-01")
    days = rng.integers(0, 365 * 60, size=n).astype("timedelta64[D]")
    frame["birth_date"] = (start + days).astype(str)
    frame.loc[:99, "birth_date"] = "2000-02-29"  # leap days, for the year-off rule
    frame["nationality"] = nat
    frame["sex"] = sex
    return frame


@pytest.fixture(scope="module")
def clear() -> pd.DataFrame:
    return make_clear(2024)


@pytest.fixture(scope="module")
def noisy(clear) -> pd.DataFrame:
    return apply_noise(np.random.default_rng(11), clear, NoiseConfig())


def within(count: int, eligible: int, rate: float, z: float = 4.5) -> bool:
    """count/eligible is binomial(eligible, rate) within z standard deviations."""
    assert eligible > 0
    sd = math.sqrt(max(rate * (1 - rate), 1e-12) / eligible)
    return abs(count / eligible - rate) <= z * sd + 0.5 / eligible


def flag(noisy: pd.DataFrame, kind: str) -> np.ndarray:
    return noisy["noise"].str.split(";").apply(lambda ks: kind in ks).to_numpy()


def dmy(dates: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    return (
        parsed.dt.day.to_numpy(dtype=float),
        parsed.dt.month.to_numpy(dtype=float),
        parsed.dt.year.to_numpy(dtype=float),
    )


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------


def test_sample_names_deterministic_and_seed_dependent():
    nat = np.array(["NLD", "POL", "VNM", "XXX", ""] * 400)
    sex = np.array(["F", "M", "X", "U", "F"] * 400)
    a = sample_names(np.random.default_rng(5), nat, sex)
    b = sample_names(np.random.default_rng(5), nat, sex)
    c = sample_names(np.random.default_rng(6), nat, sex)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert list(a.columns) == ["given_name", "surname_prefix", "surname"]
    assert len(a) == nat.size


def test_names_are_complete_latin_and_fit_nationality(clear):
    assert (clear["given_name"] != "").all() and (clear["surname"] != "").all()
    everything = "".join(clear["given_name"]) + "".join(clear["surname"])
    assert not any("\u0400" <= ch <= "\u04ff" for ch in everything)  # romanised Cyrillic
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in everything)  # pinyin, not hanzi
    by = clear.groupby("nationality")
    # Polish names carry Polish letters in a good share, female surnames take -ska/-cka
    pol = clear[clear["nationality"] == "POL"]
    polish = (pol["given_name"] + pol["surname"]).str.contains("[ąćęłńóśźżŁŚŻŹ]")
    assert 0.25 <= polish.mean() <= 0.8
    pol_f = pol[pol["sex"] == "F"]["surname"]
    assert pol_f.str.endswith(("ski", "cki")).sum() == 0
    assert pol_f.str.endswith(("ska", "cka")).mean() > 0.2
    # Vietnamese: Nguyễn is by far the most common surname, diacritics kept
    vnm = by.get_group("VNM")["surname"]
    assert 0.3 <= (vnm == "Nguyễn").mean() <= 0.5
    rou = by.get_group("ROU")["given_name"] + by.get_group("ROU")["surname"]
    assert rou.str.contains("[ăâîșțĂÂÎȘȚ]").mean() > 0.05
    hun = by.get_group("HUN")["surname"]
    assert hun.isin(["Nagy", "Kovács", "Tóth", "Szabó", "Horváth"]).mean() > 0.08
    chn = by.get_group("CHN")["surname"]
    assert chn.isin(["Wang", "Li", "Zhang", "Liu", "Chen"]).mean() > 0.25
    bgr_f = clear[(clear["nationality"] == "BGR") & (clear["sex"] == "F")]["surname"]
    assert bgr_f.str.endswith(("ova", "eva", "ska", "ina")).mean() > 0.8


def test_dutch_prefixes_realistic_share(clear):
    nld = clear[clear["nationality"] == "NLD"]
    share = (nld["surname_prefix"] != "").mean()
    assert 0.25 <= share <= 0.40, share
    assert set(nld["surname_prefix"]) <= set(DUTCH_PREFIXES) | {""}
    assert (nld["surname_prefix"] == "van der").any() and (nld["surname_prefix"] == "de").any()
    other = clear[clear["nationality"].isin(["POL", "NGA", "VNM", "CHN", "UKR"])]
    assert (other["surname_prefix"] == "").all()
    assert split_dutch_prefix("van der Meer") == ("van der", "Meer")
    assert split_dutch_prefix("'s Gravensande") == ("'s", "Gravensande")
    assert split_dutch_prefix("Bourgondië, van") is None


def test_shared_full_name_rate_of_6000_dutch_persons():
    """Documented: about 3 % of 6,000 Dutch persons share given name + surname with another."""
    rates = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        sex = np.where(rng.random(6000) < 0.5, "F", "M")
        rates.append(shared_name_rate(sample_names(rng, np.full(6000, "NLD"), sex)))
    assert all(0.015 <= r <= 0.06 for r in rates), rates
    assert 0.02 <= np.mean(rates) <= 0.045


def test_romanisation():
    assert romanise("Шевченко", "ukr") == "Shevchenko"
    assert romanise("Юлія", "ukr") == "Yuliia"
    assert romanise("Щербак", "bgr") == "Shterbak"
    assert romanise("Мария", "bgr") == "Maria"
    assert romanise("Хрущёв", "rus") == "Khrushchev"


# ---------------------------------------------------------------------------------------------
# noise: configuration
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [f.name for f in fields(NoiseConfig)])
@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), "0.1", True])
def test_invalid_rates_raise_naming_the_field(field, bad):
    with pytest.raises(ValueError, match=field):
        NoiseConfig(**{field: bad})


def test_exclusive_birth_date_rates_must_fit():
    with pytest.raises(ValueError, match="dob_unknown"):
        NoiseConfig(dob_unknown=0.7, dob_year_only=0.4)
    NoiseConfig(dob_unknown=0.6, dob_year_only=0.4)


def test_defaults_are_the_issue_minimum():
    c = NoiseConfig()
    assert (c.typo, c.missing_name, c.prefix_change, c.swap_names) == (0.10, 0.05, 0.15, 0.03)
    assert (c.dob_unknown, c.dob_year_only, c.dob_day_month_swap, c.dob_year_off) == (
        0.08, 0.05, 0.03, 0.05,
    )  # fmt: skip
    assert c.nationality_missing == 0.20


def test_missing_column_raises(clear):
    with pytest.raises(ValueError, match="birth_date"):
        apply_noise(np.random.default_rng(0), clear.drop(columns="birth_date"))


# ---------------------------------------------------------------------------------------------
# noise: behaviour
# ---------------------------------------------------------------------------------------------


def test_apply_noise_deterministic_and_seed_dependent(clear):
    small = clear.iloc[:5000]
    a = apply_noise(np.random.default_rng(3), small)
    b = apply_noise(np.random.default_rng(3), small)
    c = apply_noise(np.random.default_rng(4), small)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_output_shape(clear, noisy):
    assert len(noisy) == len(clear)
    assert noisy.index.equals(clear.index)
    assert (noisy["sex"] == clear["sex"]).all()  # other columns pass through
    assert str(noisy["birth_year"].dtype) == "Int64"
    for col in ("given_name", "surname_prefix", "surname", "birth_date", "nationality", "noise"):
        assert noisy[col].notna().all(), col
    order = {k: i for i, k in enumerate(NOISE_KINDS)}
    for label in noisy["noise"].unique():
        kinds = [k for k in label.split(";") if k]
        assert all(k in order for k in kinds), label
        assert kinds == sorted(kinds, key=order.get), label


def test_zero_noise_is_identity(clear):
    out = apply_noise(np.random.default_rng(1), clear.iloc[:5000], NoiseConfig.none())
    ref = clear.iloc[:5000]
    for col in ("given_name", "surname_prefix", "surname", "birth_date", "nationality"):
        assert (out[col] == ref[col]).all(), col
    assert (out["birth_year"].to_numpy() == ref["birth_date"].str[:4].astype(int)).all()
    assert (out["noise"] == "").all()


def test_every_rate_from_the_noise_column(clear, noisy):
    """count(kind) / count(eligible) matches the configured rate, binomially."""
    cfg = NoiseConfig()
    n = len(clear)
    f = {k: flag(noisy, k) for k in NOISE_KINDS}
    counts = noise_counts(noisy)
    assert all(counts[k] == f[k].sum() for k in NOISE_KINDS)

    # per row / per non-empty name part (clear names are never empty)
    for kind, rate in (
        ("typo_given", cfg.typo), ("typo_surname", cfg.typo),
        ("missing_given", cfg.missing_name), ("missing_surname", cfg.missing_name),
        ("swap_names", cfg.swap_names), ("dob_unknown", cfg.dob_unknown),
        ("dob_year_only", cfg.dob_year_only), ("nationality_missing", cfg.nationality_missing),
    ):  # fmt: skip
        assert within(f[kind].sum(), n, rate), (kind, f[kind].mean())

    has_prefix = (clear["surname_prefix"] != "").to_numpy()
    prefixed = f["prefix_dropped"] | f["prefix_changed"]
    assert not prefixed[~has_prefix].any()
    assert within(prefixed.sum(), has_prefix.sum(), cfg.prefix_change)
    assert within(f["prefix_dropped"].sum(), prefixed.sum(), 0.5)

    merge_ok = (has_prefix & ~f["prefix_dropped"]) | clear["given_name"].str.contains(" ")
    merged = f["merge_surname"] | f["merge_given"]
    assert not merged[~merge_ok].any()
    assert within(merged.sum(), merge_ok.sum(), cfg.merge_parts)

    # name parts after the swap (rows merged are left out: their parts changed before)
    swap = f["swap_names"]
    keep = ~merged
    after_swap = {
        "given": np.where(swap, clear["surname"], clear["given_name"]),
        "surname": np.where(swap, clear["given_name"], clear["surname"]),
    }
    nat = clear["nationality"].to_numpy()
    for part, values in after_swap.items():
        ok = np.array(
            [bool(transliteration_variants(v, c)) for v, c in zip(values, nat, strict=True)]
        )
        sel = f[f"translit_{part}"]
        assert not sel[~ok].any()
        assert within((sel & keep).sum(), (ok & keep).sum(), cfg.transliteration), part
        plain = keep & ~sel
        ok = np.array([strip_diacritics(v) != v for v in values])
        sel = f[f"diacritics_{part}"]
        assert not sel[plain & ~ok].any()
        assert within((sel & plain).sum(), (ok & plain).sum(), cfg.diacritics_dropped), part

    # birth dates
    day, month, _ = dmy(clear["birth_date"])
    full = ~f["dob_unknown"] & ~f["dob_year_only"]
    swappable = full & (day <= 12) & (day != month)
    assert not f["dob_day_month_swap"][~swappable].any()
    assert within(f["dob_day_month_swap"].sum(), swappable.sum(), cfg.dob_day_month_swap)
    assert not f["dob_year_off"][f["dob_unknown"]].any()
    assert within(f["dob_year_off"].sum(), (~f["dob_unknown"]).sum(), cfg.dob_year_off)

    # nationality recoding among the remaining codable nationalities
    codable = ~f["nationality_missing"] & clear["nationality"].isin(NATIONALITY_CODES).to_numpy()
    assert not f["nationality_recoded"][~codable].any()
    assert within(f["nationality_recoded"].sum(), codable.sum(), cfg.nationality_recoded)


def test_rates_against_the_clear_input(clear, noisy):
    cfg = NoiseConfig()
    n = len(clear)
    missing_nat = (noisy["nationality"] == "").sum()
    assert within(missing_nat, n, cfg.nationality_missing)
    assert within(noisy["birth_year"].isna().sum(), n, cfg.dob_unknown)
    year_only = (noisy["birth_date"] == "") & noisy["birth_year"].notna()
    assert within(year_only.sum(), n, cfg.dob_year_only)
    # a surname differs from the clear one by typo, missing, swap, merge, translit, diacritics
    changed = (noisy["surname"] != clear["surname"]).mean()
    assert 0.10 + 0.05 + 0.03 < changed < 0.35
    codable = (noisy["nationality"] != "") & clear["nationality"].isin(NATIONALITY_CODES)
    recoded = (noisy["nationality"] != clear["nationality"]) & codable
    assert within(recoded.sum(), codable.sum(), cfg.nationality_recoded)
    for i in np.flatnonzero(recoded.to_numpy())[:200]:
        assert noisy["nationality"].iat[i] in NATIONALITY_CODES[clear["nationality"].iat[i]]


ONLY = {  # field -> the noise kinds it produces
    "typo": ("typo_given", "typo_surname"),
    "missing_name": ("missing_given", "missing_surname"),
    "prefix_change": ("prefix_dropped", "prefix_changed"),
    "merge_parts": ("merge_surname", "merge_given"),
    "swap_names": ("swap_names",),
    "transliteration": ("translit_given", "translit_surname"),
    "diacritics_dropped": ("diacritics_given", "diacritics_surname"),
    "dob_unknown": ("dob_unknown",),
    "dob_year_only": ("dob_year_only",),
    "dob_day_month_swap": ("dob_day_month_swap",),
    "dob_year_off": ("dob_year_off",),
    "nationality_missing": ("nationality_missing",),
    "nationality_recoded": ("nationality_recoded",),
}


def test_only_kinds_cover_the_config():
    assert set(ONLY) == {f.name for f in fields(NoiseConfig)}
    assert sorted(k for ks in ONLY.values() for k in ks) == sorted(NOISE_KINDS)


@pytest.mark.parametrize("field", list(ONLY))
def test_a_zero_rate_produces_no_such_noise(clear, field):
    out = apply_noise(np.random.default_rng(7), clear.iloc[:20_000], NoiseConfig(**{field: 0.0}))
    counts = noise_counts(out)
    assert all(counts[k] == 0 for k in ONLY[field]), counts
    others = [k for k in NOISE_KINDS if k not in ONLY[field]]
    assert sum(counts[k] for k in others) > 0


def _changed_share(field: str, clear: pd.DataFrame, out: pd.DataFrame) -> tuple[int, int]:
    """(changed, eligible) measured by comparing the noisy output with the clear input."""
    g0, s0, p0 = clear["given_name"], clear["surname"], clear["surname_prefix"]
    g1, s1, p1 = out["given_name"], out["surname"], out["surname_prefix"]
    nat = clear["nationality"]
    if field == "typo":
        ch = (g1 != g0).to_numpy()
        assert ((g1.str.len() - g0.str.len()).abs() <= 1).all()
        return ch.sum(), len(clear)
    if field == "missing_name":
        return (s1 == "").sum(), len(clear)
    if field == "prefix_change":
        el = p0 != ""
        assert (s1 == s0).all() and (p1[~el] == "").all()
        return (p1 != p0)[el].sum(), el.sum()
    if field == "merge_parts":
        el = (p0 != "") | g0.str.contains(" ")
        merged_sur = (p0 != "") & (p1 == "")
        expect = (p0.str.replace(" ", "").str.replace("'", "").str.capitalize()
                  + s0.str[:1].str.lower() + s0.str[1:])  # fmt: skip
        assert (s1[merged_sur] == expect[merged_sur]).all()
        return ((g1 != g0) | (s1 != s0))[el].sum(), el.sum()
    if field == "swap_names":
        return ((g1 == s0) & (s1 == g0) & (g0 != s0)).sum(), len(clear)
    if field == "transliteration":
        variants = [transliteration_variants(v, c) for v, c in zip(s0, nat, strict=True)]
        el = np.array([bool(v) for v in variants])
        ch = (s1 != s0).to_numpy()
        assert all(s1.iat[i] in variants[i] for i in np.flatnonzero(ch))
        return ch[el].sum(), el.sum()
    if field == "diacritics_dropped":
        stripped = s0.map(strip_diacritics)
        el = (stripped != s0).to_numpy()
        ch = (s1 != s0).to_numpy()
        assert (s1[ch] == stripped[ch]).all()
        return ch[el].sum(), el.sum()
    b0, b1 = clear["birth_date"], out["birth_date"]
    if field == "dob_unknown":
        return (out["birth_year"].isna()).sum(), len(clear)
    if field == "dob_year_only":
        yo = (b1 == "") & out["birth_year"].notna()
        assert (out["birth_year"][yo].astype(int) == b0[yo].str[:4].astype(int)).all()
        return yo.sum(), len(clear)
    if field == "dob_day_month_swap":
        d0, m0, y0 = dmy(b0)
        d1, m1, y1 = dmy(b1)
        assert not np.isnan(d1).any()  # every output date is a valid date
        el = (d0 <= 12) & (d0 != m0)
        ch = (b1 != b0).to_numpy()
        assert not ch[~el].any()
        assert ((d1 == m0) & (m1 == d0) & (y1 == y0))[ch].all()
        return ch[el].sum(), el.sum()
    if field == "dob_year_off":
        y0 = b0.str[:4].astype(int).to_numpy()
        y1 = out["birth_year"].to_numpy(dtype=int)
        assert (np.abs(y1 - y0) <= 1).all()
        d1, _, _ = dmy(b1)
        assert not np.isnan(d1).any()  # 29 February moved to a non-leap year became the 28th
        return (y1 != y0).sum(), len(clear)
    if field == "nationality_missing":
        return (out["nationality"] == "").sum(), len(clear)
    if field == "nationality_recoded":
        el = nat.isin(NATIONALITY_CODES)
        return (out["nationality"] != nat)[el].sum(), el.sum()
    raise AssertionError(field)


@pytest.mark.parametrize("field", list(ONLY))
def test_each_rate_alone_against_the_clear_input(clear, field):
    rate = getattr(NoiseConfig(), field)
    cfg = replace(NoiseConfig.none(), **{field: rate})
    out = apply_noise(np.random.default_rng(13), clear.iloc[:20_000], cfg)
    changed, eligible = _changed_share(field, clear.iloc[:20_000], out)
    assert within(changed, eligible, rate), (field, changed, eligible)


def test_year_off_keeps_leap_days_valid(clear):
    cfg = replace(NoiseConfig.none(), dob_year_off=1.0)
    out = apply_noise(np.random.default_rng(2), clear.iloc[:100], cfg)  # all 2000-02-29
    assert set(out["birth_date"]) == {"1999-02-28", "2001-02-28"}


def test_day_month_swap_only_valid_and_different(clear):
    cfg = replace(NoiseConfig.none(), dob_day_month_swap=1.0)
    out = apply_noise(np.random.default_rng(2), clear.iloc[:20_000], cfg)
    d0, m0, _ = dmy(clear["birth_date"].iloc[:20_000])
    d1, m1, _ = dmy(out["birth_date"])
    assert not np.isnan(d1).any()
    swappable = (d0 <= 12) & (d0 != m0)
    assert ((d1 == m0) & (m1 == d0))[swappable].all()
    assert (out["birth_date"] == clear["birth_date"].iloc[:20_000])[~swappable].all()


def test_string_helpers():
    assert strip_diacritics("Wójcik Nguyễn Lăcătuș Łukasz Øster Đặng Straße") == (
        "Wojcik Nguyen Lacatus Lukasz Oster Dang Strasse"
    )
    assert "Sjevtsjenko" in transliteration_variants("Shevchenko", "UKR")
    assert "Schewtschenko" in transliteration_variants("Shevchenko", "UKR")
    assert "Chan" in transliteration_variants("Chen", "CHN")
    assert transliteration_variants("Jansen", "NLD") == []
    assert "van de" in prefix_variants("van der")
    assert "van der" not in prefix_variants("van der")


def test_unknown_nationalities_use_the_generic_pool():
    nat = np.array(["ERI", "XXX", ""] * 1000)
    out = sample_names(np.random.default_rng(0), nat, np.array(["F"] * 3000))
    assert out["given_name"].nunique() > 300
    assert set(NATIONALITIES).isdisjoint(nat)
