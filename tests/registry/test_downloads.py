"""Downloads (zicht/web/downloads.py): every table of every public page as CSV and XLSX with
exactly the numbers the page shows, an "about" sheet, one file of all tables; open to every
role, nothing beyond the public pages."""

import csv
import html
import io
import re
import zipfile

import openpyxl
import pytest

from tests.monitor.sample import K
from zicht.web.downloads import _number, page_tables

from .conftest import PEOPLE

NL = {"decimal": ",", "group": "."}
EN = {"decimal": ".", "group": ","}


@pytest.fixture
def client(public_site):
    return public_site.client()


def _html_tables(page: str) -> dict[str, list[list[str]]]:
    """Each table's rows as the page shows them (an independent reading: regular expressions
    over the HTML, not the download's parser)."""
    out = {}
    for tid, body in re.findall(r'<table class="utrecht-table" id="([^"]+)">(.*?)</table>', page,
                                flags=re.S):
        tbody = re.search(r"<tbody[^>]*>(.*?)</tbody>", body, flags=re.S)[1]
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, flags=re.S):
            cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
            rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split())
                         for c in cells])
        out[tid] = rows
    return out


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("page", ["dashboard", "breakdowns", "overlap"])
def test_each_table_downloads_with_exactly_the_numbers_the_page_shows(client, page, lang):
    path = {"dashboard": "/dashboard", "breakdowns": "/dashboard/breakdowns",
            "overlap": "/dashboard/overlap"}[page]
    shown = _html_tables(client.get(f"{path}?lang={lang}").text)
    assert shown, path
    for tid, rows in shown.items():
        response = client.get(f"/downloads/{page}.csv?table={tid}&lang={lang}")
        assert response.status_code == 200, tid
        assert response.headers["content-type"].startswith("text/csv")
        assert f"-{page}-{tid}-{lang}.csv" in response.headers["content-disposition"]
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert lines[2:] == rows, tid  # caption, header, then the rows as shown
        book = openpyxl.load_workbook(io.BytesIO(
            client.get(f"/downloads/{page}.xlsx?table={tid}&lang={lang}").content))
        assert book.sheetnames[0] in ("over", "about")
        sheet = book[book.sheetnames[1]]
        symbols = NL if lang == "nl" else EN
        for got, want in zip(list(sheet.iter_rows(min_row=3, values_only=True)), rows,
                             strict=True):
            for value, text in zip(got, want, strict=True):
                number = _number(text, symbols)
                if number is None:  # text stays text, suppressed cells included
                    assert (value or "") == text  # an empty cell reads back as None
                else:
                    assert value == pytest.approx(number[0]) and not isinstance(value, str)


def test_suppressed_cells_stay_suppressed_in_the_download(client):
    rows = [r for t in _html_tables(client.get("/dashboard/breakdowns?lang=nl").text).values()
            for r in t]
    assert any("geheim" in r for r in rows)  # the sample has cells below k
    book = openpyxl.load_workbook(io.BytesIO(client.get("/downloads/all.xlsx?lang=nl").content))
    cells = [v for ws in book.worksheets[1:] for row in ws.iter_rows(values_only=True)
             for v in row]
    assert "geheim" in cells
    # no count below k anywhere in the breakdowns' sheets (the years and the about sheet apart)
    for ws in book.worksheets:
        if ws.title.startswith("breakdowns"):
            for row in ws.iter_rows(min_row=3, min_col=2, values_only=True):
                assert all(not isinstance(v, int) or v == 0 or v >= K for v in row), row


def test_one_file_of_all_tables_with_the_about_sheet(client):
    page = client.get("/dashboard?lang=en").text
    ids = set(_html_tables(page))
    book = openpyxl.load_workbook(io.BytesIO(client.get("/downloads/all.xlsx?lang=en").content))
    about = {r[0]: r[1] for r in book["about"].iter_rows(values_only=True) if r and r[0]}
    assert about["k (the smallest number shown)"] == str(K)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", about["publication date"])
    assert about["registered persons"].startswith("distinct persons")  # a definition
    assert {f"dashboard {i}"[:31] for i in ids} <= set(book.sheetnames)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/downloads/all.zip?lang=en").content))
    assert "about.csv" in archive.namelist()
    assert {f"dashboard-{i}.csv" for i in ids} <= set(archive.namelist())


def test_downloads_are_public_and_hold_no_analyst_table(public_site):
    for user in [None, *PEOPLE]:
        client = public_site.client(user)
        page = client.get("/downloads?lang=nl")
        assert page.status_code == 200, user
        assert 'href="/downloads/all.xlsx?lang=nl"' in page.text
        archive = zipfile.ZipFile(io.BytesIO(client.get("/downloads/all.zip").content))
        # the analyst pages (methods, review, the interactive what-if) are never read
        assert not any(n.startswith(("methods", "review")) for n in archive.namelist())
        for bad in ("/downloads/dashboard.csv?table=nope", "/downloads/methods.csv?table=rows",
                    "/downloads/dashboard.pdf?table=overview", "/downloads/all.csv"):
            assert client.get(bad).status_code == 404, (user, bad)


@pytest.mark.parametrize(("text", "symbols", "want"), [
    ("5.817", NL, (5817.0, "#,##0")), ("2024", NL, (2024.0, "0")),
    ("23,3%", NL, (0.233, "0.0%")), ("\u22120,4", NL, (-0.4, "0.0")),
    ("1,234.5", EN, (1234.5, "#,##0.0")), ("12", EN, (12.0, "0")),
    ("3.110 - 7.785", NL, None), ("geheim", NL, None), ("", NL, None), ("1.2.3", EN, None),
    ("12.34", NL, None)])
def test_a_cell_is_a_number_only_in_the_pages_own_notation(text, symbols, want):
    got = _number(text, symbols)
    if want is None:
        assert got is None
    else:
        assert got[0] == pytest.approx(want[0]) and got[1] == want[1]


def test_the_table_reader_skips_hidden_text_and_keeps_captions():
    tables = page_tables(
        '<table id="t"><caption>Cap <span class="zicht-visually-hidden">x</span></caption>'
        '<thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><th>1</th>'
        '<td><a href="#">2 <span class="zicht-visually-hidden">hidden</span></a></td></tr>'
        '</tbody></table>')
    assert len(tables) == 1
    t = tables[0]
    assert (t.id, t.caption, t.header, t.rows) == ("t", "Cap", ["a", "b"], [["1", "2"]])
