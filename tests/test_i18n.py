"""The message catalogue (zicht/i18n.py): every text the code marks has its Dutch, the catalogue
is clean, translation and locale formatting work per language, and a Dutch page shows no
English text the catalogue translates."""

from __future__ import annotations

import ast
import datetime as dt
import html
import io
import re
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, unescape
from babel.support import Translations

from zicht.i18n import (
    KEYWORDS,
    N_,
    Translator,
    catalogue_path,
    format_date,
    format_number,
    format_percent,
    install_jinja,
    translator,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zicht"
PO = catalogue_path("nl")


def _extracted() -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) -> the first place that uses it, as `pybabel extract -F babel.cfg ...
    zicht` finds them (plural forms by their singular)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[tuple[str | None, str], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **KEYWORDS}):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault((context, msgid), f"{filename}:{lineno}")
    return found


def _entries() -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of every entry in the PO file as written (read_po would merge a
    duplicate silently); entries are separated by blank lines."""
    entries = []
    for block in re.split(r"\n\s*\n", PO.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[key] += unescape(line)
                continue
            key, _, rest = line.partition(" ")
            fields[key] = unescape(rest)
        if fields.get("msgid"):  # not the header
            entries.append((fields.get("msgctxt"), fields["msgid"]))
    return entries


def _catalogue():
    with PO.open("rb") as fh:
        return read_po(fh, locale="nl")


def test_every_extracted_msgid_has_a_dutch_translation():
    catalogue = _catalogue()
    missing = [f"{where}: {msgid!r}" + (f" (msgctxt {context!r})" if context else "")
               for (context, msgid), where in _extracted().items()
               if not ((m := catalogue.get(msgid, context=context))
                       and (m.string if isinstance(m.string, str) else all(m.string)))]
    assert missing == [], "untranslated (append them to zicht.po):\n" + "\n".join(missing)


def test_every_catalogue_entry_is_used():
    """Every entry is found by extraction: `make messages` (pybabel update --ignore-obsolete)
    would otherwise drop its Dutch, and a text with a context marker extraction does not know
    (NC_) would lose its translation on the next update."""
    extracted = set(_extracted())
    unused = [f"{msgid!r}" + (f" (msgctxt {context!r})" if context else "")
              for context, msgid in _entries() if (context, msgid) not in extracted]
    assert unused == [], "in zicht.po but used nowhere:\n" + "\n".join(unused)


def test_the_web_marks_its_texts_for_extraction():
    """The pages' texts are found by extraction (a sample from each kind of place)."""
    found = {msgid for _context, msgid in _extracted()}
    for msgid in ("Skip to main content", "Home", "Sight of human trafficking",
                  "Estimation methods", "Interactive chart: the arrow keys show the values.",
                  "day and month swapped", "{field} is required", "invalid request",
                  "Registry API documentation"):
        assert msgid in found, msgid


def test_the_catalogue_has_no_duplicate_and_no_fuzzy_entry():
    entries = _entries()
    seen, duplicates = set(), []
    for entry in entries:
        if entry in seen:
            duplicates.append(entry)
        seen.add(entry)
    assert duplicates == []
    catalogue = _catalogue()
    assert len(entries) == len(catalogue) >= 250
    assert [m.id for m in catalogue if m.id and m.fuzzy] == []
    assert catalogue.locale_identifier == "nl"
    assert catalogue.plural_forms == "nplurals=2; plural=(n != 1);"


def test_placeholders_are_kept_in_translation():
    """A Dutch text uses the placeholders of its msgid (a translation that drops or renames
    one would fail at .format or say less)."""
    names = re.compile(r"\{(\w*)[^{}]*\}")
    wrong = [m.id for m in _catalogue() if m.id and isinstance(m.id, str)
             and sorted(names.findall(m.id)) != sorted(names.findall(m.string))]
    assert wrong == []


def test_translation_by_language():
    nl, en = translator("nl"), translator("en")
    assert nl("Skip to main content") == "Direct naar de inhoud"
    assert en("Skip to main content") == "Skip to main content"
    assert nl("a text nobody has translated") == "a text nobody has translated"
    assert translator(None) is nl and translator("de")("Home") == "Home"
    assert nl.ngettext("{n} thing", "{n} things", 1) == "{n} thing"  # untranslated: English
    assert nl.ngettext("{n} thing", "{n} things", 3) == "{n} things"


