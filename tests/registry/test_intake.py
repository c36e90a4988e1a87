"""Intake through the JSON API: single reports, batches and file imports.

Idempotency keys and source references make retries harmless; a batch or a file is registered
whole or not at all, with every error named (in Dutch, or in English on request); clear
identifiers never reach the database, only linkage tokens do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, inspect, select, text

from zicht.registry.models import Report
from zicht.registry.pseudonymise import CLEAR_COLUMNS, TOKEN_FIELDS
from zicht.web.app import create_app

from .conftest import report

API = "/api/v1"




@pytest.fixture
def app(world):
    return create_app(world.registry)


def client(app, world, who: str = "rep_a") -> TestClient:
    return TestClient(app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {world.tokens[who]}"})


def n_reports(registry) -> int:
    with registry.sessions() as s:
        return s.scalar(select(func.count(Report.id)))


def errors_of(response) -> set[tuple[int | None, str]]:
    return {(e["row"], e["field"]) for e in response.json()["errors"]}


# -- single reports, retries ---------------------------------------------------------------------
def test_submit_creates_a_report_with_a_uuid(world, app):
    response = client(app, world).post(f"{API}/reports", json=report(source_ref="S-1"))
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["existing"]) == (1, 0)
    [ref] = body["reports"]
    assert uuid.UUID(ref["id"]).version == 4 and str(uuid.UUID(ref["id"])) == ref["id"]
    assert (ref["source_ref"], ref["organisation"], ref["status"]) == ("S-1", "ORG-A", "created")
    assert "Idempotent-Replayed" not in response.headers
    stored = client(app, world).get(f"{API}/reports/{ref['id']}").json()
    assert stored["channel"] == "api" and stored["reporter_category"] == "ZC"
    assert n_reports(world.registry) == 1


def test_idempotency_key_replays_the_first_response(world, app):
    rep_a = client(app, world)
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = rep_a.post(f"{API}/reports", json=report(source_ref="I-1"), headers=key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    for _ in range(2):
        again = rep_a.post(f"{API}/reports", json=report(source_ref="I-1"), headers=key)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    assert n_reports(world.registry) == 1

    # the same key with another request is a conflict, and creates nothing
    for other in (report(source_ref="I-2"), report(source_ref="I-1", sex="M")):
        response = rep_a.post(f"{API}/reports", json=other, headers=key)
        assert response.status_code == 409, response.text
        assert "Idempotent-Replayed" not in response.headers
    batch = rep_a.post(f"{API}/reports/batch", json={"reports": [report(source_ref="I-9")]},
                       headers=key)
    assert batch.status_code == 409
    # the same records through the batch endpoint are the same request: replayed
    batch = rep_a.post(f"{API}/reports/batch", json={"reports": [report(source_ref="I-1")]},
                       headers=key)
    assert batch.status_code == 201 and batch.headers["Idempotent-Replayed"] == "true"
    assert batch.json() == first.json()
    assert n_reports(world.registry) == 1

    # keys belong to an organisation: another one's identical request is its own report
    theirs = client(app, world, "rep_b").post(f"{API}/reports", json=report(source_ref="I-1"),
                                               headers=key)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["reports"][0]["id"] != first.json()["reports"][0]["id"]
    assert n_reports(world.registry) == 2


def test_same_source_ref_is_existing_or_a_conflict(world, app):
    rep_a = client(app, world)
    first = rep_a.post(f"{API}/reports", json=report(source_ref="R-1"))
    assert first.status_code == 201
    rid = first.json()["reports"][0]["id"]

    again = rep_a.post(f"{API}/reports", json=report(source_ref="R-1"))
    assert again.status_code == 200
    assert again.json() == {"reports": [{"id": rid, "source_ref": "R-1", "organisation": "ORG-A",
                                         "status": "existing"}], "created": 0, "existing": 1}
    alias = rep_a.post(f"{API}/reports", json=report(report_id="R-1"))  # the simulator's column
    assert alias.status_code == 200 and alias.json()["reports"][0]["id"] == rid

    for changed in (report(source_ref="R-1", sex="M"), report(source_ref="R-1", surname="Jansen"),
                    report(source_ref="R-1", received_date="2025-03-15")):
        response = rep_a.post(f"{API}/reports", json=changed)
        assert response.status_code == 409, response.text
        assert "R-1" in response.json()["detail"]
    assert n_reports(world.registry) == 1

    # the same report in a file later (another channel, same content) is "existing" too
    in_file = rep_a.post(f"{API}/imports", files={"file": ("r.csv", csv_bytes(
        [report(source_ref="R-1")]))})
    assert in_file.status_code in (200, 201), in_file.text
    assert (in_file.json()["created"], in_file.json()["existing"]) == (0, 1)
    changed_in_file = rep_a.post(f"{API}/imports", files={"file": ("r.csv", csv_bytes(
        [report(source_ref="R-1", sex="M")]))})
    assert changed_in_file.status_code == 409
    assert n_reports(world.registry) == 1

    mixed = rep_a.post(f"{API}/reports/batch", json={"reports": [
        report(source_ref="R-1"), report(source_ref="R-2", given_name="Eva")]})
    assert mixed.status_code == 201
    assert [r["status"] for r in mixed.json()["reports"]] == ["existing", "created"]
    # a conflict anywhere in a batch registers none of it
    conflict = rep_a.post(f"{API}/reports/batch", json={"reports": [
        report(source_ref="R-3", given_name="Ilse"), report(source_ref="R-1", sex="M")]})
    assert conflict.status_code == 409
    assert n_reports(world.registry) == 2


# -- batches, validation ----------------------------------------------------------------------
def ten(prefix: str) -> list[dict]:
    return [report(source_ref=f"{prefix}-{i}", given_name=f"Name{i}") for i in range(1, 11)]


def test_batch_is_all_or_nothing(world, app):
    rep_a = client(app, world)
    records = ten("B")
    records[6]["sex"] = "Q"  # row 7
    response = rep_a.post(f"{API}/reports/batch", json={"reports": records})
    assert response.status_code == 422
    assert errors_of(response) == {(7, "sex")}
    assert n_reports(world.registry) == 0

    records[2]["received_date"] = "2025-02-30"  # row 3 as well: every error is listed
    response = rep_a.post(f"{API}/reports/batch", json={"reports": records})
    assert errors_of(response) == {(3, "received_date"), (7, "sex")}

    records = ten("C")
    records[4]["source_ref"] = "C-2"  # the same reference twice in one batch
    response = rep_a.post(f"{API}/reports/batch", json={"reports": records})
    assert response.status_code == 422
    assert errors_of(response) == {(5, "source_ref")}
    assert n_reports(world.registry) == 0

    response = rep_a.post(f"{API}/reports/batch", json={"reports": ten("D")})
    assert response.status_code == 201
    assert response.json()["created"] == 10
    assert n_reports(world.registry) == 10


def test_batch_size_limits(world, app):
    rep_a = client(app, world)
    too_many = [report(source_ref=f"L-{i}") for i in range(1001)]
    response = rep_a.post(f"{API}/reports/batch", json={"reports": too_many})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"reports"}
    response = rep_a.post(f"{API}/reports/batch", json={"reports": []})
    assert response.status_code == 422
    assert n_reports(world.registry) == 0
    response = rep_a.post(f"{API}/reports/batch", json={"reports": too_many[:1000]})
    assert response.status_code == 201
    assert response.json()["created"] == 1000


def test_messages_in_dutch_by_default_english_on_request(world, app):
    rep_a = client(app, world)
    bad = report(sex="Q", received_date="2025-02-30")

    def messages(response) -> dict[str, str]:
        assert response.status_code == 422, response.text
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    dutch = messages(rep_a.post(f"{API}/reports", json=bad))
    assert dutch["sex"].startswith("geslacht: 'Q' is geen geldige code")
    assert dutch["received_date"] == "ontvangstdatum: '2025-02-30' is geen datum (JJJJ-MM-DD)"
    assert messages(rep_a.post(f"{API}/reports", json=bad,
                               headers={"Accept-Language": "nl-NL,nl;q=0.9"})) == dutch
    for kw in ({"params": {"lang": "en"}}, {"headers": {"Accept-Language": "en"}},
               {"headers": {"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"}},
               {"params": {"lang": "en"}, "headers": {"Accept-Language": "nl"}}):
        english = messages(rep_a.post(f"{API}/reports", json=bad, **kw))
        assert english["sex"].startswith("sex: 'Q' is not a valid code"), kw
        assert english["received_date"] == "received_date: '2025-02-30' is not a date (YYYY-MM-DD)"
    # ?lang= wins over the header
    assert messages(rep_a.post(f"{API}/reports", json=bad, params={"lang": "nl"},
                               headers={"Accept-Language": "en"})) == dutch
    # malformed requests too
    unknown = rep_a.post(f"{API}/reports", json={**report(), "nickname": "x"})
    assert unknown.json()["detail"] == "ongeldig verzoek"
    unknown = rep_a.post(f"{API}/reports?lang=en", json={**report(), "nickname": "x"})
    assert unknown.json()["detail"] == "invalid request"
    assert n_reports(world.registry) == 0


def test_reporter_reports_only_for_its_own_organisation(world, app):
    rep_a = client(app, world)
    for org in ("ORG-B", "ORG-X", "org-a"):
        response = rep_a.post(f"{API}/reports", json=report(organisation=org))
        assert response.status_code == 422, (org, response.text)
        assert (1, "organisation") in errors_of(response)
        assert "ORG-A" in response.json()["errors"][0]["message"]
        if org == "ORG-B":
            assert errors_of(response) == {(1, "organisation")}
    response = rep_a.post(f"{API}/reports/batch", json={"reports": [
        report(source_ref="O-1"), report(source_ref="O-2", organisation="ORG-B")]})
    assert response.status_code == 422 and errors_of(response) == {(2, "organisation")}
    response = rep_a.post(f"{API}/reports?lang=en", json=report(organisation="ORG-B"))
    assert "own organisation" in response.json()["errors"][0]["message"]
    upload = csv_bytes([{**row, "organisation": "ORG-B"} for row in rows(2, "O")])
    response = rep_a.post(f"{API}/imports", files={"file": ("b.csv", upload, "text/csv")})
    assert response.status_code == 422 and errors_of(response) == {(1, "organisation"),
                                                                   (2, "organisation")}
    assert n_reports(world.registry) == 0
    assert rep_a.post(f"{API}/reports", json=report(organisation="ORG-A")).status_code == 201


MALFORMED_BODIES = [
    {**report(), "nickname": "Mia"},
    {**report(), "password": "x", "tok_surname": "f" * 64},
    {"reports": [report(), {**report(source_ref="X-2"), "extra": 1}]},
    {"reports": report()},
    {"received_date": 20250314},
    {"received_date": "2025-03-14", "given_name": {"first": "Maria"}},
    {"received_date": "2025-03-14", "age_at_report": [30]},
    {"received_date": None},
    {},
    [],
    [report()],
    None,
    "report",
    12,
]
MALFORMED_RAW = [b"{", b"\xff\xfe", b"", b'{"received_date": "2025-03-14",}', b"\x00" * 10]


def test_malformed_json_is_422_not_500(world, app):
    rep_a = client(app, world)
    wrong = []
    for path in ("/reports", "/reports/batch"):
        for body in MALFORMED_BODIES:
            response = rep_a.post(f"{API}{path}", json=body)
            if response.status_code != 422 or not response.json()["errors"]:
                wrong.append(f"{path} {body!r:.60}: {response.status_code} {response.text:.200}")
        for raw in MALFORMED_RAW:  # not JSON at all: refused before any validation
            response = rep_a.post(f"{API}{path}", content=raw,
                                  headers={"Content-Type": "application/json"})
            if response.status_code not in (400, 422) or not response.json()["detail"]:
                wrong.append(f"{path} {raw!r:.60}: {response.status_code} {response.text:.200}")
    assert not wrong, "\n".join(wrong)
    assert n_reports(world.registry) == 0


def test_unknown_field_is_named(world, app):
    rep_a = client(app, world)
    response = rep_a.post(f"{API}/reports", json={**report(), "nickname": "Mia"})
    assert response.status_code == 422
    assert errors_of(response) == {(None, "nickname")}
    response = rep_a.post(f"{API}/reports/batch",
                          json={"reports": [report(), {**report(), "nickname": "Mia"}]})
    assert errors_of(response) == {(2, "reports.nickname")}


# -- no clear identifier stored -------------------------------------------------------------------
NEEDLES = ("maria", "janssen", "1994-05-17", "19940517", "17-05-1994", "17/05/1994")
HIDDEN = set(CLEAR_COLUMNS) | set(TOKEN_FIELDS)


def assert_no_identifier_fields(payload) -> None:
    """No clear identifier and no linkage token in a JSON answer, at any depth."""
    if isinstance(payload, dict):
        assert not HIDDEN & set(payload), set(payload) & HIDDEN
        assert not [k for k in payload if k.startswith(("tok_", "bf_"))]
        for value in payload.values():
            assert_no_identifier_fields(value)
    elif isinstance(payload, list):
        for value in payload:
            assert_no_identifier_fields(value)


def test_no_clear_identifier_is_stored_or_shown(world, app):
    rep_a, analyst = client(app, world), client(app, world, "analyst")
    maria = report(source_ref="P-1", given_name="Maria", surname="Janssen",
                   birth_date="1994-05-17", birth_year=1994)
    responses = [
        rep_a.post(f"{API}/reports", json=maria, headers={"Idempotency-Key": "p-1"}),
        rep_a.post(f"{API}/reports", json=maria, headers={"Idempotency-Key": "p-1"}),
        rep_a.post(f"{API}/reports/batch", json={"reports": [
            {**maria, "source_ref": "P-2", "surname_prefix": "van", "surname": "Janssen"}]}),
        rep_a.post(f"{API}/reports", json={**maria, "source_ref": "P-3", "sex": "Q"}),  # refused
        rep_a.post(f"{API}/imports", files={"file": ("upload.csv", csv_bytes(
            [{**maria, "source_ref": "P-4"}]), "text/csv")}),
    ]
    assert [r.status_code for r in responses] == [201, 201, 201, 422, 201]
    rid = responses[0].json()["reports"][0]["id"]
    responses += [rep_a.get(f"{API}/reports"), rep_a.get(f"{API}/reports/{rid}"),
                  analyst.get(f"{API}/reports"), analyst.get(f"{API}/reports/{rid}"),
                  rep_a.get(f"{API}/reports", params={"source_ref": "P-1"})]
    for response in responses:
        assert_no_identifier_fields(response.json())
        assert not any(n in response.text.lower() for n in NEEDLES), response.text
    assert set(responses[6].json()) <= set(rep_a.get(f"{API}/openapi.json").json()[
        "components"]["schemas"]["ReportOut"]["properties"])

    engine = world.registry.engine
    found = []
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert {"reports", "audit_log", "idempotency_keys"} <= set(tables)
        for name in tables:
            columns = {c["name"] for c in inspect(conn).get_columns(name)}
            assert not set(CLEAR_COLUMNS) & columns, (name, columns)
            for row in conn.execute(text(f'SELECT * FROM "{name}"')).mappings():
                for column, value in row.items():
                    if value is not None and any(n in str(value).lower() for n in NEEDLES):
                        found.append((name, column, str(value)[:80]))
    assert not found
    assert n_reports(world.registry) == 3  # P-1, P-2, P-4


def test_same_identity_gets_the_same_tokens(world, app):
    rep_a = client(app, world)
    for ref, birth in (("T-1", "1994-05-17"), ("T-2", "1994-05-17"), ("T-3", "1994-05-18")):
        assert rep_a.post(f"{API}/reports", json=report(source_ref=ref, birth_date=birth,
                                                        received_date="2025-03-20")
                          ).status_code == 201
    assert client(app, world, "rep_b").post(
        f"{API}/reports", json=report(source_ref="T-1")).status_code == 201
    frame = world.registry.export_frame(world.actor("analyst"))
    assert not set(CLEAR_COLUMNS) & set(frame.columns)
    assert set(TOKEN_FIELDS) <= set(frame.columns)
    by_ref = {(r["organisation"], r["source_ref"]): r for r in frame.to_dict("records")}
    t1, t2, t3 = (by_ref[("ORG-A", ref)] for ref in ("T-1", "T-2", "T-3"))
    other_org = by_ref[("ORG-B", "T-1")]
    for name in TOKEN_FIELDS:
        assert t1[name] == t2[name] == other_org[name], name
    assert all(t1[name] for name in ("tok_given", "tok_surname", "tok_birth_date", "bf_surname"))
    assert t1["tok_birth_date"] != t3["tok_birth_date"]
    assert t1["tok_birth_md"] != t3["tok_birth_md"]
    for name in ("tok_given", "tok_surname", "tok_name_sorted", "tok_birth_year", "tok_birth_ym",
                 "bf_given", "bf_surname"):
        assert t1[name] == t3[name], name


# -- file import --------------------------------------------------------------------------------
COLUMNS = ("source_ref", "received_date", "reference_year", "sex", "given_name", "surname",
           "birth_date", "age_at_report", "nationality", "exploitation_forms", "nr_group",
           "place_of_exploitation")


def rows(n: int, prefix: str) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        out.append({"source_ref": f"{prefix}-{i:03d}",
                    "received_date": f"2025-{1 + i % 12:02d}-10", "reference_year": "2025",
                    "sex": "FM"[i % 2], "given_name": f"Naam{i}", "surname": f"Achternaam{i}",
                    "birth_date": f"199{i % 10}-0{1 + i % 9}-1{i % 10}",
                    "age_at_report": "", "nationality": ("NLD", "POL", "NGA")[i % 3],
                    "exploitation_forms": ("SEX", "LAB;SEX", "CRIM")[i % 3],
                    "nr_group": "", "place_of_exploitation": "GM0363"})
    return out


def csv_bytes(records: list[dict], sep: str = ",") -> bytes:
    buf = io.StringIO()
    columns = list(dict.fromkeys(k for r in records for k in r))
    writer = csv.DictWriter(buf, columns, delimiter=sep, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue().encode()


def xlsx_bytes(records: list[dict]) -> bytes:
    """A workbook as a person would make it: numbers as numbers, dates as date cells."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for r in records:
        values = []
        for c in COLUMNS:
            v = r.get(c, "")
            if c in ("received_date", "birth_date") and v:
                v = dt.date.fromisoformat(v)
            elif c in ("reference_year", "age_at_report") and v:
                v = int(v)
            values.append(v if v != "" else None)
        ws.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


