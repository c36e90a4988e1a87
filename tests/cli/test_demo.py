"""`zicht demo` (what `make demo` runs): the whole chain on a small simulation - registry,
export, linkage, estimates, chain figures, publication, reports - then the dashboard served
over real HTTP.  Names never reach the database in clear; the same seed gives the same figures;
a folder that is not a demo is never overwritten.

Two demo builds in all, each made once per session and shared by the xdist workers: ``built``,
and ``rebuilt`` - a copy of it with a part removed, built again from scratch with the same
seed (so also the second build that the same-seed test compares).  Both are ``slow``."""

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.browser.helpers import free_port
from tests.support import build_once
from zicht import demo
from zicht.cli import app

YEARS, VICTIMS = [2023, 2024], 1500
WHATIF_YEARS = 10  # simulated years per what-if scenario (the demo's own: 100; tested elsewhere)
runner = CliRunner()


def _build(folder: Path) -> list[str]:
    stages = []
    demo.build(folder / "demo", YEARS, seed=2, victims=VICTIMS, whatif_years=WHATIF_YEARS,
               step=lambda name, seconds: stages.append(name))
    return stages


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo, built once per session (its stages as they ran); tests that change it work on
    a copy.  The Demo is what `build` gives for the finished folder."""
    folder, stages = build_once(tmp_path_factory, "demo", _build)
    return demo.build(folder / "demo", YEARS, seed=2, victims=VICTIMS,
                      whatif_years=WHATIF_YEARS), stages


@pytest.fixture(scope="module")
def rebuilt(built, tmp_path_factory):
    """A copy of the demo without its publication, built again (with the same seed)."""
    import shutil

    d, _ = built

    def build_again(folder: Path) -> bool:
        copy = folder / "copy"
        shutil.copytree(d.folder, copy)
        (copy / "publication.json").unlink()
        return demo.build(copy, YEARS, seed=2, victims=VICTIMS, whatif_years=WHATIF_YEARS).reused

    folder, reused = build_once(tmp_path_factory, "demo-rebuilt", build_again)
    return demo.Demo(folder / "copy", YEARS, seed=2, victims=VICTIMS, reused=reused)


@pytest.mark.slow  # a demo build
def test_every_stage_runs_and_leaves_its_files(built):
    d, stages = built
    assert stages == ["simulate", "registry", "export", "link", "estimate", "chain", "publish",
                      "report"]
    for part in ("sim/reports.csv", "export/reports.parquet", "linked/persons.parquet",
                 "linked/review_queue.csv", "estimates.csv", "chain/manifest.json",
                 "publication.json"):
        assert (d.folder / part).exists(), part
    marker = json.loads((d.folder / demo.MARKER).read_text())
    assert marker["complete"] and set(marker["timings"]) == set(stages)


@pytest.mark.slow  # a demo build
def test_the_annual_reports_are_built_in_both_languages(built):
    from pypdf import PdfReader

    d, _ = built
    names = sorted(p.name for p in d.reports())
    assert names == ["annual-report-2024.html", "annual-report-2024.pdf",
                     "jaarrapport-2024.html", "jaarrapport-2024.pdf"]
    nl = PdfReader(d.folder / "reports" / "jaarrapport-2024.pdf")
    assert len(nl.pages) >= 10
    text = " ".join(page.extract_text() for page in nl.pages[:3])
    assert "Zicht op mensenhandel" in text and "2024" in text and "Samenvatting" in text
    html = (d.folder / "reports" / "annual-report-2024.html").read_text()
    assert "Summary" in html and "<svg" in html


@pytest.mark.slow  # a demo build
def test_the_registry_holds_every_report_and_no_name_in_clear(built):
    d, _ = built
    sim = pd.read_csv(d.folder / "sim" / "reports.csv", dtype=str)
    with sqlite3.connect(d.folder / "zicht.db") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        assert "reports" in tables
        assert db.execute("select count(*) from reports").fetchone()[0] == len(sim)
    raw = b"".join(p.read_bytes() for p in d.folder.glob("zicht.db*"))
    surnames = [s for s in sim["surname"].dropna().unique() if len(s) >= 7][:200]
    assert len(surnames) > 50
    leaked = [s for s in surnames if s.encode() in raw]
    assert leaked == []
    births = [b for b in sim["birth_date"].dropna().unique() if b][:200]
    assert [b for b in births if b.encode() in raw] == []


@pytest.mark.slow  # a demo build
def test_the_publication_covers_the_years_and_the_chain(built):
    d, _ = built
    doc = json.loads(d.publication.read_text())
    assert doc["years"] == YEARS and doc["latest_year"] == 2024
    values = {i["key"]: {v["year"]: v["value"] for v in i["values"]}
              for i in doc["public"]["indicators"]}
    assert values["police_cases_to_om"][2024] > 0
    assert 0 < values["detection_rate"][2024] < 1
    chain = pd.read_csv(d.folder / "chain.csv")
    cases = chain[(chain.measure == "police_cases_to_om") & (chain.year == 2024)].value.item()
    assert values["police_cases_to_om"][2024] == cases
    assert doc["analyst"]["comparison"]["year"] == 2024
    # two years give no trend; the range for victims no reporter sees is of the latest year
    assert doc["public"]["trend"] is None
    hidden = doc["public"]["hidden"]
    latest = next(e for e in doc["public"]["estimates"] if e["year"] == 2024)
    assert hidden["year"] == 2024
    assert hidden["rows"][1]["estimate"] == pytest.approx(latest["estimate"] / 0.75)


@pytest.mark.slow  # a demo build
def test_the_capacity_needed_carries_the_estimate_to_the_true_number(built):
    """Issue 21, on a simulation whose victims are known: the capacity the publication gives
    for its share of the estimate brackets the capacity the true number of victims would need
    (the same rates and assumptions), and today's scenario counts the published registered
    persons with the chain's own rate of police cases."""
    from zicht.monitor.capacity import load_capacity, needed_fte

    d, _ = built
    doc = json.loads(d.publication.read_text())
    cap = doc["public"]["capacity"]
    assumptions = {a.key: a for a in load_capacity().agencies}
    police = next(a for a in cap["agencies"] if a["key"] == "police")
    chain = pd.read_csv(d.folder / "chain.csv")
    registered = {v["year"]: v["value"] for i in doc["public"]["indicators"]
                  if i["key"] == "registered_persons" for v in i["values"]}
    cases = chain[(chain.measure == "police_cases_to_om") & (chain.year == 2024)].value.item()
    assert police["cases_per_person"] == pytest.approx(cases / registered[2024])
    scenarios = {s["key"]: s for s in cap["scenarios"]}
    assert scenarios["registered"]["persons"] == registered[2024]
    # today's police FTE: every case the police opened, open 0.75 years, 1.5 per FTE
    a = assumptions["police"]
    assert scenarios["registered"]["fte"]["police"][0] == pytest.approx(
        cases * a.duration_years / a.cases_per_fte, abs=0.05)
    truth = pd.read_csv(d.folder / "sim" / "truth_person_years.csv", usecols=["year"])
    true_victims = int((truth["year"] == 2024).sum())
    share = cap["share_of_estimate"]
    estimate = scenarios["estimate"]
    true_fte = needed_fte(share * true_victims, police["cases_per_person"], a.duration_years,
                          a.cases_per_fte)
    low, high = estimate["fte"]["police"][1:]
    assert low <= true_fte <= high, (low, true_fte, high, true_victims)
    assert estimate["low"] <= share * true_victims <= estimate["high"]


