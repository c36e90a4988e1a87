"""Access by role over the JSON API.

The role matrix is checked for every route of ``/api/v1`` (read from the application itself,
so a route added without an entry here fails) and every identity, once with API tokens and
once with browser sessions (cookie + X-CSRF-Token).  Then: one organisation never sees
another's reports, revoked tokens and deactivated users are refused, malformed credentials
give 401.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zicht.registry.models import ApiToken, Organisation, Report, User
from zicht.registry.service import Unauthenticated, operator
from zicht.web.app import create_app

from .conftest import PASSWORD, report

API = "/api/v1"
IDENTITIES = ("anonymous", "rep_a", "analyst", "admin", "auditor")
USERS = IDENTITIES[1:]
EVERYONE = frozenset(USERS)
NOT_IN_MATRIX = {f"{API}/openapi.json", f"{API}/docs"}




# -- the matrix ------------------------------------------------------------------------------------
@dataclass
class Ctx:
    """What the request builders need: the world, a report of ORG-A, unique names."""

    world: object
    own_report: str
    counter: itertools.count = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter)}-{uuid.uuid4().hex[:6]}"


def csv_upload(ctx: Ctx, rows: int = 2) -> dict:
    lines = ["source_ref,received_date,sex,given_name,surname,birth_date,nationality"]
    lines += [f"{ctx.unique('csv')},2025-02-0{i + 1},F,Ana{i},Smit,1990-01-0{i + 1},NLD"
              for i in range(rows)]
    return {"files": {"file": ("reports.csv", "\n".join(lines).encode(), "text/csv")}}


def fresh_token_id(ctx: Ctx) -> str:
    """A live token (of the analyst) to revoke: DELETE is really exercised."""
    return ctx.world.registry.add_token(operator("test"), "analyst", "to revoke")["id"]


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str]  # identities that may call the route ("anonymous" for public)
    status: int  # the status an allowed call gets with the request below
    build: Callable[[Ctx], dict] = lambda ctx: {}  # keyword arguments for request()
    path_args: Callable[[Ctx], dict] = lambda ctx: {}  # values of the path's parameters


MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", f"{API}/me"): Entry(EVERYONE, 200),
    ("POST", f"{API}/reports"): Entry(
        frozenset({"rep_a"}), 201, lambda c: {"json": report(source_ref=c.unique("one"))}),
    ("POST", f"{API}/reports/batch"): Entry(
        frozenset({"rep_a"}), 201,
        lambda c: {"json": {"reports": [report(source_ref=c.unique("b")),
                                        report(source_ref=c.unique("b"), given_name="Eva")]}}),
    ("GET", f"{API}/reports"): Entry(frozenset({"rep_a", "analyst"}), 200),
    ("GET", f"{API}/reports/{{report_id}}"): Entry(
        frozenset({"rep_a", "analyst"}), 200, path_args=lambda c: {"report_id": c.own_report}),
    ("POST", f"{API}/imports"): Entry(frozenset({"rep_a"}), 201, csv_upload),
    ("GET", f"{API}/export"): Entry(frozenset({"analyst"}), 200),
    ("GET", f"{API}/organisations"): Entry(EVERYONE, 200),
    ("POST", f"{API}/organisations"): Entry(
        frozenset({"admin"}), 201,
        lambda c: {"json": {"code": c.unique("ORG"), "name": "Nieuwe organisatie",
                            "category": "ZC"}}),
    ("GET", f"{API}/users"): Entry(frozenset({"admin"}), 200),
    ("POST", f"{API}/users"): Entry(
        frozenset({"admin"}), 201,
        lambda c: {"json": {"username": c.unique("system"), "role": "analyst",
                            "password": None}}),
    ("POST", f"{API}/tokens"): Entry(
        frozenset({"admin"}), 201, lambda c: {"json": {"username": "analyst", "name": "ci"}}),
    ("DELETE", f"{API}/tokens/{{token_id}}"): Entry(
        frozenset({"admin"}), 204, path_args=lambda c: {"token_id": fresh_token_id(c)}),
    ("GET", f"{API}/audit"): Entry(frozenset({"auditor"}), 200),
    ("GET", f"{API}/audit/verify"): Entry(frozenset({"auditor"}), 200),
    ("GET", f"{API}/codes"): Entry(frozenset(IDENTITIES), 200),
}
# what the allowed calls of one pass over the matrix create
CREATED_PER_PASS = {"reports": 1 + 2 + 2, "organisations": 1, "users": 1}


def api_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the application serves under /api/v1."""
    try:  # FastAPI >= 0.13x keeps included routers lazily; this flattens them
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI: app.routes is flat
        routes = list(app.routes)
    out = set()
    for route in routes:
        path = getattr(route, "path", None) or ""
        if not path.startswith(API + "/") or path in NOT_IN_MATRIX:
            continue
        for method in getattr(route, "methods", None) or {"*"}:
            if method != "HEAD":
                out.add((method, path))
    return out