UPLOADS = {
    "comma.csv": lambda recs: csv_bytes(recs, ","),
    "semicolon.csv": lambda recs: csv_bytes(recs, ";"),
    "excel.xlsx": xlsx_bytes,
}


def upload(rep_a, filename: str, data: bytes, **kw):
    return rep_a.post(f"{API}/imports", files={"file": (filename, data)}, **kw)


def test_import_csv_and_xlsx(world, app):
    rep_a = client(app, world)
    total = 0
    for filename, make in UPLOADS.items():
        records = rows(7, filename)
        records[0]["nationality"] = "NA"  # Namibia (alpha-2), not "not available"
        data = make(records)
        response = upload(rep_a, filename, data)
        assert response.status_code == 201, (filename, response.text)
        body = response.json()
        assert (body["rows"], body["created"], body["existing"]) == (7, 7, 0), filename
        uuid.UUID(body["import_id"])
        total += 7
        assert n_reports(world.registry) == total
    listed = rep_a.get(f"{API}/reports", params={"limit": 1000}).json()["items"]
    assert {r["channel"] for r in listed} == {"bulk"}
    by_ref = {r["source_ref"]: r for r in listed}
    for filename in UPLOADS:  # every format reads the same values
        assert by_ref[f"{filename}-001"]["exploitation_forms"] == "LAB;SEX"
        assert by_ref[f"{filename}-001"]["received_date"] == "2025-02-10"
        assert by_ref[f"{filename}-001"]["reference_year"] == 2025
        assert by_ref[f"{filename}-001"]["nationality"] == "NAM", filename
        assert by_ref[f"{filename}-002"]["nationality"] == "NGA"
        assert by_ref[f"{filename}-002"]["age_at_report"] is None  # an empty cell


