"""The annual report (``zicht report``) on the shared sample publication: HTML in both languages
(headings, legend, verdicts, inline charts, no unprotected count), the PDF read back with pypdf
(pages, title, table of contents against the bookmarks), and the command's errors."""

import copy
import html as htmlmod
import json
import re

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.monitor.sample import sample_publication
from zicht.cli import app
from zicht.report import ReportError, build_report, load_publication, render_html

runner = CliRunner()


@pytest.fixture(scope="module")
def pub(tmp_path_factory):
    return sample_publication(tmp_path_factory.mktemp("pub") / "pub.json")


@pytest.fixture(scope="module")
def doc(pub):
    return load_publication(pub)


@pytest.fixture(scope="module")
def html(doc):
    return {lang: render_html(doc, lang=lang) for lang in ("nl", "en")}


@pytest.fixture(scope="module")
def pdf(pub, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    out = {}
    for lang in ("nl", "en"):
        report = build_report(pub, folder / f"report-{lang}.pdf", lang=lang)
        out[lang] = (report, PdfReader(report.path))
    return out


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(htmlmod.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _cell(page: str, by: str, level: str, year: int) -> str:
    table = re.search(rf'<table[^>]*id="table-{by}".*?</table>', page, re.S).group(0)
    m = re.search(rf'<td[^>]*data-level="{re.escape(level)}" data-year="{year}"[^>]*>(.*?)</td>',
                  table, re.S)
    assert m, (by, level, year)
    return _text(m.group(1))


@pytest.mark.parametrize("lang, headings, legend", [
    ("nl", ["Samenvatting", "Geregistreerd en geschat", "Uitsplitsingen",
            "Overlap tussen melders", "De schatting", "Programmadoelen", "Methoden"],
     "x = geheim: niet gepubliceerd omdat het om minder dan 2 personen gaat"),
    ("en", ["Summary", "Registered and estimated", "Breakdowns", "Overlap between reporters",
            "The estimate", "Programme targets", "Methods"],
     "x = suppressed: not published because it concerns fewer than 2 persons"),
])
def test_html_sections(html, doc, lang, headings, legend):
    page = html[lang]
    assert f'<html lang="{lang}">' in page
    h1 = [_text(h) for h in re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)]
    for heading in headings:
        assert any(heading in h for h in h1), (heading, h1)
    text = _text(page)
    assert legend in text
    assert str(doc["latest_year"]) in re.search(r"<title>(.*?)</title>", page).group(1)
    # the charts are inline SVG, each followed by a table with the same numbers
    assert page.count("<svg") >= 3
    assert 'id="overview-table"' in page and 'id="overlap-table"' in page
    # the Caribbean part of the Kingdom is called out where the regions are
    assert ("Caribisch deel van het Koninkrijk: kleine aantallen" if lang == "nl" else
            "Caribbean part of the Kingdom: small numbers") in text
    # the summary's numbers: registered, estimate and interval of 2024, Dutch separators in nl
    assert ("4 unieke personen" if lang == "nl" else "4 distinct persons") in text
    assert ("95%-interval 12 tot 40" if lang == "nl" else "95% interval 12 to 40") in text
    assert ("20,0%" if lang == "nl" else "20.0%") in text  # detection rate 4 / 20


def test_the_interval_caveat_follows_the_interval_kind(doc):
    import copy

    from zicht.monitor.publication import Publication
    from zicht.report.chapters.estimate import INTERVAL, INTERVAL_BOOTSTRAP, caveats
    from zicht.report.data import ReportData

    raw = copy.deepcopy(dict(doc))
    year = raw["latest_year"]
    heads = [". ".join(c) for c in caveats(ReportData(Publication(raw), year, "en"))]
    assert any("choice of model (see" in h for h in heads)  # profile: the model is given
    for e in raw["public"]["estimates"]:
        e["interval"] = "bootstrap"
    heads = [". ".join(c) for c in caveats(ReportData(Publication(raw), year, "en"))]
    assert any("chooses the model again" in h for h in heads)
    assert INTERVAL != INTERVAL_BOOTSTRAP


def test_the_change_of_the_estimate_is_worded_by_its_significance(html):
    assert "geen significante verandering" in _text(html["nl"])
    assert "no significant change" in _text(html["en"])
    assert "voorlopig" in _text(html["nl"]) and "provisional" in _text(html["en"])


def test_the_estimate_chapter_shows_the_trend_and_what_no_reporter_can_see(html):
    """The sample's 2024 estimate of 20 (12-40) if a quarter of the victims cannot be seen by
    any reporter: 27 (16-53); the joint fit's trend; the caveats that say why."""
    nl, en = _text(html["nl"]), _text(html["en"])
    assert ("Schatting als 25% van de slachtoffers door geen enkele melder gezien kan worden "
            "27 (95%-interval 16–53)") in nl
    assert ("Estimate if 50% of the victims cannot be seen by any reporter 40 (95% interval "
            "24–80)") in en
    assert "Trend over 2023–2024 +5,0% per jaar (95%-interval +1,0% tot +9,0%)" in nl
    assert "Slachtoffers die geen melder kan zien." in nl and "De trend." in nl
    assert "Victims no reporter can see." in en and "by any reporter" not in nl


def test_an_earlier_year_s_report_has_no_trend_nor_range_of_the_latest(doc):
    """The trend ends in 2024 and the range is of 2024: the 2023 report prints neither, nor
    their caveats."""
    text = _text(render_html(doc, year=2023, lang="en"))
    assert "Trend 2023–2024" not in text and "cannot be seen by any reporter" not in text
    assert "Victims no reporter can see." not in text and "The trend." not in text


def test_html_comparison_verdicts(html, doc):
    rows = doc["analyst"]["comparison"]["rows"]
    en = _text(re.search(r'id="comparison-table".*?</table>', html["en"], re.S).group(0))
    nl = _text(re.search(r'id="comparison-table".*?</table>', html["nl"], re.S).group(0))
    verdicts = {v for r in rows for v in r["verdicts"]}
    assert {"poor fit", "no estimate"} <= verdicts
    for v in verdicts:
        assert v in en
    assert "slechte fit" in nl and "geen schatting" in nl and "poor fit" not in nl
    for r in rows:
        assert r["method"] in en
    stepwise = next(r for r in rows if r["method"] == "stepwise")
    assert f"{stepwise['estimate']:,.0f}" in en  # 269
    # the comparison chart, drawn in the report's language
    for lang, axis in (("nl", "populatiegrootte"), ("en", "population size")):
        section = re.search(r'id="comparison".*?id="comparison-table"', html[lang], re.S)
        assert "<svg" in section.group(0) and axis in section.group(0)
    # the findings in the catalogue's words (zicht.monitor.mse_labels), in each language
    from zicht.monitor.mse_labels import mse_text

    for finding in doc["analyst"]["comparison"]["findings"]:
        for lang in ("en", "nl"):
            assert htmlmod.escape(mse_text(finding, lang), quote=False) in html[lang]
        assert htmlmod.escape(finding, quote=False) not in html["nl"]


def test_html_shows_no_unprotected_count(html, doc):
    """Every cell the public part suppressed is printed as x, never as the analyst's count."""
    checked = 0
    for by, public in doc["public"]["breakdowns"].items():
        analyst = doc["analyst"]["breakdowns"][by]
        for level, counts in zip(public["levels"], public["counts"], strict=True):
            for year, value in zip(public["years"], counts, strict=True):
                if value is not None:
                    continue
                secret = analyst["counts"][analyst["levels"].index(level)][
                    analyst["years"].index(year)]
                for lang in ("nl", "en"):
                    cell = _cell(html[lang], by, level, year)
                    assert cell == "x", (by, level, year, cell)
                    assert cell != str(secret)
                checked += secret > 0
    assert checked >= 5
    # e.g. two women registered in 2023: suppressed, and "2" is not in their cell
    assert doc["analyst"]["breakdowns"]["sex"]["counts"][0][0] == 2
    assert _cell(html["en"], "sex", "F", 2023) == "x"


def test_html_earlier_year_and_no_comparison(doc):
    page = render_html(doc, year=2023, lang="en")
    table = re.search(r'id="table-sex".*?</table>', page, re.S).group(0)
    assert ">2023<" in table and ">2024<" not in table  # the trend up to the year only
    assert "Annual report 2023" in _text(page)
    assert "The publication holds no comparison of estimation methods for 2023." in _text(page)
    bare = copy.deepcopy(doc)
    bare["analyst"]["comparison"] = None
    text = _text(render_html(bare, lang="nl"))
    assert "De publicatie bevat geen vergelijking van schattingsmethoden voor 2024." in text
    with pytest.raises(ReportError, match="year 2019 is not in the publication"):
        render_html(doc, year=2019)


def test_estimate_by_group_is_the_public_one(doc):
    """The report prints the publication's public estimates by group (the dashboard's
    numbers): sex F / M with their sum; minors and adults; form: labour published, organ
    removal (fewer than k persons) x, and then no sum. Nothing of the analyst part."""
    nl = render_html(doc, lang="nl")
    sex = _text(re.search(r'<table[^>]*id="strata-sex".*?</table>', nl, re.S).group(0))
    assert "vrouw 1.200 900\u20131.700" in sex and "man 900 600\u20131.500" in sex
    assert "som van de groepen 2.100 1.650\u20132.800" in sex
    minor = _text(re.search(r'<table[^>]*id="strata-minor".*?</table>', nl, re.S).group(0))
    assert "minderjarigen (onder 18) 640 410\u20131.150" in minor
    form = _text(re.search(r'<table[^>]*id="strata-form".*?</table>', nl, re.S).group(0))
    form = form.split(". ", 1)[1]  # without the caption ("Tabel 12. ...")
    assert "arbeidsuitbuiting 2.000 1.500\u20132.900" in form
    assert "orgaanverwijdering x x" in form
    assert "som van de groepen \u2013 \u2013" in form
    assert "480" not in form  # observed counts are never printed
    assert "Estimate by group" in render_html(doc, lang="en")
    # a group the public part withholds is x, whatever the analyst part holds
    pub = copy.deepcopy(doc)
    rows = pub["public"]["groups"]["by"]["sex"]["2024"]["rows"]
    rows[1].update(reason="not published", estimate=None, ci_low=None, ci_high=None)
    pub["public"]["groups"]["by"]["sex"]["2024"]["total"] = None
    sex = _text(re.search(r'<table[^>]*id="strata-sex".*?</table>', render_html(pub), re.S)
                .group(0))
    assert "man x x" in sex and "900" not in sex.split("man", 1)[1]
    other = copy.deepcopy(doc)
    other["public"]["groups"]["by"] = {by: {"2023": y["2024"]} for by, y in
                                       other["public"]["groups"]["by"].items()}
    assert 'id="strata-sex"' not in render_html(other, lang="nl")  # only the report's year


def test_a_target_on_a_breakdown_cell_names_it(html):
    """targets.yaml's line 2 counts registered persons in labour exploitation, not all."""
    assert "geregistreerde personen (vorm van uitbuiting: arbeidsuitbuiting)" in _text(
        html["nl"])
    assert "registered persons (form of exploitation: labour exploitation)" in _text(
        html["en"])


def test_capacity_and_budget_per_line(doc):
    """DOMAIN 6.12 in the targets chapter: a line's capacity and budget in the report's year or
    the last year before it; a line with figures but no targets gets its own heading."""
    with_programme = copy.deepcopy(doc)
    with_programme["public"]["programme"] = [
        {"line": 1, "line_nl": "basisaanpak", "line_en": "basic approach",
         "years": {"2023": {"fte": 6.0, "budget_eur": 900000.0},
                   "2024": {"fte": 6.5, "budget_eur": None}}},
        {"line": 9, "line_nl": "extra lijn", "line_en": "extra line",
         "years": {"2024": {"fte": 1.0, "budget_eur": 1000.0}}}]
    nl = _text(render_html(with_programme, lang="nl"))
    assert "Capaciteit en budget in 2024: 6,50 fte, \u2013 euro." in nl
    assert "extra lijn" in nl and "Capaciteit en budget in 2024: 1,00 fte, 1.000 euro." in nl
    en = _text(render_html(with_programme, year=2023, lang="en"))
    assert "Capacity and budget in 2023: 6.00 FTE, 900,000 euro." in en
    assert "extra line" not in en  # no figures up to 2023
    assert "Capaciteit en budget" not in _text(render_html(doc, lang="nl"))


def test_the_capacity_needed_in_the_targets_chapter(doc, html):
    """Issue 21: the same three tables as the dashboard, numbered after the targets', with
    the estimate's interval carried through and the assumptions' version."""
    chapter = re.search(r'<section class="chapter" id="targets">.*?</section>', html["nl"],
                        re.S).group(0)
    text = _text(chapter)
    assert "Benodigde capaciteit" in text and "wet van Little" in text
    captions = re.findall(r"<caption>(Tabel \d+)\. (Benodigde fte per \w+|Aannames)", chapter)
    numbers = [int(c[0].split()[1]) for c in captions]
    assert [c[1] for c in captions] == ["Benodigde fte per ontwikkellijn",
                                        "Benodigde fte per organisatie", "Aannames"]
    assert numbers == sorted(numbers) and numbers[0] > 1
    assert "Politie (AVIM) 1 120,0 147,6 312,0 (246,0-420,0)" in text
    assert "aannames versie example-1 (capacity.yaml, sha256" in text
    en = _text(html["en"])
    assert "Police (AVIM) 1 120.0 147.6 312.0 (246.0-420.0)" in en
    without = copy.deepcopy(doc)
    without["public"]["capacity"] = None
    assert "Benodigde capaciteit" not in _text(render_html(without, lang="nl"))


def test_the_modus_operandi_chapter(doc, html):
    """Issue 21, point 3: the chapter after protection, numbered on from it, with the trend
    table (suppressed values as x), its chart, and the latest year by form."""
    chapter = re.search(r'<section class="chapter" id="modus">.*?</section>', html["nl"],
                        re.S).group(0)
    text = _text(chapter)
    assert text.startswith("8 Werkwijze van daders")  # after 7, protection (no what-if)
    assert "Tabel" in text and "<svg" in chapter and 'id="modus-form-table"' in chapter
    modus = doc["public"]["modus"]
    debt = next(t for t in modus["trends"] if t["code"] == "debt_bondage")
    from zicht.monitor.modus import trend_text

    assert "schuldslavernij dwangmiddel" in text and trend_text(debt, "nl") in text
    children = next(t for t in modus["trends"] if t["code"] == "uses_children")
    assert children["suppressed"] and "gebruikt kinderen dwangmiddel x x x" in text
    en = _text(re.search(r'<section class="chapter" id="modus">.*?</section>', html["en"],
                         re.S).group(0))
    assert en.startswith("8 How traffickers work") and "debt bondage" in en
    without = copy.deepcopy(doc)
    without["public"]["modus"] = None
    assert 'id="modus"' not in render_html(without, lang="nl")


@pytest.mark.slow  # a PDF typeset by WeasyPrint
def test_pdf(pdf):
    texts = {}
    for lang, (report, reader) in pdf.items():
        assert report.pages == len(reader.pages) >= 10
        assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
        first = reader.pages[0].extract_text()
        title = "Zicht op mensenhandel" if lang == "nl" else "Sight of human trafficking"
        assert title in first and "2024" in first
        assert ("Jaarrapportage 2024" if lang == "nl" else "Annual report 2024") in first
        texts[lang] = "\n".join(p.extract_text() for p in reader.pages)
        # the table of contents gives the page each chapter's bookmark points to
        toc = reader.pages[1].extract_text()
        chapter = reader.outline[0]
        number = reader.get_destination_page_number(chapter) + 1
        name = chapter["/Title"].split(" ", 1)[1]
        assert re.search(rf"{name}[ .]*{number}\b", toc), (name, number, toc[:300])
        assert reader.pages[number - 1].extract_text().rstrip().endswith(str(number))
    assert "Samenvatting" in texts["nl"] and "Summary" not in texts["nl"]
    assert "Summary" in texts["en"] and "Samenvatting" not in texts["en"]
    assert "geheim" in texts["nl"] and "suppressed" in texts["en"]


def test_cli_writes_the_report(pub, tmp_path):
    out = tmp_path / "jaarrapport.html"
    result = runner.invoke(app, ["report", "--publication", str(pub), "--out", str(out),
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"written: {out.resolve()} (HTML, " in result.output
    assert "Sight of human trafficking" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


@pytest.mark.parametrize("args, message", [
    (["--year", "1999", "--out", "{tmp}/r.pdf"], "year 1999 is not in the publication"),
    (["--out", "{tmp}/r.docx"], "written as .pdf or .html"),
    (["--out", "{tmp}/r"], "written as .pdf or .html"),
    (["--out", "{tmp}/missing/r.pdf"], "no such folder"),
])
def test_cli_refuses(pub, tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["report", "--publication", str(pub), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []  # nothing written, not even half


def test_cli_needs_a_publication(tmp_path, monkeypatch):
    monkeypatch.delenv("ZICHT_PUBLICATION", raising=False)
    out = tmp_path / "r.pdf"
    result = runner.invoke(app, ["report", "--out", str(out)])
    assert result.exit_code == 2 and "no publication" in result.output
    result = runner.invoke(app, ["report", "--out", str(out)],
                           env={"ZICHT_PUBLICATION": str(tmp_path / "absent.json")})
    assert result.exit_code == 2 and "not found" in result.output
    (tmp_path / "other.json").write_text(json.dumps({"estimate": 12}))
    result = runner.invoke(app, ["report", "--publication", str(tmp_path / "other.json"),
                                 "--out", str(out)])
    assert result.exit_code == 2 and "not a publication" in result.output
    assert not out.exists()


def test_the_publication_is_checked_by_its_reader(doc, tmp_path):
    """The report reads the publication through zicht.monitor.publication, as the dashboard
    does: a format version this zicht does not read, or a key of the wrong type, is refused
    with the reader's one line."""
    newer = copy.deepcopy(doc)
    newer["format_version"] = 99
    with pytest.raises(ReportError, match="format version 99 is not one this zicht reads"):
        render_html(newer)
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    with pytest.raises(ReportError, match="format version 99"):
        build_report(tmp_path / "newer.json", tmp_path / "r.html")
    broken = copy.deepcopy(doc)
    broken["k"] = "two"
    with pytest.raises(ReportError, match="k is a string, not an integer"):
        render_html(broken)
    assert list(tmp_path.iterdir()) == [tmp_path / "newer.json"]


def test_every_text_of_the_report_has_its_dutch():
    """Every msgid the report's code and template use is translated in the Dutch catalogue,
    apart from the few that read the same in both languages."""
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    import zicht.report
    from zicht.i18n import translator

    same = {"zicht {version}", "Indicator", "Codes", "Model",
            "Status"}
    root = Path(zicht.report.__file__).parent
    found = list(extract_from_dir(str(root), [("**.py", "python"),
                                              ("**/templates/**.html", "jinja2")],
                                  keywords={**DEFAULT_KEYWORDS, "N_": None}))
    assert len(found) > 150
    nl = translator("nl")
    untranslated = {(f, m) for f, _, m, _, ctx in found
                    if (nl.pgettext(ctx, m) if ctx else nl(m)) == m and m not in same}
    assert not untranslated