def expected_status(entry: Entry, identity: str) -> int:
    if identity in entry.allowed:
        return entry.status
    return 401 if identity == "anonymous" else 403


def count(registry, column) -> int:
    with registry.sessions() as s:
        return s.scalar(select(func.count(column)))


def counts(registry) -> dict[str, int]:
    return {"reports": count(registry, Report.id),
            "organisations": count(registry, Organisation.id),
            "users": count(registry, User.id)}


# -- clients ---------------------------------------------------------------------------------------
class Client:
    """A TestClient acting as one identity, by API token or browser session."""

    def __init__(self, app, identity: str, mode: str, world):
        self.http = TestClient(app, raise_server_exceptions=False)
        self.csrf = None
        if identity != "anonymous" and mode == "token":
            self.http.headers["Authorization"] = f"Bearer {world.tokens[identity]}"
        elif identity != "anonymous":
            secret, self.csrf, _ = world.registry.login(identity, PASSWORD, "test")
            self.http.cookies.set("zicht_session", secret)

    def request(self, method: str, url: str, csrf: str | None | bool = True, **kw):
        headers = dict(kw.pop("headers", {}))
        if method not in ("GET", "HEAD") and self.csrf and csrf is True:
            headers["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            headers["X-CSRF-Token"] = csrf
        return self.http.request(method, url, headers=headers, **kw)


@pytest.fixture
def app(world):
    return create_app(world.registry)


@pytest.fixture
def own_report(world) -> str:
    outcome = world.registry.submit(world.actor("rep_a"), [report(source_ref="A-own")])
    return outcome.reports[0]["id"]


@pytest.fixture
def bare_app(registry):
    return create_app(registry)


def test_every_api_route_has_a_matrix_entry(bare_app):
    app = bare_app
    routes = api_routes(app)
    assert routes == set(MATRIX), (
        f"routes without a matrix entry: {sorted(routes - set(MATRIX))}; "
        f"matrix entries without a route: {sorted(set(MATRIX) - routes)}")
    # the OpenAPI document lists nothing the matrix does not cover either
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops
                  if p.startswith(API)}
    assert documented <= set(MATRIX)


@pytest.mark.parametrize("mode", ["token", "session"])
def test_role_matrix(world, app, own_report, mode):
    ctx = Ctx(world, own_report)
    clients = {who: Client(app, who, mode, world) for who in IDENTITIES}
    before = counts(world.registry)
    wrong = []
    for (method, path), entry in sorted(MATRIX.items()):
        for who in IDENTITIES:
            url = path.format(**entry.path_args(ctx))
            response = clients[who].request(method, url, **entry.build(ctx))
            want = expected_status(entry, who)
            if response.status_code != want:
                wrong.append(f"{mode} {who:9} {method:6} {url}: got {response.status_code}, "
                             f"want {want}: {response.text[:200]}")
    assert not wrong, "\n".join(wrong)
    after = counts(world.registry)
    assert {k: after[k] - before[k] for k in after} == CREATED_PER_PASS


def test_an_export_leaves_no_temporary_folder_for_any_role(world, app, own_report, tmp_path,
                                                          monkeypatch):
    """The export is written to a temporary folder; refused (role) or served, none is left
    behind (the refusals once left one empty folder each in /tmp)."""
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    statuses = {who: Client(app, who, "token", world).request("GET", f"{API}/export")
                .status_code for who in IDENTITIES}
    assert statuses["analyst"] == 200 and statuses["rep_a"] == 403
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_anonymous_refusal_says_how_to_authenticate(bare_app):
    app = bare_app
    response = TestClient(app).get(f"{API}/reports")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert TestClient(app).get(f"{API}/openapi.json").status_code == 200


