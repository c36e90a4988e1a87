"""Privacy: simulated reports with known names and birth dates go in through a real server
process (file upload over HTTP, then single reports and a batch); afterwards no name and no
birth date appears in the database (the SQLite file with its WAL, or a pg_dump of the
PostgreSQL database), in the server's log, or in the export."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from .conftest import KEY

ZICHT = str(Path(sys.executable).with_name("zicht"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env, *args, stdin: str | None = None) -> str:
    done = subprocess.run([ZICHT, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": KEY}
    _run(env, "simulate", "--scenario", "nl-baseline", "--years", "2024", "--seed", "11",
         "--victims", "1500", "--out", str(out), "--formats", "csv")
    return pd.read_csv(out / "reports.csv", dtype=str, keep_default_na=False)


def _secrets(frame: pd.DataFrame) -> set[str]:
    """Every name (each word of 4+ letters) and birth date in the file, as given and in
    lower case.

    Lower-case forms count only where they cannot be something else: not hex (tokens are
    lower-case hex) and not inside a code or value of the report's other columns (a surname
    "Ping" is in the sector "shipping")."""
    dates = set(frame.birth_date) - {""} - set(frame.received_date)
    other = frame.drop(columns=["given_name", "surname_prefix", "surname", "birth_date"])
    vocabulary = " ".join([*other.columns, *pd.unique(other.values.ravel())]).lower()
    out = set(dates)
    for col in ("given_name", "surname"):
        for value in frame[col]:
            for w in re.findall(r"[^\W\d_]{4,}", value):
                out.add(w)
                low = w.lower()
                if re.search(r"[^a-f]", low) and low not in vocabulary:
                    out.add(low)
    return out


WORD = re.compile(r"[^\W\d_]{4,}|\d{4}-\d{2}-\d{2}")


def _leaks(blob: bytes, secrets: set[str]) -> list[str]:
    """Secrets found in a blob as whole words or dates (one pass over the blob)."""
    text = blob.decode("utf-8", errors="replace")
    words = set(WORD.findall(text))
    words |= {w.lower() for w in words}
    return sorted(words & secrets)


@pytest.mark.slow  # a real server, its log and the export searched
def test_no_name_or_birth_date_anywhere(database_url, simulated, tmp_path):
    env = {**os.environ, "ZICHT_DATABASE_URL": database_url, "ZICHT_PSEUDONYM_KEY": KEY}
    frame = simulated
    _run(env, "orgs", "add", "NGO", "--category", "NGO")
    _run(env, "users", "add", "ngo-system", "--role", "reporter", "--org", "NGO",
         "--no-password")
    _run(env, "users", "add", "analist", "--role", "analyst", "--no-password")
    token = _run(env, "tokens", "add", "ngo-system").strip()
    analyst = _run(env, "tokens", "add", "analist").strip()

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as fh:
        server = subprocess.Popen([ZICHT, "serve", "--port", str(port), "--log-level", "debug"],
                                  env=env, stdout=fh, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.1)
        ngo = frame[frame.organisation == "NGO"]
        head = {"Authorization": f"Bearer {token}"}
        csv_bytes = ngo.iloc[20:].to_csv(index=False).encode()
        r = httpx.post(f"{base}/api/v1/imports", headers=head, timeout=60,
                       files={"file": ("ngo.csv", csv_bytes, "text/csv")})
        assert r.status_code == 201, r.text
        for rec in ngo.iloc[:10].to_dict("records"):
            r = httpx.post(f"{base}/api/v1/reports", headers=head, timeout=10,
                           json={k: v for k, v in rec.items() if v != ""})
            assert r.status_code == 201, r.text
        batch = [{k: v for k, v in rec.items() if v != ""}
                 for rec in ngo.iloc[10:20].to_dict("records")]
        r = httpx.post(f"{base}/api/v1/reports/batch", headers=head, timeout=10,
                       json={"reports": batch})
        assert r.status_code == 201, r.text
        # a rejected record with a name in it must not leak through the error path either
        bad = {**batch[0], "source_ref": "X-BAD", "sex": "?"}
        r = httpx.post(f"{base}/api/v1/reports", headers=head, json=bad, timeout=10)
        assert r.status_code == 422
        listed = httpx.get(f"{base}/api/v1/reports?limit=1000", timeout=10,
                           headers={"Authorization": f"Bearer {analyst}"})
        assert listed.json()["total"] == len(ngo)
        exported = httpx.get(f"{base}/api/v1/export", timeout=30,
                             headers={"Authorization": f"Bearer {analyst}"}).content
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    _run(env, "export", "--out", str(tmp_path / "export"))

    patterns = _secrets(ngo)
    assert len(patterns) > 200  # the check has something to find
    # the patterns do find the clear values where they are (the input file itself)
    assert len(_leaks(csv_bytes, patterns)) > 100

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        db = Path(url.database)
        blobs = {p.name: p.read_bytes() for p in db.parent.glob(db.name + "*")}
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump not installed")
        dump = subprocess.run(["pg_dump", "--data-only", "-h", url.host or "127.0.0.1",
                               "-p", str(url.port or 5432), "-U", url.username or "postgres",
                               url.database], capture_output=True, timeout=120)
        assert dump.returncode == 0, dump.stderr
        blobs = {"pg_dump": dump.stdout}
    blobs["server.log"] = log.read_bytes()
    blobs["api export"] = exported
    blobs["zicht export"] = (tmp_path / "export" / "reports.parquet").read_bytes()
    blobs["api responses"] = json.dumps(listed.json()).encode()
    assert sum(len(b) for b in blobs.values()) > 100_000
    found = {name: _leaks(blob, patterns) for name, blob in blobs.items()}
    assert {k: v for k, v in found.items() if v} == {}