def test_plural_forms_follow_the_catalogue():
    """ngettext picks the Dutch form by the catalogue's plural rule (no text of zicht needs a
    plural yet, so the catalogue here is made in the test)."""
    catalogue = Catalog(locale="nl")
    catalogue.add(("{n} report", "{n} reports"), ("{n} melding", "{n} meldingen"))
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    nl = Translator("nl", Translations(buffer))
    assert nl.ngettext("{n} report", "{n} reports", 1).format(n=1) == "1 melding"
    assert nl.ngettext("{n} report", "{n} reports", 3).format(n=3) == "3 meldingen"
    assert nl.ngettext("{n} report", "{n} reports", 0).format(n=0) == "0 meldingen"
    assert N_("Home") == "Home"


def test_locale_formatting():
    assert format_number(1234.5, "nl") == "1.234,5" and format_number(1234.5, "en") == "1,234.5"
    assert format_number(0.35, "nl") == "0,35" and format_number(0.3, "nl", decimals=2) == "0,30"
    assert format_number(12345, "nl", grouping=False) == "12345"
    assert format_percent(0.096, "nl", decimals=2) == "9,60%"
    assert format_percent(0.096, "en", decimals=2) == f"{0.096:.2%}"
    assert format_date(dt.date(2026, 3, 1), "nl") == "1 maart 2026"
    assert format_date(dt.date(2026, 3, 1), "en") == "March 1, 2026"


def test_templates_translate_for_their_own_language():
    """Two renders in two languages from one environment: the language is the context's."""
    env = jinja2.Environment(autoescape=True)
    install_jinja(env)
    template = env.from_string('{{ _("Main menu") }} {{ _("Key figures {year}", year=2024) }} '
                               '{{ 1234.5 | number }} {{ 0.25 | percent }}')
    assert template.render(lang="nl") == "Hoofdmenu Kerncijfers 2024 1.234,5 25%"
    assert template.render(lang="en") == "Main menu Key figures 2024 1,234.5 25%"


# -- a Dutch page shows no text the catalogue would have translated ------------------------------

