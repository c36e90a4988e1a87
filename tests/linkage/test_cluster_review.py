"""Clustering, and the analysts' decisions overriding the model: recorded with who and when,
reversible, applied on every later run."""

import json
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zicht.linkage.cluster import Graph, conflicts
from zicht.linkage.evaluate import evaluate
from zicht.linkage.review import DecisionConflict, DecisionLog, queue

IDS = ["a", "b", "c", "d", "e"]
PAIRS = pd.DataFrame({"id_l": ["a", "b", "c", "a"], "id_r": ["b", "c", "d", "e"],
                      "match_probability": [0.99, 0.95, 0.4, 0.05]})


def groups(ids, labels) -> set[frozenset]:
    out: dict[int, set] = {}
    for i, lab in zip(ids, labels, strict=True):
        out.setdefault(lab, set()).add(i)
    return {frozenset(g) for g in out.values()}


def test_links_join_by_average_linkage_and_a_weak_link_does_not_chain():
    g = Graph(IDS, PAIRS)
    assert groups(IDS, g.labels(0.5)) == {frozenset("abc"), frozenset("d"), frozenset("e")}
    # at 0.3 c-d is a candidate, but d would join a, b and c on one link of 0.4 with nothing
    # between d and a or b: mean 0.4 / 3 below the cohesion of 0.3
    assert groups(IDS, g.labels(0.3)) == {frozenset("abc"), frozenset("d"), frozenset("e")}
    assert groups(IDS, g.labels(0.3, cohesion=0.1)) == {frozenset("abcd"), frozenset("e")}
    # plain connected components when asked
    assert groups(IDS, g.labels(0.3, max_reports=None, cohesion=0)) == \
        {frozenset("abcd"), frozenset("e")}
    assert groups(IDS, g.labels(1.0)) == {frozenset(x) for x in "abcde"}
    # person numbers follow the first report of each person: stable between runs
    assert list(g.labels(0.5)) == [0, 0, 0, 1, 2]


def test_a_group_joins_on_the_mean_of_all_pairs_between():
    ids = list("pqrs")
    pairs = pd.DataFrame({"id_l": ["p", "r", "q", "p", "q"], "id_r": ["q", "s", "r", "r", "s"],
                          "match_probability": [0.99, 0.98, 0.9, 0.2, 0.0]})
    g = Graph(ids, pairs)
    # {p,q} and {r,s}: q-r 0.9 + p-r 0.2 over four pairs = 0.275 < 0.3: two persons
    assert groups(ids, g.labels(0.5)) == {frozenset("pq"), frozenset("rs")}
    assert groups(ids, g.labels(0.5, cohesion=0.25)) == {frozenset("pqrs")}


def test_the_size_cap_stops_a_person_growing_past_it():
    ids = [f"r{i}" for i in range(6)]
    pairs = pd.DataFrame([(a, b, 0.99) for i, a in enumerate(ids) for b in ids[i + 1:]],
                         columns=["id_l", "id_r", "match_probability"])
    g = Graph(ids, pairs)
    assert len(set(g.labels(0.5))) == 1
    assert sorted(np.bincount(g.labels(0.5, max_reports=4))) == [2, 4]


def test_decisions_override_the_model_both_ways():
    decisions = pd.DataFrame({"id_l": ["b", "a"], "id_r": ["c", "e"],
                              "decision": ["no_match", "match"]})
    g = Graph(IDS, PAIRS, decisions)
    assert groups(IDS, g.labels(0.5)) == {frozenset("abe"), frozenset("c"), frozenset("d")}
    # a decided pair follows the decision in every sampled linkage too
    rng = np.random.default_rng(0)
    for _ in range(50):
        lab = g.sample(rng)
        assert lab[IDS.index("a")] == lab[IDS.index("e")]
        assert lab[IDS.index("b")] != lab[IDS.index("c")]


def test_a_match_on_a_pair_the_model_never_scored_still_links():
    decisions = pd.DataFrame({"id_l": ["d"], "id_r": ["e"], "decision": ["match"]})
    g = Graph(IDS, PAIRS, decisions)
    assert frozenset("de") in groups(IDS, g.labels(0.5))


