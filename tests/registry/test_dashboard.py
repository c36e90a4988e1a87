"""The dashboard pages over HTTP: they read one publication, show only its disclosure-controlled
part to the public, in Dutch and English, and the method comparison only to analysts."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.monitor.sample import K, sample_publication
from zicht.web.app import create_app

from .conftest import PASSWORD


@pytest.fixture
def client(world, tmp_path):
    app = create_app(world.registry)
    app.state.publication_path = str(sample_publication(tmp_path / "publication.json"))
    return TestClient(app, follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, user):
    client.post("/login", data={"username": user, "password": PASSWORD,
                                "csrf_token": _csrf(client.get("/login").text)})


def _cells(html: str) -> list[str]:
    return re.findall(r'<t[dh] class="utrecht-table__(?:header-)?cell[^"]*"[^>]*>([^<]*)</t[dh]>',
                      html)


def test_overview_in_dutch_and_english(client):
    nl = client.get("/dashboard")
    assert nl.status_code == 200
    assert "Zicht op mensenhandel" in nl.text and "<svg" in nl.text
    assert "geregistreerde personen" in nl.text and "Programmadoelen" in nl.text
    en = client.get("/dashboard?lang=en")
    assert "Sight of human trafficking" in en.text and "registered persons" in en.text
    assert "Programme targets" in en.text
    # the key figures of the latest year (the sample: 4 registered, 20 estimated 12-40)
    figures = re.findall(r'<dt class="zicht-figure__label"><a [^>]*href="/methods#def-(\w+)">'
                         r'([^<]*)</a></dt>\s*<dd class="zicht-figure__value">([^<]*)</dd>',
                         nl.text)
    assert figures == [("registered_persons", "geregistreerde personen", "4"),
                       ("estimated_victims", "geschatte slachtoffers", "20"),
                       ("detection_rate", "detectiegraad", "20,0%"),
                       ("dark_number", "geschat verborgen aantal", "16")]
    # the sample has no linkage band: the interval is the model's, and named so
    assert "95%-modelinterval: 12 - 40" in nl.text and "incl. koppeling" not in nl.text
    # a target by the indicator's name, its status as a labelled word, reasoning in units
    assert '<span class="zicht-status zicht-status--off-track">uit koers</span>' in nl.text
    # the sample's complaints (1 of 3, 1 of 4 persons) are suppressed at k = 2: the target
    # has no value to show either (it once printed the hidden "25,0%" in its reasoning)
    assert "aangifte gedaan" in _cells(nl.text) and "25,0%, doel" not in nl.text
    assert "geen waarden voor deze indicator" in nl.text
    assert "geregistreerde personen (vorm van uitbuiting: arbeidsuitbuiting)" in _cells(nl.text)
    assert '<span class="zicht-status zicht-status--off-track">off track</span>' in en.text
    # the sample has no chain figures: no capacity table; with them, one row per line
    assert "Capaciteit en budget" not in nl.text


def test_the_change_of_the_estimate_is_worded_by_its_significance(client):
    """The sample's 2024 estimate rose by 5 with an interval far around zero."""
    nl, en = client.get("/dashboard").text, client.get("/dashboard?lang=en").text
    assert "geen significante verandering" in nl and "2024 (voorlopig)" in nl
    assert "no significant change" in en and "2024 (provisional)" in en
    assert "no significant" not in nl


def test_the_methods_page_shows_one_model_over_all_years_beside_the_published(client):
    _login(client, "analyst")
    nl = client.get("/dashboard/methods").text
    assert "Gevoeligheid: één model over alle jaren" in nl
    table = re.search(r'<table[^>]*id="series".*?</table>', nl, re.S).group(0)
    cells = _cells(table)
    assert "2023" in cells and "14" in cells and "17" in cells  # the series' estimates
    assert "15" in cells and "20" in cells  # the published ones


