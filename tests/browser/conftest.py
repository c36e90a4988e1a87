"""Fixtures of the browser tests: one headless Chromium per test process, a fresh page per test,
and the site (a registry with a user of every role, the sample publication and its annual
reports) served over real HTTP."""

import json
from pathlib import Path

import pytest

from tests.monitor.sample import sample_publication
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings
from zicht.web.app import create_app

from .helpers import PASSWORD, launch_browser, serving

KEY = "5c" * 32


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (xdist worker)."""
    with launch_browser() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page in its own context; CSP bypassed so that axe can be injected."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def publication(tmp_path_factory) -> Path:
    """The sample publication (tests/monitor/sample.py) the dashboard pages read."""
    return sample_publication(tmp_path_factory.mktemp("pub") / "publication.json")


@pytest.fixture(scope="session")
def annual_reports(tmp_path_factory, publication) -> Path:
    """The sample publication's annual report as ``zicht report`` names it: HTML in Dutch and
    English (rendered), and a Dutch PDF (a one-page stand-in: WeasyPrint would take 20 s here,
    and tests/report renders the real one)."""
    from pypdf import PdfWriter

    from zicht.report.render import render_html

    folder = tmp_path_factory.mktemp("reports")
    doc = json.loads(publication.read_text())
    for lang, name in (("nl", "jaarrapport"), ("en", "annual-report")):
        html = render_html(doc, lang=lang)
        (folder / f"{name}-{doc['latest_year']}.html").write_text(html, encoding="utf-8")
    pdf = PdfWriter()
    pdf.add_blank_page(595, 842)
    pdf.write(folder / f"jaarrapport-{doc['latest_year']}.pdf")
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory, publication, annual_reports):
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
    app = create_app(reg)
    app.state.publication_path = str(publication)
    app.state.reports_path = str(annual_reports)
    with serving(app) as base:
        yield base, reg
    reg.dispose()
    mp.undo()
