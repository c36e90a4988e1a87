"""The linkage review queue as a page for analysts (/dashboard/review), over HTTP, on a folder
made by the real linkage of a small simulation: who may see and decide, a decision lands in
decisions.jsonl with the analyst's name and leaves the list (and counts on the next linkage
run), bad input writes nothing, pagination, and a clear page when no linkage is configured."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from zicht.i18n import translator
from zicht.linkage.review import DecisionLog
from zicht.registry.models import AuditEntry
from zicht.registry.service import operator
from zicht.web import review
from zicht.web.app import create_app

from .conftest import PASSWORD

LINK_KEY = bytes(range(32))
IDENTITIES = ("anonymous", "rep_a", "analyst", "admin", "auditor")
URL = "/dashboard/review"
_BUILT: dict[str, Path] = {}


def build_linkage(root: Path) -> Path:
    """A `zicht link` folder of a small simulation (one year, 1,500 victims: about 300 reports),
    made once per process.  The review band is widened to 0.01-0.999 so that the queue holds
    more than two pages of pairs (62) - the file is exactly what `zicht link` writes."""
    if "folder" in _BUILT:
        return _BUILT["folder"]
    import logging

    from zicht.cli import app
    from zicht.linkage.run import link
    from zicht.registry.pseudonymise import Pseudonymiser

    sim = root / "sim"
    result = CliRunner().invoke(app, ["simulate", "--years", "2024", "--victims", "2500",
                                      "--seed", "4", "--formats", "parquet", "--out", str(sim)])
    assert result.exit_code == 0, result.output
    logging.getLogger("splink").setLevel(logging.ERROR)
    link(sim, root / "linked", pseudonymiser=Pseudonymiser(LINK_KEY), band_method="none",
         band=(0.01, 0.999))
    _BUILT["folder"], _BUILT["sim"] = root / "linked", sim
    return _BUILT["folder"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_linkage(tmp_path_factory.mktemp("linkage"))




@pytest.fixture(autouse=True)
def _no_linkage_in_environment(monkeypatch):
    monkeypatch.delenv("ZICHT_LINKAGE", raising=False)


@pytest.fixture
def folder(built, tmp_path) -> Path:
    """A fresh copy of the linkage folder (no decisions yet)."""
    return Path(shutil.copytree(built, tmp_path / "linked"))


@pytest.fixture
def app(world, folder):
    app = create_app(world.registry)
    app.state.linkage_path = str(folder)
    return app


def client_as(app, world, identity: str) -> tuple[TestClient, str | None]:
    """A client logged in as ``identity`` (a browser session) and its CSRF token."""
    client = TestClient(app, follow_redirects=False)
    if identity == "anonymous":
        return client, None
    secret, csrf, _ = world.registry.login(identity, PASSWORD, "test")
    client.cookies.set("zicht_session", secret)
    return client, csrf


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def shown_pairs(html: str) -> list[tuple[str, str]]:
    """The pairs in the page's list of pairs (not those of the latest decisions above it)."""
    html = html[html.index("data-review-pairs"):] if "data-review-pairs" in html else html
    return list(zip(re.findall(r'name="id_l" value="([^"]+)"', html),
                    re.findall(r'name="id_r" value="([^"]+)"', html), strict=True))


def supersedes_of(html: str) -> list[str]:
    """The hidden seq of each shown pair's standing log entry ("" when none)."""
    return re.findall(r'name="supersedes" value="([^"]*)"', html)


def queue_of(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "review_queue.csv", dtype={"id_l": str, "id_r": str})


def decisions(folder: Path) -> list[dict]:
    path = folder / "decisions.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def audit(world, action: str) -> list[AuditEntry]:
    with world.registry.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .where(AuditEntry.object_type.like("linkage%"))
                              .order_by(AuditEntry.seq)))