def _visible_texts(page: str, data_only_rows: bool = False) -> list[str]:
    """The page's text nodes and the texts of its aria-label, title and placeholder attributes,
    without scripts and styles, identifiers marked translate="no" (an indicator's key), and
    without the table rows when they hold stored data only (as the audit log's)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<(\w+)\b[^>]*\btranslate="no"[^>]*>[^<]*</\1>', " ", page)
    if data_only_rows:
        page = re.sub(r"<tbody\b.*?</tbody>", " ", page, flags=re.S | re.I)
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    nodes = re.split(r"<[^>]*>", page)
    return [t for t in (" ".join(html.unescape(x).split()) for x in nodes + attributes) if t]


def _translated() -> list[tuple[str, str]]:
    """(msgid, Dutch) of every catalogue entry whose Dutch differs from its msgid."""
    nl = translator("nl")
    return [(m.id, nl(m.id)) for m in _catalogue()
            if isinstance(m.id, str) and m.id and nl(m.id) != m.id]


def _in(text: str, whole: str) -> bool:
    """Whether the literal parts of ``text`` of three words or more (between its placeholders)
    appear, as whole words, in ``whole``."""
    return any(len(f.split()) >= 3 and re.search(r"(?<!\w)" + re.escape(f) + r"(?!\w)", whole)
               for f in (p.strip() for p in re.split(r"\{[^{}]*\}", text)))


def _english_left(texts: list[str]) -> list[str]:
    """The msgids with a different Dutch translation that appear in ``texts``: a one-word msgid
    as a whole text, a longer one (its literal parts between placeholders) within a text."""
    whole = " \n ".join(texts)
    return [msgid for msgid, _nl in _translated()
            if (msgid in texts if " " not in msgid.strip() else _in(msgid, whole))]


@pytest.fixture
def dutch_site(tmp_path, monkeypatch):
    """The app on a fresh SQLite registry with a user of every role and the sample
    publication; yields (TestClient, log in as role)."""
    from fastapi.testclient import TestClient

    from tests.monitor.sample import sample_publication
    from zicht.registry.service import Registry, operator
    from zicht.registry.settings import Settings
    from zicht.web.app import create_app

    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", "a3" * 32)
    monkeypatch.delenv("ZICHT_PSEUDONYM_KEY_FILE", raising=False)
    registry = Registry(Settings.from_env(database_url=f"sqlite:///{tmp_path / 'z.db'}"))
    registry.upgrade()
    op, password = operator("test"), "Correct-Horse-9-Battery"
    registry.add_organisation(op, "ORG-A", "Zorgcoördinatie A", "ZC")
    for role in ("reporter", "analyst", "admin", "auditor"):  # user names are data, not words
        registry.add_user(op, f"u-{role}", role, password,
                          "ORG-A" if role == "reporter" else None)
    app = create_app(registry)
    app.state.publication_path = str(sample_publication(tmp_path / "publication.json"))

    def client_of(role: str | None) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        if role:
            form = client.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            client.post("/login", data={"username": f"u-{role}", "password": password,
                                        "csrf_token": csrf})
        return client

    yield client_of
    registry.dispose()


PAGES = {
    None: ("/", "/login", "/dashboard", "/dashboard/breakdowns", "/dashboard/overlap",
           "/dashboard/reporting-obligation", "/dashboard/protection", "/annual-reports",
           "/methods", "/downloads",
           "/about", "/accessibility", "/api/v1/docs", "/no-such-page"),
    "reporter": ("/", "/reports", "/reports/new", "/import"),
    "analyst": ("/", "/reports", "/dashboard/methods", "/dashboard/review",
                "/dashboard/whatif", "/dashboard/whatif?category=ZC&rate=0%2C2&replicates=2"),
    "admin": ("/", "/admin"),
    "auditor": ("/", "/audit"),
}


def _dutch_left(texts: list[str]) -> list[str]:
    """The Dutch translations (of three words or more, different from their msgid) that appear
    in ``texts``: Dutch on an English page."""
    whole = " \n ".join(texts)
    return [dutch for _msgid, dutch in _translated() if _in(dutch, whole)]


def test_dutch_pages_show_no_untranslated_text(dutch_site):
    left = {}
    for role, paths in PAGES.items():
        client = dutch_site(role)
        for path in paths:
            response = client.get(path)
            assert response.status_code in (200, 404), (role, path)
            english = _english_left(_visible_texts(response.text, path == "/audit"))
            if english:
                left[f"{role} {path}"] = english
        # a refused form in Dutch: its messages too
        if role == "reporter":
            page = client.get("/reports/new").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            refused = client.post("/reports/new", data={"csrf_token": csrf, "sex": "Q"})
            assert refused.status_code == 422
            assert "organisatie" in refused.text or "is verplicht" in refused.text
            english = _english_left(_visible_texts(refused.text))
            if english:
                left["reporter POST /reports/new"] = english
    assert left == {}


def test_english_pages_show_no_dutch_text(dutch_site):
    left = {}
    for role, paths in PAGES.items():
        client = dutch_site(role)
        for path in paths:
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang=en")
            assert response.status_code in (200, 404), (role, path)
            dutch = _dutch_left(_visible_texts(response.text, path == "/audit"))
            if dutch:
                left[f"{role} {path}"] = dutch
    assert left == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_annual_report_is_in_one_language(tmp_path, lang):
    import json

    from tests.monitor.sample import sample_publication
    from zicht.report.render import render_html

    doc = json.loads(sample_publication(tmp_path / "publication.json").read_text())
    texts = _visible_texts(render_html(doc, lang=lang))
    left = _english_left(texts) if lang == "nl" else _dutch_left(texts)
    assert left == []


def test_the_english_pages_are_the_msgids(dutch_site):
    """The same check the other way round is meaningless (English is the msgid), so: an
    English page shows the English text and none of the Dutch."""
    page = dutch_site(None).get("/dashboard?lang=en").text
    assert "Sight of human trafficking" in page and "Skip to main content" in page
    assert "Zicht op mensenhandel" not in page and "Direct naar de inhoud" not in page
    # and the check of the Dutch pages finds English text where there is some
    assert len(_english_left(_visible_texts(page))) >= 10


def test_python_text_tables_hold_msgids_not_language_pairs():
    """The web's modules choose no language inline: no `lang == "nl"` and no (nl, en) pairs."""
    offenders = []
    for path in sorted((PACKAGE / "web").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and c.value == "nl" for c in node.comparators):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
