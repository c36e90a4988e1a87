"""Chapter 7 of the annual report, what a reporting obligation would bring (issue 18, point
4): the same table cells and sentences as the publication and the public page, in Dutch and
English; absent when the publication has no what-if."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.monitor.sample import sample_publication
from tests.monitor.whatif_sample import whatif_publication
from zicht.monitor.whatif import published_view
from zicht.report.annual import render_html, report_context


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    path = whatif_publication(tmp_path_factory.mktemp("pub") / "publication.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang, title", [("nl", "Wat een meldplicht zou opleveren"),
                                         ("en", "What a reporting obligation would bring")])
def test_the_chapter_shows_the_publications_numbers(doc, lang, title):
    html = render_html(doc, lang=lang)
    chapter = re.search(r'<section class="chapter" id="whatif">.*?</section>', html, re.S)
    assert chapter and title in chapter.group(0)
    assert 'href="#whatif">7' in html  # in the contents
    text = unescape(chapter.group(0))
    for c in published_view(doc["public"]["whatif"], lang):
        table = re.search(rf'<table[^>]*id="whatif-{c["category"]}-table".*?</table>',
                          chapter.group(0), re.S).group(0)
        cells = [unescape(x) for x in re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", table)]
        assert cells == [*c["headers"], *[v for row in c["rows"] for v in row]]
        for _scenario, _rate, sentence in c["sentences"]:
            assert sentence in text
    assert "<svg" in chapter.group(0)


def test_tables_and_figures_are_numbered_in_order(doc):
    ctx = report_context(doc, 2024, "en")
    tables = [c["table"] for c in ctx["whatif"]["categories"]]
    assert tables == sorted(tables) and tables[0] > max(
        line["table"] or 0 for line in ctx["targets"])
    # then the protection chapter's tables, then the appendix's
    protection = ctx["protection"]
    after = [protection["table"], *(t["table"] for t in protection["tables"])]
    assert after == list(range(tables[-1] + 1, tables[-1] + 1 + len(after)))
    # then the modus operandi chapter's, then the appendix's
    modus = [ctx["modus"]["table"], ctx["modus"]["form_table"]]
    assert modus == [after[-1] + 1, after[-1] + 2]
    assert ctx["appendix"]["definitions_table"] == modus[-1] + 1


def test_no_chapter_without_a_what_if(tmp_path):
    plain = json.loads(sample_publication(tmp_path / "p.json").read_text(encoding="utf-8"))
    html = render_html(plain, lang="en")
    assert 'id="whatif"' not in html and "What a reporting obligation would bring" not in html