def test_a_no_match_decision_is_never_bridged_by_the_model():
    decisions = pd.DataFrame({"id_l": ["a"], "id_r": ["c"], "decision": ["no_match"]})
    labels = Graph(IDS, PAIRS, decisions).labels(0.5)  # a-b and b-c links, a-c forbidden
    assert labels[IDS.index("a")] != labels[IDS.index("c")]
    assert conflicts(np.array(IDS, dtype=object), labels, decisions).empty


def test_conflicts_show_no_match_decisions_joined_by_match_decisions():
    decisions = pd.DataFrame({"id_l": ["a", "b", "a"], "id_r": ["b", "c", "c"],
                              "decision": ["match", "match", "no_match"]})
    labels = Graph(IDS, PAIRS, decisions).labels(0.5)  # the analysts' own matches chain
    found = conflicts(np.array(IDS, dtype=object), labels, decisions)
    assert list(zip(found.id_l, found.id_r, strict=True)) == [("a", "c")]


def test_sampled_linkages_follow_the_match_probabilities():
    ids = ["x", "y"]
    g = Graph(ids, pd.DataFrame({"id_l": ["x"], "id_r": ["y"], "match_probability": [0.4]}))
    rng = np.random.default_rng(1)
    draws = np.array([g.sample(rng) for _ in range(4000)])
    assert abs((draws[:, 0] == draws[:, 1]).mean() - 0.4) < 0.03  # +- 4 standard errors
    # a drawn weak link joins d to c only when c is on its own (b-c not drawn): 0.4 x 0.05
    draws = np.array([Graph(IDS, PAIRS).sample(rng) for _ in range(4000)])
    assert abs((draws[:, 2] == draws[:, 3]).mean() - 0.02) < 0.01


def test_unknown_report_in_pairs_is_refused():
    with pytest.raises(ValueError, match="not among the reports"):
        Graph(IDS[:2], PAIRS)


