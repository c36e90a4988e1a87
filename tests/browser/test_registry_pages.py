"""The registry's pages in a real browser (headless Chromium) over real HTTP: a reporter logs
in, fills the Dutch form, submits and finds the report in the organisation's list; every page
of every role, in Dutch and English, has no WCAG 2.1 A/AA violation (axe-core)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from tests.monitor.sample import sample_publication
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .helpers import axe_violations, describe

PASSWORD = "Correct-Horse-9-Battery"
KEY = "5c" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A registry on SQLite served by uvicorn in a thread; yields (base URL, registry)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    path = tmp_path_factory.mktemp("site") / "zicht.db"
    reg = Registry(Settings.from_env(database_url=f"sqlite:///{path}"))
    reg.upgrade()
    op = operator("test")
    reg.add_organisation(op, "ZC-01", "Zorgcoördinatie Rotterdam", "ZC")
    reg.add_organisation(op, "POL-02", "Politie Den Haag", "POL")
    for name, role, org in (("anna", "reporter", "ZC-01"), ("piet", "reporter", "POL-02"),
                            ("ali", "analyst", None), ("beheer", "admin", None),
                            ("audit", "auditor", None)):
        reg.add_user(op, name, role, PASSWORD, org)
    port = _free_port()
    app = create_app(reg)
    app.state.publication_path = str(
        sample_publication(tmp_path_factory.mktemp("pub") / "publication.json"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", reg
    server.should_exit = True
    thread.join(10)
    reg.dispose()
    mp.undo()


def _login(page, base: str, username: str, lang: str = "nl") -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.get_by_label("Gebruikersnaam" if lang == "nl" else "User name").fill(username)
    page.get_by_label("Wachtwoord" if lang == "nl" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen" if lang == "nl" else "Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]


def test_reporter_submits_the_dutch_form_and_sees_the_report(site, page):
    base, reg = site
    _login(page, base, "anna")
    page.get_by_role("link", name="Nieuwe melding").first.click()
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("Datum melding").fill("2025-06-02")
    page.get_by_label("Uw referentie").fill("ZC01-2025-0042")
    page.get_by_label("Voornamen").fill("Oksana")
    page.get_by_label("Achternaam").fill("Kovalenko")
    page.get_by_label("Geboortedatum").fill("2001-09-30")
    page.get_by_role("group", name="Geslacht").get_by_label("vrouw").check()
    page.get_by_label("Nationaliteit").select_option("UKR")
    page.get_by_role("group", name="Vormen van uitbuiting").get_by_label(
        "arbeidsuitbuiting").check()
    page.get_by_label("Plaats van uitbuiting").fill("GM0599")
    page.get_by_role("button", name="Melding opslaan").click()
    page.wait_for_load_state()
    assert "Melding opgeslagen" in page.content()
    page.get_by_role("link", name="Meldingen").first.click()
    row = page.locator("#reports tbody tr", has_text="ZC01-2025-0042")
    assert row.count() == 1
    assert "LAB" in row.inner_text() and "ZC-01" in row.inner_text()
    # no clear identifier on the pages either
    row.get_by_role("link").click()
    assert "Kovalenko" not in page.content() and "2001-09-30" not in page.content()


def test_form_errors_are_named_and_linked(site, page):
    base, _ = site
    _login(page, base, "anna", lang="en")
    page.goto(f"{base}/reports/new?lang=en")
    page.get_by_label("Date of report").fill("")
    page.get_by_label("Place of exploitation").fill("Atlantis")
    page.get_by_role("button", name="Save report").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    links = summary.get_by_role("link")
    targets = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert targets == {"#received_date", "#place_of_exploitation"}
    assert page.locator("#place_of_exploitation").get_attribute("aria-invalid") == "true"
    assert page.title().startswith("Error:")
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_another_organisation_does_not_see_the_report(site, page):
    base, _ = site
    _login(page, base, "piet")
    page.goto(f"{base}/reports")
    assert page.locator("#reports tbody tr", has_text="ZC01-2025-0042").count() == 0


PAGES = {
    None: ["/login", "/dashboard", "/dashboard/breakdowns", "/dashboard/overlap"],
    "anna": ["/", "/reports", "/reports/new", "/import"],
    "ali": ["/", "/reports", "/dashboard/methods", "/dashboard/whatif",
            "/dashboard/whatif?category=ZC&rate=0.1&replicates=2",
            "/dashboard/whatif?category=ZC&rate=7&replicates=2"],
    "beheer": ["/", "/admin"],
    "audit": ["/", "/audit"],
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("user", list(PAGES), ids=lambda u: u or "anonymous")
def test_pages_have_no_accessibility_violations(site, page, user, lang):
    base, _ = site
    if user:
        _login(page, base, user, lang)
    found = {}
    for path in PAGES[user]:
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        violations = axe_violations(page)
        if violations:
            found[path] = describe(violations)
    assert found == {}, "\n".join(f"{p}:\n{d}" for p, d in found.items())


def test_dashboard_renders_charts_switches_language_and_keeps_analyst_pages_closed(site, page):
    base, _ = site
    page.goto(f"{base}/dashboard?lang=nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Zicht op mensenhandel"
    assert page.locator("figure.zicht-chart svg").count() == 1
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sight of human trafficking"
    response = page.goto(f"{base}/dashboard/methods")
    assert "/login" in page.url  # a public user is sent to log in
    _login(page, base, "anna")
    response = page.goto(f"{base}/dashboard/methods")
    assert response.status == 403
    page.context.clear_cookies()
    _login(page, base, "ali")
    response = page.goto(f"{base}/dashboard/methods")
    assert response.status == 200 and page.locator("figure.zicht-chart svg").count() == 1