def test_breakdowns_publish_no_count_below_k(client):
    page = client.get("/dashboard/breakdowns?lang=nl")
    assert page.status_code == 200
    numbers = [int(c.replace(".", "")) for c in _cells(page.text) if re.fullmatch(r"[\d.]+", c)]
    years = {2023, 2024}
    counts = [n for n in numbers if n not in years]
    assert counts and all(n == 0 or n >= K for n in counts)
    assert "geheim" in page.text  # something was suppressed, and said so
    assert "Caribisch deel van het Koninkrijk" in page.text  # P5 is in BES
    # levels by name, not code
    assert {"vrouw", "man", "Caribisch Nederland"} <= set(_cells(page.text))
    # a trend chart for every breakdown with at least one published count
    import json
    from pathlib import Path

    doc = json.loads(Path(client.app.state.publication_path).read_text())
    charts = sum(any(c is not None for row in t["counts"] for c in row)
                 for t in doc["public"]["breakdowns"].values())
    assert 0 < charts and page.text.count("<svg") == charts


def test_methods_page_is_for_analysts(client):
    assert client.get("/dashboard/methods").status_code == 303  # to the login page
    _login(client, "rep_a")
    assert client.get("/dashboard/methods").status_code == 403
    client.cookies.clear()
    _login(client, "analyst")
    page = client.get("/dashboard/methods")
    assert page.status_code == 200 and "<svg" in page.text
    assert "geen schatting" in page.text and "onder het waargenomen aantal" in page.text
    en_page = client.get("/dashboard/methods?lang=en").text
    assert "no estimate" in en_page and "below observed" in en_page
    # sensitivity: a row per list left out (Korea's lists b-d), the merge, the linkage band
    cells = _cells(page.text)
    assert {"alle lijsten", "zonder b", "zonder c", "zonder d"} <= set(cells)
    assert any(c.endswith(" samengevoegd") for c in cells)
    # the linkage band: changes against the chosen linkage (0.7, the middle row), marked
    i = cells.index("drempel 0,5")
    assert cells[i + 4] == "-10,0%"
    j = cells.index("drempel 0,7")
    assert cells[j + 4: j + 6] == ["+0,0%", "de gekozen koppeling"]
    k = cells.index("drempel 0,9")
    assert cells[k + 4] == "+10,0%"
    # the estimate by stratum: levels by name, the sum, a level without an estimate says why
    i = cells.index("vrouw")
    assert cells[i: i + 5] == ["vrouw", "300", "1.200", "900 - 1.700", "POL:ZC"]
    j = cells.index("som van de groepen")
    assert cells[j: j + 4] == ["som van de groepen", "500", "2.100", "1.650 - 2.800"]
    k = cells.index("orgaanverwijdering")
    assert cells[k: k + 5] == ["orgaanverwijdering", "1", "-", "-",
                               "fewer than two lists saw anyone"]
    assert "geen som: niet elke groep heeft een schatting" in cells
    en = _cells(client.get("/dashboard/methods?lang=en").text)
    assert {"all lists", "without b", "threshold 0.9", "+10.0%"} <= set(en)


def test_without_a_publication_the_pages_say_so(world):
    app = create_app(world.registry)
    app.state.publication_path = "/nonexistent/publication.json"
    client = TestClient(app)
    page = client.get("/dashboard")
    assert page.status_code == 200 and "nog geen publicatie" in page.text
    assert client.get("/dashboard/breakdowns").status_code == 200


def test_overlap_page_shows_combinations_with_small_ones_pooled(client):
    page = client.get("/dashboard/overlap?lang=nl")
    assert page.status_code == 200 and "<svg" in page.text
    cells = _cells(page.text)
    assert "politie + zorgcoördinator (POL+ZC)" in cells and "90" in cells
    # the combinations below k are pooled (tests/monitor/sample.py), not suppressed one by one
    assert "Koninklijke Marechaussee + politie (KMAR+POL)" not in cells
    row = cells.index("overige combinaties van 2 tot 3 meldercategorieën")
    assert cells[row + 1] == "16" and "geheim" not in cells


