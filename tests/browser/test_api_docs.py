"""The API documentation page (``/api/v1/docs``) in a real browser under the site's own
Content-Security-Policy: Swagger UI, vendored by web/vendor.sh, lists every operation of the
OpenAPI document, with no CSP violation, no console error and no request to another host.

Unlike the other browser tests these do not bypass the CSP (their ``page`` fixture does, so
that axe can be injected): the point is that the page works under the real policy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from zicht.registry.service import Registry
from zicht.registry.settings import Settings
from zicht.web.app import SECURITY_HEADERS, create_app

from .helpers import serving

pytestmark = pytest.mark.slow  # a real browser against a real server
KEY = "5c" * 32
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# every CSP violation of the document, recorded before any of the page's scripts runs
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(
  e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "")));
"""
# a host name for the second test (Swagger UI treats documents on localhost/127.0.0.1 apart)
NAMED = "http://zicht.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An empty registry on SQLite served by uvicorn in a thread; yields the base URL."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    path = tmp_path_factory.mktemp("apidocs") / "zicht.db"
    reg = Registry(Settings.from_env(database_url=f"sqlite:///{path}"))
    reg.upgrade()
    with serving(create_app(reg)) as base:
        yield base
    reg.dispose()
    mp.undo()


@pytest.fixture
def strict_page(browser):
    """A page whose context keeps the CSP (no bypass_csp), in a Dutch browser, recording CSP
    violations, console errors, uncaught exceptions and every request."""
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_errors = []
    page.requests = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(f"uncaught: {e}"))
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


def _operations(page, base: str) -> list[tuple[str, str]]:
    spec = page.request.get(f"{base}/api/v1/openapi.json").json()
    return [(method, path) for path, item in spec["paths"].items()
            for method in item if method in METHODS]


def _assert_clean(page, host: str) -> None:
    """No CSP violation, no console error, no request to a host but ``host``; and the
    recording works: an inline style is refused and reported."""
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []
    elsewhere = [url for url in page.requests
                 if not url.startswith("data:") and urlsplit(url).hostname != host]
    assert elsewhere == [], elsewhere
    page.evaluate("document.createElement('div').setAttribute('style', 'color: red')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations")[0].startswith("style-src-attr inline")


@pytest.mark.parametrize("lang, title", [
    (None, "API-documentatie van het register"),
    ("en", "Registry API documentation"),
])
def test_swagger_ui_lists_every_operation_under_the_strict_csp(site, strict_page, lang, title):
    page = strict_page
    response = page.goto(f"{site}/api/v1/docs" + (f"?lang={lang}" if lang else ""))
    assert response.status == 200
    assert response.headers["content-security-policy"] == \
        SECURITY_HEADERS["Content-Security-Policy"]
    assert page.locator("html").get_attribute("lang") == (lang or "nl")
    assert page.title().startswith(title)
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()

    operations = _operations(page, site)
    assert len(operations) >= 10
    expect(page.locator(".opblock")).to_have_count(len(operations), timeout=20_000)
    for method, path in operations:
        block = page.locator(f".opblock-{method}", has=page.locator(
            f'.opblock-summary-path[data-path="{path}"]'))
        expect(block).to_be_visible()
    for path in ("/api/v1/reports", "/api/v1/imports", "/api/v1/export", "/api/v1/me"):
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_visible()
    # the document's own title, rendered by Swagger UI from the OpenAPI document
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("zicht registry")

    # open one operation: its details render too (still under the CSP)
    page.locator('.opblock-summary-path[data-path="/api/v1/imports"]').click()
    expect(page.locator(".opblock.is-open")).to_have_count(1)
    expect(page.locator(".opblock.is-open .opblock-body")).to_be_visible()

    assert f"{site}/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.requests
    assert f"{site}/api/v1/openapi.json" in page.requests
    _assert_clean(page, "127.0.0.1")


def test_swagger_ui_under_a_host_name_is_clean_too(site, strict_page):
    """As deployed, under a host name ('self' is that host; the browser's requests to it are
    answered by the test server): Swagger UI's extras for documents not on localhost (its
    validator badge) fetch nothing and violate nothing either."""
    page = strict_page
    page.context.route(f"{NAMED}/**", lambda route: route.fulfill(
        response=route.fetch(url=route.request.url.replace(NAMED, site, 1))))
    response = page.goto(f"{NAMED}/api/v1/docs?lang=en")
    assert response.headers["content-security-policy"] == \
        SECURITY_HEADERS["Content-Security-Policy"]
    expect(page.locator(".opblock")).to_have_count(len(_operations(page, site)),
                                                   timeout=20_000)
    assert f"{NAMED}/api/v1/openapi.json" in page.requests
    _assert_clean(page, urlsplit(NAMED).hostname)
