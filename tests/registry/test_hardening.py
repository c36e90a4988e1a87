"""The registry's hardening (issue 14), finding by finding: look-alike user names, revocation
that holds at once in every process, failed authentications that cannot flood the audit log,
unknown import columns, and Unicode digits that used to pass ``str.isdigit()``.

Each test failed on the code before the fix; the docstrings say how."""

from __future__ import annotations

import csv
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from zicht import cli
from zicht.registry import migrate, security
from zicht.registry.audit import Actor
from zicht.registry.models import AuditEntry, Report
from zicht.registry.service import (
    Conflict,
    Registry,
    Unauthenticated,
    ValidationFailed,
    operator,
)
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .conftest import KEY, PASSWORD, report

API = "/api/v1"
AUDITOR = Actor("auditor", "auditor", source="test")




def audit_text(registry) -> str:
    with registry.sessions() as s:
        rows = s.execute(select(AuditEntry)).scalars().all()
        return "\n".join(f"{r.actor} {r.object_id} {r.source} {r.detail}" for r in rows)


def n_audit(registry) -> int:
    with registry.sessions() as s:
        return s.scalar(select(func.count(AuditEntry.seq)))


def run_cli(registry, *args: str):
    return CliRunner().invoke(cli.app, list(args), env={
        "ZICHT_DATABASE_URL": registry.settings.database_url, "ZICHT_PSEUDONYM_KEY": KEY,
        "COLUMNS": "200"})


# -- 7: look-alike user names ---------------------------------------------------------------------
@pytest.mark.parametrize("name, reason", [
    ("\u0430na", "several scripts"),  # Cyrillic a, then Latin "na"
    ("ana\u200b", "U+200B"),  # zero-width space
    ("\u200eana", "U+200E"),  # left-to-right mark
    ("an a", "U+0020"),
    ("an\u00a0a", "U+0020"),  # a no-break space (NFKC makes it a space)
    ("an\u0430", "several scripts"),
    ("ana\u0663", "U+0663"),  # an Arabic-Indic digit
    ("x" * 81, "1-80"),
])
def test_look_alike_user_names_are_refused(world, name, reason):
    """Before: only spaces and length were checked, so all of these became accounts."""
    with pytest.raises(ValidationFailed) as exc:
        world.registry.add_user(operator("test"), name, "analyst", PASSWORD)
    assert reason in exc.value.errors[0][1].message


@pytest.mark.parametrize("name", ["ANA", "Ana", "\uff21na", "ana"])
def test_user_names_differing_in_case_or_width_are_one_name(world, name):
    """Before: "ANA" beside "ana" was a second account, indistinguishable in the log."""
    op = operator("test")
    world.registry.add_user(op, "ana", "analyst", PASSWORD)
    with pytest.raises(Conflict):
        world.registry.add_user(op, name, "analyst", PASSWORD)
    # and the one account is found under any of its spellings
    secret, _, actor = world.registry.login(name, PASSWORD, "test")
    assert actor.username == "ana" and secret


def test_accented_and_dotted_names_are_accepted(world):
    op = operator("test")
    for name in ("josé", "j.de-vries_2", "anna@zc-01", "\u0438\u0432\u0430\u043d"):  # иван
        assert world.registry.add_user(op, name, "analyst", PASSWORD)["username"] == name


def test_the_api_refuses_a_look_alike_user(world):
    client = TestClient(create_app(world.registry))
    head = {"Authorization": f"Bearer {world.tokens['admin']}"}
    new = client.post(f"{API}/users", headers=head,
                      json={"username": "r\u0435p_a", "role": "analyst"})  # Cyrillic e
    assert new.status_code == 422, new.text
    again = client.post(f"{API}/users", headers=head, json={"username": "REP_A", "role": "analyst"})
    assert again.status_code == 409 and "rep_a" in again.json()["detail"]


def test_lockout_counts_every_spelling_of_a_name(world):
    reg = world.registry
    for i, name in enumerate(["rep_a", "REP_A", " Rep_A ", "\uff52ep_a", "rep_A"]):
        with pytest.raises(Unauthenticated):
            reg.login(name, f"Wrong-Password-{i}", "203.0.113.7")
    with pytest.raises(Unauthenticated):  # locked after five, whichever spelling
        reg.login("rep_a", PASSWORD, "203.0.113.7")


