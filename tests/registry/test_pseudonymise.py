"""The token scheme (:mod:`zicht.tokens`): normalisation, keyed tokens, Bloom filters, key
handling; and its old name, :mod:`zicht.registry.pseudonymise`, still answering."""

import base64
import pickle
import random

import pandas as pd
import pytest

from zicht import tokens as scheme
from zicht.tokens import (
    CLEAR_COLUMNS,
    NORMALISED_FROM,
    TOKEN_FIELDS,
    TOKEN_GROUPS,
    Identity,
    Pseudonymiser,
    PseudonymKeyError,
    dice,
    load_key,
    normalise_text,
    pseudonymise_frame,
    split_prefix,
)

KEY = bytes(range(32))


@pytest.fixture
def p():
    return Pseudonymiser(KEY)


@pytest.mark.parametrize("raw,norm", [
    ("Wójcik-Łukasik", "wojcik lukasik"),
    ("  VAN  der   Berg ", "van der berg"),
    ("Nguyễn Thị", "nguyen thi"),
    ("Søren Ærø", "soren aero"),
    ("Lăcătuș", "lacatus"),
    ("Straße", "strasse"),
    ("D’Artagnan", "d'artagnan"),
    ("", ""),
    (None, ""),
])
def test_normalisation(raw, norm):
    assert normalise_text(raw) == norm


def test_dutch_prefixes_split_longest_first():
    assert split_prefix("van der berg") == ("van der", "berg")
    assert split_prefix("de vries") == ("de", "vries")
    assert split_prefix("vries") == ("", "vries")
    assert split_prefix("van") == ("", "van")  # a surname that is only a prefix stays


def test_same_person_written_differently_shares_exact_tokens(p):
    a = p.tokens(Identity("Jan", "van der", "Berg", "1990-03-04"))
    b = p.tokens(Identity("JAN", None, "Van der Berg", "1990-03-04"))
    assert a == b
    swapped = p.tokens(Identity("Berg", "", "Jan", "1990-03-04"))  # given and surname swapped
    assert swapped["tok_name_sorted"] == a["tok_name_sorted"]
    assert swapped["tok_surname"] != a["tok_surname"]
    dm = p.tokens(Identity("Jan", "van der", "Berg", "1990-04-03"))  # day and month swapped
    assert dm["tok_birth_date_swapped"] == a["tok_birth_date"]
    assert dm["tok_birth_year"] == a["tok_birth_year"] and dm["tok_birth_ym"] != a["tok_birth_ym"]
    year_only = p.tokens(Identity("Jan", "", "Berg", "", 1990))
    assert year_only["tok_birth_year"] == a["tok_birth_year"] and year_only["tok_birth_date"] == ""


def test_phonetic_tokens_catch_spelling_variants(p):
    a = p.tokens(Identity("Mohammed", "", "Jansen"))
    b = p.tokens(Identity("Mohamed", "", "Janssen"))
    assert a["tok_surname"] != b["tok_surname"]
    assert a["tok_surname_metaphone"] == b["tok_surname_metaphone"]
    assert a["tok_surname_soundex"] == b["tok_surname_soundex"]


def test_bloom_filters_measure_spelling_similarity(p):
    base = p.bloom("surname", "hoekstra")
    typo = p.bloom("surname", "hoekstea")
    other = p.bloom("surname", "wojcik")
    assert dice(base, base) == 1.0
    assert dice(base, typo) > 0.75 > dice(base, other)
    assert dice(base, "") == 0.0
    assert len(bytes.fromhex(base)) * 8 == 512


def test_tokens_depend_on_the_key_and_on_the_field(p):
    other = Pseudonymiser(bytes(range(1, 33)))
    ident = Identity("Anna", "", "Anna", "2001-02-03")
    a, b = p.tokens(ident), other.tokens(ident)
    assert all(a[k] != b[k] for k in a if a[k])
    # the same text in two fields gives two different tokens (separate subkeys)
    assert a["tok_given"] != a["tok_surname"]
    assert p.bloom("given", "anna") != p.bloom("surname", "anna")


def test_no_clear_identifier_survives(p):
    toks = p.tokens(Identity("Katarzyna", "", "Wójcik", "1985-07-21"))
    text = " ".join(toks.values()).lower()
    for clear in ("katarzyna", "wojcik", "1985", "07-21"):
        assert clear not in text
    assert set(toks) == set(TOKEN_FIELDS)