@pytest.mark.parametrize("filename", list(UPLOADS))
def test_import_with_bad_rows_registers_nothing(world, app, filename):
    rep_a = client(app, world)
    records = rows(20, "F")
    records[3]["sex"] = "Q"  # row 4
    records[10]["nationality"] = "Atlantis"  # row 11
    records[16]["exploitation_forms"] = "SEX;MAGIC"  # row 17
    data = UPLOADS[filename](records)
    response = upload(rep_a, filename, data)
    assert response.status_code == 422, response.text
    assert errors_of(response) == {(4, "sex"), (11, "nationality"), (17, "exploitation_forms")}
    assert n_reports(world.registry) == 0
    english = upload(rep_a, filename, data, params={"lang": "en"}).json()["errors"]
    assert english[0]["message"].startswith("sex: 'Q' is not a valid code")

    records[3]["sex"], records[10]["nationality"] = "F", "NLD"
    records[16]["exploitation_forms"] = "SEX"
    data = UPLOADS[filename](records)
    first = upload(rep_a, filename, data)
    assert first.status_code == 201
    assert (first.json()["created"], first.json()["existing"]) == (20, 0)
    again = upload(rep_a, filename, data)  # the same file once more: nothing new
    assert again.status_code in (200, 201)
    assert (again.json()["rows"], again.json()["created"], again.json()["existing"]) == (20, 0, 20)
    assert again.json()["file_digest"] == first.json()["file_digest"]
    assert n_reports(world.registry) == 20


