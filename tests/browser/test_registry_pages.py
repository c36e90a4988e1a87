"""The registry's pages in a real browser (headless Chromium) over real HTTP: a reporter logs
in, fills the Dutch form, submits and finds the report in the organisation's list; every page
of every role, in Dutch and English, has no WCAG 2.1 A/AA violation (axe-core); the dashboard's
charts become interactive under the Content-Security-Policy and stay static without JavaScript;
screenshots of the dashboard's pages (``make screenshots`` writes them to docs/screenshots/)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from zicht.web.app import create_app

from .helpers import PASSWORD, axe_violations, describe, login, serving

pytestmark = pytest.mark.slow  # a real browser against a real server
def _charts_settled(page) -> None:
    """Wait until static/charts.js has made every chart on the page interactive or left it
    static (it marks the figure with data-chart); at once on a page without charts."""
    page.wait_for_function("() => [...document.querySelectorAll('figure.zicht-chart')]"
                           ".every(f => f.dataset.chart)", timeout=20_000)


def _login(page, base: str, username: str, lang: str = "nl") -> None:
    login(page, base, username, PASSWORD, lang)


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
    assert "arbeidsuitbuiting" in row.inner_text() and "ZC-01" in row.inner_text()
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


PAGES = {  # every page of every role (the reflow test in test_public_site.py reads it too)
    None: ["/", "/login", "/dashboard", "/dashboard/breakdowns", "/dashboard/overlap",
           "/dashboard/protection", "/dashboard/modus-operandi", "/annual-reports", "/methods",
           "/about", "/accessibility",
           "/downloads",
           "/embed/overview", "/embed/breakdowns/sex", "/embed/overlap"],
    "anna": ["/", "/reports", "/reports/new", "/import"],
    "ali": ["/", "/reports", "/dashboard/methods", "/dashboard/whatif",
            "/dashboard/whatif?category=ZC&rate=0.1&replicates=2",
            "/dashboard/whatif?category=ZC&rate=7&replicates=2"],
    "beheer": ["/", "/admin"],
    "audit": ["/", "/audit"],
}


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("user", list(PAGES), ids=lambda u: u or "anonymous")
def test_pages_have_no_accessibility_violations(site, page, user, lang, width):
    base, _ = site
    page.set_viewport_size({"width": width, "height": 900})
    if user:
        _login(page, base, user, lang)
    found = {}
    for path in PAGES[user]:
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        _charts_settled(page)  # axe sees the interactive charts
        assert page.locator("html").get_attribute("lang") == lang
        # no sideways scrolling at the phone's width (320 px: test_public_site.py)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        violations = axe_violations(page)
        if violations:
            found[path] = describe(violations)
    assert found == {}, "\n".join(f"{p}:\n{d}" for p, d in found.items())


def test_dashboard_renders_charts_switches_language_and_keeps_analyst_pages_closed(site, page):
    base, _ = site
    page.goto(f"{base}/dashboard?lang=nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Zicht op mensenhandel"
    _charts_settled(page)
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
    assert response.status == 200
    _charts_settled(page)
    assert page.locator("figure.zicht-chart svg").count() == 1


# Reports what the CSP blocked (an eval, an injected <style>, a script from elsewhere ...).
CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
), true);"""
CHART_PAGES = {None: ["/dashboard", "/dashboard/breakdowns", "/dashboard/overlap",
                      "/dashboard/protection", "/dashboard/modus-operandi"],
               "ali": ["/dashboard/methods"]}


def _watch(page, base: str) -> list[str]:
    """Console errors and warnings, uncaught exceptions and requests to anywhere but the app
    (the site works offline), collected while the page is used."""
    problems = []

    def console(msg):
        # Chromium asks for /favicon.ico on its own; the app has none (not the charts' doing)
        if msg.type in ("error", "warning") and not msg.location.get("url", "").endswith(
                "/favicon.ico"):
            problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("request", lambda req: req.url.startswith(base) or problems.append(
        f"request outside the app: {req.url}"))
    return problems


def _tooltip(page) -> dict[str, str]:
    """The visible chart tooltip as {key: value}."""
    tip = page.wait_for_selector("#zicht-chart-tooltip.visible")
    return dict(tip.eval_on_selector_all(
        "tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"))


