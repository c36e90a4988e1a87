"""The public what-if of a reporting obligation over HTTP (issue 18, point 4): every role,
anonymous included, sees the publication's precomputed scenarios with the same numbers and
sentences as the publication; the page never simulates; the analysts' form stays theirs."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tests.monitor.whatif_sample import whatif_publication
from zicht.monitor.whatif import published_view
from zicht.web.app import create_app

from .conftest import PASSWORD

PATH = "/dashboard/reporting-obligation"


@pytest.fixture(scope="module")
def publication(tmp_path_factory):
    return whatif_publication(tmp_path_factory.mktemp("pub") / "publication.json")


@pytest.fixture
def client(world, publication):
    app = create_app(world.registry)
    app.state.publication_path = str(publication)
    return TestClient(app, follow_redirects=False)


def _login(client, user):
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": csrf})


def _cells(html: str) -> list[str]:
    return [unescape(c) for c in re.findall(
        r'<t[dh] class="utrecht-table__(?:header-)?cell[^"]*"[^>]*>([^<]*)</t[dh]>', html)]


@pytest.mark.parametrize("user", [None, "rep_a", "analyst", "admin", "auditor"])
def test_every_role_sees_the_public_page(client, user, monkeypatch):
    from zicht.monitor import whatif

    def no_simulation(*args, **kwargs):
        raise AssertionError("the public page simulated on a request")

    monkeypatch.setattr(whatif, "_simulate", no_simulation)
    if user:
        _login(client, user)
    page = client.get(PATH)
    assert page.status_code == 200
    assert "Wat een meldplicht zou opleveren" in page.text
    assert f'href="{PATH}"' in page.text  # in the dashboard's menu for everyone
    # the analysts' interactive form stays theirs
    assert ('href="/dashboard/whatif"' in page.text) == (user == "analyst")
    form = client.get("/dashboard/whatif")
    assert form.status_code == (200 if user == "analyst" else 303 if user is None else 403)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_page_shows_the_publications_numbers(client, publication, lang):
    whatif = json.loads(publication.read_text())["public"]["whatif"]
    html = client.get(f"{PATH}?lang={lang}").text
    text = unescape(html)
    cells = _cells(html)
    for c in published_view(whatif, lang):
        table = re.search(rf'<table[^>]*id="whatif-{c["category"]}".*?</table>', html, re.S)
        assert table, c["category"]
        shown = _cells(table.group(0))
        assert shown == [*c["headers"], *[v for row in c["rows"] for v in row]]
        for _scenario, _rate, sentence in c["sentences"]:
            assert sentence in text
        assert all(v in cells for row in c["rows"] for v in row)
    assert "<svg" in html and 'class="zicht-chart"' in html  # the chart, with its caption
    assert f"seed {whatif['seed']}" in text


def test_without_a_what_if_the_page_says_so(world, tmp_path):
    from tests.monitor.sample import sample_publication

    app = create_app(world.registry)
    app.state.publication_path = str(sample_publication(tmp_path / "publication.json"))
    page = TestClient(app).get(PATH + "?lang=en")
    assert page.status_code == 200
    assert "This publication holds no scenarios of a reporting obligation." in page.text