def test_overlap_withheld_when_too_small(world, tmp_path):
    import json

    path = sample_publication(tmp_path / "p.json")
    pub = json.loads(path.read_text())
    pub["public"]["overlap"] = {"year": 2024, "withheld": True, "combinations": []}
    path.write_text(json.dumps(pub))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    page = TestClient(app).get("/dashboard/overlap?lang=en")
    assert page.status_code == 200 and "too few persons to protect" in page.text
    assert "<svg" not in page.text


def test_methods_page_without_a_comparison_still_shows_the_estimate_by_group(world, tmp_path):
    import json

    path = sample_publication(tmp_path / "p.json")
    pub = json.loads(path.read_text())
    pub["analyst"]["comparison"] = None
    path.write_text(json.dumps(pub))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    client = TestClient(app, follow_redirects=False)
    _login(client, "analyst")
    page = client.get("/dashboard/methods")
    assert page.status_code == 200
    assert "geen vergelijking van schattingsmethoden" in page.text
    assert "nog geen publicatie" not in page.text
    assert "Schatting per groep" in page.text and "vrouw" in _cells(page.text)


def test_capacity_and_budget_per_line_when_the_publication_has_them(world, tmp_path):
    import json

    path = sample_publication(tmp_path / "p.json")
    pub = json.loads(path.read_text())
    pub["public"]["programme"] = [
        {"line": 2, "line_nl": "arbeidsuitbuiting", "line_en": "labour exploitation",
         "years": {"2023": {"fte": 11.0, "budget_eur": 2000000.0},
                   "2024": {"fte": 12.5, "budget_eur": None}}}]
    path.write_text(json.dumps(pub))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    nl = TestClient(app).get("/dashboard").text
    assert "Capaciteit en budget per ontwikkellijn" in nl
    cells = _cells(nl)
    i = cells.index("arbeidsuitbuiting", cells.index("capaciteit (fte)"))
    assert cells[i - 1: i + 4] == ["2", "arbeidsuitbuiting", "2024", "12,50", "-"]


def test_the_capacity_needed_in_dutch_and_english(client, world, tmp_path):
    """Issue 21: FTE needed per agency for three numbers of persons (the estimate's interval
    carried through), per line beside the capacity today, and the assumptions shown."""
    nl = client.get("/dashboard").text
    assert "Benodigde capaciteit" in nl and "wet van Little" in nl
    cells = _cells(nl)
    # the sample: 1,000 registered, +230 with the obligation, half of 5,200 (4,100-7,000);
    # the police open 240 cases per 1,000 persons, each 0.75 years, 1.5 at once per FTE
    i = cells.index("Politie (AVIM)")
    assert cells[i: i + 5] == ["Politie (AVIM)", "1", "120,0", "147,6", "312,0 (246,0-420,0)"]
    # line 1 (police and prosecution) beside its 14.5 FTE today, named as in the targets
    j = next(k for k, c in enumerate(cells) if c.startswith("basisaanpak")
             and k > cells.index("capaciteit nu (fte)"))
    assert cells[j + 1: j + 3] == ["14,5 (2024)", "148,1"]
    assert "zaken van politie naar OM per geregistreerde persoon, 2024: 0,24" in cells
    assert "Deze aannames zijn het voorbeeld van zicht" in nl
    en = client.get("/dashboard?lang=en").text
    assert "Capacity needed" in en and "Benodigde" not in en and "Police (AVIM)" in en
    assert "50.0% of the estimate of 2024: 2,600 persons (2,050-3,500)" in _cells(en)
    # a publication without the part shows no section
    import json

    path = sample_publication(tmp_path / "p.json")
    pub = json.loads(path.read_text())
    pub["public"]["capacity"] = None
    path.write_text(json.dumps(pub))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    assert "Benodigde capaciteit" not in TestClient(app).get("/dashboard").text


