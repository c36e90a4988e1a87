"""Reading a publication: what publish() writes loads and checks, its views agree with the raw
file, and every broken file is refused with one line naming what is wrong."""

import copy
import json

import pytest

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.monitor import publication
from zicht.monitor.inputs import MonitorData
from zicht.monitor.publication import FORMAT_VERSION, Publication, PublicationError, load
from zicht.monitor.publish import build_publication

K = 2


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("pub") / "publication.json"
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    doc = build_publication(data, path, k=K, compare_methods=False, today=2025)
    return path, doc


def _write(tmp_path, doc) -> str:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_round_trip_publish_then_load(written):
    path, doc = written
    assert doc["format_version"] == FORMAT_VERSION
    pub = load(path)
    assert isinstance(pub, Publication) and dict(pub) == doc
    assert pub["public"] is pub.public and pub.format_version == FORMAT_VERSION
    assert pub.years == [2023, 2024] and pub.latest_year == 2024 and pub.k == K


def test_views_agree_with_the_raw_file(written):
    path, doc = written
    pub = load(path)
    raw = {i["key"]: i for i in doc["public"]["indicators"]}
    assert set(pub.indicators) == set(raw)
    reg = {v["year"]: v["value"] for v in raw["registered_persons"]["values"]}
    assert pub.series("registered_persons") == reg == pub.registered_by_year()
    assert pub.value("registered_persons") == reg[2024]
    assert pub.series("no such indicator") == {} and pub.value("no such indicator") is None
    estimates = {e["year"]: e for e in doc["public"]["estimates"]}
    assert pub.estimates == estimates
    e = pub.estimate(2024)
    assert e is not None and pub.estimate_interval(2024) == (e["ci_low"], e["ci_high"])
    assert pub.estimate(1999) is None and pub.estimate_interval(1999) == (None, None)
    sex = doc["public"]["breakdowns"]["sex"]
    i = sex["years"].index(2024)
    assert pub.published_levels("sex", 2024) == {
        lvl for lvl, c in zip(sex["levels"], sex["counts"], strict=True) if c[i] is not None}
    assert pub.published_levels("sex", 1999) == set() and pub.breakdown("absent") is None
    assert pub.caribbean("sex") is False
    assert pub.targets == doc["public"]["targets"] and pub.overlap == doc["public"]["overlap"]
    cut = pub.upto(2023)
    assert set(cut.series("registered_persons")) == {2023}
    assert all(y <= 2023 for y in cut.estimates) and dict(pub) == doc  # the original stays


def test_combined_interval_wins_over_the_statistical_one():
    e = {"ci_low": 1, "ci_high": 9, "combined_low": 0.5, "combined_high": 12}
    assert publication.estimate_interval(e) == (0.5, 12)
    assert publication.estimate_interval({"ci_low": 1, "ci_high": 9}) == (1, 9)


def test_caribbean_regions(written, tmp_path):
    doc = copy.deepcopy(written[1])
    doc["public"]["breakdowns"]["region"] = {"levels": ["NL", "BES"], "years": [2024],
                                             "counts": [[5], [None]]}
    pub = load(_write(tmp_path, doc))
    assert pub.caribbean("region") and pub.published_levels("region", 2024) == {"NL"}


def test_a_file_without_a_version_is_read_as_version_1(written, tmp_path):
    doc = copy.deepcopy(written[1])
    del doc["format_version"]
    pub = load(_write(tmp_path, doc))
    assert pub.format_version == 1 and pub.latest_year == 2024


@pytest.mark.parametrize("version, message", [
    (99, "format version 99 is not one this zicht reads (it reads 1, 2, 3, 4)"),
    ("1", "format_version is a string, not an integer"),
    (True, "format_version is true or false, not an integer"),
])
def test_an_unknown_version_is_refused(written, tmp_path, version, message):
    doc = {**written[1], "format_version": version}
    with pytest.raises(PublicationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(_write(tmp_path, doc))


def _drop(doc, dotted):
    *head, last = dotted.split(".")
    node = doc
    for part in head:
        node = node[part]
    del node[last]


def _set(doc, dotted, value):
    *head, last = dotted.split(".")
    node = doc
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


@pytest.mark.parametrize("key", ["years", "latest_year", "k", "public", "analyst",
                                 "public.indicators", "public.breakdowns"])
def test_a_missing_key_is_named(written, tmp_path, key):
    doc = copy.deepcopy(written[1])
    _drop(doc, key)
    with pytest.raises(PublicationError, match=f"not a publication \\(missing key '{key}'\\)"):
        load(_write(tmp_path, doc))


@pytest.mark.parametrize("key, value, message", [
    ("years", "2024", "years is a string, not a list"),
    ("k", 2.5, "k is a number, not an integer"),
    ("public.indicators", {}, "public.indicators is an object, not a list"),
    ("public.estimates", {}, "public.estimates is an object, not a list"),
    ("analyst.comparison", [], "analyst.comparison is a list, not an object"),
    ("built_at", 2024, "built_at is an integer, not a string"),
    ("public.indicators.0.values", None, r"missing key 'public.indicators\[0\].values'"),
    ("public.indicators.0.unit", 3, r"public.indicators\[0\].unit is an integer, not a string"),
    ("public.breakdowns.sex", [], "public.breakdowns.sex is a list, not an object"),
    ("latest_year", 2030, "latest_year 2030 is not one of its years"),
    ("years", [], "its list of years is empty"),
    ("years", [2023, "2024"], r"years\[1\] is a string, not an integer"),
])
def test_a_wrong_value_is_named(written, tmp_path, key, value, message):
    doc = copy.deepcopy(written[1])
    _set(doc, key, value)
    with pytest.raises(PublicationError, match=message) as info:
        load(_write(tmp_path, doc))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("content, message", [
    (None, "not found"), ("{", "not a publication (not JSON: line 1)"),
    ("[1, 2]", "not a publication (the file holds a list, not an object)"),
    ('{"estimate": 12}', "not a publication (missing key 'years')"),
])
def test_files_that_are_no_publication(tmp_path, content, message):
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PublicationError) as info:
        load(path)
    assert str(info.value) == f"{path}: {message}"
    assert isinstance(info.value, ValueError)
