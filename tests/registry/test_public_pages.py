"""The public site over HTTP (zicht/web/public.py): the home page, annual reports, methods and
definitions, about and the accessibility statement are open to every role and to visitors;
the annual reports are served only by their names, the HTML report under a policy that names
its own stylesheet."""

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from zicht.web.app import create_app

from .conftest import PEOPLE, STYLE

PUBLIC = ("/", "/annual-reports", "/methods", "/about", "/accessibility")


@pytest.fixture
def client(public_site):
    return public_site.client()


def test_the_public_pages_are_open_to_every_role(public_site):
    for user in [None, *PEOPLE]:
        client = public_site.client(user)
        for path in PUBLIC[1:]:
            for lang in ("nl", "en"):
                response = client.get(f"{path}?lang={lang}")
                assert response.status_code == 200, (user, path)
                assert f'<html lang="{lang}"' in response.text
                # the site's menu and footer on every page; a login link only for visitors
                assert 'href="/methods"' in response.text
                assert 'href="/accessibility"' in response.text
                assert ('href="/login"' in response.text) == (user is None), (user, path)
        home = client.get("/?lang=nl")
        assert home.status_code == 200
        if user is None:  # the public home, with the key figures
            assert "zicht-figures" in home.text and "Zicht op mensenhandel" in home.text
        else:  # a user's own start page
            assert "Welkom" in home.text and "zicht-figures" not in home.text, user


def test_the_home_page_links_the_latest_annual_report_and_each_key_figure_to_its_definition(
        client):
    home = client.get("/?lang=nl").text
    assert "Het jaarrapport 2024" in home
    keys = re.findall(r'href="/methods#def-(\w+)"', home)
    assert keys == ["registered_persons", "estimated_victims", "detection_rate", "dark_number"]
    methods = client.get("/methods?lang=nl").text
    anchors = set(re.findall(r'id="def-(\w+)"', methods))
    assert set(keys) <= anchors
    # the dashboard's indicators link to their definitions too, and each exists
    dashboard = client.get("/dashboard?lang=nl").text
    linked = set(re.findall(r'href="/methods#def-(\w+)"', dashboard))
    assert len(linked) > len(keys) and linked <= anchors
    assert {"k", "model_interval", "linkage_interval", "version", "per_100k"} <= anchors


def test_the_annual_reports_are_listed_newest_first_and_served_by_name_only(client):
    page = client.get("/annual-reports?lang=en").text
    links = re.findall(r'href="(/annual-reports/[^"]+)"', page)
    assert links == ["/annual-reports/jaarrapport-2024.pdf",
                     "/annual-reports/jaarrapport-2024.html",
                     "/annual-reports/annual-report-2024.html",
                     "/annual-reports/jaarrapport-2023.pdf"]
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 test"
    for name in ("notes.txt", "..%2Fsecret.html", "jaarrapport-2025.pdf", "jaarrapport-24.pdf",
                 "jaarrapport-2024.PDF"):
        assert client.get(f"/annual-reports/{name}").status_code == 404, name


def test_the_html_report_may_use_its_own_stylesheet_and_nothing_else(client):
    response = client.get("/annual-reports/jaarrapport-2024.html")
    assert response.status_code == 200 and "rapport" in response.text
    policy = response.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    # a report without a stylesheet gets none
    bare = client.get("/annual-reports/annual-report-2024.html").headers
    assert "style-src 'none'" in bare["content-security-policy"]


def test_without_reports_or_contact_the_pages_say_so(public_site, tmp_path, monkeypatch):
    monkeypatch.delenv("ZICHT_CONTACT_EMAIL", raising=False)
    app = create_app(public_site.app.state.registry)
    app.state.publication_path = str(tmp_path / "none.json")  # no publication, no reports/
    client = TestClient(app)
    assert "Er is nog geen jaarrapport gepubliceerd." in client.get("/annual-reports").text
    assert "Er is nog geen publicatie." in client.get("/").text
    assert "geen contactgegevens" in client.get("/about").text
    monkeypatch.setenv("ZICHT_CONTACT_EMAIL", "info@example.org")
    assert 'href="mailto:info@example.org"' in client.get("/accessibility").text


@pytest.mark.parametrize(("lang", "thousand"), [("nl", "2.000"), ("en", "2,000")])
def test_a_charts_numbers_read_in_the_pages_language(lang, thousand):
    from zicht.web.dashboard import _chart

    spec = {"data": {"values": [{"a": "x", "n": 12_345.5}]}, "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "nominal"},
                         "y": {"field": "n", "type": "quantitative"}}}
    svg = str(_chart(spec, lang)).split("<script")[0]  # the server's SVG
    ticks = re.findall(r">([\d.,]+)</text>", svg)
    assert thousand in ticks, ticks
    assert '"thousands":"' + ("." if lang == "nl" else ",") in str(_chart(spec, lang))
