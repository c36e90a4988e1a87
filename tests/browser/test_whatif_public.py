"""The public what-if of a reporting obligation in a real browser (headless Chromium): no WCAG
2.1 A/AA violation (axe-core) in Dutch and English at 1366 and 390 px, for an anonymous visitor
and a logged-in analyst; at 390 px the document does not scroll sideways (the tables and the
chart scroll inside their own frame)."""

from __future__ import annotations

import pytest

from tests.monitor.whatif_sample import whatif_publication
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .helpers import axe_violations, describe, login, serving

pytestmark = pytest.mark.slow  # a real browser against a real server
PASSWORD = "Correct-Horse-9-Battery"
KEY = "5c" * 32
PATH = "/dashboard/reporting-obligation"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ZICHT_PSEUDONYM_KEY", KEY)
    folder = tmp_path_factory.mktemp("site")
    reg = Registry(Settings.from_env(database_url=f"sqlite:///{folder / 'zicht.db'}"))
    reg.upgrade()
    reg.add_user(operator("test"), "ali", "analyst", PASSWORD, None)
    app = create_app(reg)
    app.state.publication_path = str(whatif_publication(folder / "publication.json"))
    with serving(app) as base:
        yield base
    reg.dispose()
    mp.undo()


@pytest.mark.parametrize("user", [None, "ali"])
@pytest.mark.parametrize("lang, title", [("nl", "Wat een meldplicht zou opleveren"),
                                         ("en", "What a reporting obligation would bring")])
@pytest.mark.parametrize("width", [1366, 390])
def test_the_page_is_accessible_and_reflows(site, browser, user, lang, title, width):
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        if user:
            login(page, site, user, PASSWORD, lang)
        page.goto(f"{site}{PATH}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.get_by_role("heading", level=1).inner_text() == title
        assert page.locator("table").count() >= 2
        page.wait_for_function("() => [...document.querySelectorAll('figure.zicht-chart')]"
                               ".every(f => f.dataset.chart)", timeout=20_000)
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the document is {scroll} px wide at {width} px"
    finally:
        context.close()