@pytest.mark.slow  # a demo build
def test_the_served_demo_pseudonymises_with_the_key_it_was_built_with(built):
    """A report entered in the served demo must link to the imported ones: the served
    registry's key fingerprint is the one the export was made under."""
    import pyarrow.parquet as pq

    from zicht.registry.service import Registry
    from zicht.registry.settings import Settings

    d, _ = built
    env = d.serve_environment()
    meta = pq.ParquetFile(d.folder / "export" / "reports.parquet").schema_arrow.metadata
    reg = Registry(Settings.from_env(env))
    try:
        assert reg.pseudonymiser.fingerprint.encode() == meta[b"zicht.key_fingerprint"]
    finally:
        reg.dispose()
    assert env["ZICHT_PUBLICATION"] == str(d.publication.resolve())
    assert not (d.folder / "zicht.key").exists()


@pytest.mark.slow  # a demo build
def test_demo_users_can_log_in(built):
    from zicht.registry.service import Registry
    from zicht.registry.settings import Settings

    d, _ = built
    reg = Registry(Settings.from_env({"ZICHT_PSEUDONYM_KEY": demo.demo_key(2)},
                                     database_url=d.database_url))
    try:
        for username, role, _org in demo.USERS:
            _, _, actor = reg.login(username, demo.password(), "test")
            assert actor.role == role
    finally:
        reg.dispose()