# -- who may -------------------------------------------------------------------------------------
def test_only_analysts_see_and_decide(app, world, folder):
    first = tuple(queue_of(folder).iloc[0][["id_l", "id_r"]])
    want_get = {"anonymous": 303, "rep_a": 403, "analyst": 200, "admin": 403, "auditor": 403}
    for identity in IDENTITIES:
        client, csrf = client_as(app, world, identity)
        page = client.get(URL)
        assert page.status_code == want_get[identity], identity
        if identity == "anonymous":
            assert page.headers["location"] == "/login?next=%2Fdashboard%2Freview"
        elif identity != "analyst":
            assert "Geen toegang" in page.text and first[0] not in page.text
        form = {"csrf_token": csrf or "", "id_l": first[0], "id_r": first[1],
                "decision": "match", "page": "1"}
        answer = client.post(URL, data=form)
        if identity == "anonymous":
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?")
        elif identity == "analyst":
            assert answer.status_code == 303
            assert answer.headers["location"].startswith(f"{URL}?")
        else:
            assert answer.status_code == 403, identity
        written = decisions(folder)
        assert len(written) == (1 if identity in ("analyst", "admin", "auditor") else 0), \
            identity  # only the analyst's decision, whoever came after
    assert [(d["id_l"], d["id_r"], d["by"]) for d in decisions(folder)] == \
        [(*sorted(first), "analyst")]


def test_the_dashboard_menu_links_the_page_for_analysts_only(app, world):
    app.state.publication_path = "/nonexistent/publication.json"
    for identity in IDENTITIES:
        client, _ = client_as(app, world, identity)
        page = client.get("/dashboard")
        assert page.status_code == 200
        assert (f'href="{URL}"' in page.text) == (identity == "analyst"), identity
    client, _ = client_as(app, world, "analyst")
    assert 'href="/dashboard/review" aria-current="page"' in client.get(URL).text


# -- the page and a decision ---------------------------------------------------------------------
def test_the_queue_most_valuable_first_with_levels_and_no_tokens(app, world, folder):
    client, _ = client_as(app, world, "analyst")
    page = client.get(URL)
    assert page.status_code == 200
    queue = queue_of(folder)
    assert queue["value"].notna().all() and queue["value"].max() > queue["value"].min()
    # the pairs whose answer matters most to the estimate, then the most uncertain
    order = queue.assign(v=-queue.value, u=(queue.match_probability - 0.5).abs()) \
        .sort_values(["v", "u"], kind="stable")
    want = list(zip(order.id_l, order.id_r, strict=True))
    assert shown_pairs(page.text) == want[:review.PAGE_SIZE]
    assert f"{len(queue)} paren in de wachtrij van de laatste koppelrun: 0 beslist, " \
           f"{len(queue)} nog te beoordelen" in page.text
    top = order.iloc[0]
    # the heading says what the pair is, not which ids it has
    heading = f"Paar 1 van {len(queue)}: kans {top.match_probability:.2f}".replace(".", ",")
    assert f">{heading}</h3>" in page.text
    assert not re.search(r"<h[1-6][^>]*>[^<]*R\d{6,}", page.text)
    # the comparison levels in Dutch, the reports' attributes; no token, no name
    assert "vergelijking" in page.text and "naam" in page.text
    dutch = [translator("nl")(level) for level in review.LEVELS]
    assert any(nl in page.text for nl, en in zip(dutch, review.LEVELS, strict=True) if nl != en)
    assert top.organisation_l in page.text
    assert "tok_" not in page.text and not re.search(r"\b[0-9a-f]{32,}\b", page.text)
    assert "zicht link" in page.text and "volgende run" in page.text
    # three choices, each pair's radio group with its own id
    assert page.text.count('name="decision"') == 3 * review.PAGE_SIZE
    assert 'id="decision-1"' in page.text and 'id="decision-25"' in page.text
    en = client.get(f"{URL}?lang=en")
    assert "Linkage review" in en.text and "same person (match)" in en.text
    assert "all name parts equal (order free)" in en.text or "different" in en.text
    assert "counts from the next run of zicht link" in en.text


