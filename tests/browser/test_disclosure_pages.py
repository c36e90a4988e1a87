"""Disclosure control that does not take over (issue 18, points 9 and 11), in a real browser on
the sample publication (tests/monitor/sample.py): the overlap page pools small combinations
into "other combinations" and suppresses far fewer rows than suppression alone; a suppressed
point of a trend chart is marked and named; the estimates by group show their intervals; both
pages are axe-clean in Dutch and English at 1366 and 390 px, without horizontal scrolling of
the document at 390 px, and open to every role."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.monitor.sample import OVERLAP
from zicht.monitor.disclosure import protect_series

from .helpers import PASSWORD, axe_violations, describe, login

pytestmark = pytest.mark.slow  # a real browser against a real server


PAGES = ("/dashboard/breakdowns", "/dashboard/overlap")


def _settled(page) -> None:
    page.wait_for_function("() => [...document.querySelectorAll('figure.zicht-chart')]"
                           ".every(f => f.dataset.chart)", timeout=20_000)


def _rows(page, table: str) -> list[list[str]]:
    return page.locator(f"#{table} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def test_the_overlap_page_pools_small_combinations(site, page):
    base, _ = site
    page.goto(f"{base}/dashboard/overlap?lang=nl")
    _settled(page)
    rows = dict(_rows(page, "overlap"))
    assert rows["overige combinaties van 2 tot 3 meldercategorieën"] == "16"
    assert rows["overige afzonderlijke meldercategorieën"] == "11"
    assert not any("KMAR+POL" in name for name in rows)  # pooled, not listed on its own
    # suppression alone hid every small combination and a neighbour with it
    before = int(protect_series(pd.Series(OVERLAP), k=10, total=False,
                                known_total=True).suppressed.sum())
    after = sum(v == "geheim" for v in rows.values())
    assert before >= 7 and after <= before // 4
    assert "samengevoegd tot 'overige combinaties'" in page.locator("main").inner_text()
    page.goto(f"{base}/dashboard/overlap?lang=en")
    rows = dict(_rows(page, "overlap"))
    assert rows["other combinations of 2 to 3 reporter categories"] == "16"


def test_a_suppressed_point_is_marked_in_the_chart_and_named_in_its_caption(site, page):
    base, _ = site
    page.goto(f"{base}/dashboard/breakdowns?lang=nl")
    _settled(page)
    # the sample's regions: 2024 suppressed for both (one person in BES, three in NL)
    figure = page.locator("figure.zicht-chart").filter(has_text="regio")
    assert figure.count() == 1
    caption = figure.locator("figcaption").inner_text()
    assert "Open markeringen zijn geheime aantallen" in caption and "2024" in caption
    assert "stippellijn" in caption
    # the chart's legend has the entry, and a hollow symbol stands in the chart
    svg = figure.locator(".vega-embed svg")
    assert "geheim" in (svg.text_content() or "")
    hollow = figure.locator(".vega-embed svg .mark-symbol path").evaluate_all(
        "ps => ps.filter(p => ['transparent', 'none'].includes(p.getAttribute('fill'))"
        " || p.style.fill === 'transparent').length")
    assert hollow >= 2
    # the table says so too (columns: level, 2023, 2024, total)
    rows = _rows(page, "breakdown-region")
    assert all(r[2] == "geheim" for r in rows[:-1]) and rows[-1][2] == "4", rows


def test_the_estimates_by_group_show_their_intervals(site, page):
    base, _ = site
    page.goto(f"{base}/dashboard/breakdowns?lang=nl")
    assert page.locator("#groups").inner_text() == "Geschatte slachtoffers per groep"
    sex = {r[0]: r[1:] for r in _rows(page, "groups-sex")}
    assert sex["vrouw"][:2] == ["1.200", "900 - 1.700"]
    assert sex["som van de groepen"][:2] == ["2.100", "1.650 - 2.800"]
    minor = {r[0]: r[1:] for r in _rows(page, "groups-minor")}
    assert minor["minderjarigen (onder 18)"][:2] == ["640", "410 - 1.150"]
    form = {r[0]: r[1:] for r in _rows(page, "groups-form")}
    assert form["orgaanverwijdering"][:2] == ["-", "-"]
    assert form["orgaanverwijdering"][2] == "niet gepubliceerd: minder dan 10 personen"
    page.goto(f"{base}/dashboard/breakdowns?lang=en")
    sex = {r[0]: r[1:] for r in _rows(page, "groups-sex")}
    assert sex["female"][:2] == ["1,200", "900 - 1,700"]


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_pages_are_accessible_and_reflow(site, browser, lang, width):
    base, _ = site
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(f"{base}{path}?lang={lang}")
            _settled(page)
            violations = axe_violations(page)
            assert not violations, f"{path} {lang} {width}px:\n{describe(violations)}"
            if width == 390:
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= 390, f"{path} {lang}: the document scrolls sideways ({wide}px)"
    finally:
        context.close()


@pytest.mark.parametrize("user", [None, "anna", "ali", "beheer", "audit"])
def test_every_role_sees_the_public_pages(site, page, user):
    base, _ = site
    if user:
        login(page, base, user, PASSWORD)
    for path in PAGES:
        response = page.goto(f"{base}{path}?lang=en")
        assert response.status == 200, (user, path)
        assert page.locator("h1").inner_text() in ("Breakdowns", "Overlap between reporters")
    assert page.locator("#overlap").count() == 1
