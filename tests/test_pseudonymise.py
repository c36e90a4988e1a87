"""The token scheme: normalisation, keyed tokens, Bloom filters, key handling."""

import base64

import pandas as pd
import pytest

from zicht.registry.pseudonymise import (
    CLEAR_COLUMNS,
    TOKEN_FIELDS,
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
