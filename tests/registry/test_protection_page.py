"""The protection page over HTTP (issue 21, point 1): every role, anonymous included, sees the
publication's gaps with and without a complaint, in Dutch and in English, with the publication's
own numbers; a suppressed row stays suppressed, on the page and in its download."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tests.monitor.sample import protection_rows
from tests.monitor.test_protection import _data
from zicht.monitor.protection import gap_text
from zicht.monitor.publish import build_publication
from zicht.web.app import create_app

from .conftest import PASSWORD

PATH = "/dashboard/protection"


@pytest.fixture(scope="module")
def publication(tmp_path_factory):
    path = tmp_path_factory.mktemp("pub") / "publication.json"
    doc = build_publication(_data(protection_rows()), path, k=10, compare_methods=False,
                            targets=[])
    return doc, path


@pytest.fixture
def client(world, publication):
    app = create_app(world.registry)
    app.state.publication_path = str(publication[1])
    return TestClient(app, follow_redirects=False)


def _login(client, user):
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": csrf})


def _table(html: str, tid: str) -> list[list[str]]:
    body = re.search(rf'<table class="utrecht-table" id="{tid}">.*?<tbody[^>]*>(.*?)</tbody>',
                     html, flags=re.S)[1]
    return [[" ".join(unescape(re.sub(r"<[^>]+>", "", c)).split())
             for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)]


@pytest.mark.parametrize("user", [None, "rep_a", "analyst", "admin", "auditor"])
def test_every_role_sees_the_page(client, user):
    if user:
        _login(client, user)
    page = client.get(PATH)
    assert page.status_code == 200
    assert "Bescherming los van aangifte" in page.text
    assert f'href="{PATH}"' in page.text  # in the dashboard's menu for everyone


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_page_shows_the_publications_numbers(client, publication, lang):
    doc, _ = publication
    cells = {(c["by"], c["outcome"]): c for c in doc["public"]["protection"]["cells"]
             if c["year"] == 2024}
    placed = cells[(None, "shelter_placed")]
    assert placed["gap"] == pytest.approx(45 / 60 - 20 / 80, abs=1e-4) and placed["found"]
    rows = {r[1]: r for r in _table(client.get(f"{PATH}?lang={lang}").text, "protection")}
    shown = rows["in opvang geplaatst" if lang == "nl" else "placed in shelter"]
    assert shown[0] == "2024"
    assert shown[2:] == (["75,0%", "25,0%"] if lang == "nl" else ["75.0%", "25.0%"]) + [
        gap_text(placed, lang), "kloof" if lang == "nl" else "gap"]
    # 4 persons without a complaint were referred: the row is suppressed
    assert cells[(None, "referred_to_care")]["suppressed"]
    referred = rows["doorverwezen naar zorg" if lang == "nl" else "referred to care"]
    assert referred[2:] == ["geheim" if lang == "nl" else "suppressed"] * 4


def test_the_download_holds_the_rows_of_the_page(client):
    shown = _table(client.get(f"{PATH}?lang=nl").text, "protection")
    response = client.get("/downloads/protection.csv?table=protection&lang=nl")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[2:] == shown


def test_a_publication_made_before_issue_21_says_so(client, publication, tmp_path, world):
    import json

    doc = dict(publication[0])
    doc["public"] = {k: v for k, v in doc["public"].items() if k != "protection"}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    app = create_app(world.registry)
    app.state.publication_path = str(old)
    page = TestClient(app).get(f"{PATH}?lang=en")
    assert page.status_code == 200 and "no persons whose reports say" in page.text