def test_decision_log_is_append_only_reversible_and_attributed(tmp_path):
    log = DecisionLog(tmp_path / "decisions.jsonl")
    log.record("R2", "R1", "match", by="analyst:ana", note="same shelter file")
    log.record("R3", "R4", "no-match", by="analyst:bob")
    log.record("R1", "R2", "undecided", by="analyst:ana")  # withdrawn, either order
    current = log.current()
    assert list(zip(current.id_l, current.id_r, current.decision, strict=True)) == \
        [("R3", "R4", "no_match")]
    history = log.entries()
    assert len(history) == 3 and list(history["by"]) == ["analyst:ana", "analyst:bob",
                                                         "analyst:ana"]
    assert history["at"].str.match(r"\d{4}-\d\d-\d\dT").all()
    assert history.loc[0, "note"] == "same shelter file"
    log.record("R1", "R2", "no_match", by="analyst:cem")  # reversed again
    assert set(log.current().decision) == {"no_match"} and len(log.current()) == 2
    lines = (tmp_path / "decisions.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line) for line in lines)


@pytest.mark.parametrize("args,message", [(("R1", "R1", "match"), "itself"),
                                          (("R1", "R2", "maybe"), "decision must be")])
def test_bad_decisions_are_refused_and_not_written(tmp_path, args, message):
    log = DecisionLog(tmp_path / "d.jsonl")
    with pytest.raises(ValueError, match=message):
        log.record(*args)
    assert not (tmp_path / "d.jsonl").exists()


def test_a_corrupt_decision_log_is_reported_with_its_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id_l": "a", "id_r": "b", "decision": "match"}\nnot json\n')
    with pytest.raises(ValueError, match=r"d.jsonl:2"):
        DecisionLog(path).current()


OLD_LINE = ('{"id_l": "%s", "id_r": "%s", "decision": "%s", "by": "cli:op", '
            '"at": "2024-05-01T10:00:00+00:00", "note": ""}\n')


def test_a_decision_names_what_it_supersedes_and_old_lines_get_their_place(tmp_path):
    path = tmp_path / "decisions.jsonl"  # written before seq existed, with a blank line
    path.write_text(OLD_LINE % ("R1", "R2", "match") + "\n" + OLD_LINE % ("R3", "R4", "no_match"))
    log = DecisionLog(path)
    history = log.entries()
    assert list(history["seq"]) == [1, 2] and list(history["supersedes"]) == [None, None]
    withdrawn = log.record("R2", "R1", "undecided", by="analyst:ana", expect=1)
    assert (withdrawn["seq"], withdrawn["supersedes"]) == (3, 1)
    fresh = log.record("R5", "R6", "match", by="analyst:bob", expect=None)
    assert (fresh["seq"], fresh["supersedes"]) == (4, None)
    # the command line's call (no expect) is an operator's override: it refuses nothing and
    # names what it supersedes
    override = log.record("R1", "R2", "no_match", by="cli:op")
    assert (override["seq"], override["supersedes"]) == (5, 3)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert [(line.get("seq"), line.get("supersedes")) for line in lines] == [
        (None, None), (None, None), (3, 1), (4, None), (5, 3)]
    assert log.latest()[("R1", "R2")]["seq"] == 5
    assert list(log.current()["seq"]) == [2, 4, 5]


def test_a_decision_on_a_stale_view_is_refused_and_not_written(tmp_path):
    log = DecisionLog(tmp_path / "decisions.jsonl")
    log.record("R1", "R2", "match", by="analyst:ana", expect=None)  # both saw no entry
    with pytest.raises(DecisionConflict) as caught:
        log.record("R2", "R1", "no_match", by="analyst:bob", expect=None)
    standing = caught.value.standing
    assert (standing["seq"], standing["decision"], standing["by"]) == (1, "match", "analyst:ana")
    assert caught.value.expected is None and "nothing was recorded" in str(caught.value)
    assert [(e["decision"], e["by"]) for e in log.records()] == [("match", "analyst:ana")]
    # naming the standing entry supersedes it; naming an older one, or one of another pair,
    # is refused
    log.record("R1", "R2", "undecided", by="analyst:ana", expect=1)
    with pytest.raises(DecisionConflict):
        log.record("R1", "R2", "match", by="analyst:bob", expect=1)
    with pytest.raises(DecisionConflict) as caught:
        log.record("R7", "R8", "match", by="analyst:bob", expect=2)
    assert caught.value.standing is None
    assert len(log.records()) == 2


def _decide(path: str, by: str, decision: str) -> str:
    try:
        DecisionLog(Path(path)).record("R1", "R2", decision, by=by, expect=None)
    except DecisionConflict:
        return "refused"
    return "recorded"


def _decide_in_child(path: str, by: str, decision: str, barrier, out) -> None:
    barrier.wait(timeout=60)
    out.put((by, _decide(path, by, decision)))


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_concurrent_deciders_on_the_same_view_exactly_one_is_recorded(tmp_path, monkeypatch,
                                                                      how):
    """Several analysts (threads, or server worker processes) decide the same pair at once,
    all having seen no decision: one decision is written, every other is refused."""
    reading = DecisionLog.records

    def slowly(self):  # widen the window between reading the log and appending to it
        rows = reading(self)
        time.sleep(0.05)
        return rows

    monkeypatch.setattr(DecisionLog, "records", slowly)  # inherited by forked children
    path = str(tmp_path / "decisions.jsonl")
    deciders = [(f"analyst:{i}", "match" if i % 2 else "no_match") for i in range(6)]
    if how == "threads":
        barrier = threading.Barrier(len(deciders))

        def run(decider):
            barrier.wait(timeout=60)
            return decider[0], _decide(path, *decider)

        with ThreadPoolExecutor(len(deciders)) as pool:
            outcomes = dict(pool.map(run, deciders))
    else:
        fork = multiprocessing.get_context("fork")
        barrier, out = fork.Barrier(len(deciders)), fork.Queue()
        children = [fork.Process(target=_decide_in_child, args=(path, by, decision, barrier, out))
                    for by, decision in deciders]
        for child in children:
            child.start()
        outcomes = dict(out.get(timeout=60) for _ in children)
        for child in children:
            child.join(timeout=60)
            assert child.exitcode == 0
    assert sorted(outcomes.values()) == ["recorded"] + ["refused"] * (len(deciders) - 1)
    [winner] = [by for by, outcome in outcomes.items() if outcome == "recorded"]
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    assert [(line["by"], line["seq"], line["supersedes"]) for line in lines] == \
        [(winner, 1, None)]


def test_queue_holds_undecided_pairs_in_the_band_most_uncertain_first():
    pairs = pd.DataFrame({"id_l": list("abcde"), "id_r": list("vwxyz"),
                          "match_probability": [0.95, 0.55, 0.3, 0.85, 0.1]})
    decided = pd.DataFrame({"id_l": ["d"], "id_r": ["y"], "decision": ["match"]})
    q = queue(pairs, decided, (0.2, 0.9))
    assert list(q.id_l) == ["b", "c"]


def test_evaluation_on_a_hand_computed_example():
    # truth {1,2,3} {4,5} {6}; predicted {1,2} {3,4,5} {6}
    e = evaluate([0, 0, 1, 1, 1, 2], ["x", "x", "x", "y", "y", "z"])
    # true pairs: 12 13 23 45 (4); predicted pairs: 12 34 35 45 (4); common: 12 45 (2)
    assert (e.pairwise_precision, e.pairwise_recall) == (0.5, 0.5)
    # exact clusters: {6} only -> 1/3 and 1/3
    assert e.cluster_precision == pytest.approx(1 / 3) and e.cluster_recall == pytest.approx(1 / 3)
    assert (e.persons, e.true_persons, e.persons_error) == (3, 3, 0.0)
    perfect = evaluate([5, 5, 7], ["p", "p", "q"])
    assert perfect.pairwise_f1 == 1.0 and perfect.cluster_f1 == 1.0


def test_two_single_reports_join_on_their_link_wherever_they_sit():
    """Below the cohesion (0.3), a candidate between two single reports joins as it does when
    the two are a component of their own (the band's 0.2 threshold, sampled linkages)."""
    alone = Graph(["a", "b"], pd.DataFrame({"id_l": ["a"], "id_r": ["b"],
                                            "match_probability": [0.25]}))
    assert len(set(alone.labels(0.2))) == 1
    ids = ["a", "b", "c", "d"]
    beside = Graph(ids, pd.DataFrame({"id_l": ["a", "b", "c"], "id_r": ["b", "c", "d"],
                                      "match_probability": [0.25, 0.21, 0.9]}))
    labels = beside.labels(0.2)
    assert labels[0] == labels[1] and labels[2] == labels[3]
    assert labels[1] != labels[2]  # {a, b} and {c, d}: 0.21 / 4 between them


def test_decisions_in_either_order_and_repeated_pairs_count_once():
    ids = ["a", "b", "c"]
    pairs = pd.DataFrame({"id_l": ["a", "a", "c"], "id_r": ["b", "c", "a"],
                          "match_probability": [0.99, 0.45, 0.45]})
    # a-c twice (once as c-a): counted once, 0.45 / 2 between {a, b} and c is below 0.3
    assert groups(ids, Graph(ids, pairs).labels(0.4)) == {frozenset("ab"), frozenset("c")}
    decided = pd.DataFrame({"id_l": ["b"], "id_r": ["a"], "decision": ["no_match"]})
    # recorded as b-a, it is the scored pair a-b: no link; a-c alone is then a candidate pair
    assert groups(ids, Graph(ids, pairs, decided).labels(0.4)) == \
        {frozenset("ac"), frozenset("b")}


def test_the_review_file_shows_each_reports_attributes_beside_the_pair():
    """review_queue.csv carries what the review page shows of each side (forms of exploitation
    included), looked up by the report's id whichever side it is on."""
    from zicht.linkage.run import _review_view

    table = pd.DataFrame({"unique_id": ["a", "b", "c"], "reporter_category": ["POL", "ZC", "NGO"],
                          "sex": ["F", "F", "M"], "exploitation_forms": ["SEX", "LAB", "SEX;LAB"],
                          "tok_name": ["x", "y", "z"]})
    review = pd.DataFrame({"id_l": ["c", "a"], "id_r": ["b", "c"], "match_probability": [.4, .6],
                           "level_name": ["similar", "equal"]})
    view = _review_view(review, table)
    assert view[["exploitation_forms_l", "exploitation_forms_r"]].values.tolist() == [
        ["SEX;LAB", "LAB"], ["SEX", "SEX;LAB"]]
    assert view["reporter_category_l"].tolist() == ["NGO", "POL"]
    assert "tok_name_l" not in view.columns  # no token reaches the review file