def test_migration_separates_existing_look_alikes(database_url):
    """Users made before revision 0003 that differ only in case: the later one is switched
    off, so the unique key can hold."""
    reg = Registry(Settings.from_env(database_url=database_url))
    try:
        migrate.downgrade(reg.engine, "base")
        migrate.upgrade(reg.engine, "0002")
        with reg.engine.begin() as conn:
            for uid, name in ((1, "ana"), (2, "ANA"), (3, "piet")):
                conn.execute(text(
                    "INSERT INTO users (id, username, role, active, failed_logins, created_at) "
                    "VALUES (:i, :n, 'analyst', :t, 0, '2026-01-01')"), {"i": uid, "n": name,
                                                                         "t": True})
        reg.upgrade()
        with reg.engine.connect() as conn:
            rows = conn.execute(text("SELECT username, username_key, active FROM users "
                                     "ORDER BY id")).all()
        assert [(r[0], r[1], bool(r[2])) for r in rows] == [
            ("ana", "ana", True), ("ANA", "ana#2", False), ("piet", "piet", True)]
    finally:
        reg.dispose()


# -- 8: revocation holds at once in every process -------------------------------------------------
@pytest.mark.parametrize("how", ["deactivate", "revoke"])
def test_revocation_in_another_process_holds_at_once(world, how):
    """Before: each process remembered a valid token for 10 s, so after `zicht users
    deactivate` (another process) the token kept submitting reports."""
    reg = world.registry
    client = TestClient(create_app(reg))
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    # the token is validated and remembered by this process (async route and sync route)
    assert client.post(f"{API}/reports", headers=head,
                       json=report(source_ref="R-warm")).status_code == 201
    assert client.get(f"{API}/reports", headers=head).status_code == 200
    before = reg.counts()["reports"]
    if how == "deactivate":  # the command line: another Registry, another cache
        done = run_cli(reg, "users", "deactivate", "rep_a")
    else:
        token_id = world.tokens["rep_a"].split("_")[1]
        done = run_cli(reg, "tokens", "revoke", token_id)
    assert done.exit_code == 0, done.output
    late = client.post(f"{API}/reports", headers=head, json=report(source_ref="R-late"))
    assert late.status_code == 401, late.text
    batch = client.post(f"{API}/reports/batch", headers=head,
                        json={"reports": [report(source_ref="R-late-2")]})
    assert batch.status_code == 401
    assert client.get(f"{API}/reports", headers=head).status_code == 401
    assert reg.counts()["reports"] == before
    # another user's remembered token is not affected
    other = {"Authorization": f"Bearer {world.tokens['rep_b']}"}
    assert client.post(f"{API}/reports", headers=other,
                       json=report(source_ref="R-b")).status_code == 201


def test_a_submission_in_flight_is_checked_in_the_writers_transaction(world):
    """The async route trusts the remembered token on the event loop; the group writer
    checks the revocation epoch again in the transaction that would store the report."""
    reg, other = world.registry, Registry(world.registry.settings)
    try:
        actor = reg.token_actor(world.tokens["rep_a"], "test")  # remembered, epoch noted
        other.set_user_active(operator("test"), "rep_a", False)
        cached = reg.cached_token_actor(world.tokens["rep_a"], "test")
        assert cached is not None and cached.epoch == actor.epoch  # still in memory
        with pytest.raises(Unauthenticated):
            reg.begin_submit(cached, [report(source_ref="R-flight")]).result(30)
        assert reg.counts()["reports"] == 0
    finally:
        other.dispose()


