"""The modus operandi page over HTTP (issue 21, point 3): every role, anonymous included, sees
the publication's shares and trends of the means of control and the recruiters, in Dutch and
English, with the publication's own numbers; a suppressed cell stays suppressed, on the page
and in its download."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from tests.monitor.sample import sample_publication
from zicht.monitor.modus import trend_text
from zicht.web.app import create_app

from .test_protection_page import _login, _table

PATH = "/dashboard/modus-operandi"


@pytest.fixture(scope="module")
def publication(tmp_path_factory):
    path = sample_publication(tmp_path_factory.mktemp("pub") / "publication.json")
    return json.loads(path.read_text()), path


@pytest.fixture
def client(world, publication):
    app = create_app(world.registry)
    app.state.publication_path = str(publication[1])
    return TestClient(app, follow_redirects=False)


@pytest.mark.parametrize("user", [None, "rep_a", "analyst", "admin", "auditor"])
def test_every_role_sees_the_page(client, user):
    if user:
        _login(client, user)
    page = client.get(PATH)
    assert page.status_code == 200
    assert "Werkwijze van daders" in page.text and "<svg" in page.text
    assert f'href="{PATH}"' in page.text  # in the dashboard's menu for everyone


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_page_shows_the_publications_numbers(client, publication, lang):
    modus = publication[0]["public"]["modus"]
    cells = {(c["year"], c["code"]): c for c in modus["cells"] if c["by"] is None}
    trends = {t["code"]: t for t in modus["trends"]}
    rows = {r[0]: r for r in _table(client.get(f"{PATH}?lang={lang}").text, "modus")}
    debt = rows["schuldslavernij" if lang == "nl" else "debt bondage"]
    share = cells[(2024, "debt_bondage")]["share"]
    assert debt[3] == f"{round(100 * share)}%"  # whole percents (no count can be worked out)
    assert debt[4] == trend_text(trends["debt_bondage"], lang)
    # the finding says what the published interval says (two years of the sample: the true
    # +6 points a year is found in about one sample in three)
    found = trends["debt_bondage"]["found"]
    words = {"nl": ("stijgend", "geen trend aangetoond"), "en": ("rising", "no trend shown")}
    assert debt[5] == words[lang][0 if found else 1]
    # children used on a few persons: every cell and the trend suppressed
    assert trends["uses_children"]["suppressed"]
    children = rows["gebruikt kinderen" if lang == "nl" else "uses children"]
    assert children[2:5] == ["geheim" if lang == "nl" else "suppressed"] * 3
    # the latest year by form: a level of few persons is suppressed, and said so
    by_form = _table(client.get(f"{PATH}?lang={lang}").text, "modus-form")
    hidden = [c for c in modus["cells"] if c["by"] == "form" and c["year"] == 2024
              and c["suppressed"]]
    assert hidden and any(("geheim" if lang == "nl" else "suppressed") in row
                          for row in by_form)


def test_the_download_holds_the_rows_of_the_page(client):
    shown = _table(client.get(f"{PATH}?lang=nl").text, "modus")
    response = client.get("/downloads/modus.csv?table=modus&lang=nl")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[2:] == shown


def test_a_publication_without_the_part_says_so(publication, tmp_path, world):
    doc = dict(publication[0])
    doc["public"] = {k: v for k, v in doc["public"].items() if k != "modus"}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    app = create_app(world.registry)
    app.state.publication_path = str(old)
    page = TestClient(app).get(f"{PATH}?lang=en")
    assert page.status_code == 200 and "no reports that record how victims" in page.text
