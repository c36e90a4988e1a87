"""The review page's table, filters and undo (/dashboard/review, /dashboard/review/undo), over
HTTP on the folder of tests/registry/test_review_page.py: every field by its label in both
languages with its agreement in words, the GET filters (band, list, decided), and an undo that
does what `zicht link review DIR --pair ID_L ID_R --decide undecided` does, for analysts only."""

from __future__ import annotations

import html as htmllib
import json
import re
from urllib.parse import parse_qs, urlsplit

from typer.testing import CliRunner

from zicht.codes import REPORTER_CATEGORIES, SEXES
from zicht.web import review

from . import test_review_page as base
from .test_review_page import (
    IDENTITIES,
    URL,
    _csrf,
    audit,
    client_as,
    decisions,
    queue_of,
    shown_pairs,
)

# the fixtures of test_review_page.py: the linkage folder, a fresh copy, the app on it
built, folder, app = base.built, base.folder, base.app
_no_linkage_in_environment = base._no_linkage_in_environment

UNDO = URL + "/undo"


def pair_rows(page_html: str, number: int) -> dict[str, list[str]]:
    """The table of pair ``number``: row label -> its cells as text."""
    start = page_html.index(f'id="decision-{number}-title"')
    section = page_html[start:page_html.index("</section>", start)]
    rows = {}
    for row in re.findall(r"<tr class=\"utrecht-table__row[^\"]*\">(.*?)</tr>", section, re.S):
        cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_a_pair_is_one_table_of_labels_with_its_agreement_in_words(app, world, folder):
    client, _ = client_as(app, world, "analyst")
    queue = queue_of(folder).fillna("")
    order = shown_pairs(client.get(URL).text)
    by_pair = {(r.id_l, r.id_r): r for r in queue.itertuples()}
    for lang, col in (("nl", 0), ("en", 1)):
        page = client.get(URL, params={"lang": lang}).text
        for number, pair in enumerate(order[:review.PAGE_SIZE], 1):
            r = by_pair[pair]
            rows = pair_rows(page, number)
            head = rows["veld" if lang == "nl" else "field"]
            assert head[:2] == [r.id_l, r.id_r]  # the reports are the columns
            category = rows["meldercategorie" if lang == "nl" else "reporter category"]
            assert category[0] == f"{REPORTER_CATEGORIES[r.reporter_category_l][col]} " \
                                  f"({r.organisation_l})"
            sex = rows["geslacht" if lang == "nl" else "sex"]
            if r.sex_l in SEXES and r.sex_r in SEXES:
                assert sex[:2] == [SEXES[r.sex_l][col], SEXES[r.sex_r][col]]
            # agreement as a symbol and a word; the model's level beside it
            if r.sex_l == r.sex_r and r.sex_l not in ("", "U"):
                assert sex[2].startswith("= " + ("gelijk" if lang == "nl" else "equal"))
            elif r.sex_l != r.sex_r and "" not in (r.sex_l, r.sex_r):
                assert sex[2].startswith("\u2260 " + ("verschillend" if lang == "nl"
                                                      else "different"))
            name = rows["naam" if lang == "nl" else "name"]
            assert len(name) == 2  # compared by token only: the level, no value
            assert review.LEVELS and name[0]
            if lang == "en":
                assert name[0] == r.level_name
    # nationality by its name
    nl = client.get(URL, params={"lang": "nl"}).text
    en = client.get(URL, params={"lang": "en"}).text
    if "NLD" in set(queue.nationality_l[:25]):
        assert "Nederland" in nl and "Netherlands" in en
    assert "tok_" not in nl and "NLD</td>" not in nl


def test_filters_by_band_list_and_decision(app, world, folder):
    client, _ = client_as(app, world, "analyst")
    queue = queue_of(folder)
    p = dict(zip(zip(queue.id_l, queue.id_r, strict=True), queue.match_probability, strict=True))
    low = client.get(URL, params={"band": "low"}).text
    assert shown_pairs(low) and all(p[x] < 0.4 for x in shown_pairs(low))
    assert f"voldoen: {(queue.match_probability < 0.4).sum()}<" in low
    high = client.get(URL, params={"band": "high"}).text
    assert shown_pairs(high) and all(p[x] >= 0.6 for x in shown_pairs(high))
    middle = shown_pairs(client.get(URL, params={"band": "middle"}).text)
    assert all(0.4 <= p[x] < 0.6 for x in middle)
    # a list: one of the two reports is on it
    code = queue.reporter_category_l.value_counts().index[0]
    on = client.get(URL, params={"list": code}).text
    want = queue[(queue.reporter_category_l == code) | (queue.reporter_category_r == code)]
    assert f"voldoen: {len(want)}<" in on
    assert set(shown_pairs(on)) <= set(zip(want.id_l, want.id_r, strict=True))
    assert f'<option value="{code}" selected>' in on
    # an unknown value is no filter; the filters carry into the pager's links
    everything = shown_pairs(client.get(URL).text)
    assert shown_pairs(client.get(URL, params={"band": "huge", "list": "<x>"}).text) == everything
    assert 'href="?band=low&amp;page=2"' in client.get(URL, params={"band": "low"}).text \
        or (queue.match_probability < 0.4).sum() <= review.PAGE_SIZE
    # a decision keeps the filters; the decided pair is under "decided", with its undo
    pair = shown_pairs(high)[0]
    answer = client.post(URL, data={"csrf_token": _csrf(high), "id_l": pair[0], "id_r": pair[1],
                                    "decision": "match", "page": "1", "band": "high",
                                    "list": "", "status": "open"})
    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["location"]).query)["band"] == ["high"]
    assert pair not in shown_pairs(client.get(answer.headers["location"]).text)
    decided = client.get(URL, params={"status": "decided"}).text
    assert shown_pairs(decided) == [pair]
    assert "Beslist: zelfde persoon (match) (door analyst" in decided
    assert decided.count('name="decision"') == 0  # no decision buttons on a decided pair
    assert len(shown_pairs(client.get(URL, params={"status": "all"}).text)) == \
        min(review.PAGE_SIZE, len(queue))


