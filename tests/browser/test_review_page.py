"""The linkage review page in a real browser (headless Chromium) over real HTTP: no WCAG 2.1
A/AA violation (axe-core) in Dutch and English, also with an error on a pair's form; an
analyst records a decision by clicking, and the pair leaves the list."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.registry.test_review_page import build_linkage
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .helpers import axe_violations, describe, login, serving

pytestmark = pytest.mark.slow  # a real browser against a real server
PASSWORD = "Correct-Horse-9-Battery"
KEY = "5c" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A registry on SQLite with a linkage folder, served by uvicorn in a thread; yields
    (base URL, linkage folder)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    mp.delenv("ZICHT_LINKAGE", raising=False)
    root = tmp_path_factory.mktemp("review-site")
    folder = shutil.copytree(build_linkage(tmp_path_factory.mktemp("linkage")),
                             root / "linked")
    reg = Registry(Settings.from_env(database_url=f"sqlite:///{root / 'zicht.db'}"))
    reg.upgrade()
    op = operator("test")
    reg.add_organisation(op, "ZC-01", "Zorgcoördinatie Rotterdam", "ZC")
    reg.add_user(op, "ali", "analyst", PASSWORD, None)
    reg.add_user(op, "anna", "reporter", PASSWORD, "ZC-01")
    app = create_app(reg)
    app.state.linkage_path = str(folder)
    with serving(app) as base:
        yield base, folder
    reg.dispose()
    mp.undo()


def _login(page, base: str, username: str, lang: str = "nl") -> None:
    login(page, base, username, PASSWORD, lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_review_page_has_no_accessibility_violations(site, page, lang):
    base, _ = site
    _login(page, base, "ali", lang)
    found = {}
    for path in ("/dashboard/review", "/dashboard/review?page=3"):  # full, last
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == ("Koppelingen beoordelen" if lang == "nl"
                                                   else "Linkage review")
        violations = axe_violations(page)
        if violations:
            found[path] = describe(violations)
    # an error on a pair's form: summary at the top, linked to the pair's radio group
    page.goto(f"{base}/dashboard/review?lang={lang}")
    page.get_by_role("button", name="Beslissing vastleggen (Paar 2)" if lang == "nl"
                     else "Record decision (Pair 2)", exact=True).click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link").get_attribute("href") == "#decision-2"
    assert page.locator("#decision-2").get_attribute("aria-invalid") == "true"
    assert page.title().startswith("Fout:" if lang == "nl" else "Error:")
    violations = axe_violations(page)
    if violations:
        found["error"] = describe(violations)
    assert found == {}, "\n".join(f"{p}:\n{d}" for p, d in found.items())


def test_an_analyst_records_a_decision_by_clicking(site, page):
    base, folder = site
    page.goto(f"{base}/dashboard/review")
    assert "/login" in page.url  # a visitor is sent to log in
    _login(page, base, "anna")
    assert page.goto(f"{base}/dashboard/review").status == 403
    page.context.clear_cookies()
    _login(page, base, "ali")
    page.goto(f"{base}/dashboard?lang=nl")
    page.get_by_role("link", name="Koppelingen beoordelen").click()
    page.wait_for_load_state()
    first = page.locator("main h2").first.inner_text()  # "Paar 1: R... – R..."
    pair = first.split(": ", 1)[1].split(" – ")
    page.get_by_role("group", name="Uw beslissing over paar 1", exact=True).get_by_label(
        "zelfde persoon (match)").check()
    page.get_by_role("button", name="Beslissing vastleggen (Paar 1)", exact=True).click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{base}/dashboard/review?")
    status = page.get_by_role("status")
    assert "Vastgelegd" in status.inner_text() and pair[0] in status.inner_text()
    assert page.locator("main h2").first.inner_text() != first
    assert f"{pair[0]} – {pair[1]}" not in " ".join(page.locator("main h2").all_inner_texts())
    entries = [json.loads(line) for line in (folder / "decisions.jsonl").read_text().splitlines()]
    assert [(e["id_l"], e["id_r"], e["decision"], e["by"]) for e in entries] == [
        (*sorted(pair), "match", "ali")]
    assert axe_violations(page) == [], describe(axe_violations(page))