def test_an_analysts_decision_is_logged_attributed_and_leaves_the_list(app, world, folder,
                                                                       database_url):
    client, _ = client_as(app, world, "analyst")
    page = client.get(URL)
    pairs = shown_pairs(page.text)
    id_l, id_r = pairs[0]
    answer = client.post(URL, data={"csrf_token": _csrf(page.text), "id_l": id_l,
                                    "id_r": id_r, "decision": "no-match", "page": "1"})
    assert answer.status_code == 303  # post/redirect/get
    target = urlsplit(answer.headers["location"])
    assert target.path == URL and parse_qs(target.query) == {"page": ["1"], "l": [min(id_l, id_r)],
                                                             "r": [max(id_l, id_r)]}
    [entry] = decisions(folder)
    assert (entry["id_l"], entry["id_r"], entry["decision"], entry["by"]) == \
        (*sorted((id_l, id_r)), "no_match", "analyst")
    after = client.get(answer.headers["location"])
    assert after.status_code == 200
    assert "Vastgelegd" in after.text and "verschillende personen (geen match)" in after.text
    assert (id_l, id_r) not in shown_pairs(after.text)
    assert shown_pairs(after.text) == pairs[1:] + shown_pairs(after.text)[-1:]
    total = len(queue_of(folder))
    assert f"1 beslist, {total - 1} nog te beoordelen" in after.text
    # the same confirmation cannot be forged for a pair nobody decided
    other = pairs[1]
    forged = client.get(URL, params={"l": other[0], "r": other[1]})
    assert "Vastgelegd" not in forged.text
    # "unsure" is recorded and keeps the pair in the queue
    unsure = client.post(URL, data={"csrf_token": _csrf(page.text), "id_l": other[0],
                                    "id_r": other[1], "decision": "undecided", "page": "1"})
    assert unsure.status_code == 303
    assert decisions(folder)[-1]["decision"] == "undecided"
    again = client.get(unsure.headers["location"])
    assert other in shown_pairs(again.text)
    assert re.search(r"Vastgelegd: [^<]*onzeker: blijft in de wachtrij", again.text)
    # audited: what was shown, and the decision with its pair
    decided = audit(world, "decide")
    assert [(e.actor, e.object_id, json.loads(e.detail)["decision"]) for e in decided] == [
        ("analyst", " ".join(sorted((id_l, id_r))), "no_match"),
        ("analyst", " ".join(sorted(other)), "undecided")]
    reads = audit(world, "read")
    assert reads and [id_l, id_r] in json.loads(reads[0].detail)["pairs"]
    if database_url.startswith("sqlite"):  # the linkage run once is enough
        _the_next_linkage_run_applies_it(folder, (id_l, id_r), other)


def _the_next_linkage_run_applies_it(folder: Path, decided: tuple, unsure: tuple) -> None:
    from zicht.linkage.run import link
    from zicht.registry.pseudonymise import Pseudonymiser

    result = link(_BUILT["sim"], folder, pseudonymiser=Pseudonymiser(LINK_KEY),
                  band_method="none", band=(0.01, 0.999))
    assert result.summary["decisions"] == 1  # no_match; "undecided" is no decision
    keys = set(zip(queue_of(folder).id_l, queue_of(folder).id_r, strict=True))
    assert tuple(sorted(decided)) not in keys and tuple(sorted(unsure)) in keys
    labels = pd.Series(result.labels, index=result.reports["unique_id"])
    assert labels[decided[0]] != labels[decided[1]] or result.summary["decision_conflicts"]