def test_import_refuses_what_is_not_an_import_file(world, app):
    rep_a = client(app, world)
    good = csv_bytes(rows(3, "N"))
    for filename, data in (("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
                           ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
                           ("reports.json", b'[{"received_date": "2025-03-14"}]'),
                           ("reports", good),
                           ("binary.csv", b"\xff\xfe\x00\x01" * 50),
                           ("broken.xlsx", b"PK\x03\x04 this is no workbook"),
                           ("empty.csv", b""),
                           ("header-only.csv", b"received_date,sex\n"),
                           ("no-date-column.csv", b"sex,nationality\nF,NLD\n")):
        response = upload(rep_a, filename, data)
        assert response.status_code == 422, (filename, response.text)
        assert response.json()["errors"], filename
    assert upload(rep_a, "report.pdf", b"%PDF").json()["errors"][0]["field"] == "file"
    assert rep_a.post(f"{API}/imports").status_code == 422  # no file at all
    assert n_reports(world.registry) == 0


def test_export_carries_the_scheme_and_key_fingerprint(world, tmp_path):
    import pyarrow.parquet as pq

    from zicht.registry.pseudonymise import Pseudonymiser

    reg = world.registry
    reg.submit(world.actor("rep_a"), [report(source_ref="FP-1")])
    path = reg.export(world.actor("analyst"), tmp_path)
    meta = pq.read_schema(path).metadata
    assert meta[b"zicht.scheme"] == b"zicht/v1"
    fingerprint = meta[b"zicht.key_fingerprint"].decode()
    assert fingerprint == reg.pseudonymiser.fingerprint
    assert len(fingerprint) == 16
    assert Pseudonymiser(b"\x01" * 32).fingerprint != fingerprint  # another key, another print
