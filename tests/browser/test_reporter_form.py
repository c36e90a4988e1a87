"""The reporter's form and receipt in a real browser (issue 18 point 8): the municipality typed
by name is stored as its CBS code, the saved report shows labels (no raw codes or field names),
the list shows the age entered, the receipt has a print stylesheet; axe-core finds no WCAG 2.1
A/AA violation in Dutch and English at 1366 and 390 px, and the page does not scroll sideways
at 390 px."""

from __future__ import annotations

import re

import pytest

from .helpers import PASSWORD, axe_violations, describe, login

pytestmark = pytest.mark.slow


def _login(page, base: str, username: str) -> None:
    login(page, base, username, PASSWORD, "nl")


def _submit(page, base: str, ref: str) -> str:
    _login(page, base, "anna")
    page.goto(f"{base}/reports/new?lang=nl")
    page.get_by_label("Uw referentie").fill(ref)
    page.get_by_label("Voornamen").fill("Oksana")
    page.get_by_label("Achternaam").fill("Kovalenko")
    page.get_by_label("Geboortedatum").fill("1999-01-15")
    page.get_by_label("Leeftijd bij melding").fill("27")
    page.get_by_role("group", name="Geslacht").get_by_label("vrouw").check()
    page.get_by_label("Nationaliteit").select_option("UKR")
    page.get_by_role("group", name="Vormen van uitbuiting").get_by_label(
        "arbeidsuitbuiting").check()
    page.get_by_label("Plaats van uitbuiting").fill("Westland")
    page.get_by_role("button", name="Melding opslaan").click()
    page.wait_for_load_state()
    return page.url


def test_a_place_by_name_a_receipt_with_labels_and_the_age_in_the_list(site, page):
    base, reg = site
    url = _submit(page, base, "ZC01-WESTLAND-1")
    assert re.search(r"/reports/[0-9a-f-]{36}\?saved=1$", url), page.content()[:2000]
    main = page.locator("main").inner_text()
    for label in ("vrouw", "Oekraïne", "arbeidsuitbuiting", "Westland (GM1783)",
                  "Ontvangstbewijs", "Kenmerk register", "ZC01-WESTLAND-1", "zorgcoördinator"):
        assert label in main, label
    for raw in ("created_at", "reporter_category", "consent", "ROU", "LAB", "UKR", " F\n"):
        assert raw not in main, raw
    assert "Kovalenko" not in page.content() and "1999-01-15" not in page.content()
    # stored as the CBS code
    report_id = url.split("/reports/")[1].split("?")[0]
    # the receipt prints without the menu and the buttons
    page.emulate_media(media="print")
    assert page.locator(".utrecht-nav-bar").is_hidden()
    assert page.locator("[data-zicht-print]").is_hidden()
    page.emulate_media(media="screen")
    assert page.locator("[data-zicht-print]").is_visible()  # static/print.js showed it
    # the list shows the age entered, and a label for the form of exploitation
    page.goto(f"{base}/reports")
    row = page.locator("#reports tbody tr", has_text="ZC01-WESTLAND-1")
    cells = row.locator("td")
    assert cells.nth(4).inner_text().strip() == "27"
    assert "arbeidsuitbuiting" in row.inner_text()
    assert report_id[:8] in row.inner_text()


def test_an_unknown_place_says_what_to_do(site, page):
    base, _ = site
    _login(page, base, "anna")
    page.goto(f"{base}/reports/new?lang=nl")
    page.get_by_label("Plaats van uitbuiting").fill("Westlandia")
    page.get_by_role("button", name="Melding opslaan").click()
    page.wait_for_load_state()
    assert "kies een gemeente uit de lijst" in page.locator("#error-summary").inner_text()
    assert page.locator("datalist#places option[value='Westland (GM1783)']").count() == 1


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_form_receipt_and_list_are_accessible_and_fit(site, page, width, lang):
    base, _ = site
    page.set_viewport_size({"width": width, "height": 900})
    url = _submit(page, base, f"ZC01-A11Y-{width}-{lang}")
    for path in ("/reports/new", url.split(base)[1].split("?")[0], "/reports"):
        page.goto(f"{base}{path}?lang={lang}")
        assert axe_violations(page) == [], describe(axe_violations(page))
        width_seen = page.evaluate("document.documentElement.scrollWidth")
        assert width_seen <= width, (path, width_seen)
