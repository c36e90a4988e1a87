"""The page layout and form macros (zicht/web/templates) pass axe-core's WCAG 2.1 A/AA checks.

Renders base.html with a sample form built from macros.html using Jinja2 alone (no app),
serves it with zicht/web/static at /static from a local server, and runs axe in Chromium.
"""

import functools
import http.server
import re
import threading
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from zicht.i18n import install_jinja

from .helpers import axe_violations, describe

pytestmark = pytest.mark.slow  # a real browser
WEB = Path(__file__).resolve().parents[2] / "zicht" / "web"

SAMPLE = """
{%- extends "base.html" %}
{%- import "macros.html" as m %}
{%- block title %}{{ L.title }} - zicht{% endblock %}
{%- block content %}
<h1 class="utrecht-heading-1">{{ L.title }}</h1>
{{ m.alert("info", message=L.intro) }}
{{ m.error_summary(errors, L.problem) }}
<form method="post" action="" novalidate>
  {{ m.text_input("reference", L.reference, value=form.reference, description=L.reference_help,
                  error=err.reference, required=true, autocomplete="off") }}
  {{ m.date_input("reported_on", L.reported_on, value=form.reported_on, error=err.reported_on,
                  required=true) }}
  {{ m.number_input("age", L.age, value=form.age, description=L.age_help, error=err.age) }}
  {{ m.select("organisation", L.organisation, L.organisations, value=form.organisation,
              placeholder=L.choose, error=err.organisation, required=true) }}
  {{ m.radio_group("sex", L.sex, L.sexes, value=form.sex, error=err.sex, required=true) }}
  {{ m.checkbox_group("forms", L.forms, L.forms_of_exploitation, values=form.forms,
                      description=L.forms_help, error=err.forms) }}
  {% call m.button_group() -%}
    {{ m.button(L.save) }}
    {{ m.button(L.clear, type="reset", variant="secondary") }}
  {%- endcall %}
</form>
{{ m.table("recent", L.recent, L.columns, rows, numeric=(2,), empty=L.none) }}
{{ m.button_link("/reports/new", L.new) }}
{%- endblock %}
"""

ORGANISATIONS = [
    ("politie", "Politie"),
    ("kmar", "Koninklijke Marechaussee"),
    ("nla", "Nederlandse Arbeidsinspectie"),
]

LABELS = {
    "nl": {
        "title": "Melding invoeren",
        "intro": "Velden met een fout zijn gemarkeerd.",
        "problem": "Er is een probleem",
        "reference": "Kenmerk",
        "reference_help": "Het kenmerk van de melder, bijvoorbeeld 2024-0012.",
        "reported_on": "Datum van melding",
        "age": "Leeftijd",
        "age_help": "In jaren, op de datum van melding.",
        "organisation": "Organisatie",
        "organisations": ORGANISATIONS,
        "choose": "Kies een organisatie",
        "sex": "Geslacht",
        "sexes": [("f", "Vrouw"), ("m", "Man"), ("x", "Onbekend")],
        "forms": "Vormen van uitbuiting",
        "forms_of_exploitation": [
            ("sexual", "Seksueel"), ("labour", "Arbeid"), ("criminal", "Criminaliteit")],
        "forms_help": "Kies alle vormen die van toepassing zijn.",
        "save": "Opslaan",
        "clear": "Wissen",
        "recent": "Recente meldingen",
        "columns": ["Kenmerk", "Organisatie", "Aantal"],
        "none": "Geen meldingen.",
        "new": "Nieuwe melding",
        "errors": {
            "reference": "Vul het kenmerk in.",
            "age": "Vul een leeftijd in jaren in.",
            "sex": "Kies een geslacht.",
            "forms": "Kies minstens één vorm.",
        },
    },
    "en": {
        "title": "Enter a report",
        "intro": "Fields with an error are marked.",
        "problem": "There is a problem",
        "reference": "Reference",
        "reference_help": "The reporter's reference, for example 2024-0012.",
        "reported_on": "Date of report",
        "age": "Age",
        "age_help": "In years, on the date of report.",
        "organisation": "Organisation",
        "organisations": ORGANISATIONS,
        "choose": "Choose an organisation",
        "sex": "Sex",
        "sexes": [("f", "Female"), ("m", "Male"), ("x", "Unknown")],
        "forms": "Forms of exploitation",
        "forms_of_exploitation": [
            ("sexual", "Sexual"), ("labour", "Labour"), ("criminal", "Criminal")],
        "forms_help": "Choose all forms that apply.",
        "save": "Save",
        "clear": "Clear",
        "recent": "Recent reports",
        "columns": ["Reference", "Organisation", "Number"],
        "none": "No reports.",
        "new": "New report",
        "errors": {
            "reference": "Enter the reference.",
            "age": "Enter an age in years.",
            "sex": "Choose a sex.",
            "forms": "Choose at least one form.",
        },
    },
}

