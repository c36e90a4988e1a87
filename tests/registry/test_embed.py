"""Embeddable charts (zicht/web/embed.py): /embed/... may be framed by other sites (no
X-Frame-Options, frame-ancestors from ZICHT_EMBED_ANCESTORS); every other page may not."""

import pytest

from zicht.web.app import create_app

EMBEDS = ("/embed/overview", "/embed/breakdowns/sex", "/embed/overlap")


@pytest.fixture
def client(public_site):
    return public_site.client()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_each_chart_can_be_framed_by_any_site_by_default(client, lang, monkeypatch):
    monkeypatch.delenv("ZICHT_EMBED_ANCESTORS", raising=False)
    for path in EMBEDS:
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        assert "x-frame-options" not in response.headers, path
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors *" in policy and "script-src 'self'" in policy
        assert response.text.count('<figure class="zicht-chart">') == 1
        assert '<table class="utrecht-table"' in response.text  # the numbers beside it
        assert 'target="_blank"' in response.text  # the source opens outside the frame


def test_the_embedding_sites_can_be_limited(client, monkeypatch):
    monkeypatch.setenv("ZICHT_EMBED_ANCESTORS", "https://www.example.nl  https://x.example")
    policy = client.get("/embed/overview").headers["content-security-policy"]
    assert "frame-ancestors https://www.example.nl https://x.example;" in policy


@pytest.mark.parametrize("value", ["https://a.example; script-src *", "'self'", "x,y"])
def test_an_embedding_setting_that_is_not_a_list_of_origins_stops_the_start(
        public_site, value, monkeypatch):
    monkeypatch.setenv("ZICHT_EMBED_ANCESTORS", value)
    with pytest.raises(ValueError, match="ZICHT_EMBED_ANCESTORS"):
        create_app(public_site.app.state.registry)


def test_every_other_page_stays_unframeable(client):
    paths = {r.path for r in client.app.routes
             if "GET" in getattr(r, "methods", ()) and "{" not in r.path}
    assert "/dashboard" in paths and "/methods" in paths
    for path in sorted(paths):
        response = client.get(path)
        if path.startswith("/embed/"):
            continue
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path


def test_the_embedded_numbers_are_the_dashboards(client):
    import re

    def rows(html, table):
        body = re.search(rf'id="{table}">.*?<tbody[^>]*>(.*?)</tbody>', html, re.S)[1]
        return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)

    assert rows(client.get("/embed/overview").text, "overview") == \
        rows(client.get("/dashboard").text, "overview")
    assert rows(client.get("/embed/overlap").text, "overlap") == \
        rows(client.get("/dashboard/overlap").text, "overlap")


def test_no_chart_no_embed(client):
    assert client.get("/embed/breakdowns/nope").status_code == 404
    assert client.get("/embed/nope").status_code == 404