def test_session_writes_need_the_sessions_csrf_token(world, app, own_report):
    ctx = Ctx(world, own_report)
    clients = {who: Client(app, who, "session", world) for who in USERS}
    before = counts(world.registry)
    tokens_before = count(world.registry, ApiToken.id)
    writes = [(key, e) for key, e in sorted(MATRIX.items()) if key[0] not in ("GET", "HEAD")]
    assert writes
    wrong = []
    for (method, path), entry in writes:
        who = sorted(entry.allowed)[0]
        other = next(c.csrf for w, c in clients.items() if w != who)
        url = path.format(**entry.path_args(ctx))
        for csrf in (None, "", "not-the-token", other, clients[who].csrf + "x"):
            response = clients[who].request(method, url, csrf=csrf, **entry.build(ctx))
            if response.status_code != 403:
                wrong.append(f"{who} {method} {url} csrf={csrf!r}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert counts(world.registry) == before
    # only the tokens made to be revoked were added; none of them was revoked
    with world.registry.sessions() as s:
        revoked = s.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_not(None)))
    assert revoked == 0
    assert count(world.registry, ApiToken.id) > tokens_before


# -- one organisation never sees another's reports ----------------------------------------------
def test_reporter_never_sees_another_organisations_reports(world, app):
    reg = world.registry
    b_ids = [r["id"] for r in reg.submit(world.actor("rep_b"), [
        report(source_ref="B-1", received_date="2024-06-01", reference_year=2024),
        report(source_ref="B-2", given_name="Eva", received_date="2025-01-10"),
        report(source_ref="B-3", given_name="Ilse", received_date="2025-03-14"),
    ]).reports]
    a_ids = [r["id"] for r in reg.submit(world.actor("rep_a"), [
        report(source_ref="A-1", received_date="2024-06-01", reference_year=2024),
        report(source_ref="A-2", given_name="Anna", received_date="2025-02-01"),
    ]).reports]
    missing_id = str(uuid.uuid4())

    analyst = Client(app, "analyst", "token", world)
    page = analyst.request("GET", f"{API}/reports").json()
    assert page["total"] == 5  # the reports are there, for whoever may read them
    assert analyst.request("GET", f"{API}/reports/{b_ids[0]}").status_code == 200

    for mode in ("token", "session"):
        rep_a = Client(app, "rep_a", mode, world)

        def listed(params, client=rep_a):
            response = client.request("GET", f"{API}/reports", params=params)
            assert response.status_code == 200, (params, response.text)
            body = response.json()
            assert {r["organisation"] for r in body["items"]} <= {"ORG-A"}, params
            return body

        everything = listed({})
        assert sorted(r["id"] for r in everything["items"]) == sorted(a_ids)
        assert everything["total"] == 2
        for params in ({"organisation": "ORG-B"}, {"reporter_category": "POL"},
                       {"reporter_category": "pol"}, {"source_ref": "B-1"},
                       {"source_ref": "B-2", "organisation": "ORG-B"},
                       {"received_from": "2025-01-10", "received_to": "2025-01-10"},
                       {"received_from": "2025-03-14"}, {"year": 2025, "organisation": "ORG-B"}):
            body = listed(params)
            assert (body["total"], body["items"]) == (0, []), params
        assert [r["id"] for r in listed({"year": 2024})["items"]] == [a_ids[0]]
        assert [r["id"] for r in listed({"year": 2025})["items"]] == [a_ids[1]]
        assert [r["id"] for r in listed({"received_from": "2024-01-01",
                                         "received_to": "2025-12-31"})["items"]] == [a_ids[1],
                                                                                     a_ids[0]]
        paged = []
        for offset in range(6):
            body = listed({"limit": 1, "offset": offset})
            assert body["total"] == 2
            paged += [r["id"] for r in body["items"]]
        assert sorted(paged) == sorted(a_ids)
        assert listed({"limit": 1000, "offset": 0})["total"] == 2

        # another organisation's report is "not found", exactly like a report that never was
        for b_id in b_ids:
            theirs = rep_a.request("GET", f"{API}/reports/{b_id}")
            nothing = rep_a.request("GET", f"{API}/reports/{missing_id}")
            assert theirs.status_code == nothing.status_code == 404
            assert theirs.json() == nothing.json()
            assert b_id not in theirs.text
        assert rep_a.request("GET", f"{API}/reports/{a_ids[0]}").status_code == 200
        assert rep_a.request("GET", f"{API}/export").status_code == 403
        orgs = rep_a.request("GET", f"{API}/organisations").json()
        assert [o["code"] for o in orgs] == ["ORG-A"]

    # B's source references mean nothing to A: no "existing", no conflict
    rep_a = Client(app, "rep_a", "token", world)
    response = rep_a.request("POST", f"{API}/reports",
                             json=report(source_ref="B-2", sex="M", given_name="Other"))
    assert response.status_code == 201
    assert response.json()["reports"][0]["status"] == "created"
    assert response.json()["reports"][0]["id"] not in b_ids


