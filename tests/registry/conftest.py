"""Fixtures for the registry tests: every test that takes ``registry`` runs on SQLite (a
fresh file) and on PostgreSQL (a fresh database cloned from a migrated template on the server
named by ZICHT_TEST_PG_URL; skipped when that variable is not set, never in CI).

``world`` builds a small registry with two organisations and a user of every role, each with
an API token, plus a logged-in browser session per role.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings

KEY = "a3" * 32  # a test pseudonymisation key (hex, 32 bytes)
PASSWORD = "Correct-Horse-9-Battery"
PG_ENV = "ZICHT_TEST_PG_URL"
_TEMPLATE = {}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """argon2 at its production cost takes ~0.2 s a hash and ``world`` makes five; what these
    tests check does not depend on the cost (servers started as processes keep it)."""
    from argon2 import PasswordHasher

    from zicht.registry import security

    monkeypatch.setattr(security, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch):
    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("ZICHT_PSEUDONYM_KEY_FILE", raising=False)


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False)


def _pg_template(admin_url: str) -> str:
    """A migrated template database (made once per worker process)."""
    if "name" in _TEMPLATE:
        return _TEMPLATE["name"]
    name = f"zicht_tpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    reg = Registry(Settings.from_env(database_url=make_url(admin_url).set(
        database=name).render_as_string(hide_password=False)))
    reg.upgrade()
    reg.dispose()
    _TEMPLATE["name"] = name
    return name


def _drop(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _pg_cleanup():
    yield
    admin_url = _pg_admin_url()
    if admin_url and "name" in _TEMPLATE:
        _drop(admin_url, _TEMPLATE.pop("name"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request, tmp_path):
    """A fresh, migrated database; yields its URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'zicht.db'}"
        return
    admin_url = _pg_admin_url()
    if admin_url is None:
        pytest.skip(f"{PG_ENV} not set (CI sets it)")
    template = _pg_template(admin_url)
    name = f"zicht_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _drop(admin_url, name)


@pytest.fixture
def registry(database_url):
    reg = Registry(Settings.from_env(database_url=database_url))
    reg.upgrade()
    yield reg
    reg.dispose()


@dataclass
class World:
    registry: Registry
    tokens: dict[str, str] = field(default_factory=dict)  # user name -> API token
    users: dict[str, dict] = field(default_factory=dict)

    def actor(self, username: str):
        return self.registry.token_actor(self.tokens[username], "test")


# user name -> (role, organisation)
PEOPLE = {
    "rep_a": ("reporter", "ORG-A"),
    "rep_b": ("reporter", "ORG-B"),
    "analyst": ("analyst", None),
    "admin": ("admin", None),
    "auditor": ("auditor", None),
}


@pytest.fixture
def world(registry) -> World:
    op = operator("test")
    registry.add_organisation(op, "ORG-A", "Zorgcoördinatie A", "ZC")
    registry.add_organisation(op, "ORG-B", "Politie-eenheid B", "POL")
    w = World(registry)
    for name, (role, org) in PEOPLE.items():
        w.users[name] = registry.add_user(op, name, role, PASSWORD, org)
        w.tokens[name] = registry.add_token(op, name, f"test {secrets.token_hex(2)}")["token"]
    return w


def report(**overrides) -> dict:
    """A valid report in the import format (with clear identifiers, as a reporter sends)."""
    base = {"received_date": "2025-03-14", "reference_year": 2025, "sex": "F",
            "given_name": "Maria", "surname": "Janssen", "birth_date": "1994-05-17",
            "nationality": "NLD", "exploitation_forms": "SEX", "nr_group": "domestic_sexual",
            "place_of_exploitation": "GM0363", "age_at_report": 30}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@dataclass
class PublicSite:
    """The app on a registry with a user of every role (``PEOPLE``), the sample publication and
    its annual reports: for the public pages, which do not depend on the database, once per
    test module on SQLite."""

    app: object
    folder: object

    def client(self, user: str | None = None, lang: str | None = None):
        """A TestClient (no redirects followed), logged in as ``user`` when given."""
        import re

        from fastapi.testclient import TestClient

        client = TestClient(self.app, follow_redirects=False)
        if user:
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get("/login").text)[1]
            client.post("/login", data={"username": user, "password": PASSWORD,
                                        "csrf_token": token})
        if lang:
            client.cookies.set("zicht_lang", lang)
        return client


STYLE = "body { font-family: serif; }"  # the stylesheet of public_site's Dutch HTML report


@pytest.fixture(scope="module")
def public_site(tmp_path_factory):
    from argon2 import PasswordHasher

    from tests.monitor.sample import sample_publication
    from zicht.registry import security
    from zicht.web.app import create_app

    mp = pytest.MonkeyPatch()
    mp.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    mp.delenv("ZICHT_PSEUDONYM_KEY_FILE", raising=False)
    mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    folder = tmp_path_factory.mktemp("public")
    registry = Registry(Settings.from_env(database_url=f"sqlite:///{folder / 'zicht.db'}"))
    registry.upgrade()
    op = operator("test")
    registry.add_organisation(op, "ORG-A", "Zorgcoördinatie A", "ZC")
    registry.add_organisation(op, "ORG-B", "Politie-eenheid B", "POL")
    for name, (role, org) in PEOPLE.items():
        registry.add_user(op, name, role, PASSWORD, org)
    reports = folder / "reports"
    reports.mkdir()
    (reports / "jaarrapport-2024.html").write_text(
        f"<!DOCTYPE html><html lang=nl><style>{STYLE}</style><p>rapport</p></html>")
    (reports / "annual-report-2024.html").write_text("<p>report</p>")
    (reports / "jaarrapport-2024.pdf").write_bytes(b"%PDF-1.7 test")
    (reports / "jaarrapport-2023.pdf").write_bytes(b"%PDF-1.7 older")
    (reports / "notes.txt").write_text("not a report")
    (folder / "secret.html").write_text("outside the folder")
    app = create_app(registry)
    app.state.publication_path = str(sample_publication(folder / "publication.json"))
    app.state.reports_path = str(reports)
    yield PublicSite(app, folder)
    registry.dispose()
    mp.undo()