# -- bad input -----------------------------------------------------------------------------------
def test_bad_input_is_refused_and_writes_nothing(app, world, folder):
    client, csrf = client_as(app, world, "analyst")
    _, other_csrf = client_as(app, world, "analyst")  # another session of the same analyst
    page = client.get(URL)
    id_l, id_r = shown_pairs(page.text)[0]
    good = {"csrf_token": csrf, "id_l": id_l, "id_r": id_r, "decision": "match", "page": "1"}
    cases = [
        ({"csrf_token": ""}, 403, "CSRF"), ({"csrf_token": "not-the-token"}, 403, "CSRF"),
        ({"csrf_token": other_csrf}, 403, "CSRF"), ({"csrf_token": csrf + "x"}, 403, "CSRF"),
        ({"decision": "maybe"}, 422, "Onbekende beslissing"),
        ({"decision": "MATCH"}, 422, "Onbekende beslissing"),
        ({"decision": ""}, 422, "Kies een beslissing"),
        ({"id_l": "R99999999"}, 404, "staat niet in de wachtrij"),
        ({"id_r": id_l}, 404, "staat niet in de wachtrij"),
        ({"id_l": id_l + "x" * 200}, 404, "staat niet in de wachtrij"),
        ({"id_l": "", "id_r": ""}, 404, "staat niet in de wachtrij"),
    ]
    for change, status, text in cases:
        answer = client.post(URL, data={**good, **change})
        assert answer.status_code == status, (change, answer.status_code)
        assert text in answer.text and "er is niets vastgelegd" in answer.text.lower(), change
        assert answer.text.count('class="utrecht-alert utrecht-alert--error') == 1
    without = client.post(URL, data={k: v for k, v in good.items() if k != "csrf_token"})
    assert without.status_code == 403 and "CSRF" in without.text
    assert decisions(folder) == [] and not (folder / "decisions.jsonl").exists()
    assert audit(world, "decide") == []
    # a missing choice marks that pair's radio group, linked from the error summary
    missing = client.post(URL, data={**good, "decision": ""})
    assert 'href="#decision-1"' in missing.text
    assert 'id="decision-1" tabindex="-1"' in missing.text
    assert 'aria-describedby="decision-1-error"' in missing.text
    # a pair decided meanwhile (another analyst, a second click) is not decided again
    assert client.post(URL, data=good).status_code == 303
    twice = client.post(URL, data={**good, "decision": "no_match"})
    assert twice.status_code == 409 and "al beslist" in twice.text
    assert [d["decision"] for d in decisions(folder)] == ["match"]


# -- two analysts, one pair ----------------------------------------------------------------------
def _two_analysts(app, world):
    world.registry.add_user(operator("test"), "analyst2", "analyst", PASSWORD, None)
    return client_as(app, world, "analyst")[0], client_as(app, world, "analyst2")[0]


def _form(page, pair: tuple[str, str], decision: str) -> dict:
    """The form of ``pair`` on ``page`` as the analyst saw it, with ``decision`` chosen."""
    number = shown_pairs(page.text).index(pair)
    return {"csrf_token": _csrf(page.text), "id_l": pair[0], "id_r": pair[1],
            "decision": decision, "page": "1", "supersedes": supersedes_of(page.text)[number]}


