"""The audit log: every operation leaves an entry naming actor, role and source; the hash chain
verifies, and changing, removing or truncating entries (after bypassing the append-only
triggers, as someone with the database's owner rights could) is detected, by the service and by
``zicht audit verify``.  Also: retention purge and login lockout are audited.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from zicht import cli
from zicht.registry import audit, security
from zicht.registry.audit import Actor, Event
from zicht.registry.models import AuditEntry, Report, User
from zicht.registry.service import AccessDenied, Unauthenticated, operator
from zicht.web.app import create_app

from .conftest import PASSWORD, report

API = "/api/v1"
AUDITOR = Actor("auditor", "auditor", source="test")
FAR_FUTURE = dt.date(2100, 1, 1)




def last_seq(registry) -> int:
    with registry.sessions() as s:
        return s.scalar(select(func.max(AuditEntry.seq))) or 0


def entries(registry, after: int = 0) -> list[dict]:
    t = AuditEntry.__table__
    with registry.sessions() as s:
        rows = s.execute(select(t).where(t.c.seq > after).order_by(t.c.seq)).mappings().all()
    return [{**r, "detail": json.loads(r["detail"])} for r in rows]


class Recorder:
    """Runs an operation and returns the audit entries it wrote."""

    def __init__(self, registry):
        self.registry = registry

    def __call__(self, fn, *args, **kwargs) -> list[dict]:
        before = last_seq(self.registry)
        fn(*args, **kwargs)
        return entries(self.registry, before)


def one(new: list[dict], action: str, object_type: str | None = None, **expected) -> dict:
    found = [e for e in new if e["action"] == action
             and (object_type is None or e["object_type"] == object_type)]
    assert len(found) == 1, (action, object_type, new)
    entry = found[0]
    for key, value in expected.items():
        assert entry[key] == value, (key, entry)
    return entry


def assert_status(response, status: int) -> None:
    assert response.status_code == status, response.text


def raises(exc, fn, *args):
    with pytest.raises(exc):
        fn(*args)


# -- every operation ------------------------------------------------------------------------------
def test_every_operation_is_audited(world):
    reg = world.registry
    app = create_app(reg)
    http = {who: TestClient(app, raise_server_exceptions=False,
                            headers={"Authorization": f"Bearer {token}"})
            for who, token in world.tokens.items()}
    rec = Recorder(reg)
    rep_a = {"actor": "rep_a", "role": "reporter", "organisation": "ORG-A"}
    via_api = {"source": "testclient"}

    # logging in, and failing to
    new = rec(reg.login, "rep_a", PASSWORD, "198.51.100.7")
    one(new, "login", "user", object_id="rep_a", source="198.51.100.7", **rep_a)
    new = rec(raises, Unauthenticated, reg.login, "analyst", "not-the-password", "198.51.100.8")
    e = one(new, "login_failed", "user", actor="anonymous", role="none",
            object_id="analyst", source="198.51.100.8")
    assert e["detail"] == {"reason": "password"}
    # a name that is no account's is kept only as a keyed digest (it may be a password typed
    # into the wrong field)
    new = rec(raises, Unauthenticated, reg.login, "nobody", PASSWORD, "198.51.100.9")
    e = one(new, "login_failed", "user", actor="anonymous", role="none", object_id=None,
            source="198.51.100.9")
    assert e["detail"] == {"reason": "unknown or inactive user",
                           "username_digest": reg.digests.hex("nobody")}
    assert "nobody" not in str(e)

    # intake, reading
    created = []
    new = rec(lambda: created.append(http["rep_a"].post(f"{API}/reports",
                                                        json=report(source_ref="AU-1"))))
    assert created[0].status_code == 201
    rid = created[0].json()["reports"][0]["id"]
    e = one(new, "create", "report", object_id=rid, **rep_a, **via_api)
    assert e["detail"] == {"channel": "api", "organisation": "ORG-A"}
    new = rec(http["rep_a"].post, f"{API}/reports", json=report(source_ref="AU-1"))
    one(new, "submit_existing", "report", **rep_a, **via_api)
    new = rec(http["rep_a"].post, f"{API}/reports", json=report(sex="Q"))
    assert one(new, "submit_rejected", "report", **rep_a)["detail"]["reason"] == "ValidationFailed"
    new = rec(http["rep_a"].get, f"{API}/reports", params={"organisation": "ORG-A"})
    e = one(new, "read", "report", object_id=None, **rep_a, **via_api)
    assert e["detail"]["ids"] == [rid] and e["detail"]["filter"]["organisation"] == "ORG-A"
    new = rec(http["rep_a"].get, f"{API}/reports/{rid}")
    one(new, "read", "report", object_id=rid, **rep_a, **via_api)
    missing = str(uuid.uuid4())
    new = rec(http["rep_a"].get, f"{API}/reports/{missing}")
    one(new, "read_missing", "report", object_id=missing, **rep_a, **via_api)

    upload = b"source_ref,received_date,given_name\nAU-2,2025-03-01,Eva\nAU-3,2025-03-02,Ilse\n"
    new = rec(http["rep_a"].post, f"{API}/imports", files={"file": ("two.csv", upload)})
    e = one(new, "import", "file", **rep_a, **via_api)
    # the file name is not kept (a reporter could name a file after a victim)
    assert (e["detail"]["format"], e["detail"]["rows"], e["detail"]["created"]) == (
        ".csv", 2, 2)
    assert "two" not in str(e["detail"])
    assert len([x for x in new if x["action"] == "create"]) == 2
    assert {x["detail"].get("import") for x in new if x["action"] == "create"} == {e["object_id"]}

    new = rec(http["analyst"].get, f"{API}/export")
    e = one(new, "export", "report", actor="analyst", role="analyst", organisation=None,
            **via_api)
    assert e["detail"] == {"rows": 3}

    # administration
    admin = {"actor": "admin", "role": "admin", **via_api}
    new = rec(lambda: assert_status(http["admin"].post(
        f"{API}/organisations", json={"code": "ORG-C", "name": "C", "category": "OPV"}), 201))
    one(new, "create", "organisation", object_id="ORG-C", **admin)
    new = rec(http["admin"].post, f"{API}/users",
              json={"username": "sys_c", "role": "reporter", "organisation": "ORG-C"})
    one(new, "create", "user", object_id="sys_c", **admin)
    made = []
    new = rec(lambda: made.append(http["admin"].post(f"{API}/tokens",
                                                     json={"username": "sys_c", "name": "c"})))
    token_id = made[0].json()["id"]
    one(new, "create", "api_token", object_id=token_id, **admin)
    new = rec(http["admin"].delete, f"{API}/tokens/{token_id}")
    one(new, "revoke", "api_token", object_id=token_id, **admin)
    new = rec(http["admin"].get, f"{API}/users")
    one(new, "list", "user", **admin)

    # a refused credential, the audit log itself
    new = rec(TestClient(app).get, f"{API}/me", headers={"Authorization": "Bearer zt_nope"})
    one(new, "auth_failed", "api_token", actor="anonymous", role="none", **via_api)
    new = rec(http["auditor"].get, f"{API}/audit")
    one(new, "read", "audit_log", actor="auditor", role="auditor", **via_api)
    new = rec(http["auditor"].get, f"{API}/audit/verify")
    e = one(new, "verify", "audit_log", actor="auditor", role="auditor", **via_api)
    assert e["detail"]["ok"] is True

    # the same through a browser session
    secret, csrf, _ = reg.login("rep_a", PASSWORD, "198.51.100.7")
    browser = TestClient(app)
    browser.cookies.set("zicht_session", secret)
    new = rec(browser.post, f"{API}/reports", json=report(source_ref="AU-4"),
              headers={"X-CSRF-Token": csrf})
    one(new, "create", "report", **rep_a, **via_api)

    log = entries(reg)
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert all(e["actor"] and e["role"] and e["ts"] for e in log)
    dump = json.dumps(log, default=str)
    for secret_value in [*world.tokens.values(), made[0].json()["token"], secret, csrf, PASSWORD]:
        assert secret_value not in dump  # credentials never reach the log
    assert "Maria" not in dump and "Janssen" not in dump

    # the auditor reads it newest first, with the detail as an object
    listed = http["auditor"].get(f"{API}/audit", params={"limit": 5}).json()
    assert [e["seq"] for e in listed] == list(range(len(log), len(log) - 5, -1))
    assert isinstance(listed[0]["detail"], dict)
    login_failed = http["auditor"].get(f"{API}/audit", params={"action": "login_failed"}).json()
    assert {e["object_id"] for e in login_failed} == {"analyst", None}

    result = reg.verify_audit(world.actor("auditor"))
    assert result.ok, result.problems
    assert result.entries == result.head_seq == last_seq(reg) - 1  # verify's own entry after
    with pytest.raises(AccessDenied):
        reg.verify_audit(world.actor("admin"))


# -- tampering ------------------------------------------------------------------------------------
def bypass_append_only(registry) -> None:
    """What someone with the database's owner rights could do."""
    with registry.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")