FIELDS = ("reference", "reported_on", "age", "organisation", "sex", "forms")
LINK = Markup('<a class="utrecht-link utrecht-link--html-a" href="/r/2">2024-0013</a>')


def render(lang: str, with_errors: bool) -> str:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(WEB / "templates"),
            jinja2.DictLoader({"sample.html": SAMPLE}),
        ]),
        autoescape=jinja2.select_autoescape(),  # as starlette's Jinja2Templates
        undefined=jinja2.StrictUndefined,
    )
    install_jinja(env)  # base.html's texts come from the message catalogue, as in the app
    labels = LABELS[lang]
    err = dict.fromkeys(FIELDS)
    if with_errors:
        err.update(labels["errors"])
    form = {
        "reference": "2024-<12>",
        "reported_on": "2024-03-01",
        "age": "abc" if with_errors else "17",
        "organisation": "kmar",
        "sex": None if with_errors else "f",
        "forms": ["sexual", "labour"],
    }
    return env.get_template("sample.html").render(
        lang=lang,
        L=labels,
        nav_items=[("/", "Home", False), ("/reports", labels["recent"], True)],
        errors=[(k, v) for k, v in err.items() if v],
        err=err,
        form=form,
        rows=[["2024-0012", "Politie", 1], [LINK, "KMar", 12]],
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Serves the rendered pages at /<lang>-<ok|errors>.html and zicht/web/static at /static."""
    root = tmp_path_factory.mktemp("site")
    (root / "static").symlink_to(WEB / "static", target_is_directory=True)
    for lang in ("nl", "en"):
        for with_errors in (False, True):
            name = f"{lang}-{'errors' if with_errors else 'ok'}.html"
            (root / name).write_text(render(lang, with_errors), encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PAGES = ["nl-ok", "nl-errors", "en-ok", "en-errors"]


@pytest.mark.parametrize("name", PAGES)
def test_no_javascript_in_pages(site, name):
    html = (site[0] / f"{name}.html").read_text()
    assert "<script" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)


@pytest.mark.parametrize("name", PAGES)
def test_axe_wcag21_aa(site, page, name):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{site[1]}/{name}.html")
    assert not failed, f"missing files: {failed}"
    # The NLDS CSS really applies: theme tokens on <html>, the theme's font, a styled button.
    assert page.evaluate(
        "getComputedStyle(document.documentElement)"
        ".getPropertyValue('--utrecht-button-primary-action-background-color')"
    ).strip()
    font = page.evaluate("getComputedStyle(document.querySelector('label')).fontFamily")
    assert "Noto Sans" in font
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.utrecht-button--primary-action')).backgroundColor"
    ) not in ("", "rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_error_markup(site, page):
    page.goto(f"{site[1]}/en-errors.html")
    assert page.title().startswith("Error: ")
    # The summary has the focus on load and every link lands on an existing control.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    targets = page.eval_on_selector_all(
        ".zicht-error-summary a", "links => links.map(a => a.hash.slice(1))"
    )
    assert targets == ["reference", "age", "sex", "forms"]
    for t in targets:
        assert page.locator(f"#{t}").evaluate("e => e.matches('input, select')")
    # Invalid controls point at their description and error message.
    age = page.locator("#age")
    assert age.get_attribute("aria-invalid") == "true"
    assert age.get_attribute("aria-describedby") == "age-description age-error"
    assert page.locator("#reported_on").get_attribute("aria-invalid") is None
    assert page.locator("fieldset:has(#sex)").get_attribute("aria-describedby") == "sex-error"
    # Values are escaped and kept; the multi-valued field keeps its checked boxes.
    assert page.locator("#reference").input_value() == "2024-<12>"
    assert page.locator("input[name=forms]:checked").count() == 2
    assert page.locator("#organisation").input_value() == "kmar"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_language_switch_and_skip_link(site, page, lang):
    page.goto(f"{site[1]}/{lang}-ok.html")
    assert page.locator("html").get_attribute("lang") == lang
    current = page.locator(".zicht-lang-switch a[aria-current=true]")
    assert current.count() == 1
    assert current.get_attribute("hreflang") == lang
    # The skip link is the first focusable element and leads to <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