def _undo_form(page_html: str, pair: tuple[str, str]) -> dict:
    pair = tuple(sorted(pair))  # the log's order
    seq = re.search(rf'name="id_l" value="{pair[0]}">\s*<input type="hidden" name="id_r" '
                    rf'value="{pair[1]}">\s*<input type="hidden" name="seq" value="(\d+)"',
                    page_html).group(1)
    return {"csrf_token": _csrf(page_html), "id_l": pair[0], "id_r": pair[1], "seq": seq,
            "page": "1"}


def test_undo_in_the_page_withdraws_a_decision_as_the_command_does(app, world, folder):
    client, _ = client_as(app, world, "analyst")
    page = client.get(URL).text
    first, second = shown_pairs(page)[:2]
    assert "Er staat nog geen beslissing." in page
    for pair, decision in ((first, "match"), (second, "no_match")):
        assert client.post(URL, data={"csrf_token": _csrf(page), "id_l": pair[0],
                                      "id_r": pair[1], "decision": decision,
                                      "page": "1"}).status_code == 303
    page = client.get(URL).text
    assert first not in shown_pairs(page) and "Laatste beslissingen" in page
    form = _undo_form(page, first)
    assert form["seq"] == "1"
    # refused: without the token, for a pair without a standing decision, on a stale seq
    assert client.post(UNDO, data={**form, "csrf_token": "x"}).status_code == 403
    never = shown_pairs(page)[0]
    refused = client.post(UNDO, data={**form, "id_l": never[0], "id_r": never[1]})
    assert refused.status_code == 404 and "geen beslissing die ongedaan" in refused.text
    stale = client.post(UNDO, data={**form, "seq": "2"})
    assert stale.status_code == 409 and "al beslist nadat u de pagina laadde" in stale.text
    assert len(decisions(folder)) == 2
    # undone: an `undecided` that supersedes the decision, by the analyst; the pair is back
    answer = client.post(UNDO, data=form)
    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["location"]).query)["undone"] == ["1"]
    entry = decisions(folder)[-1]
    assert (entry["id_l"], entry["id_r"], entry["decision"], entry["by"], entry["supersedes"]) \
        == (*sorted(first), "undecided", "analyst", 1)
    after = client.get(answer.headers["location"]).text
    assert "Ongedaan gemaakt: de beslissing over" in after and first in shown_pairs(after)
    assert "{} – {}".format(*sorted(first)) not in after.split("Laatste beslissingen")[1] \
        .split("</section>")[0]
    # a second click on the same undo changes nothing
    again = client.post(UNDO, data=form)
    assert again.status_code == 409 and len(decisions(folder)) == 3
    # audited like a decision, naming the entry it undid
    undone = [json.loads(e.detail) for e in audit(world, "decide")]
    assert undone[-1]["decision"] == "undecided" and undone[-1]["undo"] == 1
    # the command on the server does the same to the other pair
    from zicht.cli import app as cli

    result = CliRunner().invoke(cli, ["link", "review", str(folder), "--pair", *second,
                                      "--decide", "undecided"])
    assert result.exit_code == 0, result.output
    by_cli, by_page = decisions(folder)[-1], entry
    assert {k: by_cli[k] for k in ("decision", "supersedes")} == \
        {"decision": "undecided", "supersedes": 2}
    assert by_page["decision"] == by_cli["decision"]
    back = shown_pairs(client.get(URL).text)
    assert first in back and second in back


def test_only_analysts_may_undo(app, world, folder):
    analyst, _ = client_as(app, world, "analyst")
    page = analyst.get(URL).text
    pair = shown_pairs(page)[0]
    analyst.post(URL, data={"csrf_token": _csrf(page), "id_l": pair[0], "id_r": pair[1],
                            "decision": "match", "page": "1"})
    form = _undo_form(analyst.get(URL).text, pair)
    for identity in IDENTITIES:
        if identity == "analyst":
            continue
        client, csrf = client_as(app, world, identity)
        answer = client.post(UNDO, data={**form, "csrf_token": csrf or ""})
        if identity == "anonymous":
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?")
        else:
            assert answer.status_code == 403, identity
        assert [d["decision"] for d in decisions(folder)] == ["match"], identity
    assert analyst.post(UNDO, data=form).status_code == 303
    assert [d["decision"] for d in decisions(folder)] == ["match", "undecided"]