def test_whatif_page_for_analysts(client):
    assert client.get("/dashboard/whatif").status_code == 303  # anonymous: to the login page
    _login(client, "rep_a")
    assert client.get("/dashboard/whatif").status_code == 403
    client.cookies.clear()
    _login(client, "analyst")
    # the scenario is fitted to the publication's calibration (4,000 victims, ZC 250: 6.25 %)
    import json
    from pathlib import Path

    path = Path(client.app.state.publication_path)
    doc = json.loads(path.read_text())
    doc["analyst"]["calibration"] = {"year": 2024, "victims": 4000.0, "persons": {
        "POL": 300, "ZC": 250, "NGO": 200, "NLA": 50}}
    path.write_text(json.dumps(doc))
    form = client.get("/dashboard/whatif?lang=nl")
    assert form.status_code == 200 and 'name="category"' in form.text
    assert "aangepast aan 2024: 4.000 slachtoffers" in form.text
    assert "ZC (6,25%)" in form.text and "(nl-baseline, aangepast aan 2024)" in form.text
    page = client.get("/dashboard/whatif", params={"category": "ZC", "rate": "0,096",
                                                   "replicates": "3"})
    assert page.status_code == 200
    cells = _cells(page.text)
    row = cells.index("geregistreerde personen")
    now, after = (int(cells[row + i].replace(".", "")) for i in (1, 2))
    assert after > now  # the obligation only adds detections
    assert "smaller" in page.text or "breder" in page.text
    bad = client.get("/dashboard/whatif", params={"category": "ZC", "rate": "2",
                                                  "replicates": "500"})
    assert bad.status_code == 422
    assert "tussen 0 en 1" in bad.text and "1 tot 100" in bad.text
    unknown = client.get("/dashboard/whatif", params={"category": "XX", "rate": "0.1"})
    assert unknown.status_code == 422 and "not a reporter" in unknown.text
    # a rate as people type it: a percentage, or a comma (issue 18)
    for typed in ("10%", "10 %", "0,1"):
        assert client.get("/dashboard/whatif", params={"category": "ZC", "rate": typed,
                                                       "replicates": "1"}).status_code == 200
    for typed in ("10", "ten", "١٠%", "-5%"):
        assert client.get("/dashboard/whatif", params={"category": "ZC", "rate": typed,
                                                       "replicates": "1"}).status_code == 422


def test_the_overview_shows_the_trend_and_what_no_reporter_can_see(client):
    """The joint fit's trend as a sentence over the years it spans, and the latest estimate
    (the sample's 20, 12-40) if 10, 25 or 50 % of the victims cannot be seen by any reporter:
    20 / (1 - share)."""
    nl, en = client.get("/dashboard").text, client.get("/dashboard?lang=en").text
    assert ("<strong>Trend van de schatting 2023–2024</strong> +5,0% per jaar (95%-interval "
            "+1,0% tot +9,0%): een significante trend (uit één model over alle jaren).") in nl
    assert "+5.0% a year (95% interval +1.0% to +9.0%): a significant trend" in en
    assert "Slachtoffers die geen melder kan zien" in nl and "Victims no reporter can see" in en
    table = re.search(r'<table[^>]*id="hidden".*?</table>', nl, re.S).group(0)
    assert _cells(table)[-9:] == ["10%", "22", "13 - 44", "25%", "27", "16 - 53",
                                  "50%", "40", "24 - 80"]
    assert "reporter" not in nl


def test_a_publication_without_trend_or_range_shows_neither(world, tmp_path):
    """A publication written before the trend and the range existed still renders."""
    import json

    path = sample_publication(tmp_path / "publication.json")
    doc = json.loads(path.read_text())
    del doc["public"]["trend"], doc["public"]["hidden"]
    path.write_text(json.dumps(doc))
    app = create_app(world.registry)
    app.state.publication_path = str(path)
    page = TestClient(app).get("/dashboard")
    assert page.status_code == 200
    assert "Trend van de schatting" not in page.text and 'id="hidden"' not in page.text