def test_key_from_environment_and_file(tmp_path):
    hexkey = KEY.hex()
    assert load_key({"ZICHT_PSEUDONYM_KEY": hexkey}) == KEY
    assert load_key({"ZICHT_PSEUDONYM_KEY": base64.b64encode(KEY).decode()}) == KEY
    f = tmp_path / "key"
    f.write_bytes(KEY)
    assert load_key({"ZICHT_PSEUDONYM_KEY_FILE": str(f)}) == KEY
    with pytest.raises(PseudonymKeyError, match="ZICHT_PSEUDONYM_KEY"):
        load_key({})
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_key({"ZICHT_PSEUDONYM_KEY": "00" * 16})
    short = tmp_path / "short"
    short.write_text("00" * 16)  # hex text of 16 bytes: too short, not 32 raw characters
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_key({"ZICHT_PSEUDONYM_KEY_FILE": str(short)})
    with pytest.raises(PseudonymKeyError, match="cannot read"):
        load_key({"ZICHT_PSEUDONYM_KEY_FILE": str(tmp_path / "missing")})


def test_pseudonymise_frame_drops_clear_columns(p):
    frame = pd.DataFrame({
        "report_id": ["R1", "R2"], "given_name": ["Jan", None], "surname_prefix": ["", ""],
        "surname": ["Berg", "Smit"], "birth_date": ["1990-03-04", ""], "birth_year": [1990, None],
        "sex": ["M", "F"],
    })
    out = pseudonymise_frame(frame, p)
    assert not set(CLEAR_COLUMNS) & set(out.columns)
    assert list(out["report_id"]) == ["R1", "R2"] and list(out["sex"]) == ["M", "F"]
    assert out.loc[1, "tok_given"] == "" and out.loc[1, "tok_surname"] != ""
    assert out.loc[0, "tok_birth_date"] == p.tokens(Identity("Jan", "", "Berg",
                                                             "1990-03-04"))["tok_birth_date"]


@pytest.mark.parametrize("year", [1977, "1977", 1977.0, "1977.0"])
def test_year_only_reports_keep_their_year_whatever_its_type(p, year):
    # a year column with gaps is read as float: 1977.0 once lost the year (an empty token)
    tokens = p.tokens(Identity("Ana", "", "Pop", "", year))
    assert tokens["tok_birth_year"] == p.token("birth_year", "1977")
    assert tokens["tok_birth_date"] == ""


@pytest.mark.parametrize("year", ["", None, "1977.5", "abc"])
def test_unusable_years_give_no_year_token(p, year):
    assert p.tokens(Identity("Ana", "", "Pop", "", year))["tok_birth_year"] == ""


def test_bf_name_is_the_same_whichever_field_holds_a_part(p):
    straight = p.tokens(Identity("Joanna", "", "Malinowska", "", None))
    swapped = p.tokens(Identity("Malinowska", "", "Joanna", "", None))
    typo = p.tokens(Identity("Malinowska", "", "Jaonna", "", None))
    other = p.tokens(Identity("Pieter", "", "de Vries", "", None))
    assert straight["bf_name"] == swapped["bf_name"]
    assert straight["bf_given"] != swapped["bf_given"]
    assert dice(straight["bf_name"], typo["bf_name"]) > 0.75
    assert dice(straight["bf_name"], other["bf_name"]) < 0.55


def _tokens_row_by_row(frame, p):
    """pseudonymise_frame as it was written first: tokens() on every row, one at a time."""
    rows = [
        p.tokens(Identity(*(None if v is None or v != v else v for v in values)))
        for values in frame.reindex(columns=list(CLEAR_COLUMNS)).itertuples(index=False)
    ]
    tokens = pd.DataFrame(rows, columns=list(TOKEN_FIELDS), index=frame.index)
    rest = frame.drop(columns=[c for c in CLEAR_COLUMNS if c in frame.columns])
    return pd.concat([rest, tokens], axis=1)