def test_dashboard_charts_are_interactive_under_the_csp_and_show_the_numbers(site, browser):
    base, _ = site
    context = browser.new_context()  # the app's CSP enforced (the page fixture bypasses it)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    problems = _watch(page, base)
    try:
        for user, paths in CHART_PAGES.items():
            if user:
                _login(page, base, user)
            for path in paths:
                page.goto(f"{base}{path}?lang=nl")
                _charts_settled(page)
                figures = page.locator("figure.zicht-chart")
                n = figures.count()
                assert n >= 1, path
                # vega-embed drew every chart and the server's SVG made way for it
                assert figures.evaluate_all("fs => fs.map(f => f.dataset.chart)") == [
                    "interactive"] * n, (path, problems)
                assert page.locator("figure.zicht-chart .vega-embed svg").count() == n, path
                assert page.locator(".zicht-chart__static").count() == 0, path
                problems.extend(f"{path}: CSP {v}" for v in page.evaluate("window.__csp"))

        # hovering a bar shows its year and number, as in the table beside the chart
        page.goto(f"{base}/dashboard?lang=nl")
        _charts_settled(page)
        table = page.locator("#overview tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
        # the year, without the latest year's "(voorlopig)"
        assert table[-1][0].endswith("(voorlopig)")
        registered = {row[0].split()[0]: row[1] for row in table}
        estimated = {row[0].split()[0]: row[2] for row in table}
        bars = page.locator("figure.zicht-chart .vega-embed .mark-rect path")
        assert bars.count() == sum(v != "geheim" for v in registered.values()) >= 1
        for i in range(bars.count()):
            bars.nth(i).hover()
            tip = _tooltip(page)
            assert tip["geregistreerd"] == registered[tip["jaar"]], tip
        page.mouse.move(1, 1)
        page.wait_for_selector("#zicht-chart-tooltip:not(.visible)", state="attached")

        # the keyboard: Tab to the chart shows the first mark's numbers, End the last one
        chart = page.locator(".zicht-chart__interactive")
        for _ in range(40):
            page.keyboard.press("Tab")
            if chart.evaluate("el => el === document.activeElement"):
                break
        else:
            raise AssertionError("the chart cannot be reached with Tab")
        years = sorted(y for y, v in registered.items() if v != "geheim")
        assert len(years) >= 2, "the sample publication has two years with a bar"
        assert _tooltip(page) == {"jaar": years[0], "geregistreerd": registered[years[0]]}
        # the hint in the page's language (from the catalogue, through the script's data-hint)
        assert chart.get_attribute("aria-label") == (
            "Interactieve grafiek: de pijltjestoetsen tonen de waarden.")
        assert page.locator(".zicht-chart__focus").is_visible()
        page.keyboard.press("ArrowRight")
        assert _tooltip(page) == {"jaar": years[1], "geregistreerd": registered[years[1]]}
        page.keyboard.press("End")
        last = max(y for y, v in estimated.items() if v not in ("-", "geheim"))
        tip = _tooltip(page)
        assert tip["jaar"] == last and tip["geschat"] == estimated[last], tip
        page.keyboard.press("Escape")
        page.wait_for_selector("#zicht-chart-tooltip:not(.visible)", state="attached")
        problems.extend(f"CSP {v}" for v in page.evaluate("window.__csp"))
        assert problems == []
    finally:
        context.close()


def test_dashboard_charts_stay_static_without_javascript(site, browser):
    base, _ = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for path in CHART_PAGES[None]:
            page.goto(f"{base}{path}?lang=nl")
            n = page.locator("figure.zicht-chart").count()
            assert n >= 1, path
            assert page.locator("figure.zicht-chart .zicht-chart__static svg").count() == n
            assert page.locator(".vega-embed, [data-chart]").count() == 0
    finally:
        context.close()


def test_a_chart_spec_cannot_close_its_script_element(page):
    from zicht.web.dashboard import _chart

    spec = {"data": {"values": [
        {"level": "</script><script>window.escaped = true</script>", "n": 1},
        {"level": "<!-- <script>", "n": 2}, {"level": "a & b > c \u2028 \u00e9", "n": 3}]},
        "mark": "bar", "encoding": {"x": {"field": "level", "type": "nominal"},
                                    "y": {"field": "n", "type": "quantitative"}}}
    from zicht.monitor.charts import localized

    page.set_content(
        f'<figure class="zicht-chart">{_chart(spec, "nl")}</figure><p id="after">x</p>')
    assert page.locator("script.zicht-chart-spec").count() == 1
    assert page.evaluate(
        "JSON.parse(document.querySelector('script.zicht-chart-spec').textContent)") == \
        localized(spec, "nl")
    assert page.evaluate("window.escaped") is None
    assert page.locator("figure.zicht-chart + #after").count() == 1


SCREENSHOTS = [  # (file name, user, path, window width)
    ("home-nl", None, "/?lang=nl", 1280),
    ("dashboard-nl", None, "/dashboard?lang=nl", 1280),
    ("breakdowns-nl", None, "/dashboard/breakdowns?lang=nl", 1280),
    ("overlap-nl", None, "/dashboard/overlap?lang=nl", 1280),
    ("obligation-nl", None, "/dashboard/reporting-obligation?lang=nl", 1280),
    ("dashboard-en", None, "/dashboard?lang=en", 1280),
    ("dashboard-phone-nl", None, "/dashboard?lang=nl", 390),
    ("methods-nl", "ali", "/dashboard/methods?lang=nl", 1280),
    ("whatif-nl", "ali", "/dashboard/whatif?category=ZC&rate=0%2C2&replicates=5&lang=nl", 1280),
]


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def test_screenshots_of_the_dashboard(site, publication, browser, tmp_path):
    """Full-page screenshots of the dashboard's pages, charts drawn, for the README: into
    pytest's tmp dir, or the folder ZICHT_SCREENSHOTS names (``make screenshots``:
    docs/screenshots/). ZICHT_SCREENSHOT_PUBLICATION names another publication to show
    (default: the sample publication of these tests)."""
    _, reg = site
    out = Path(os.environ.get("ZICHT_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    pub = Path(os.environ.get("ZICHT_SCREENSHOT_PUBLICATION") or publication)
    assert pub.is_file(), f"ZICHT_SCREENSHOT_PUBLICATION: no file {pub}"
    app = create_app(reg)
    app.state.publication_path = str(pub)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        with serving(app) as base:
            for name, user, path, width in SCREENSHOTS:
                if user and page.locator(".zicht-userbar").count() == 0:
                    _login(page, base, user)
                page.set_viewport_size({"width": width, "height": 800})
                response = page.goto(f"{base}{path}")
                assert response.status == 200, path
                _charts_settled(page)
                assert page.locator("figure.zicht-chart[data-chart=static]").count() == 0, path
                page.screenshot(path=out / f"{name}.png", full_page=True)
    finally:
        context.close()
    for name, _, _, window in SCREENSHOTS:
        png = out / f"{name}.png"
        width, height = _png_size(png)
        assert width == window and height >= 600, (png, width, height)  # no sideways overflow
        assert png.stat().st_size > 20_000, png  # a page with text and charts, not a blank
