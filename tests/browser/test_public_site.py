"""The public site in a real browser: every page of every role reflows down to 320 px (WCAG 2.1
1.4.10: no sideways scrolling of the document, wide tables and charts scroll in their own
container); a visitor finds the key figures, the annual reports, the definitions and every
footer link from the home page; the HTML annual report keeps its styles under the site's
Content-Security-Policy and passes axe."""

from __future__ import annotations

import pytest

from .helpers import PASSWORD, axe_violations, describe, login
from .test_registry_pages import CSP_WATCH, PAGES, _charts_settled

pytestmark = pytest.mark.slow  # a real browser against a real server

# the document's width, and the elements sticking out of the viewport that no scrolling
# container of their own holds (what makes the page scroll sideways)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const held = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return true; } return false; };
  const out = [...document.querySelectorAll('body *')].filter(el =>
    el.getBoundingClientRect().right > width + 1 && !held(el)).slice(0, 5)
    .map(el => `${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}`);
  return [document.documentElement.scrollWidth, out];
}"""


@pytest.mark.parametrize("width", [320])  # 390 px: with axe in test_registry_pages.py
@pytest.mark.parametrize("user", list(PAGES), ids=lambda u: u or "anonymous")
def test_every_page_reflows_without_sideways_scrolling(site, browser, user, width):
    base, _ = site
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        if user:
            login(page, base, user, PASSWORD)
        wide = {}
        for path in PAGES[user]:
            page.goto(f"{base}{path}")
            _charts_settled(page)
            scroll_width, culprits = page.evaluate(OVERFLOW)
            if scroll_width > width:
                wide[path] = (scroll_width, culprits)
        assert wide == {}, wide
    finally:
        context.close()


def test_a_visitor_finds_figures_reports_definitions_and_contact_from_the_home_page(site, page):
    base, _ = site
    page.goto(f"{base}/?lang=nl")
    assert page.locator("h1").inner_text() == "Zicht op mensenhandel"
    figures = page.locator(".zicht-figure")
    assert figures.count() == 4
    # the same key figures as the dashboard's
    home_values = page.locator(".zicht-figure__value").all_inner_texts()
    # a figure's label leads to its definition on the methods page
    figures.first.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.url.endswith("/methods#def-registered_persons")
    assert page.locator("#def-registered_persons").is_visible()
    page.goto(f"{base}/dashboard?lang=nl")
    assert page.locator(".zicht-figure__value").all_inner_texts() == home_values
    # the logo leads home, not to a login form; login is a small link for organisations
    page.get_by_role("link", name="zicht", exact=True).click()
    page.wait_for_load_state()
    assert page.url.rstrip("/") == base and page.locator("form[action='/login']").count() == 0
    assert page.get_by_role("link", name="Inloggen voor organisaties").is_visible()
    # every footer link opens a page
    footer = page.locator("footer a")
    hrefs = footer.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {"/dashboard", "/annual-reports", "/methods", "/downloads", "/about#contact",
            "/accessibility", "/api/v1/docs"} <= set(hrefs)
    for href in hrefs:
        response = page.request.get(f"{base}{href}")
        assert response.status == 200, href
    page.goto(f"{base}/accessibility?lang=nl")
    assert page.locator("h1").inner_text() == "Toegankelijkheidsverklaring"
    assert "Nalevingsstatus" in page.content()


def test_the_annual_report_is_reached_from_the_home_page_and_keeps_its_styles(site, browser):
    base, _ = site
    context = browser.new_context()  # the app's CSP enforced
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    try:
        page.goto(f"{base}/?lang=nl")
        page.get_by_role("link", name="Het jaarrapport").click()
        page.wait_for_load_state()
        assert page.url.endswith("/annual-reports")
        links = page.locator("main a")
        assert links.count() == 3  # the sample: PDF (nl), HTML (nl), HTML (en)
        pdf = page.request.get(f"{base}{links.first.get_attribute('href')}")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
        page.locator("main a[href$='.html'][hreflang=nl]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "nl"
        # the report's own stylesheet applied (the browser's default would be Times, 8px body
        # margin): the policy names its hash, and nothing was blocked
        assert page.evaluate("getComputedStyle(document.body).margin") != "8px"
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_html_annual_report_has_no_accessibility_violations(site, page, lang):
    base, _ = site
    page.goto(f"{base}/annual-reports?lang={lang}")
    href = page.locator(f"main a[href$='.html'][hreflang={lang}]").get_attribute("href")
    page.goto(f"{base}{href}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_another_site_can_frame_the_embeds_and_nothing_else(site, browser, tmp_path):
    import functools
    import http.server
    import threading

    base, _ = site
    (tmp_path / "index.html").write_text(
        f'<!DOCTYPE html><html lang="en"><title>elsewhere</title>'
        f'<iframe id="embed" title="chart" src="{base}/embed/overview?lang=nl" width="700" '
        f'height="600"></iframe><iframe id="page" title="page" src="{base}/dashboard" '
        f'width="700" height="300"></iframe></html>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # another origin
    threading.Thread(target=other.serve_forever, daemon=True).start()
    context = browser.new_context()  # the CSP enforced
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{other.server_port}/index.html")
        embed = page.frame_locator("#embed")
        embed.locator("figure.zicht-chart[data-chart=interactive]").wait_for(timeout=20_000)
        assert embed.locator("h1").inner_text() == "Geregistreerd en geschat aantal slachtoffers" \
            " per jaar"
        # the dashboard itself refuses to be framed: its frame holds no page of the app
        page.wait_for_timeout(500)
        framed = [f for f in page.frames if f.url.startswith(f"{base}/dashboard")]
        assert all(f.locator("h1").count() == 0 for f in framed)
    finally:
        context.close()
        other.shutdown()


def test_a_table_downloaded_from_its_page_holds_the_numbers_shown(site, browser):
    import csv
    import io

    base, _ = site
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/dashboard/breakdowns?lang=nl")
        table = page.locator("table#breakdown-sex")
        shown = table.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
        link = page.locator("table#breakdown-sex").locator(
            "xpath=ancestor::div[contains(@class, 'utrecht-table-container')]"
            "/following-sibling::p[1]").get_by_role("link", name="CSV")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename.endswith("-breakdowns-breakdown-sex-nl.csv")
        rows = list(csv.reader(io.StringIO(
            open(download.path(), encoding="utf-8-sig").read())))
        assert rows[0] == [table.locator("caption").inner_text().strip()]
        assert len(shown) >= 2 and rows[2:] == shown
    finally:
        context.close()


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_each_target_s_status_agrees_with_its_trend_line_as_the_page_shows_it(site, page):
    """Point 5: the status word, the trend's sign and the projection in the reasoning come from
    one line; read them back from the page (English) and check that they agree."""
    import re

    base, _ = site
    page.goto(f"{base}/dashboard?lang=en")
    rows = page.locator("#targets tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    with_line = 0
    for row in rows:
        status, reason = row[3], row[4]
        if status == "no data":  # every year's value suppressed in the sample (k = 2)
            assert reason == "no values for this indicator"
            continue
        goal = re.search(r"target (at least|at most) (\S+) by", reason)
        assert goal, reason
        sign = 1 if goal[1] == "at least" else -1
        line = re.search(r"trend line \S+ in \d{4}, ([+-][\d.,]+)[^,]*, (\S+) expected by",
                         reason)
        if line is None:  # met, or no trend: no projection to check
            continue
        with_line += 1
        projected, target = _number(line[2]), _number(goal[2])
        if sign * (projected - target) >= 0:
            assert status == "on track", row
        else:
            # the slope as shown is rounded ("+0.00"): its sign says the direction
            towards = line[1].startswith("+" if sign > 0 else "-")
            assert status == ("at risk" if towards else "off track"), row
            assert ("moving towards it" in reason) == towards, row
    assert with_line >= 3  # the sample publication has targets with a trend line
