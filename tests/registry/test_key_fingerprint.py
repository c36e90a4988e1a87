"""The key fingerprint guard (issue 20, bug 2): a registry's export is labelled with the
fingerprint of the key its tokens were made with (stored with each report), not with whatever
key is configured when the export runs; intake refuses another key; linkage then refuses an
export made under a key other than its own.

Before: following the README, a user set a fresh ``ZICHT_PSEUDONYM_KEY`` after registering
under ``zicht.key``; the export was labelled with the new key's fingerprint and ``zicht link``
accepted it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from tests.registry.conftest import report
from zicht.linkage.inputs import LinkageInputError, load_reports
from zicht.registry.service import KeyMismatch, Registry
from zicht.registry.settings import Settings
from zicht.tokens import Pseudonymiser

ZICHT = str(Path(sys.executable).with_name("zicht"))
OTHER = "5c" * 32


def fingerprint_of(path: Path) -> str:
    return pq.read_schema(path).metadata[b"zicht.key_fingerprint"].decode()


def reopened(registry: Registry, monkeypatch, key: str) -> Registry:
    """The same database opened by a process whose configured key is ``key``."""
    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", key)
    return Registry(Settings.from_env(database_url=registry.settings.database_url))


def stored_fingerprints(registry: Registry) -> list:
    with registry.engine.connect() as c:
        return c.execute(text("SELECT DISTINCT key_fingerprint FROM reports")).scalars().all()


def test_reports_carry_the_key_they_were_made_with(world, tmp_path, monkeypatch):
    reg = world.registry
    made_with = reg.pseudonymiser.fingerprint
    reg.submit(world.actor("rep_a"), [report(source_ref="K-1")])
    assert stored_fingerprints(reg) == [made_with]
    other = reopened(reg, monkeypatch, OTHER)
    try:
        path = other.export(world.actor("analyst"), tmp_path / "export")
        # labelled with the key that made the tokens, not the one configured now
        assert fingerprint_of(path) == made_with
        assert other.pseudonymiser.fingerprint != made_with
        # and linkage under the other key refuses it
        with pytest.raises(LinkageInputError, match="fingerprint"):
            load_reports(path, Pseudonymiser(bytes.fromhex(OTHER)))
        # under the registry's own key it is accepted
        assert len(load_reports(path, reg.pseudonymiser).frame) == 1
    finally:
        other.dispose()


def test_intake_refuses_another_key_and_writes_nothing(world, monkeypatch):
    reg = world.registry
    reg.submit(world.actor("rep_a"), [report(source_ref="K-1")])
    other = reopened(reg, monkeypatch, OTHER)
    try:
        with pytest.raises(KeyMismatch) as refused:
            other.submit(world.actor("rep_a"), [report(source_ref="K-2")])
        assert reg.pseudonymiser.fingerprint in str(refused.value)
        assert refused.value.status == 503
        with reg.engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM reports")).scalar() == 1
    finally:
        other.dispose()


def test_a_registry_of_two_keys_is_not_exported(world, tmp_path):
    reg = world.registry
    reg.submit(world.actor("rep_a"), [report(source_ref="K-1"),
                                       report(source_ref="K-2", given_name="Anna")])
    with reg.engine.begin() as c:  # as if a key had been swapped before the guard existed
        c.execute(text("UPDATE reports SET key_fingerprint = '0123456789abcdef' "
                       "WHERE source_ref = 'K-2'"))
    with pytest.raises(KeyMismatch, match="2 keys"):
        reg.export(world.actor("analyst"), tmp_path / "export")
    assert not (tmp_path / "export" / "reports.parquet").exists()


def test_reports_from_before_the_fingerprint_count_as_the_configured_key(world, tmp_path):
    reg = world.registry
    reg.submit(world.actor("rep_a"), [report(source_ref="K-1")])
    with reg.engine.begin() as c:  # stored before revision 0004
        c.execute(text("UPDATE reports SET key_fingerprint = NULL"))
    path = reg.export(world.actor("analyst"), tmp_path / "export")
    assert fingerprint_of(path) == reg.pseudonymiser.fingerprint
    reg.submit(world.actor("rep_a"), [report(source_ref="K-2", given_name="Anna")])
    assert set(stored_fingerprints(reg)) == {None, reg.pseudonymiser.fingerprint}


def test_the_readme_sequence_is_refused_at_linkage(tmp_path):
    """The README's commands: reports imported under the embedded default's key file, then a
    fresh ZICHT_PSEUDONYM_KEY exported for linkage: the export says which key made it, and
    `zicht link` under the fresh key refuses it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("ZICHT_PSEUDONYM_KEY", "ZICHT_PSEUDONYM_KEY_FILE", "ZICHT_DATABASE_URL")}

    def zicht(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([ZICHT, *args], cwd=tmp_path, env={**env, **extra},
                              capture_output=True, text=True, timeout=300)

    assert zicht("simulate", "--years", "2024", "--victims", "300", "--out", "sim/") \
        .returncode == 0
    imported = zicht("import", "sim/reports.csv", "--create-orgs")
    assert imported.returncode == 0, imported.stderr
    registry_key = Pseudonymiser(bytes.fromhex((tmp_path / "zicht.key").read_text().strip()))
    exported = zicht("export", "--out", "export/", ZICHT_PSEUDONYM_KEY=OTHER)
    assert exported.returncode == 0, exported.stderr
    assert fingerprint_of(tmp_path / "export" / "reports.parquet") == registry_key.fingerprint
    linked = zicht("link", "export/", "--out", "linked/", ZICHT_PSEUDONYM_KEY=OTHER)
    assert linked.returncode != 0
    assert registry_key.fingerprint in linked.stderr + linked.stdout
    assert not (tmp_path / "linked" / "summary.json").exists()
    # with the registry's key file, as the README now says, it links
    linked = zicht("link", "export/", "--out", "linked/",
                   ZICHT_PSEUDONYM_KEY_FILE=str(tmp_path / "zicht.key"))
    assert linked.returncode == 0, linked.stderr