def _varied_identities(n, seed=7):
    rng = random.Random(seed)
    given = ["Jan", "JAN", " jan ", "Jan Willem", "Anna-Maria", "Zoë", "Łukasz", "Søren",
             "Nguyễn Thị", "Mohammed", "Mohamed", "O'Neill", "D’Artagnan", "Ærø", "Straße",
             "Berg", "123", "", None, float("nan")]
    prefix = ["", "", "", None, "van", "van der", "Van Der", "de", "'t", "in 't", "v.d.", "ten",
              float("nan")]
    surname = ["Berg", "van der Berg", "de Vries", "Jansen", "Janssen", "Wójcik-Łukasik",
               "Lăcătuș", "van", "de la Cruz", "Van 't Hof", "ter  Haar", "Jan", "", None]
    dates = ["1990-03-04", "1990-04-03", "1985-07-21", "2001-12-12", "1999-01-13",
             "2000-02-30", "1977", "not a date", "", None, float("nan")]
    years = [None, float("nan"), 1977, 1977.0, "1977", "1977.0", "1977.5", "abc", "", 0, 1,
             True, 1990.0]
    rows = [{"report_id": f"R{i}", "given_name": rng.choice(given),
             "surname_prefix": rng.choice(prefix), "surname": rng.choice(surname),
             "birth_date": rng.choice(dates), "birth_year": rng.choice(years),
             "sex": rng.choice("MF")} for i in range(n)]
    rows += rng.sample(rows, n // 4)  # exact duplicates
    return pd.DataFrame(rows, dtype=object)


def test_pseudonymise_frame_equals_tokens_row_by_row(monkeypatch):
    # tiny caches, so that full caches are exercised as well
    monkeypatch.setattr(scheme, "_GROUP_CACHE", 50)
    monkeypatch.setattr(scheme, "_WORD_CACHE", 20)
    mixed = _varied_identities(3000)  # object columns: None, NaN, int, float, str, bool years
    typed = mixed.copy()  # as read from parquet: strings and a float year column with gaps
    typed["birth_year"] = pd.to_numeric(typed["birth_year"], errors="coerce").astype(float)
    for col in ("given_name", "surname_prefix", "surname", "birth_date"):
        typed[col] = typed[col].map(lambda v: v if isinstance(v, str) else None).astype("str")
    shuffled = typed.sample(frac=1, random_state=1).set_axis([i % 500 for i in range(len(typed))])
    partial = typed.drop(columns=["surname_prefix", "birth_year"])  # columns may be missing
    for frame in (mixed, typed, shuffled, partial, typed.iloc[:0]):
        fast = pseudonymise_frame(frame, p := Pseudonymiser(KEY))
        slow = _tokens_row_by_row(frame, Pseudonymiser(KEY))
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert fast.to_dict("split") == slow.to_dict("split")
        assert all(len(c) <= 50 for c in p._groups.values())
        assert all(len(c) <= 20 for c in p._words.values())
    # a float year is the year; True is not 1 (equal keys of a hash table, different tokens)
    years = pd.DataFrame({"birth_year": [1977.0, 1977, "1977", True, 1, 1.0]}, dtype=object)
    tokens = list(pseudonymise_frame(years, p)["tok_birth_year"])
    y1977, y1 = p.token("birth_year", "1977"), p.token("birth_year", "1")
    assert tokens == [y1977, y1977, y1977, "", y1, y1]


def test_token_groups_cover_every_field_once(p):
    fields = [f for _, group_fields, _ in TOKEN_GROUPS for f in group_fields]
    assert sorted(fields) == sorted(TOKEN_FIELDS)
    assert set(NORMALISED_FROM) >= {i for inputs, _, _ in TOKEN_GROUPS for i in inputs}
    # per-word masks OR-ed give the filter of the bigrams of the whole padded value
    for value in ("jan", "jan van berg", "jan  van berg ", " a", "o'neill de_la x"):
        padded = f"_{value.replace(' ', '_')}_"
        field = 0
        for gram in {padded[i:i + 2] for i in range(len(padded) - 1)}:
            field |= p._gram_mask("name", gram, 512, 15)
        assert p.bloom("name", value) == field.to_bytes(64, "big").hex()
    assert pickle.loads(pickle.dumps(p)).tokens(Identity("Jan")) == p.tokens(Identity("Jan"))


def test_a_nullable_integer_year_column_with_gaps_is_read(p):
    frame = pd.DataFrame({"report_id": ["a", "b"], "given_name": ["Ana", "Bo"],
                          "surname_prefix": ["", ""], "surname": ["Pop", "Ek"],
                          "birth_date": ["", ""],
                          "birth_year": pd.array([1977, None], dtype="Int64")})
    out = pseudonymise_frame(frame, p)
    assert list(out["tok_birth_year"]) == [p.token("birth_year", "1977"), ""]


def test_the_registry_module_re_exports_the_scheme():
    """``zicht.registry.pseudonymise`` was the scheme's home: every public name it had is
    still there, the same object as in :mod:`zicht.tokens`."""
    from zicht.registry import pseudonymise

    for name in pseudonymise.__all__:
        assert getattr(pseudonymise, name) is getattr(scheme, name), name
    assert {"Pseudonymiser", "pseudonymise_frame", "TOKEN_FIELDS", "BLOOM_BITS", "SCHEME",
            "CLEAR_COLUMNS", "PseudonymKeyError", "Identity"} <= set(pseudonymise.__all__)
    from zicht.registry.validation import normalise_country

    assert normalise_country is scheme.normalise_country