@pytest.mark.slow  # a demo build
def test_same_parameters_reuse_the_build_and_other_folders_are_refused(built, tmp_path):
    d, _ = built
    again = demo.build(d.folder, YEARS, seed=2, victims=VICTIMS, whatif_years=WHATIF_YEARS)
    assert again.reused
    with pytest.raises(demo.DemoError, match="not a zicht demo"):
        (tmp_path / "mine.txt").write_text("keep me")
        demo.build(tmp_path, YEARS, seed=2, victims=VICTIMS, whatif_years=WHATIF_YEARS)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_a_marker_that_is_not_a_zicht_demo_s_is_refused(tmp_path):
    for text in ('{"name": "my-js-demo"}', "not json"):
        folder = tmp_path / str(len(text))
        (folder / "reports").mkdir(parents=True)
        (folder / "reports" / "q3-board.pdf").write_text("keep me")
        (folder / demo.MARKER).write_text(text)
        with pytest.raises(demo.DemoError, match="not a zicht demo's marker"):
            demo.build(folder, YEARS, seed=2, victims=VICTIMS, whatif_years=WHATIF_YEARS)
        assert (folder / "reports" / "q3-board.pdf").read_text() == "keep me"


@pytest.mark.slow  # a demo build
def test_a_demo_missing_a_part_is_built_again(rebuilt):
    assert not rebuilt.reused and rebuilt.publication.exists()


@pytest.mark.slow  # a demo build
def test_the_same_seed_gives_the_same_figures(built, rebuilt):
    """The same simulation and reports; the registry's random report ids change the order of
    Splink's floating-point sums (m values differ by ~1e-6), so a pair on the threshold may
    link differently: figures agree to 1 %, not to the last digit."""
    d, _ = built
    other = rebuilt
    for name in ("sim/reports.csv", "chain.csv"):
        assert (d.folder / name).read_bytes() == (other.folder / name).read_bytes()
    a, b = (json.loads(p.read_text())["public"] for p in (d.publication, other.publication))
    for x, y in zip(a["estimates"], b["estimates"], strict=True):
        assert x["year"] == y["year"] and x["estimate"] == pytest.approx(y["estimate"], rel=0.01)
    reg = [{v["year"]: v["value"] for v in i["values"]} for doc in (a, b)
           for i in doc["indicators"] if i["key"] == "registered_persons"]
    assert reg[0].keys() == reg[1].keys()
    for year in reg[0]:
        assert reg[0][year] == pytest.approx(reg[1][year], rel=0.01)


@pytest.mark.slow  # a demo build
def test_cli_prints_the_login_and_refuses_a_foreign_folder(built, tmp_path):
    d, _ = built
    result = runner.invoke(app, ["demo", "--out", str(d.folder), "--years", "2023-2024",
                                 "--seed", "2", "--victims", str(VICTIMS), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "reusing" in result.output and demo.password() in result.output
    assert "analist (analyst)" in result.output
    (tmp_path / "x").write_text("")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--no-serve"])
    assert result.exit_code == 2 and "not a zicht demo" in result.output


@pytest.mark.slow  # a demo build
def test_demo_serves_the_dashboard_over_http(built):
    d, _ = built
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZICHT_")}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "zicht"), "demo", "--out", str(d.folder), "--years",
         "2023-2024", "--seed", "2", "--victims", str(VICTIMS), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=Path(d.folder).parent)
    try:
        page, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard") as r:
                    page = r.read().decode()
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.3)
        assert page is not None, "the dashboard did not answer within 60 s"
        assert "2024" in page and "<svg" in page
        # served with the key the registry was built with: no new key file beside it
        assert not (d.folder / "zicht.key").exists()
    finally:
        proc.terminate()
        proc.wait(10)