def execute(registry, sql: str, **params) -> None:
    with registry.engine.begin() as conn:
        conn.execute(text(sql), params)


def six_entries(registry) -> None:
    op = operator("test")
    for i in range(1, 7):
        registry.record(op, Event("note", "test", str(i), {"n": i}))


def change_detail(registry, seq: int) -> None:
    execute(registry, "UPDATE audit_log SET detail = :d WHERE seq = :s", d='{"n":99}', s=seq)


def change_and_rehash(registry, seq: int) -> None:
    [row] = [e for e in entries(registry) if e["seq"] == seq]
    row = {**row, "detail": audit.canonical({"n": 99})}
    execute(registry, "UPDATE audit_log SET detail = :d, hash = :h WHERE seq = :s",
            d=row["detail"], h=audit.entry_hash(row["prev_hash"], row), s=seq)


TAMPERING = {
    "changed": (lambda reg: change_detail(reg, 3),
                ["entry 3: content changed (hash does not match)"]),
    "middle_removed": (lambda reg: execute(reg, "DELETE FROM audit_log WHERE seq = 3"),
                       ["entries 3..3 are missing",
                        "entry 4: link to the previous entry is broken"]),
    "tail_removed": (lambda reg: execute(reg, "DELETE FROM audit_log WHERE seq = 6"),
                     ["the log ends at entry 5 but the head records entry 6: entries at the end "
                      "were removed or the head was changed"]),
    "changed_and_rehashed": (lambda reg: change_and_rehash(reg, 3),
                             ["entry 4: link to the previous entry is broken"]),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_detected(registry, case):
    six_entries(registry)
    with registry.sessions() as s:  # (audit.verify itself writes nothing)
        assert audit.verify(s).ok
    with pytest.raises(DBAPIError, match="append-only"):  # the triggers are in the way first
        execute(registry, "DELETE FROM audit_log WHERE seq = 3")
    bypass_append_only(registry)
    tamper, problems = TAMPERING[case]
    tamper(registry)
    result = registry.verify_audit(AUDITOR)
    assert not result.ok
    assert result.problems == problems
    # the failed verification is itself on the record, chained after the head
    last = entries(registry)[-1]
    assert (last["action"], last["actor"], last["detail"]["ok"]) == ("verify", "auditor", False)


def test_removed_tail_with_rewound_head_needs_a_head_kept_elsewhere(registry):
    six_entries(registry)
    kept = entries(registry)[-1]
    bypass_append_only(registry)
    execute(registry, "DELETE FROM audit_log WHERE seq = 6")
    execute(registry, "UPDATE audit_head SET seq = 5, hash = :h WHERE id = 1",
            h=entries(registry)[-1]["hash"])
    assert registry.verify_audit(AUDITOR).ok  # consistent in itself, as documented
    result = registry.verify_audit(AUDITOR, expect_head=kept["hash"])
    assert not result.ok
    assert result.problems == ["no entry of the log has the expected head's hash"]
    # the log has grown again since (verify's own entries): entry 6 is now another one
    result = registry.verify_audit(AUDITOR, expect_head=f"6:{kept['hash']}")
    assert not result.ok
    assert result.problems[0].startswith("entry 6 is not the expected head")


def rewrite_chain_from(registry, seq: int) -> None:
    """Change entry ``seq`` and re-hash it and every later entry, and the head: what someone
    who can write the whole database can do; only a head kept elsewhere shows it."""
    log = entries(registry)
    prev = log[seq - 2]["hash"] if seq > 1 else audit.GENESIS
    for row in log[seq - 1:]:
        row = {**row, "prev_hash": prev}
        if row["seq"] == seq:
            row["detail"] = audit.canonical({"n": 99})
        else:
            row["detail"] = audit.canonical(row["detail"])
        prev = audit.entry_hash(prev, row)
        execute(registry, "UPDATE audit_log SET detail = :d, prev_hash = :p, hash = :h "
                          "WHERE seq = :s", d=row["detail"], p=row["prev_hash"], h=prev,
                s=row["seq"])
    execute(registry, "UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1",
            s=log[-1]["seq"], h=prev)


def test_a_head_kept_elsewhere_holds_while_the_log_grows(registry):
    six_entries(registry)
    kept = entries(registry)[-1]
    head = f"{kept['seq']}:{kept['hash']}"
    for i in range(3):  # the log grows, by verify's own entries among others
        result = registry.verify_audit(AUDITOR, expect_head=head)
        assert result.ok, result.problems
        assert (result.expected, result.after_expected) == (head, i)
    registry.record(operator("test"), Event("note", "test", "7"))
    result = registry.verify_audit(AUDITOR, expect_head=kept["hash"])  # the hash alone
    assert result.ok and result.after_expected == 4


@pytest.mark.parametrize("cut", [False, True])
def test_a_head_kept_elsewhere_catches_a_rewritten_chain(registry, cut):
    six_entries(registry)
    kept = entries(registry)[-1]
    registry.record(operator("test"), Event("note", "test", "7"))
    bypass_append_only(registry)
    if cut:  # the tail cut and written again: as long a log as before, other entries
        execute(registry, "DELETE FROM audit_log WHERE seq >= 4")
        execute(registry, "UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1",
                h=entries(registry)[-1]["hash"])
        for i in range(4):
            registry.record(operator("test"), Event("note", "test", f"again {i}"))
    else:
        rewrite_chain_from(registry, 2)
    assert registry.verify_audit(AUDITOR).ok  # consistent in itself
    result = registry.verify_audit(AUDITOR, expect_head=f"6:{kept['hash']}")
    assert not result.ok
    assert result.problems == [result.problems[0]] and result.problems[0].startswith(
        "entry 6 is not the expected head")


def test_cli_expect_head_on_a_grown_log(registry):
    six_entries(registry)
    head = run_cli(registry, "audit", "head")
    assert head.exit_code == 0, head.output
    kept = head.stdout.strip()
    for _ in range(2):
        grown = run_cli(registry, "audit", "verify", "--expect-head", kept)
        assert grown.exit_code == 0, grown.output
    assert "expected head 6 found in the chain; 1 later entry" in grown.stdout
    bad = run_cli(registry, "audit", "verify", "--expect-head", "6:nothex")
    assert bad.exit_code == 2
    bypass_append_only(registry)
    rewrite_chain_from(registry, 5)
    caught = run_cli(registry, "audit", "verify", "--expect-head", kept)
    assert caught.exit_code == 3
    assert "entry 6 is not the expected head" in caught.output


def run_cli(registry, *args: str):
    return CliRunner().invoke(cli.app, list(args), env={
        "ZICHT_DATABASE_URL": registry.settings.database_url, "COLUMNS": "200"})


def test_cli_audit_verify_exit_codes(registry):
    six_entries(registry)
    intact = run_cli(registry, "audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "audit log intact" in intact.output

    bypass_append_only(registry)
    change_detail(registry, 2)
    tampered = run_cli(registry, "audit", "verify")
    assert tampered.exit_code == 3, tampered.output
    output = tampered.output + (tampered.stderr if tampered.stderr_bytes is not None else "")
    assert "entry 2: content changed" in output
    assert "NOT intact" in output
    # the command line's verifications are audited as the operator
    runs = [e for e in entries(registry) if e["action"] == "verify"]
    assert [e["detail"]["ok"] for e in runs] == [True, False]
    assert {e["role"] for e in runs} == {"operator"}
    assert all(e["actor"].startswith("cli:") for e in runs)


# -- retention, lockout ----------------------------------------------------------------------------
def test_purge_deletes_old_reports_and_is_audited(world):
    reg = world.registry
    reg.submit(world.actor("rep_a"), [report(source_ref=f"P-{i}", given_name=f"N{i}")
                                      for i in range(3)])
    reg.submit(world.actor("rep_b"), [report(source_ref="P-b")])
    admin = world.actor("admin")
    for who in ("rep_a", "analyst", "auditor"):
        with pytest.raises(AccessDenied):
            reg.purge(world.actor(who), today=FAR_FUTURE)

    def n_reports():
        with reg.sessions() as s:
            return s.scalar(select(func.count(Report.id)))

    recent = reg.purge(admin, today=dt.date(2025, 6, 1))
    assert (recent["matched"], recent["deleted"]) == (0, 0)
    dry = reg.purge(admin, today=FAR_FUTURE, dry_run=True)
    assert (dry["matched"], dry["deleted"], n_reports()) == (4, 0, 4)

    before = last_seq(reg)
    done = reg.purge(admin, today=FAR_FUTURE)
    assert (done["matched"], done["deleted"], n_reports()) == (4, 4, 0)
    e = one(entries(reg, before), "purge", "report", actor="admin", role="admin")
    assert e["detail"]["count"] == 4 and len(e["detail"]["ids"]) == 4
    assert e["detail"]["cutoff"] == done["cutoff"]
    assert e["detail"]["retention_days"] == reg.settings.retention_days
    actions = [x["action"] for x in entries(reg)]
    assert (actions.count("purge_dry_run"), actions.count("purge")) == (1, 2)

    again = reg.purge(operator("test"), today=FAR_FUTURE)  # the command line's operator may too
    assert again["deleted"] == 0
    result = reg.verify_audit(world.actor("auditor"))
    assert result.ok, result.problems


def test_five_wrong_passwords_lock_the_account(world, monkeypatch):
    reg = world.registry
    before = last_seq(reg)
    messages = []
    for i in range(5):
        with pytest.raises(Unauthenticated) as exc:
            reg.login("rep_a", f"Wrong-Password-{i}", "203.0.113.9")
        messages.append(str(exc.value))
    verified = []
    real_verify = security.verify_password
    monkeypatch.setattr(security, "verify_password",
                        lambda *a: verified.append(a) or real_verify(*a))
    with pytest.raises(Unauthenticated) as exc:  # the right password, too late
        reg.login("rep_a", PASSWORD, "203.0.113.9")
    messages.append(str(exc.value))
    assert len(set(messages)) == 1  # the refusal does not tell a locked account apart
    assert len(verified) == 1  # and takes a password hash's time, like any other refusal
    monkeypatch.setattr(security, "verify_password", real_verify)

    # five failures from one address in a minute are audited one by one, the sixth counted
    # into a summary (written when the minute is over; flushed here)
    reg.failures.flush(everything=True)
    new = entries(reg, before)
    assert [e["action"] for e in new] == ["login_failed"] * 5 + ["auth_failed_summary"]
    assert [e["detail"]["reason"] for e in new[:5]] == ["password"] * 5
    assert {(e["actor"], e["role"], e["object_id"], e["source"]) for e in new[:5]} == {
        ("anonymous", "none", "rep_a", "203.0.113.9")}
    assert new[5]["detail"]["reasons"] == {"locked": 1}
    assert new[5]["detail"]["objects"] == ["rep_a"]
    with pytest.raises(Unauthenticated):  # still locked
        reg.login("rep_a", PASSWORD, "203.0.113.9")
    reg.login("analyst", PASSWORD, "203.0.113.9")  # other accounts are not affected

    # when the lock has run out, the right password works and the count starts again
    with reg.sessions.begin() as s:
        s.execute(update(User).where(User.username == "rep_a").values(
            locked_until=dt.datetime(2000, 1, 1)))
    reg.login("rep_a", PASSWORD, "203.0.113.9")
    assert entries(reg)[-1]["action"] == "login"
    for i in range(4):
        with pytest.raises(Unauthenticated):
            reg.login("rep_a", f"Wrong-Password-{i}", "203.0.113.9")
    reg.login("rep_a", PASSWORD, "203.0.113.9")
    assert reg.verify_audit(world.actor("auditor")).ok