def test_a_decision_on_a_stale_page_is_refused_with_the_standing_one(app, world, folder):
    ana, bob = _two_analysts(app, world)
    page_a, page_b = ana.get(URL), bob.get(URL)
    pair = shown_pairs(page_a.text)[0]
    assert shown_pairs(page_b.text)[0] == pair
    assert supersedes_of(page_a.text)[0] == supersedes_of(page_b.text)[0] == ""  # no entry
    assert ana.post(URL, data=_form(page_a, pair, "match")).status_code == 303
    late = bob.post(URL, data=_form(page_b, pair, "no_match"))
    assert late.status_code == 409
    [entry] = decisions(folder)
    assert (entry["decision"], entry["by"], entry["seq"], entry["supersedes"]) == \
        ("match", "analyst", 1, None)
    assert "al beslist nadat u de pagina laadde: zelfde persoon (match) (door analyst, " \
        + entry["at"].replace("T", " ") + "). Er is niets vastgelegd." in late.text
    assert late.text.count('class="utrecht-alert utrecht-alert--error') == 1
    assert pair not in shown_pairs(late.text)  # the page again, without the decided pair
    # an operator withdraws the decision at the command line: the pair is back, and a page
    # loaded before that is stale again
    DecisionLog(folder / "decisions.jsonl").record(*pair, "undecided", by="cli:op")
    page_b = bob.get(URL)
    assert pair in shown_pairs(page_b.text)
    assert supersedes_of(page_b.text)[shown_pairs(page_b.text).index(pair)] == "2"
    stale = ana.post(URL, data=_form(page_a, pair, "no_match"))
    assert stale.status_code == 409
    assert "Nadat u de pagina laadde, is over het paar" in stale.text
    assert "onzeker: blijft in de wachtrij (door cli:op, " in stale.text
    # the pair is still on the page, its form marked and carrying the new seq
    assert "zicht-review-decide__buttons--invalid" in stale.text
    assert supersedes_of(stale.text)[shown_pairs(stale.text).index(pair)] == "2"
    english = ana.post(URL + "?lang=en", data=_form(page_a, pair, "no_match"))
    assert english.status_code == 409
    assert "Since you loaded the page, this was recorded about the pair" in english.text
    assert "unsure: stays in the queue (by cli:op, " in english.text
    assert [d["decision"] for d in decisions(folder)] == ["match", "undecided"]
    # who saw the withdrawal decides: the entry names what it supersedes, and so does the audit
    assert bob.post(URL, data=_form(page_b, pair, "no_match")).status_code == 303
    assert [(d["seq"], d["supersedes"], d["by"]) for d in decisions(folder)] == \
        [(1, None, "analyst"), (2, 1, "cli:op"), (3, 2, "analyst2")]
    assert [(e.actor, json.loads(e.detail)["seq"], json.loads(e.detail)["supersedes"])
            for e in audit(world, "decide")] == [("analyst", 1, None), ("analyst2", 3, 2)]