# -- 10: failed authentications are bounded in the audit log --------------------------------------
class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_flood_of_bad_tokens_writes_a_bounded_number_of_entries(world):
    """Before: one auth_failed entry per request (2,964 in 10 s from one client)."""
    reg = world.registry
    clock = Clock()
    reg.failures._clock = clock
    client = TestClient(create_app(reg))
    before = n_audit(reg)
    for i in range(300):
        r = client.get(f"{API}/me", headers={"Authorization": f"Bearer zt_{i:016x}_" + "x" * 43})
        assert r.status_code == 401
    for _ in range(50):
        r = client.get(f"{API}/me", headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401
    during = n_audit(reg) - before
    assert during == reg.settings.auth_failures_per_minute  # the first five, one by one
    clock.t += 60  # the minute is over: its summary is written by the next failure or a flush
    reg.failures.flush()
    entries = reg.audit_entries(AUDITOR, limit=20, action="auth_failed_summary")
    assert len(entries) == 1
    detail = entries[0]["detail"]
    assert detail["failures"] == 350 and detail["counted"] == 345
    assert detail["reasons"] == {"unknown, revoked or inactive": 295, "malformed": 50}
    assert n_audit(reg) - before <= during + 1 + 1  # the summary and the audit read


def test_many_addresses_share_one_window_beyond_the_cap(world):
    reg = world.registry
    reg.failures._clock = Clock()
    reg.failures.max_sources = 10
    before = n_audit(reg)
    for i in range(200):  # 200 addresses, one failure each
        with pytest.raises(Unauthenticated):
            reg.token_actor("zt_nope", f"198.51.100.{i}")
    # 10 addresses get their entry; the rest share the "*" window: 5 more entries
    assert n_audit(reg) - before == 10 + reg.settings.auth_failures_per_minute


def test_a_password_typed_as_user_name_is_not_kept(world):
    """Before: a failed login stored the typed user name as the entry's actor."""
    reg = world.registry
    typed = "Correct-Horse-9-Battery-of-someone"
    with pytest.raises(Unauthenticated):
        reg.login(typed, "whatever", "203.0.113.5")
    log = audit_text(reg)
    assert typed not in log and typed.lower() not in log
    assert reg.digests.hex(security.username_key(typed)) in log


# -- 11: unknown import columns ------------------------------------------------------------------
def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_dutch_column_names_are_imported_with_their_identity(world):
    """Before: geboortedatum, achternaam and the like were dropped without a word, and the
    reports registered without identity, never to be linked."""
    reg = world.registry
    client = TestClient(create_app(reg))
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    body = csv_bytes("Kenmerk;Datum melding;Voornamen;Tussenvoegsel;Achternaam;Geboortedatum;"
                     "Geslacht;Nationaliteit",
                     "NL-1;2025-03-01;Maria;van der;Berg;1990-04-02;F;NLD",
                     "NL-2;2025-03-02;Eva;;Jansen;1988-12-30;F;POL")
    r = client.post(f"{API}/imports", headers=head, files={"file": ("nl.csv", body)})
    assert r.status_code == 201, r.text
    frame = reg.export_frame(world.actor("analyst"))
    assert set(frame.source_ref) == {"NL-1", "NL-2"}
    assert frame.tok_surname.str.len().min() == 64 and frame.tok_birth_date.str.len().min() == 64


@pytest.mark.parametrize("header, named", [
    ("received_date,given_name,geboortedatum_moeder", "geboortedatum_moeder"),
    ("received_date,naam,geboortedatum", "naam"),
    ("received_date,surname,achternaam", "achternaam"),
])
def test_unknown_ambiguous_or_repeated_columns_are_errors_naming_them(world, header, named):
    client = TestClient(create_app(world.registry))
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}", "Accept-Language": "en"}
    row = ",".join(["2025-03-01"] + ["x"] * (header.count(",")))
    r = client.post(f"{API}/imports", headers=head, files={"file": ("a.csv", csv_bytes(
        header, row))})
    assert r.status_code == 422, r.text
    messages = " ".join(e["message"] for e in r.json()["errors"])
    assert f"'{named}'" in messages
    assert world.registry.counts()["reports"] == 0


def test_a_file_without_identity_needs_saying_so(world):
    reg = world.registry
    client = TestClient(create_app(reg))
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    body = csv_bytes("source_ref,received_date,sex", "NI-1,2025-03-01,F")
    refused = client.post(f"{API}/imports", headers=head, files={"file": ("a.csv", body)})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "identity"
    assert reg.counts()["reports"] == 0
    meant = client.post(f"{API}/imports?no_identity=true", headers=head,
                        files={"file": ("a.csv", body)})
    assert meant.status_code == 201, meant.text


def test_the_command_line_names_unknown_columns_and_takes_no_identity(world, tmp_path):
    reg = world.registry
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes("source_ref,organisation,received_date,achternaam,opmerking",
                               "C-1,ORG-A,2025-03-01,Smit,let op"))
    refused = run_cli(reg, "import", str(path))
    assert refused.exit_code == 2
    assert "'opmerking'" in refused.output
    path.write_bytes(csv_bytes("source_ref,organisation,received_date,sex",
                               "C-2,ORG-A,2025-03-01,M"))
    assert run_cli(reg, "import", str(path)).exit_code == 2
    done = run_cli(reg, "import", str(path), "--no-identity")
    assert done.exit_code == 0, done.output
    assert reg.counts()["reports"] == 1


def test_the_errors_file_neutralises_formulas(world, tmp_path):
    """Before: `zicht import --errors` wrote a header such as =HYPERLINK(...) verbatim."""
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes('received_date,given_name,"=HYPERLINK(""http://x"",""y"")"',
                               "2025-03-01,Ana,1"))
    errors = tmp_path / "errors.csv"
    done = run_cli(world.registry, "import", str(path), "--org", "ORG-A", "--errors",
                   str(errors))
    assert done.exit_code == 2
    cells = [c for row in csv.reader(errors.open(encoding="utf-8")) for c in row]
    assert '\'=HYPERLINK("http://x","y")' in cells  # the column is named, neutralised
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