# -- credentials that no longer count, malformed ones ------------------------------------------
def test_revoked_token_is_refused(world, app):
    admin = Client(app, "admin", "token", world)
    made = admin.request("POST", f"{API}/tokens", json={"username": "rep_a", "name": "temp"})
    assert made.status_code == 201
    token = made.json()["token"]
    temp = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert temp.get(f"{API}/me").json()["username"] == "rep_a"
    assert temp.post(f"{API}/reports", json=report(source_ref="T-1")).status_code == 201

    assert admin.request("DELETE", f"{API}/tokens/{made.json()['id']}").status_code == 204
    assert temp.get(f"{API}/me").status_code == 401
    assert temp.get(f"{API}/reports").status_code == 401
    assert temp.post(f"{API}/reports", json=report(source_ref="T-2")).status_code == 401
    # the user's other token is untouched
    assert Client(app, "rep_a", "token", world).request("GET", f"{API}/me").status_code == 200
    # an unknown token id is "not found" for the admin, refused for anyone else
    assert admin.request("DELETE", f"{API}/tokens/0123456789abcdef").status_code == 404
    rep_a = Client(app, "rep_a", "token", world)
    assert rep_a.request("DELETE", f"{API}/tokens/0123456789abcdef").status_code == 403


def test_deactivated_user_is_refused(world, app):
    reg, op = world.registry, operator("test")
    by_token = Client(app, "rep_a", "token", world)
    by_session = Client(app, "rep_a", "session", world)
    for client in (by_token, by_session):
        assert client.request("GET", f"{API}/reports").status_code == 200

    reg.set_user_active(op, "rep_a", False)
    for client in (by_token, by_session):
        assert client.request("GET", f"{API}/reports").status_code == 401
        assert client.request("POST", f"{API}/reports",
                              json=report(source_ref="D-1")).status_code == 401
    with pytest.raises(Unauthenticated):
        reg.login("rep_a", PASSWORD, "test")

    # reactivation does not bring back the tokens and sessions it ended
    reg.set_user_active(op, "rep_a", True)
    for client in (by_token, by_session):
        assert client.request("GET", f"{API}/reports").status_code == 401
    assert Client(app, "rep_a", "session", world).request(
        "GET", f"{API}/reports").status_code == 200
    assert count(reg, Report.id) == 0


MALFORMED = [
    "Bearer", "Bearer ", "Bearer  ", "bearer", "Basic cmVwX2E6eA==", "Token zt_x", "zt_",
    "Bearer zt_", "Bearer zt_xyz", "Bearer zt_0123456789abcdef_" + "A" * 43,
    "Bearer zt_0123456789abcdef_" + "A" * 42, "Bearer zt_0123456789ABCDEF_" + "A" * 43,
    "Bearer " + "x" * 5000, "Bearer zt_..%00", "Bearer\tzt_0123456789abcdef_" + "A" * 43,
    b"Bearer zt_\xe9\xff", "Bearer null", "Bearer undefined", "Bearer Bearer",
]


def test_malformed_credentials_are_401(world, app):
    client = TestClient(app, raise_server_exceptions=False)
    real = world.tokens["analyst"]
    headers = MALFORMED + [f"Bearer {bad}" for bad in (
        real + "x", real[:-1], real.upper(), real.replace("_", "-"), f"Bearer {real}", real[:20],
        real[:-43] + world.tokens["admin"][-43:])]  # analyst's id with the admin's secret
    wrong = []
    for header in headers:
        for method, url, kw in (("GET", f"{API}/me", {}), ("GET", f"{API}/reports", {}),
                                ("POST", f"{API}/reports", {"json": report()})):
            response = client.request(method, url, headers={"Authorization": header}, **kw)
            if response.status_code != 401 or not response.json().get("detail"):
                wrong.append(f"{header!r:.60} {method} {url}: {response.status_code}")
    for cookie in ("", "x", "null", "%00", "a" * 4000, "zt_" + "0" * 40):
        client = TestClient(app, raise_server_exceptions=False)
        client.cookies.set("zicht_session", cookie)
        for response in (client.get(f"{API}/me"),
                         client.post(f"{API}/reports", json=report(),
                                     headers={"X-CSRF-Token": cookie or "x"})):
            if response.status_code != 401:
                wrong.append(f"cookie {cookie!r:.40}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert count(world.registry, Report.id) == 0