def test_two_analysts_deciding_a_pair_at_once_one_is_recorded(app, world, folder, monkeypatch):
    """Both requests pass the page's checks before either appends (a barrier in
    DecisionLog.record holds them there): one decision is written, the other gets 409."""
    ana, bob = _two_analysts(app, world)
    page_a, page_b = ana.get(URL), bob.get(URL)
    pair = shown_pairs(page_a.text)[0]
    record, both = DecisionLog.record, threading.Barrier(2)

    def together(self, *args, **kw):
        try:
            both.wait(timeout=10)
        except threading.BrokenBarrierError:  # one request never got here: the test fails
            pass
        return record(self, *args, **kw)

    monkeypatch.setattr(DecisionLog, "record", together)
    answers = {}

    def decide(name, client, page, decision):
        answers[name] = client.post(URL, data=_form(page, pair, decision))

    threads = [threading.Thread(target=decide, args=("analyst", ana, page_a, "match")),
               threading.Thread(target=decide, args=("analyst2", bob, page_b, "no_match"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not both.broken
    assert sorted(a.status_code for a in answers.values()) == [303, 409]
    [entry] = decisions(folder)
    assert (entry["seq"], entry["supersedes"]) == (1, None)
    [loser] = [name for name, a in answers.items() if a.status_code == 409]
    assert entry["by"] != loser
    assert "al beslist nadat u de pagina laadde" in answers[loser].text
    assert f"(door {entry['by']}, {entry['at'].replace('T', ' ')})" in answers[loser].text
    assert [json.loads(e.detail)["seq"] for e in audit(world, "decide")] == [1]


# -- pagination ----------------------------------------------------------------------------------
def test_pages_of_twenty_five_cover_the_queue_once(app, world, folder):
    client, _ = client_as(app, world, "analyst")
    total = len(queue_of(folder))
    pages = -(-total // review.PAGE_SIZE)
    assert pages >= 3  # the fixture makes more than two pages
    seen = []
    for number in range(1, pages + 1):
        page = client.get(URL, params={"page": number})
        assert page.status_code == 200
        shown = shown_pairs(page.text)
        assert len(shown) == min(review.PAGE_SIZE, total - len(seen))
        assert f"Pagina {number} van {pages}" in page.text
        assert (f'href="?page={number + 1}"' in page.text) == (number < pages)
        assert (f'href="?page={number - 1}"' in page.text) == (number > 1)
        assert f'id="decision-{len(seen) + 1}"' in page.text  # numbered through the queue
        seen += shown
    assert len(seen) == len(set(seen)) == total
    assert shown_pairs(client.get(URL, params={"page": 999}).text) == seen[-(total % 25 or 25):]
    assert shown_pairs(client.get(URL, params={"page": "x"}).text) == seen[:25]
    assert shown_pairs(client.get(URL, params={"page": "-2"}).text) == seen[:25]
    # digits that are not ASCII ("²".isdigit() is true, int("²") fails): the first page
    superscript = client.get(URL, params={"page": "\u00b2"})
    assert superscript.status_code == 200 and shown_pairs(superscript.text) == seen[:25]
    # a decision on page 2 comes back to page 2
    page2 = client.get(URL, params={"page": 2})
    id_l, id_r = shown_pairs(page2.text)[0]
    answer = client.post(URL, data={"csrf_token": _csrf(page2.text), "id_l": id_l,
                                    "id_r": id_r, "decision": "match", "page": "2"})
    assert parse_qs(urlsplit(answer.headers["location"]).query)["page"] == ["2"]
    assert (id_l, id_r) not in shown_pairs(client.get(answer.headers["location"]).text)


# -- no linkage ----------------------------------------------------------------------------------
def test_without_a_linkage_the_page_says_so(world, tmp_path, folder, monkeypatch):
    app = create_app(world.registry)  # neither app.state.linkage_path nor ZICHT_LINKAGE
    client, csrf = client_as(app, world, "analyst")
    page = client.get(URL)
    assert page.status_code == 200 and "geen koppeling ingesteld" in page.text
    assert "zicht serve --linkage" in page.text
    posted = client.post(URL, data={"csrf_token": csrf, "id_l": "a", "id_r": "b",
                                    "decision": "match"})
    assert posted.status_code == 404 and "geen koppeling ingesteld" in posted.text
    # a folder without a queue (not a linkage folder, or not yet run)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("ZICHT_LINKAGE", str(empty))
    page = client.get(URL)
    assert page.status_code == 200 and "geen leesbare review_queue.csv" in page.text
    assert str(empty) not in page.text
    assert client.post(URL, data={"csrf_token": csrf, "id_l": "a", "id_r": "b",
                                  "decision": "match"}).status_code == 404
    assert not (empty / "decisions.jsonl").exists()
    assert "No linkage is configured" not in client.get(f"{URL}?lang=en").text
    monkeypatch.delenv("ZICHT_LINKAGE")
    assert "No linkage is configured" in client.get(URL).text  # English, remembered
    # the environment names the folder as well as app.state does (the page now in English)
    monkeypatch.setenv("ZICHT_LINKAGE", str(folder))
    assert shown_pairs(client.get(URL).text)
    # a damaged decisions log: a clear page, not a traceback
    (folder / "decisions.jsonl").write_text("{not json\n")
    broken = client.get(URL)
    assert broken.status_code == 500 and "cannot be read" in broken.text
    assert "decisions.jsonl:1" in broken.text and str(folder) not in broken.text


def test_serve_checks_the_linkage_folder(tmp_path, monkeypatch, built):
    import uvicorn

    from zicht.cli import app

    monkeypatch.setenv("ZICHT_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("ZICHT_LINKAGE", "")  # restored afterwards: serve sets it
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["serve", "--linkage", str(empty)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "review_queue.csv" in result.output
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.update(kw))
    result = CliRunner().invoke(app, ["serve", "--linkage", str(built)])
    assert result.exit_code == 0, result.output
    assert started and "/dashboard/review" in result.output
    import os

    assert os.environ["ZICHT_LINKAGE"] == str(built.resolve())
