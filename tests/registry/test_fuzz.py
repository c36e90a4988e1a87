"""Fuzzing the JSON API from its OpenAPI document (schemathesis 4, pytest integration).

Every operation of ``/api/v1/openapi.json`` (``POST /api/v1/imports`` with its multipart file
included) is called in-process on the ASGI application over a fresh SQLite registry, once
per role (reporter, analyst, admin, auditor) so that role-specific operations are reached
beyond 403.  Schemathesis generates valid data and invalid data (negative mode: wrong types,
values outside the bounds, NUL bytes, odd unicode), plus its coverage phase of boundary
values; the one property checked is that no request gets a server error (5xx).

A NUL byte is refused with 422 on SQLite and on PostgreSQL (which cannot store one in text)
by the explicit tests at the end.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import os
import secrets
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.support import examples
from zicht import codes
from zicht.registry import validation as v
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .conftest import KEY, report

MAX_EXAMPLES = 30  # per operation and role (fuzzing phase; coverage cases come on top)
SEED = 20250314
ROLES = {"reporter": "ORG-F", "analyst": None, "admin": None, "auditor": None}
CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                   "database": "none", "allow-x00": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})
# The schema is read when the tests are collected, from an application whose registry (a
# SQLite file made per run) is put in place by the ``fuzz_tokens`` fixture; the placeholder
# is never connected to.
APP = create_app(Registry(Settings.from_env(
    database_url=f"sqlite:///{Path(tempfile.gettempdir()) / 'zicht-fuzz-unused.db'}")))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_tokens(tmp_path_factory):
    """role -> API token, on a fresh SQLite registry behind ``APP``."""
    placeholder = APP.state.registry
    reg = Registry(Settings.from_env(
        env={**os.environ, "ZICHT_PSEUDONYM_KEY": KEY, "ZICHT_PSEUDONYM_KEY_FILE": ""},
        database_url=f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'zicht.db'}"))
    reg.upgrade()
    op = operator("test")
    reg.add_organisation(op, "ORG-F", "Fuzz", "ZC")
    tokens = {}
    for role, org in ROLES.items():
        reg.add_user(op, f"fuzz_{role}", role, None, org)
        tokens[role] = reg.add_token(op, f"fuzz_{role}", "fuzz")["token"]
    # something to read, list and revoke
    reg.submit(reg.token_actor(tokens["reporter"], "test"), [report(source_ref="F-1")])
    reg.add_token(op, "fuzz_analyst", "to revoke")
    APP.state.registry = reg
    yield tokens
    APP.state.registry = placeholder
    reg.dispose()


@pytest.mark.slow  # fuzzing every operation as every role
@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
def test_no_server_error(case, role, fuzz_tokens):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_tokens[role]}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text


# -- reports that pass the schema and test the rules behind it ------------------------------
# Schema-generated strings seldom pass the validation of a report; these are drawn from the
# code lists, mixed with arbitrary unicode, huge and odd numbers, so that intake reaches the
# database (where PostgreSQL's column types are stricter than SQLite's).
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=130)


def _code(values) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(sorted(values)), ANY_TEXT)


def _number(low: int, high: int) -> st.SearchStrategy:
    return st.one_of(st.integers(low, high), st.integers(), st.integers().map(str),
                     st.just("9" * 400), ANY_TEXT)


NEAR_VALID_REPORT = st.fixed_dictionaries(
    {"received_date": st.one_of(st.dates(dt.date(1989, 1, 1), dt.date(2025, 12, 31))
                                .map(str), ANY_TEXT)},
    optional={
        "given_name": ANY_TEXT, "surname_prefix": st.text(max_size=60), "surname": ANY_TEXT,
        "birth_date": st.one_of(st.dates(dt.date(1899, 1, 1), dt.date(2025, 1, 1)).map(str),
                                ANY_TEXT),
        "birth_year": _number(1900, 2025), "age_at_report": _number(0, 120),
        "reference_year": _number(1990, 2026), "sex": _code(codes.SEXES),
        "age_band": _code(codes.AGE_BANDS),
        "nationality": _code({"NLD", "ROU", "nl", "Nederlandse", "UNK", "STATELESS", "XKX"}),
        "country_of_birth": _code({"NGA", "UNK", "Nigeria"}),
        "residence_status": ANY_TEXT, "sector": ANY_TEXT,
        "exploitation_forms": st.one_of(st.lists(_code(codes.FORMS), max_size=50)
                                        .map(";".join), ANY_TEXT),
        "nr_group": _code(codes.NR_GROUPS),
        "place_of_exploitation": _code({"GM0363", "BQ-BO", "NLD", "GM12345"}),
        "legal_basis": _code(v.LEGAL_BASES), "consent_registration": _code(v.CONSENTS),
        "complaint_filed": _code(v.COMPLAINT), "reflection_period": _code(v.REFLECTION),
        "shelter_requested": _code(v.YES_NO), "shelter_placed": _code(v.YES_NO),
    })


def test_near_valid_reports_never_a_server_error(world):
    """JSON and CSV import, on SQLite and PostgreSQL: 201 (and readable), 409 or 422."""
    client = _client(world)
    auth = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    counter = itertools.count()
    statuses: collections.Counter = collections.Counter()

    @settings(max_examples=examples(40), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(record=NEAR_VALID_REPORT)
    def post(record):
        n = next(counter)
        r = client.post("/api/v1/reports", json={**record, "source_ref": f"NV-{n}"},
                        headers=auth)
        statuses[r.status_code] += 1
        assert r.status_code in (201, 409, 422), f"{r.status_code} for {record!r}: {r.text}"
        if r.status_code == 201:
            rid = r.json()["reports"][0]["id"]
            got = client.get(f"/api/v1/reports/{rid}", headers=auth)
            assert got.status_code == 200, got.text
        row = {**record, "source_ref": f"NV-csv-{n}"}
        r = client.post("/api/v1/imports", headers=auth, files={"file": ("fuzz.csv", _csv(row))})
        statuses[r.status_code] += 1
        assert r.status_code in (201, 409, 422), f"{r.status_code} for {row!r}: {r.text}"

    post()
    assert statuses[201] > 0, f"no report got through: {dict(statuses)}"


def test_schema_exposes_multipart_import():
    doc = APP.openapi()
    body = doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body


# -- what fuzzing found: 4xx, never 500, on SQLite and PostgreSQL ------------------------------
NUL = "a\x00b"
NUL_FIELDS = ("source_ref", "given_name", "surname", "residence_status", "sector", "sex",
              "nationality", "received_date")
NUL_ELSEWHERE = [  # (user, method, path, request arguments)
    ("analyst", "GET", "/api/v1/reports", {"params": {"source_ref": NUL}}),
    ("analyst", "GET", "/api/v1/reports", {"params": {"organisation": NUL}}),
    ("analyst", "GET", "/api/v1/reports/a%00b", {}),
    ("auditor", "GET", "/api/v1/audit", {"params": {"action": NUL}}),
    ("admin", "DELETE", "/api/v1/tokens/a%00b", {}),
    ("admin", "POST", "/api/v1/organisations",
     {"json": {"code": "ORG-N", "name": NUL, "category": "ZC"}}),
    ("admin", "POST", "/api/v1/users", {"json": {"username": NUL, "role": "analyst"}}),
    ("admin", "POST", "/api/v1/users",
     {"json": {"username": "nul_user", "role": "reporter", "organisation": NUL}}),
    ("admin", "POST", "/api/v1/tokens", {"json": {"username": NUL}}),
    ("admin", "POST", "/api/v1/tokens", {"json": {"username": "analyst", "name": NUL}}),
]




def _client(world):
    from fastapi.testclient import TestClient

    return TestClient(create_app(world.registry), raise_server_exceptions=False)


def _csv(row: dict) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return buf.getvalue().encode()


def test_nul_byte_is_422(world):
    """PostgreSQL cannot store NUL in text (psycopg raised DataError: a 500); now it is
    refused as invalid input everywhere, the same on SQLite."""
    client = _client(world)
    rep = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    wrong = []
    for field in NUL_FIELDS:
        body = report(**{"source_ref": f"NUL-{secrets.token_hex(3)}", field: NUL})
        r = client.post("/api/v1/reports", json=body, headers=rep)
        if r.status_code != 422 or not any(e["field"] == field and e["code"] == "character"
                                           for e in r.json()["errors"]):
            wrong.append(("POST /reports", field, r.status_code, r.text[:200]))
        r = client.post("/api/v1/imports", headers=rep, files={"file": ("nul.csv", _csv(
            {"received_date": "2025-03-14", field: NUL}))})
        if r.status_code != 422:
            wrong.append(("POST /imports", field, r.status_code, r.text[:200]))
    for user, method, path, kwargs in NUL_ELSEWHERE:
        r = client.request(method, path, **kwargs,
                           headers={"Authorization": f"Bearer {world.tokens[user]}"})
        if r.status_code != 422:
            wrong.append((f"{method} {path}", kwargs, r.status_code, r.text[:200]))
    assert not wrong
    assert world.registry.counts()["reports"] == 0


def test_other_fuzzing_finds_are_4xx(world):
    client = _client(world)
    rep = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    # audit_log.seq is a 32-bit integer: ?before= beyond it was a DataError on PostgreSQL
    r = client.get("/api/v1/audit", params={"before": 5_763_394_683},
                   headers={"Authorization": f"Bearer {world.tokens['auditor']}"})
    assert r.status_code == 200 and r.json(), r.text
    # a repeated form overflowed exploitation_forms (120 characters) on PostgreSQL
    r = client.post("/api/v1/reports", headers=rep, json=report(
        source_ref="F-forms", exploitation_forms=";".join(["SEX", "LAB"] * 30)))
    assert r.status_code == 201, r.text
    got = client.get(f"/api/v1/reports/{r.json()['reports'][0]['id']}", headers=rep)
    assert got.json()["exploitation_forms"] == "SEX;LAB"
    # free text longer than its column came in through a file (the JSON schema has maxLength)
    for field in ("residence_status", "sector"):
        r = client.post("/api/v1/imports", headers=rep, files={"file": ("long.csv", _csv(
            {"received_date": "2025-03-14", "source_ref": f"F-{field}", "given_name": "Ana",
             field: "x" * 121}))})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "length", r.text
    # a numeric string too large for a float was an OverflowError (500 on both databases)
    r = client.post("/api/v1/reports", headers=rep,
                    json=report(source_ref="F-age", age_at_report="9" * 400))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "age_at_report", r.text
    # an Idempotency-Key of 121-200 characters overflowed the audit entry's object_id on replay
    key = "k" * 200
    first = client.post("/api/v1/reports", json=report(source_ref="F-idem"),
                        headers={**rep, "Idempotency-Key": key})
    again = client.post("/api/v1/reports", json=report(source_ref="F-idem"),
                        headers={**rep, "Idempotency-Key": key})
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    # \d matched any unicode digit: GM + Arabic-Indic digits passed as a CBS municipality code
    r = client.post("/api/v1/reports", headers=rep, json=report(
        source_ref="F-gm", place_of_exploitation="GM\u0660\u0663\u0666\u0663"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "place_of_exploitation"