# -- 6: Unicode digits -----------------------------------------------------------------------------
UNICODE_NUMBERS = ("²²²²",)  # passes isdigit(), refused by int() (Arabic-Indic digits pass both)
RAW_PARAMS = ("year", "page", "page_no", "before", "limit", "offset", "replicates", "rate",
              "category", "l", "r", "organisation", "received_from", "lang", "action")


def _get_routes(app) -> list[tuple[str, tuple[str, ...]]]:
    """(path, query parameters to try) of every GET route: the declared ones, and for the
    pages (which also read ``request.query_params`` themselves) the names they use."""
    try:
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover
        routes = list(app.routes)
    out = {}
    for route in routes:
        path = getattr(route, "path", "")
        if "GET" not in (getattr(route, "methods", None) or ()) or path.startswith("/static"):
            continue
        dependant = getattr(route, "dependant", None)
        declared = {q.name for q in dependant.query_params} if dependant else set()
        out[path] = tuple(sorted(declared | (set() if path.startswith(API) else
                                              set(RAW_PARAMS))))
    return sorted(out.items())


@pytest.mark.slow  # every GET parameter of every route, as four roles
def test_unicode_digits_in_any_query_never_give_a_server_error(world):
    """Before: /reports?year=²²²² answered 500 (isdigit() passes it, int() refuses it); so did
    /dashboard/whatif?replicates=².  Each parameter alone, so that a typed one refused first
    (422) does not hide another."""
    reg = world.registry
    if not reg.settings.database_url.startswith("sqlite"):
        pytest.skip("parsing, not storage: once is enough")
    own = reg.submit(world.actor("rep_a"), [report(source_ref="U-1")]).reports[0]["id"]
    app = create_app(reg)
    wrong, tried = [], 0
    for who in ("rep_a", "analyst", "admin", "auditor"):
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        secret, _, _ = reg.login(who, PASSWORD, "test")
        client.cookies.set("zicht_session", secret)
        for path, params in _get_routes(app):
            url = re.sub(r"\{report_id\}", own, path)
            url = re.sub(r"\{[^}]+\}", "x", url)
            for name in params:
                for value in UNICODE_NUMBERS:
                    r = client.get(url, params={name: value})
                    tried += 1
                    if r.status_code >= 500:
                        wrong.append(f"{who} {url}?{name}={value!r}: {r.status_code}")
    assert tried > 250
    assert not wrong, "\n".join(wrong)


def test_unicode_digits_in_a_body_key_or_value_are_refused_cleanly(world):
    client = TestClient(create_app(world.registry), raise_server_exceptions=False)
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    r = client.post(f"{API}/reports", headers=head, json={**report(), "²": 1})
    assert r.status_code == 422, r.text
    r = client.post(f"{API}/reports", headers=head,
                    json=report(age_at_report="\u0663\u0660", source_ref="U-2"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "age_at_report"
    r = client.post(f"{API}/reports", headers=head, json=report(
        received_date="\u0662\u0660\u0662\u0665-\u0660\u0663-\u0661\u0664", source_ref="U-3"))
    assert r.status_code == 422


def test_unicode_digits_on_the_command_line_are_refused(tmp_path):
    runner = CliRunner()
    done = runner.invoke(cli.app, ["simulate", "--years", "\u0662\u0660\u0662\u0664",
                                   "--out", str(tmp_path / "s")])
    assert done.exit_code == 2 and "give a year" in done.output
    from zicht.monitor.chain import ChainError, read_chain_csv

    path = tmp_path / "chain.csv"
    path.write_text("year,area,measure,value,development_line,source\n"
                    "\u0662\u0660\u0662\u0664,NL,cases,3,,x\n", encoding="utf-8")
    with pytest.raises(ChainError, match="not a year"):
        read_chain_csv(path)


def test_unicode_digits_in_an_import_are_row_errors(world):
    reg = world.registry
    body = csv_bytes("received_date,given_name,age_at_report", "2025-03-01,Ana,\u0663\u0660")
    with pytest.raises(ValidationFailed) as exc:
        reg.import_file(world.actor("rep_a"), body, "a.csv", lang="en")
    assert [(row, e.field, e.code) for row, e in exc.value.errors] == [
        (1, "age_at_report", "integer")]
    with reg.sessions() as s:
        assert s.scalar(select(func.count(Report.id))) == 0


def test_import_reader_reads_in_chunks():
    """The reader never holds more than one chunk (a generator over the file)."""
    from zicht.registry.tables import ImportLimits, TableReader

    rows = "\n".join(f"R-{i},2025-03-01,Ana" for i in range(1, 2501))
    reader = TableReader(("source_ref,received_date,given_name\n" + rows).encode(), "a.csv",
                         limits=ImportLimits(chunk_rows=1000))
    sizes = [len(c) for c in reader.chunks()]
    assert sizes == [1000, 1000, 500] and reader.rows == 2500
