"""The dashboard pages over HTTP: they read one publication, show only its disclosure-controlled
part to the public, in Dutch and English, and the method comparison only to analysts."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.monitor.inputs import MonitorData
from zicht.monitor.publish import build_publication
from zicht.web.app import create_app

from .conftest import PASSWORD

K = 2


@pytest.fixture
def client(world, tmp_path):
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    path = tmp_path / "publication.json"
    build_publication(data, path, k=K, compare_methods=False, today=2025)
    doc = path.read_text()
    # the analyst part gets a comparison as `zicht monitor publish` would make it
    import json

    from zicht.mse import compare, load_dataset

    pub = json.loads(doc)
    c = compare(load_dataset("korea"), lcmcr_settings={"burnin": 200, "samples": 100,
                                                        "thinning": 2})
    pub["analyst"]["comparison"] = {
        "year": 2024, "observed": c.observed, "lists": list(c.lists), "findings": c.findings,
        "rows": [{k: v for k, v in r.items() if k != "result"} for r in c.to_dict()],
        "chart": c.plot().to_dict()}
    path.write_text(json.dumps(pub))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    return TestClient(app, follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, user):
    client.post("/login", data={"username": user, "password": PASSWORD,
                                "csrf_token": _csrf(client.get("/login").text)})


def _cells(html: str) -> list[str]:
    return re.findall(r'<t[dh] class="utrecht-table__(?:header-)?cell[^"]*"[^>]*>([^<]*)</t[dh]>',
                      html)


def test_overview_in_dutch_and_english(client):
    nl = client.get("/dashboard")
    assert nl.status_code == 200
    assert "Zicht op mensenhandel" in nl.text and "<svg" in nl.text
    assert "geregistreerde personen" in nl.text and "Programmadoelen" in nl.text
    en = client.get("/dashboard?lang=en")
    assert "Sight of human trafficking" in en.text and "registered persons" in en.text
    assert "Programme targets" in en.text


def test_breakdowns_publish_no_count_below_k(client):
    page = client.get("/dashboard/breakdowns?lang=nl")
    assert page.status_code == 200
    numbers = [int(c.replace(".", "")) for c in _cells(page.text) if re.fullmatch(r"[\d.]+", c)]
    years = {2023, 2024}
    counts = [n for n in numbers if n not in years]
    assert counts and all(n == 0 or n >= K for n in counts)
    assert "geheim" in page.text  # something was suppressed, and said so
    assert "Caribisch deel van het Koninkrijk" in page.text  # P5 is in BES


def test_methods_page_is_for_analysts(client):
    assert client.get("/dashboard/methods").status_code == 303  # to the login page
    _login(client, "rep_a")
    assert client.get("/dashboard/methods").status_code == 403
    client.cookies.clear()
    _login(client, "analyst")
    page = client.get("/dashboard/methods")
    assert page.status_code == 200 and "<svg" in page.text
    assert "no estimate" in page.text and "below observed" in page.text


def test_without_a_publication_the_pages_say_so(world):
    app = create_app(world.registry)
    app.state.publication_path = "/nonexistent/publication.json"
    client = TestClient(app)
    page = client.get("/dashboard")
    assert page.status_code == 200 and "nog geen publicatie" in page.text
    assert client.get("/dashboard/breakdowns").status_code == 200
