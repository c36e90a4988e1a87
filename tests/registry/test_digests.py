"""No digest anyone can recompute of identifying input is stored, logged or returned.

A plain hash of anything that holds a name or a birth date (a request body, an imported file,
a name typed at the login) gives the person away to whoever holds a copy of the database, the
logs or a response: he hashes names x dates until one matches.  So those digests are HMACs
under the registry's digest key (:class:`zicht.registry.security.Digester`), and migration 0003
rewrote the plain ones an older version stored.

The first test submits known people through every intake path (the API with and without an
Idempotency-Key and its replay, a batch, CSV and XLSX imports over the API, the web form, the
web import page, ``zicht import``, a failed login typing a person's name, rejected reports),
reads everything back (lists, details, the audit log, its verification, the Parquet export),
and then scans every response (bodies and headers), every log record, stdout/stderr, every
column of every table and, on SQLite, the raw database and WAL files for MD5/SHA-1/SHA-256/
SHA-512 of the identifying values, the request bodies (as sent and canonicalised in many ways)
and the files, in hex (both cases) and base64 (standard and URL-safe, with and without
padding), also one digest deep (a digest of such a digest's hex).  Positive controls make sure
the scan can find what it looks for.  The second test runs migration 0003 on a database as the
old code left it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from zicht import cli
from zicht.registry import audit, migrate, security
from zicht.registry.audit import Actor, Event
from zicht.registry.pseudonymise import Identity, normalise_text
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.registry.tables import TableReader
from zicht.web.api import ReportIn
from zicht.web.app import create_app

from .conftest import KEY, PASSWORD

API = "/api/v1"
ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
AUDITOR = Actor("auditor", "auditor", source="test")




@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG from before the database is made, also those that set a level of
    their own (SQLAlchemy's "sqlalchemy" is WARN: at DEBUG it logs every statement with its
    parameters and every row read; those are scanned too)."""
    import sqlalchemy  # noqa: F401 - sets its logger's level on import

    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# -- the people ------------------------------------------------------------------------------------
# Accents (composed and decomposed), Dutch prefixes, a prefix inside the surname, padding, a
# birth year without a date; surnames long and rare enough to be searched for in the clear.
PEOPLE = {
    "jose": {"given_name": "José", "surname_prefix": "van der", "surname": "Bergkamp",
             "birth_date": "1991-07-23"},
    "zoe": {"given_name": "Zoë Anneke", "surname": "de Vries-Çelikkaya",
            "birth_date": "1987-02-03"},
    "marie": {"given_name": "Marie-Thérèse", "surname_prefix": "ten", "surname": "Oosterhuis",
              "birth_year": 1979},
    "lucja": {"given_name": "  Łucja ", "surname": "Wójcik-Łukasik", "birth_date": "2001-11-05"},
    "aicha": {"given_name": "Aïcha", "surname": "El Amrani-Bouzid", "birth_date": "1996-04-30"},
    "ngozi": {"given_name": "Ngozi", "surname_prefix": "van 't", "surname": "Nieuwenhuijzen",
              "birth_date": "1984-12-09"},
    "bao": {"given_name": "Bảo Anh", "surname": "Nguyễn-Trịnh", "birth_year": "2003"},
    "anna": {"given_name": "Anna Sophie", "surname_prefix": "de", "surname": "Schimmelpenninck",
             "birth_date": "1975-08-19"},
    "jose_nfd": {"given_name": "Jose\u0301 Manuel", "surname": "Kowalczyk-Sa\u0301nchez",
                 "birth_date": "1999-03-02"},
    "fenna": {"given_name": "Fenna", "surname_prefix": "van den", "surname": "Hoogenboomstra",
              "birth_date": "1968-01-31"},
}
# names typed into the login form's user name field
TYPED_USERNAMES = ("José van der Bergkamp", "jose.bergkamp")
IDENTIFYING = ("given_name", "surname_prefix", "surname", "birth_date", "birth_year")


def record(person: str, ref: str | None, **extra) -> dict:
    """A report of one of PEOPLE in the import format (the other fields varied by caller)."""
    out = {"source_ref": ref, "received_date": "2025-03-14", "sex": "F",
           "nationality": "NLD", "exploitation_forms": "SEX", "nr_group": "domestic_sexual",
           "place_of_exploitation": "GM0363", **PEOPLE[person], **extra}
    return {k: v for k, v in out.items() if v is not None}


