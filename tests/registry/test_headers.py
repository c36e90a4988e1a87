"""Security and cache headers on every kind of response: pages, the API, static files.
Pages and API answers are never stored; static files may be kept but are revalidated."""

import pytest
from fastapi.testclient import TestClient

from zicht.web.app import SECURITY_HEADERS, create_app


@pytest.fixture
def client(world):
    return TestClient(create_app(world.registry), follow_redirects=False)


@pytest.mark.parametrize("path", ["/", "/login", "/dashboard", "/api/v1/reports",
                                  "/static/zicht.css", "/static/vendor/vega/vega.min.js",
                                  "/static/nowhere.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                 "Referrer-Policy"):
        assert response.headers[name] == SECURITY_HEADERS[name], (path, name)
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/login", "/dashboard", "/api/v1/reports"])
def test_pages_and_api_answers_are_not_stored(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_are_revalidated_not_downloaded_again(client):
    first = client.get("/static/vendor/vega/vega.min.js")
    assert first.status_code == 200 and len(first.content) > 100_000
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/vendor/vega/vega.min.js",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["Content-Security-Policy"] == SECURITY_HEADERS[
        "Content-Security-Policy"]
