"""Durability: a report the API acknowledged (201) survives the server being killed.

On SQLite and PostgreSQL: the command line sets up an organisation, an API-only reporter and
its token; ``zicht serve`` runs as a real process in a process group of its own (one uvicorn
worker, or ZICHT_TEST_SERVE_WORKERS); eight clients post reports with unique source
references until the whole group is killed with SIGKILL.  After a restart every acknowledged
reference must be there, and what is stored must be complete: every report row has its
required columns and tokens, exactly one audit entry ``create``/``report`` with its id, and
the audit chain verifies.  Reports that committed just before the kill but whose response was
lost may be stored too (stored is a superset of acknowledged, a subset of what was sent, and
exceeds acknowledged by at most one request in flight per client).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from zicht.registry.audit import Actor
from zicht.registry.models import AuditEntry, Organisation, Report
from zicht.registry.pseudonymise import TOKEN_FIELDS
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings

ZICHT = Path(sys.executable).with_name("zicht")  # the console script of this environment
CLIENTS = 8
LOAD_SECONDS = 1.5
# one worker by default: each extra one re-imports the command line (seconds on a busy machine)
WORKERS = int(os.environ.get("ZICHT_TEST_SERVE_WORKERS", "1"))
START_TIMEOUT = 60.0  # generous: CI machines are often busy
ORG = "ORG-D"

pytestmark = pytest.mark.skipif(not ZICHT.exists(), reason=f"{ZICHT} is not installed")


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)  # carries ZICHT_PSEUDONYM_KEY (set by the autouse fixture)
    env["ZICHT_DATABASE_URL"] = database_url
    env.pop("ZICHT_PSEUDONYM_KEY_FILE", None)
    return env


def _cli(env: dict, cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(ZICHT), *args], env=env, cwd=cwd, input=stdin, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, f"zicht {' '.join(args)}: {done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``zicht serve`` in a process group of its own (so SIGKILL reaches every worker)."""

    def __init__(self, env: dict, cwd: Path, log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_fh = log.open("ab")
        self.proc = subprocess.Popen(
            [str(ZICHT), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(WORKERS), "--log-level", "warning"],
            env=env, cwd=cwd, stdout=self._log_fh, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"zicht serve exited ({self.proc.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        pytest.fail(f"zicht serve not ready after {START_TIMEOUT} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (idempotent) and reap the main process."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass
        self._log_fh.close()
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 5.0) -> None:
        # the workers are children of the killed main process: wait until none is running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            if not self._group_alive():
                return
            time.sleep(0.05)

    def _group_alive(self) -> bool:
        """Any member of the group that is not a zombie (an unreaped zombie holds nothing)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid and fields[0] != "Z":  # pgrp, state
                return True
        return False

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _report(ref: str, n: int) -> dict:
    return {"source_ref": ref, "received_date": "2025-03-14", "sex": "F",
            "given_name": f"Maria{n % 7}", "surname": "Janssen", "birth_date": "1994-05-07",
            "nationality": "NLD", "exploitation_forms": "SEX"}


class Load:
    """CLIENTS threads posting reports with unique source references until ``stop``."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.stop = threading.Event()
        self.killed = threading.Event()  # set just before the SIGKILL
        self.sent: list[str] = []
        self.acked: list[str] = []  # 201 received
        self.cut_off: list[str] = []  # no answer, after the kill: in flight or refused
        self.unexpected: list[tuple[str, object, str]] = []  # anything else
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                        for i in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def _client(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10,
                          headers={"Authorization": f"Bearer {self.token}"}) as http:
            n = 0
            while not self.stop.is_set():
                ref = f"D{i}-{n}"
                n += 1
                self.sent.append(ref)
                try:
                    r = http.post("/api/v1/reports", json=_report(ref, n))
                except httpx.HTTPError as exc:
                    if self.killed.is_set():
                        self.cut_off.append(ref)
                        time.sleep(0.01)
                    else:
                        self.unexpected.append((ref, "error", repr(exc)))
                    continue
                if r.status_code == 201 and r.json()["reports"][0]["status"] == "created":
                    self.acked.append(ref)
                else:
                    self.unexpected.append((ref, r.status_code, r.text[:200]))

    def join(self) -> bool:
        """Stop the clients; True when every one ended."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)
        return not any(t.is_alive() for t in self.threads)


def _stored_refs_via_api(base: str, token: str) -> list[str]:
    refs: list[str] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as http:
        offset = 0
        while True:
            r = http.get("/api/v1/reports", params={"limit": 1000, "offset": offset})
            assert r.status_code == 200, r.text
            page = r.json()
            refs.extend(item["source_ref"] for item in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return refs


@pytest.mark.slow  # a real server killed under load
def test_acknowledged_reports_survive_sigkill(database_url, tmp_path):
    env = _env(database_url)
    _cli(env, tmp_path, "orgs", "add", ORG, "--category", "ZC")
    _cli(env, tmp_path, "users", "add", "rep_d", "--role", "reporter", "--org", ORG,
         "--no-password")
    reporter_token = _cli(env, tmp_path, "tokens", "add", "rep_d").strip()
    assert reporter_token.startswith("zt_")
    setup = Registry(Settings.from_env(database_url=database_url))
    try:  # readers for the check (the CLI path is covered above)
        for name, role in (("ana_d", "analyst"), ("aud_d", "auditor")):
            setup.add_user(operator("test"), name, role, None)
        analyst_token = setup.add_token(operator("test"), "ana_d", "check")["token"]
        auditor_token = setup.add_token(operator("test"), "aud_d", "check")["token"]
    finally:
        setup.dispose()

    log = tmp_path / "serve.log"
    server = Server(env, tmp_path, log)
    load = None
    try:
        server.wait_ready()
        load = Load(server.base, reporter_token)
        deadline = time.monotonic() + 10
        while len(load.acked) < CLIENTS * 5 and time.monotonic() < deadline:
            time.sleep(0.05)  # some load before the clock starts
        time.sleep(LOAD_SECONDS)
        load.killed.set()
        server.kill()  # mid-load: the requests in flight get no answer
        acked_at_kill = len(load.acked)
        time.sleep(0.2)  # the clients see the dead server for a moment
    finally:
        ended = load.join() if load else True
        server.kill()
    assert ended, "a client thread hung"
    assert not load.unexpected, f"not 201 under load: {load.unexpected[:5]}"
    assert acked_at_kill >= CLIENTS, f"too little load: {acked_at_kill} acknowledged"
    acked, sent = set(load.acked), set(load.sent)
    assert len(acked) == len(load.acked)

    restarted = Server(env, tmp_path, log)  # recovery after the crash, migrations again
    try:
        restarted.wait_ready()
        stored_api = _stored_refs_via_api(restarted.base, analyst_token)
        r = httpx.get(f"{restarted.base}/api/v1/audit/verify", timeout=30,
                      headers={"Authorization": f"Bearer {auditor_token}"})
        assert r.status_code == 200, r.text
        assert r.json()["ok"], r.json()["problems"]
    finally:
        restarted.kill()

    stored = set(stored_api)
    assert len(stored) == len(stored_api), "a source_ref stored twice"
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged reports lost, e.g. {sorted(missing)[:5]}"
    assert stored <= sent, f"reports nobody sent: {sorted(stored - sent)[:5]}"
    # stored = acknowledged + those committed whose answer the kill cut off (at most the one
    # request each client had in flight)
    late = stored - acked
    assert late <= set(load.cut_off), sorted(late - set(load.cut_off))[:5]
    assert len(stored) == len(acked) + len(late) and len(late) <= CLIENTS

    reg = Registry(Settings.from_env(database_url=database_url))
    try:
        with reg.sessions() as s:
            org_id = s.scalar(select(Organisation.id).where(Organisation.code == ORG))
            rows = s.execute(select(Report.__table__)).mappings().all()
            creates = s.execute(select(AuditEntry.object_id, AuditEntry.detail).where(
                AuditEntry.action == "create", AuditEntry.object_type == "report")).all()
        assert {row["source_ref"] for row in rows} == stored
        for row in rows:  # nothing half written
            assert row["organisation_id"] == org_id
            assert row["channel"] == "api" and row["reporter_category"] == "ZC"
            assert str(row["received_date"]) == "2025-03-14"
            assert row["reference_year"] == 2025
            assert row["sex"] == "F" and row["nationality"] == "NLD"
            assert row["exploitation_forms"] == "SEX"
            assert row["created_at"] is not None and row["submitted_by"] is not None
            assert len(row["content_sha256"]) == 64
            assert all(row[name] for name in TOKEN_FIELDS), f"tokens missing: {row['id']}"
        audit_ids = [object_id for object_id, _ in creates]
        assert all(json.loads(detail) == {"channel": "api", "organisation": ORG}
                   for _, detail in creates)
        assert len(audit_ids) == len(set(audit_ids))
        assert set(audit_ids) == {row["id"] for row in rows}, "report and audit entry differ"
        result = reg.verify_audit(Actor("auditor-test", "auditor", source="test"))
        assert result.ok, result.problems
        assert result.entries >= len(rows)
    finally:
        reg.dispose()