def csv_bytes(rows: list[dict], columns: list[tuple[str, str]], sep: str = ",") -> bytes:
    """A CSV of ``rows`` with the given (header, field) columns."""
    lines = [sep.join(h for h, _ in columns)]
    lines += [sep.join(str(r.get(f, "")) for _, f in columns) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def multipart(fields: list[tuple[str, str]], filename: str, data: bytes,
              content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body built here, so the exact bytes sent are known."""
    boundary = "zicht-test-boundary-5f3c9a"
    out = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode() for name, value in fields)
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n').encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


# -- candidates ------------------------------------------------------------------------------------
def encodings(raw: bytes) -> dict[str, str]:
    b64 = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return {"hex": raw.hex(), "HEX": raw.hex().upper(), "base64": b64,
            "base64-nopad": b64.rstrip("="), "base64url": url, "base64url-nopad": url.rstrip("=")}


def text_forms(value) -> set[str]:
    """A value as someone hashing it might have written it."""
    value = str(value)
    forms = {value, value.strip(), normalise_text(value), security.username_key(value)}
    for v in list(forms):
        forms |= {v.lower(), v.upper(), v.casefold(), v.title()}
    for v in list(forms):
        forms |= {unicodedata.normalize(nf, v) for nf in ("NFC", "NFD", "NFKC", "NFKD")}
        forms.add("".join(c for c in unicodedata.normalize("NFKD", v)
                          if not unicodedata.combining(c)))
    forms.discard("")
    return forms


def date_forms(value: str) -> set[str]:
    d = dt.date.fromisoformat(value)
    return {d.isoformat(), d.strftime("%d-%m-%Y"), d.strftime("%Y%m%d"), d.strftime("%d%m%Y"),
            d.strftime("%d/%m/%Y"), d.strftime("%d.%m.%Y"), f"{d.day}-{d.month}-{d.year}",
            f"{d.isoformat()}T00:00:00", f"{d.isoformat()} 00:00:00"}


def dumps_forms(data) -> set[str]:
    """JSON of ``data`` canonicalised in the ways a digest of a request might have been."""
    return {audit.canonical(data),
            json.dumps(data, sort_keys=True, separators=(",", ":")),
            json.dumps(data, sort_keys=True), json.dumps(data, sort_keys=True, ensure_ascii=False),
            json.dumps(data), json.dumps(data, ensure_ascii=False),
            json.dumps(data, separators=(",", ":"), ensure_ascii=False)}


class Candidates:
    """Every digest form (algorithm x encoding) of every identifying input, each with what it
    is the digest of; :meth:`scan` finds them in a text."""

    MIN = 22  # the shortest candidate: MD5 in base64 without padding
    RUN = re.compile(r"[A-Za-z0-9+/=_-]{22,}")  # base64 and hex runs (hex is a subset)

    def __init__(self):
        self.what: dict[str, str] = {}
        self._index: dict[str, list[str]] | None = None

    def __contains__(self, item: str) -> bool:
        return item in self.what

    def __len__(self) -> int:
        return len(self.what)

    def add(self, data: bytes | str, label: str, deep: bool = False) -> None:
        """Digests of ``data`` (UTF-8 for text); ``deep``: also digests of each digest's hex
        (a "double hash" is no harder to recompute)."""
        blobs = [data] if isinstance(data, bytes) else [data.encode()]
        if isinstance(data, str):
            try:
                latin = data.encode("latin-1")
            except UnicodeEncodeError:
                latin = None
            if latin is not None and latin != blobs[0]:
                blobs.append(latin)
        self._index = None
        for blob in blobs:
            for alg in ALGORITHMS:
                raw = hashlib.new(alg, blob).digest()
                for enc, value in encodings(raw).items():
                    self.what.setdefault(value, f"{alg} ({enc}) of {label}")
                if deep:
                    for hexed in (raw.hex(), raw.hex().upper()):
                        for alg2 in ALGORITHMS:
                            raw2 = hashlib.new(alg2, hexed.encode()).digest()
                            for enc, value in encodings(raw2).items():
                                self.what.setdefault(
                                    value, f"{alg2} ({enc}) of the {alg} hex of {label}")

    def add_person(self, name: str, person: dict) -> None:
        values: dict[str, set[str]] = {}
        for f in IDENTIFYING:
            if person.get(f) in (None, ""):
                continue
            forms = text_forms(person[f])
            if f == "birth_date":
                forms |= date_forms(person[f])
            values[f] = forms
            for v in forms:
                self.add(v, f"{name}'s {f} {v!r}")
        given = person["given_name"].strip()
        surname = " ".join(p for p in (person.get("surname_prefix"), person["surname"]) if p)
        birth = person.get("birth_date") or str(person.get("birth_year"))
        births = date_forms(birth) if "birth_date" in person else {birth}
        combos = {f"{given} {surname}", f"{given} {person['surname']}", surname,
                  f"{surname}, {given}", f"{person['surname']}, {given}",
                  f"{given}{surname}", f"{given}|{surname}"}
        for b in births:
            combos |= {f"{given} {surname} {b}", f"{given}|{surname}|{b}",
                       f"{given};{surname};{b}", f"{given},{surname},{b}",
                       f"{given}{surname}{b}",
                       "|".join(str(person.get(f) or "") for f in IDENTIFYING[:3]) + f"|{b}"}
        for c in combos:
            for v in text_forms(c):
                self.add(v, f"{name}'s {c!r}")

    def add_records(self, records: list[dict], label: str, organisation: str | None = None,
                    category: str | None = None, channel: str | None = None) -> None:
        """The records of one request as the API gets them, as the API model makes them
        (``ReportIn.record()``) and as intake completes them, canonicalised many ways."""
        variants = {"as sent": records}
        try:
            variants["model"] = [ReportIn(**r).record() for r in records]
        except Exception:  # a body the model refuses (a rejected request)
            pass
        if organisation is not None:
            variants["prepared"] = [{**r, "organisation": organisation,
                                     "reporter_category": category, "channel": channel}
                                    for r in variants.get("model", records)]
        for how, recs in variants.items():
            shapes = [recs, {"reports": recs}, *recs, *([r] for r in recs)]
            for shape in shapes:
                for form in dumps_forms(shape):
                    self.add(form, f"{label} ({how}) as {form[:60]!r}...", deep=True)

    def add_file(self, data: bytes, filename: str, label: str) -> None:
        self.add(data, f"the bytes of {label}", deep=True)
        reader = TableReader(data, filename, "nl")
        rows = [r for chunk in reader.chunks() for _, r in chunk]
        self.add_records(rows, f"the rows of {label}")

    # -- scanning ------------------------------------------------------------------------------
    def _prefixes(self) -> dict[str, list[str]]:
        if self._index is None:
            index: dict[str, list[str]] = {}
            for value in self.what:
                index.setdefault(value[:16], []).append(value)
            self._index = index
        return self._index

    def scan(self, blob: str) -> list[str]:
        """Every candidate found in ``blob`` (anywhere inside a run of hex or base64
        characters, also inside a longer one)."""
        index, hits = self._prefixes(), []
        for m in self.RUN.finditer(blob):
            run = m.group()
            for i in range(len(run) - self.MIN + 1):
                for value in index.get(run[i:i + 16], ()):
                    if run.startswith(value, i):
                        hits.append(value)
        return hits


# -- evidence --------------------------------------------------------------------------------------
class Evidence:
    """Everything the registry said or kept: (where, text)."""

    def __init__(self):
        self.blobs: list[tuple[str, str]] = []

    def add(self, where: str, data: str | bytes) -> None:
        if isinstance(data, bytes):
            utf8 = data.decode("utf-8", "replace")
            self.blobs.append((where, utf8))
            latin = data.decode("latin-1")  # every byte kept: ASCII runs as they are
            if latin != utf8:
                self.blobs.append((f"{where} (bytes as latin-1)", latin))
        else:
            self.blobs.append((where, data))

    def response(self, label: str, response) -> None:
        self.add(f"response {label} [{response.status_code}] headers",
                 "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items()))
        self.add(f"response {label} [{response.status_code}] body", response.content)

    def size(self) -> int:
        return sum(len(t) for _, t in self.blobs)


def database_text(engine) -> dict[str, str]:
    """Every value of every column of every table, as text, by "table.column"."""
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(select(table)).all()
            for i, column in enumerate(table.columns):
                out[f"{table.name}.{column.name}"] = "\n".join(
                    _text(row[i]) for row in rows)
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def sqlite_files(url: str) -> list[Path]:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return []
    db = Path(u.database)
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def web_login(app, username: str, password: str, ev: Evidence,
              status: int = 303) -> TestClient:
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = client.get("/login")
    ev.response(f"GET /login ({username})", page)
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf_of(page.text)})
    ev.response(f"POST /login as {username}", r)
    assert r.status_code == status, (username, r.status_code)
    return client


def plain(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


# -- 1: every path, every output ------------------------------------------------------------------
def test_no_recomputable_digest_of_identifying_input(debug_logs, world, tmp_path, capfd):
    reg = world.registry
    app = create_app(reg)
    ev, cands = Evidence(), Candidates()
    for name, person in PEOPLE.items():
        cands.add_person(name, person)
    for typed in TYPED_USERNAMES:
        for v in text_forms(typed):
            cands.add(v, f"the user name typed {v!r}")
    api = {who: TestClient(app, raise_server_exceptions=False,
                           headers={"Authorization": f"Bearer {token}"})
           for who, token in world.tokens.items()}
    json_type = {"Content-Type": "application/json"}

    def post_json(who, path, body: bytes, label, org, records, key=None, status=201):
        headers = dict(json_type, **({"Idempotency-Key": key} if key else {}))
        r = api[who].post(path, content=body, headers=headers)
        ev.response(label, r)
        assert r.status_code == status, (label, r.text)
        cands.add(body, f"the body of {label}", deep=True)
        cands.add_records(records, f"the records of {label}", org, "ZC", "api")
        return r

    # 1. POST /reports without a key (UTF-8 as such), with a key (ASCII escapes), its replay
    rec_plain = record("jose", "DG-1")
    body_plain = json.dumps(rec_plain, ensure_ascii=False).encode()
    created = post_json("rep_a", f"{API}/reports", body_plain, "POST /reports", "ORG-A",
                        [rec_plain]).json()["reports"]
    rec_key = record("zoe", "DG-2", sex="X", nationality="TUR", exploitation_forms="LAB",
                     nr_group="labour", reference_year=2025)
    body_key = json.dumps(rec_key, separators=(",", ":")).encode()
    first = post_json("rep_a", f"{API}/reports", body_key, "POST /reports (key K1)", "ORG-A",
                      [rec_key], key="K1")
    again = post_json("rep_a", f"{API}/reports", body_key, "POST /reports (key K1, replay)",
                      "ORG-A", [rec_key], key="K1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    created += first.json()["reports"]
    # rejected: a wrong code (the service's 422, with a key) and an unknown field (the model's)
    rec_bad = record("marie", "DG-3", sex="Q")
    post_json("rep_a", f"{API}/reports", json.dumps(rec_bad).encode(),
              "POST /reports (rejected by validation)", "ORG-A", [rec_bad], key="K3",
              status=422)
    rec_unknown = {**record("lucja", "DG-4"), "naam": "Łucja Wójcik-Łukasik"}
    post_json("rep_a", f"{API}/reports", json.dumps(rec_unknown, ensure_ascii=False).encode(),
              "POST /reports (rejected by the model)", "ORG-A", [rec_unknown], status=422)

    # 2. a batch with a key
    batch = [record("marie", "DG-5", received_date="2025-05-02", sex="F"),
             record("lucja", "DG-6", nationality="POL", exploitation_forms="LAB;SEX",
                    nr_group="labour")]
    body_batch = json.dumps({"reports": batch}, ensure_ascii=False, indent=2).encode()
    created += post_json("rep_a", f"{API}/reports/batch", body_batch, "POST /reports/batch",
                         "ORG-A", batch, key="K2").json()["reports"]

    # 3. imports over the API: CSV (Dutch column names) and XLSX (a real date cell)
    uploads: dict[str, bytes] = {}
    csv_rows = [record("aicha", "DG-7", sex="F", nationality="MAR"),
                record("jose", "DG-8", received_date="2025-04-01", sex="M")]
    csv_api = csv_bytes(csv_rows, [("kenmerk", "source_ref"), ("datum melding", "received_date"),
                                   ("geslacht", "sex"), ("voornaam", "given_name"),
                                   ("tussenvoegsel", "surname_prefix"),
                                   ("achternaam", "surname"), ("geboortedatum", "birth_date"),
                                   ("nationaliteit", "nationality")])
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    columns = ["source_ref", "received_date", "sex", "given_name", "surname_prefix", "surname",
               "birth_date", "birth_year", "nationality", "exploitation_forms"]
    sheet.append(columns)
    xlsx_rows = [record("ngozi", "DG-9", nationality="NGA", exploitation_forms="SEX"),
                 record("bao", "DG-10", sex="M", nationality="VNM", exploitation_forms="CRIM")]
    for r in xlsx_rows:
        values = [r.get(c) for c in columns]
        if r.get("birth_date"):
            values[columns.index("birth_date")] = dt.date.fromisoformat(r["birth_date"])
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx_api = buffer.getvalue()
    for filename, data, ctype in (
            ("people.csv", csv_api, "text/csv"),
            ("people.xlsx", xlsx_api,
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        body, content_type = multipart([], filename, data, ctype)
        r = api["rep_a"].post(f"{API}/imports", content=body,
                              headers={"Content-Type": content_type})
        ev.response(f"POST /imports ({filename})", r)
        assert r.status_code == 201, r.text
        assert r.json()["file_digest"] == reg.digests.hex(data)  # keyed, as designed
        cands.add_file(data, filename, f"the file {filename} (API)")
        cands.add(body, f"the multipart body of POST /imports ({filename})", deep=True)
        uploads[f"api {filename}"] = data

    # 4. the web form and the web import page (rep_b, logged in through /login)
    web = web_login(app, "rep_b", PASSWORD, ev)
    form_page = web.get("/reports/new")
    ev.response("GET /reports/new", form_page)
    form = record("anna", "DG-11", legal_basis="consent", consent_registration="yes",
                  country_of_birth="NLD")
    fields = [("csrf_token", csrf_of(form_page.text)), *form.items()]
    body_form = urlencode(fields).encode()
    r = web.post("/reports/new", content=body_form,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    ev.response("POST /reports/new", r)
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"])
    ev.response("GET /reports/{id} (page)", page)
    assert page.status_code == 200
    cands.add(body_form, "the body of POST /reports/new", deep=True)
    form_record = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
    cands.add_records([form_record], "the form's record", "ORG-B", "POL", "form")

    import_page = web.get("/import")
    ev.response("GET /import", import_page)
    csv_web = csv_bytes([record("jose_nfd", "DG-12", sex="M", nationality="ESP")],
                        [("source_ref", "source_ref"), ("received_date", "received_date"),
                         ("sex", "sex"), ("Voornamen", "given_name"), ("Achternaam", "surname"),
                         ("Geboortedatum", "birth_date"), ("nationality", "nationality")],
                        sep=";")
    body, content_type = multipart([("csrf_token", csrf_of(import_page.text))], "web.csv",
                                   csv_web, "text/csv")
    r = web.post("/import", content=body, headers={"Content-Type": content_type})
    ev.response("POST /import (page)", r)
    assert r.status_code == 200 and "Import voltooid" in r.text, r.text
    cands.add_file(csv_web, "web.csv", "the file web.csv (page)")
    cands.add(body, "the multipart body of POST /import", deep=True)
    uploads["web web.csv"] = csv_web
    listing = web.get("/reports")
    ev.response("GET /reports (page)", listing)

    # 5. the command line
    csv_cli = csv_bytes([record("fenna", "DG-13", organisation="ORG-B"),
                         record("zoe", "DG-14", organisation="ORG-B", sex="X")],
                        [("source_ref", "source_ref"), ("organisation", "organisation"),
                         ("received_date", "received_date"), ("sex", "sex"),
                         ("given_name", "given_name"), ("surname_prefix", "surname_prefix"),
                         ("surname", "surname"), ("birth_date", "birth_date")])
    path = tmp_path / "cli people.csv"
    path.write_bytes(csv_cli)
    result = CliRunner().invoke(cli.app, ["import", str(path), "--org", "ORG-B"], env={
        "ZICHT_DATABASE_URL": reg.settings.database_url, "ZICHT_PSEUDONYM_KEY": KEY,
        "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    ev.add("zicht import: stdout", result.stdout)
    ev.add("zicht import: stderr", result.stderr)
    cands.add_file(csv_cli, path.name, "the file of zicht import")
    uploads["cli"] = csv_cli

    # 6. failed logins typing a person's name
    for typed in TYPED_USERNAMES:
        web_login(app, typed, "Wrong-Password-42", ev, status=401)

    # reads
    for who in ("rep_a", "rep_b", "analyst"):
        ev.response(f"GET /reports as {who}", api[who].get(f"{API}/reports?limit=1000"))
    for item in created:
        ev.response(f"GET /reports/{item['id']}", api["rep_a"].get(f"{API}/reports/{item['id']}"))
    export = api["analyst"].get(f"{API}/export")
    ev.response("GET /export", export)
    assert export.status_code == 200
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(export.content))
    ev.add("GET /export: Parquet cells", "\n".join(
        " ".join(str(v) for v in row.values()) for row in table.to_pylist()))
    ev.add("GET /export: Parquet metadata", str(table.schema.metadata))
    assert table.num_rows == 12
    audit_log = api["auditor"].get(f"{API}/audit?limit=1000")
    ev.response("GET /audit", audit_log)
    verified = api["auditor"].get(f"{API}/audit/verify")
    ev.response("GET /audit/verify", verified)
    assert verified.json()["ok"] is True
    auditor_web = web_login(app, "auditor", PASSWORD, ev)
    ev.response("GET /audit (page)", auditor_web.get("/audit"))

    # the keyed digests are where the design puts them
    entries = audit_log.json()
    imports = [e["detail"] for e in entries if e["action"] == "import"]
    assert sorted(d["file_digest"] for d in imports) == sorted(
        reg.digests.hex(data) for data in uploads.values())
    assert all("sha256" not in d for d in imports)
    with reg.engine.connect() as conn:
        stored = {key: digest for key, digest in conn.execute(text(
            "SELECT key, request_digest FROM idempotency_keys"))}
    assert stored == {
        "K1": reg.digests.hex(plain(audit.canonical([ReportIn(**rec_key).record()]))),
        "K2": reg.digests.hex(plain(audit.canonical([ReportIn(**r).record() for r in batch])))}
    failed = [e for e in entries if e["action"] == "login_failed"]
    assert [e["detail"]["username_digest"] for e in failed] == [
        reg.digests.hex(security.username_key(t)) for t in reversed(TYPED_USERNAMES)]

    # everything kept: every column of every table, the database files, the logs
    db = database_text(reg.engine)
    for where, value in db.items():
        ev.add(f"database {where}", value)
    for file in sqlite_files(reg.settings.database_url):
        ev.add(f"file {file.name}", file.read_bytes())
    for rec in debug_logs.records:
        ev.add(f"log {rec.name} {rec.levelname}", rec.getMessage() + (rec.exc_text or ""))
    out, err = capfd.readouterr()
    ev.add("stdout", out)
    ev.add("stderr", err)

    # positive controls: the candidates hold the old code's digest, the evidence holds the
    # data, and the scan finds a candidate planted anywhere in it, in every encoding
    old_form = hashlib.sha256(audit.canonical([ReportIn(**rec_key).record()]).encode())
    assert old_form.hexdigest() in cands
    assert plain(audit.canonical([rec_key])) in cands
    assert plain(audit.canonical([ReportIn(**r).record() for r in batch])) in cands
    assert plain(csv_api) in cands and plain(xlsx_api) in cands
    assert hashlib.md5(body_plain).hexdigest() in cands
    everything_db = "\n".join(db.values())
    assert len(everything_db) > 20_000, len(everything_db)
    for item in created:
        assert item["id"] in db["reports.id"]
    tokens = reg.pseudonymiser.tokens(Identity(*(PEOPLE["jose"].get(f) for f in IDENTIFYING)))
    assert tokens["tok_surname"] in db["reports.tok_surname"]
    assert tokens["tok_birth_date"] in db["reports.tok_birth_date"]
    assert stored["K1"] in db["idempotency_keys.request_digest"]
    raw_files = sqlite_files(reg.settings.database_url)
    if reg.engine.dialect.name == "sqlite":  # the raw files are read, and hold the data
        assert {f.name for f in raw_files} >= {"zicht.db", "zicht.db-wal"}
        raw = b"".join(f.read_bytes() for f in raw_files)
        assert stored["K2"].encode() in raw and created[0]["id"].encode() in raw
    assert any(rec.name.startswith("sqlalchemy.engine") for rec in debug_logs.records)
    assert len(cands) > 50_000, len(cands)
    host = db["audit_log.detail"]
    planted_from = hashlib.sha256(body_key).digest()
    for alg in ALGORITHMS:
        raw = hashlib.new(alg, body_key).digest()
        for enc, value in encodings(raw).items():
            assert value in cands, (alg, enc)
            cut = len(host) // 2
            assert value in cands.scan(host[:cut] + value + host[cut:]), (alg, enc)
            assert value in cands.scan(f"{planted_from.hex()}{value}{tokens['tok_given']}")

    # the scan
    hits = []
    for where, blob in ev.blobs:
        for value in sorted(set(cands.scan(blob))):
            hits.append(f"{where}: {value} = {cands.what[value]}")
    assert hits == [], "\n".join(hits[:50])
    assert ev.size() > 200_000, ev.size()

    # and no clear identifier anywhere (the surnames and birth dates, as given or normalised)
    clear = set()
    for person in PEOPLE.values():
        clear |= {person["surname"].lower(), unicodedata.normalize("NFC", person["surname"]
                                                                   ).lower()}
        clear |= {w for w in normalise_text(person["surname"]).split() if len(w) >= 6}
        if person.get("birth_date"):
            clear |= date_forms(person["birth_date"])
    # except the user name typed at a failed login in SQLAlchemy's statement log (on only when
    # asked for, as here): the registry looks the account up by it
    typed = [security.username_key(t) for t in TYPED_USERNAMES]
    found = []
    for where, blob in ev.blobs:
        lower = blob.lower()
        if where.startswith("log sqlalchemy.engine"):
            for name in typed:
                lower = lower.replace(f"'{name}'", "''")
        for value in sorted(clear):
            at = lower.find(value)
            if at >= 0:
                found.append(f"{where}: {value!r} in ...{blob[max(0, at - 150):at + 60]!r}")
    assert found == [], "\n".join(found[:50])


# -- 2: the migration ------------------------------------------------------------------------------
def test_migration_rewrites_plain_digests(database_url):
    reg = Registry(Settings.from_env(database_url=database_url))
    engine = reg.engine
    try:
        _migration_case(reg, engine)
    finally:
        reg.dispose()


def _no_residue_in_the_files(engine, url: str, olds: tuple[str, ...]) -> None:
    """The replaced values are gone from the database's files too, not only from its rows:
    an UPDATE leaves the old row version (PostgreSQL) or free page (SQLite) behind, and a
    dropped column stays in PostgreSQL's rows until the table is rewritten (found in review:
    a file-level copy held the plain digests after the migration)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        blobs = {p.name: p.read_bytes() for p in sqlite_files(url)}
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(text("SELECT rolsuper FROM pg_roles "
                                     "WHERE rolname = current_user")).scalar():
                return  # reading the table files needs a superuser (CI's postgres is one)
            conn.execute(text("CHECKPOINT"))
            blobs = {}
            for table in ("idempotency_keys", "audit_log"):
                path = conn.execute(text("SELECT pg_relation_filepath(:t)"),
                                    {"t": table}).scalar()
                blobs[table] = bytes(conn.execute(text("SELECT pg_read_binary_file(:p)"),
                                                  {"p": path}).scalar())
    assert sum(len(b) for b in blobs.values()) > 1000
    found = {name: [v for v in olds if v.encode() in blob] for name, blob in blobs.items()}
    assert {k: v for k, v in found.items() if v} == {}


def _columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _chain(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT seq, action, detail, prev_hash, hash FROM audit_log ORDER BY seq"))]


def _migration_case(reg: Registry, engine) -> None:
    if migrate.current_revision(engine) is not None:  # PostgreSQL: the template is at head
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine, "0002")
    assert "request_sha256" in _columns(engine, "idempotency_keys")

    # what the old code stored: plain SHA-256 of the canonical request and of the file
    body = {"source_ref": "OLD-1", "received_date": "2025-02-03", "sex": "F",
            "given_name": "José", "surname_prefix": "van der", "surname": "Bergkamp",
            "birth_date": "1991-07-23", "nationality": "NLD"}
    old_request = plain(audit.canonical([ReportIn(**body).record()]))
    old_file = plain(b"received_date,given_name,surname\n2025-02-03,Jos\xc3\xa9,Bergkamp\n")
    old_file_2 = plain(b"received_date,given_name\n2025-02-04,Ana\n")
    stored_response = {"reports": [{"id": "7d0c58a3-0000-4000-8000-000000000001",
                                    "source_ref": "OLD-1", "organisation": "ORG-M",
                                    "status": "created"}], "created": 1, "existing": 0}
    op = Actor("cli:old", "operator", source="cli", via="cli")
    rep = Actor("rep_m", "reporter", 1, 1, "ORG-M", "198.51.100.1", "api")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (code, name, category, active, created_at) "
                          "VALUES ('ORG-M', 'Migratie', 'ZC', :t, :now)"),
                     {"t": True, "now": dt.datetime(2025, 1, 1)})
        audit.append_many(conn, [
            (op, Event("create", "organisation", "ORG-M", {"name": "Migratie"})),
            (rep, Event("create", "report", "r-1", {"channel": "api"})),
            (op, Event("import", "file", "imp-1", {"format": ".csv", "sha256": old_file,
                                                   "rows": 1, "created": 1, "existing": 0})),
            (rep, Event("read", "report", None, {"total": 1})),
            (op, Event("import", "file", "imp-2", {"format": ".csv", "sha256": old_file_2,
                                                   "rows": 1, "created": 0, "existing": 1})),
            (op, Event("import_failed", "file", "imp-3", {"errors": 2})),
            (rep, Event("login", "user", "rep_m"))])
    before = _chain(engine)
    first_import = next(seq for seq, action, *_ in before if action == "import")

    def refused_without_key(needs):
        with pytest.raises(RuntimeError, match="ZICHT_PSEUDONYM_KEY"):
            migrate.upgrade(engine)  # no digest key given
        assert migrate.current_revision(engine) == "0002", needs
        assert "request_sha256" in _columns(engine, "idempotency_keys"), needs
        assert "request_digest" not in _columns(engine, "idempotency_keys"), needs
        assert "username_key" not in _columns(engine, "users"), needs
        assert not inspect(engine).has_table("imports"), needs
        assert _chain(engine) == before, needs

    # the key is asked for late (the audit log is rewritten last): all of it rolled back
    refused_without_key("audit entries")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO idempotency_keys (organisation_id, key, request_sha256, "
                          "status, response, created_at) VALUES ((SELECT id FROM "
                          "organisations WHERE code = 'ORG-M'), 'OLD-KEY', :digest, 201, "
                          ":response, :now)"),
                     {"digest": old_request, "response": json.dumps(stored_response),
                      "now": dt.datetime(2025, 2, 3)})
    refused_without_key("idempotency keys")

    reg.upgrade()  # ZICHT_PSEUDONYM_KEY is set (conftest)
    assert migrate.current_revision(engine) == migrate.head_revision()
    _no_residue_in_the_files(engine, reg.settings.database_url,
                             (old_request, old_file, old_file_2))

    # no plain value left in any table; the keyed ones in their place
    db = database_text(engine)
    for value in (old_request, old_file, old_file_2):
        for form in (value, value.upper(), base64.b64encode(bytes.fromhex(value)).decode()):
            assert not [where for where, t in db.items() if form in t], (value, form)
    with engine.connect() as conn:
        digest = conn.execute(text("SELECT request_digest FROM idempotency_keys "
                                   "WHERE key = 'OLD-KEY'")).scalar()
    assert digest == reg.digests.hex(old_request)

    after = _chain(engine)
    assert after[:first_import - 1] == before[:first_import - 1]  # before it: untouched
    details = {seq: json.loads(detail) for seq, _, detail, *_ in after}
    imports = [details[seq] for seq, action, *_ in after if action == "import"]
    assert [d.get("file_digest") for d in imports] == [reg.digests.hex(old_file),
                                                       reg.digests.hex(old_file_2)]
    assert all("sha256" not in d for d in imports)
    for (seq, action, detail, _, _), (seq2, action2, detail2, _, _) in zip(
            before, after[:len(before)], strict=True):
        assert (seq, action) == (seq2, action2)
        if action != "import":
            assert detail == detail2
    rewrite = [details[seq] for seq, action, *_ in after if action == "rewrite"]
    assert len(rewrite) == 1
    assert rewrite[0]["first_rewritten"] == first_import
    assert rewrite[0]["rehashed"] == len(before) - first_import + 1
    assert rewrite[0]["previous_head"] == f"{before[-1][0]}:{before[-1][4]}"
    assert reg.verify_audit(AUDITOR).ok

    # a retry of the request stored before the migration is still answered as a replay
    admin = operator("test")
    reg.add_user(admin, "rep_m", "reporter", PASSWORD, "ORG-M")
    token = reg.add_token(admin, "rep_m", "migration test")["token"]
    client = TestClient(create_app(reg), raise_server_exceptions=False,
                        headers={"Authorization": f"Bearer {token}"})
    retry = client.post(f"{API}/reports", json=body, headers={"Idempotency-Key": "OLD-KEY"})
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == stored_response
    other = client.post(f"{API}/reports", json={**body, "sex": "M"},
                        headers={"Idempotency-Key": "OLD-KEY"})
    assert other.status_code == 409, other.text

    # the audit log is append-only again
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    assert reg.verify_audit(AUDITOR).ok
