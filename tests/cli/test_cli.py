"""The ``zicht`` command: exit codes, one-line errors on stderr, text and JSON on stdout.

The cases in ``PROCESS`` (one of each exit code, a JSON answer and a narrow terminal) run the
installed console script as a user runs it, in a fresh interpreter (seconds of imports each),
started together on a small thread pool.  The other cases run the same Typer app in this
process (``CliRunner``: its own stdout and stderr, the real exit code), one after another, so
that the quick test loop does not pay an interpreter start per case.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.support import assert_error_names, names_column, names_row
from zicht.cli import app
from zicht.mse import datasets

BIN_DIR = Path(sys.executable).parent
ZICHT = shutil.which("zicht", path=str(BIN_DIR))
UK5_TERMS = {"LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    csv: str | bytes | None = None  # written to <tmp>/<case>.csv, passed as FILE
    columns: int = 200  # terminal width the command sees


def _bad(text: str) -> Case:
    # a narrow terminal: an error message must stay on one line however long it is
    return Case(("estimate",), csv=text, columns=40)


# name -> (csv text, data row at fault (1-based) or None, column named or None, text required)
BAD_INPUT = {
    "not_01": ("police,ngo,shelter,count\n1,0,0,5\n0,1,0,3\n0,2,1,4\n", 3, "ngo", "2"),
    "negative_count": ("police,ngo,count\n1,0,5\n0,1,-3\n", 2, "count", "-3"),
    "fractional_count": ("police,ngo,count\n1,0,5\n1,1,2.5\n", 2, "count", "2.5"),
    "all_zero_row": ("police,ngo,count\n1,0,5\n0,0,3\n0,1,2\n", 2, None, None),
    "duplicate_pattern": ("police,ngo,count\n1,0,5\n0,1,3\n1,0,2\n", 3, None, None),
    "one_list": ("police,count\n1,5\n", None, None, "two"),
    "empty_file": ("", None, None, "empty"),
    "no_count_column": ("police,ngo,n\n1,0,5\n0,1,3\n", None, "count", None),
}

def _stratified_csv() -> str:
    """Three lists, two sexes x two regions; list A finds women more often (A:sex)."""
    import numpy as np

    rng = np.random.default_rng(7)
    lines = ["A,B,C,sex,region,count"]
    for sex, pa in (("F", 0.5), ("M", 0.2)):
        for region in ("north", "south"):
            caught = rng.random((1500, 3)) < [pa, 0.3, 0.25]
            for pattern in {tuple(map(int, row)) for row in caught if row.any()}:
                count = int((caught == np.array(pattern, bool)).all(axis=1).sum())
                lines.append(",".join(map(str, pattern)) + f",{sex},{region},{count}")
    return "\n".join(lines) + "\n"


STRATIFIED_CSV = _stratified_csv()

CASES: dict[str, Case] = {name: _bad(spec[0]) for name, spec in BAD_INPUT.items()}
CASES.update({
    "missing_file": Case(("estimate", "{tmp}/no such [file].csv"), columns=40),
    "directory": Case(("estimate", "{tmp}"), columns=40),
    "binary_file": Case(("estimate",), csv=bytes(range(256)) * 8, columns=40),
    "frequency_file": Case(("estimate",), csv="nbcap,count\n1,15\n2,7\n3,1\n", columns=40),
    "unknown_term": Case(("estimate", "artificial3", "--method", "model", "--terms", "A:Zq"),
                         columns=40),
    "terms_without_model": Case(("estimate", "artificial3", "--terms", "A:B"), columns=40),
    "plot_unwritable": Case(("estimate", "artificial3", "--method", "model", "--ci", "none",
                             "--plot", "{tmp}/no_such_dir/chart.png"), columns=40),
    "mle_missing": Case(("estimate", "artificial3", "--method", "model", "--terms", "A:B"),
                        columns=40),
    "not_identifiable": Case(("estimate", "artificial3", "--method", "model",
                              "--terms", "A:B,A:C,B:C"), columns=40),
    "json": Case(("estimate", "uk5", "--format", "json", "--ci", "none")),
    "json_profile_sensitivity_svg": Case(("estimate", "uk5", "--format", "json", "--ci",
                                          "profile", "--sensitivity", "--plot",
                                          "{tmp}/chart.svg")),
    "text_png": Case(("estimate", "uk5", "--ci", "none", "--plot", "{tmp}/chart.png")),
    "datasets": Case(("datasets",)),
    "dga_json": Case(("estimate", "uk5", "--method", "dga", "--delta", "0.5", "--format",
                      "json")),
    "delta_without_dga": Case(("estimate", "uk5", "--delta", "0.5"), columns=40),
    "dga_six_lists": Case(("estimate", "uk", "--method", "dga"), columns=40),
    "compare_korea_json": Case(("estimate", "korea", "--compare", "--format", "json")),
    "compare_artificial_text_svg": Case(("estimate", "artificial3", "--compare", "--plot",
                                         "{tmp}/compare.svg")),
    "compare_frequency_file": Case(("estimate", "--compare", "--occasions", "inf"),
                                   csv="nbcap,count\n1,1645\n2,183\n3,37\n4,13\n5,1\n6,1\n"),
    "frequency_wrong_method": Case(("estimate", "cbird", "--method", "Mt"), columns=40),
    "covariates_json": Case(("estimate", "--covariates", "sex", "--sum-over", "region",
                             "--method", "model", "--terms", "A:sex", "--format", "json"),
                            csv=STRATIFIED_CSV),
    "covariates_bad_sum_over": Case(("estimate", "--covariates", "sex", "--sum-over", "nope"),
                                    csv=STRATIFIED_CSV, columns=40),
    "stratified_without_covariates": Case(("estimate", "uk5", "--stratified"), columns=40),
    "frequency_dataset_json": Case(("estimate", "cbird", "--method", "Mh-darroch", "--format",
                                    "json")),
    "lcmcr_korea_json": Case(("estimate", "korea", "--method", "lcmcr", "--format", "json")),
})


# through the installed console script: exit codes 0, 2 (input, file, option) and 3, JSON
PROCESS = ("json", "not_01", "missing_file", "delta_without_dga", "not_identifiable",
           "frequency_dataset_json")


def _args(case_name: str, case: Case, tmp: Path) -> list[str]:
    args = [a.replace("{tmp}", str(tmp)) for a in case.args]
    if case.csv is not None:
        path = tmp / f"{case_name}.csv"
        if isinstance(case.csv, bytes):
            path.write_bytes(case.csv)
        else:
            path.write_text(case.csv, encoding="utf-8")
        args.append(str(path))
    return args


def _env(case: Case) -> dict[str, str]:
    return {"COLUMNS": str(case.columns), "LINES": "50", "NO_COLOR": "1"}


def _run(case_name: str, case: Case, tmp: Path) -> Run:
    """The installed console script in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(_env(case))
    proc = subprocess.run([ZICHT, *_args(case_name, case, tmp)], capture_output=True,
                          text=True, cwd=tmp, env=env, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _invoke(case_name: str, case: Case, tmp: Path) -> Run:
    """The same app in this process (not thread-safe: CliRunner swaps sys.stdout)."""
    result = CliRunner().invoke(app, _args(case_name, case, tmp), env=_env(case))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


class _Lazy(dict):
    """Case name -> Future of its run; an in-process case is run on first access."""

    def __init__(self, started: dict[str, Future], tmp: Path):
        super().__init__(started)
        self.tmp = tmp

    def __missing__(self, name: str) -> Future:
        future: Future = Future()
        future.set_result(_invoke(name, CASES[name], self.tmp))
        self[name] = future
        return future


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def runs(tmp) -> dict[str, Future]:
    if ZICHT is None:
        pytest.fail(f"console script 'zicht' not installed in {BIN_DIR}")
    workers = max(2, min(len(PROCESS), (os.cpu_count() or 2) + 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # the console-script runs in the background; the others when a test asks for them
        # (with xdist, each worker runs only its own tests' cases)
        futures = {name: pool.submit(_run, name, CASES[name], tmp) for name in PROCESS}
        yield _Lazy(futures, tmp)


def _result(runs, name: str) -> Run:
    return runs[name].result()


def _one_line_error(run: Run) -> str:
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {run.stderr!r}"
    assert lines[0].strip(), "the error line is empty"
    assert run.stdout == "", f"nothing should reach stdout on error, got {run.stdout!r}"
    return lines[0]


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line(runs, name):
    _, row, column, text = BAD_INPUT[name]
    run = _result(runs, name)
    assert run.code == 2, run
    assert_error_names(_one_line_error(run), row, column, text)


def test_row_numbers_point_at_the_offending_row(runs):
    # the 0/2 cell is in data row 3, not row 1 or 2
    message = _one_line_error(_result(runs, "not_01"))
    assert not names_row(message, 1) and not names_row(message, 2), message


def test_duplicate_pattern_names_both_rows(runs):
    message = _one_line_error(_result(runs, "duplicate_pattern"))
    assert names_row(message, 3) and names_row(message, 1), message


def test_missing_file(runs, tmp):
    run = _result(runs, "missing_file")
    assert run.code == 2
    message = _one_line_error(run)
    # the path verbatim (square brackets are not eaten as console markup)
    assert "no such [file].csv" in message
    assert not (tmp / "no such [file].csv").exists()


def test_directory(runs):
    run = _result(runs, "directory")
    assert run.code == 2
    assert "directory" in _one_line_error(run).lower()


def test_binary_file(runs):
    run = _result(runs, "binary_file")
    assert run.code == 2
    assert "binary_file.csv" in _one_line_error(run)


def test_frequency_of_capture_file(runs):
    run = _result(runs, "frequency_file")
    assert run.code == 2
    message = _one_line_error(run).lower()
    assert "frequency" in message or "nbcap" in message, message


def test_unknown_list_in_terms(runs):
    run = _result(runs, "unknown_term")
    assert run.code == 2
    assert names_column(_one_line_error(run), "Zq")


def test_terms_without_method_model(runs):
    run = _result(runs, "terms_without_model")
    assert run.code == 2
    message = _one_line_error(run)
    assert "--terms" in message and "model" in message


def test_unwritable_plot_path(runs, tmp):
    run = _result(runs, "plot_unwritable")
    assert run.code == 2
    assert "chart.png" in _one_line_error(run)
    assert not (tmp / "no_such_dir").exists()


@pytest.mark.parametrize(("name", "why"), [("mle_missing", "does not exist"),
                                           ("not_identifiable", "not identifiable")])
def test_model_without_estimate_exits_3_and_says_why(runs, name, why):
    run = _result(runs, name)
    assert run.code == 3, run
    assert why in _one_line_error(run)


def test_json_output(runs):
    run = _result(runs, "json")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)  # one JSON object and nothing else
    assert isinstance(payload, dict)
    for key in ("estimate", "ci_low", "ci_high", "model", "method", "observed", "lists"):
        assert key in payload, key
    assert payload["estimate"] == pytest.approx(11312.99, rel=1e-6)
    assert set(payload["model"]) == UK5_TERMS
    assert len(payload["model"]) == len(UK5_TERMS)
    assert payload["ci_low"] is None and payload["ci_high"] is None
    assert payload["method"] == "stepwise"
    assert payload["observed"] == 2744
    assert payload["lists"] == ["LA", "NG", "PFNCA", "GO", "GP"]


def test_svg_plot(runs, tmp):
    assert _result(runs, "json_profile_sensitivity_svg").code == 0
    data = (tmp / "chart.svg").read_bytes()
    assert b"<svg" in data[:500]
    assert data.rstrip().endswith(b"</svg>")


def _uk5_frame() -> pd.DataFrame:
    with datasets.path("uk5").open() as fh:
        return pd.read_csv(fh)


def test_json_profile_interval_and_sensitivity(runs):
    run = _result(runs, "json_profile_sensitivity_svg")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["ci_low"] < payload["estimate"] < payload["ci_high"]
    assert payload["estimate"] == pytest.approx(11312.99, rel=1e-6)

    rows = payload["sensitivity"]
    lists = payload["lists"]
    assert len(rows) == 1 + len(lists) + 1
    variants = [r["variant"] for r in rows]
    assert variants[0] == "all lists"
    assert sorted(variants[1:-1]) == sorted(f"without {n}" for n in lists)
    assert "merged" in variants[-1]
    assert rows[0]["estimate"] == pytest.approx(payload["estimate"], rel=1e-8)

    frame = _uk5_frame()
    for row in rows[1:-1]:
        others = [n for n in lists if row["variant"] != f"without {n}"]
        expected = int(frame.loc[frame[others].sum(axis=1) > 0, "count"].sum())
        assert row["observed"] == expected, row["variant"]
    assert rows[-1]["observed"] == 2744


def test_text_output_and_png_plot(runs, tmp):
    run = _result(runs, "text_png")
    assert run.code == 0, run.stderr
    assert "11,313" in run.stdout
    assert "2,744" in run.stdout
    assert (tmp / "chart.png").read_bytes()[:8] == PNG_MAGIC


def test_datasets_command(runs):
    run = _result(runs, "datasets")
    assert run.code == 0, run.stderr
    assert re.search(r"\buk5\b", run.stdout)
    assert re.search(r"\bnetherlands\b", run.stdout)


def test_dga_with_delta_json(runs):
    run = _result(runs, "dga_json")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["method"] == "dga" and payload["delta"] == 0.5
    assert payload["estimate"] == 2786  # R dga 2.0.2 on the same table at delta = 0.5
    assert payload["ci_low"] <= payload["estimate"] <= payload["ci_high"]
    assert payload["n_graphs"] == 822
    # the dependence on delta is part of the answer, not hidden
    others = {s["delta"]: s["median"] for s in payload["delta_sensitivity"]}
    assert set(others) == {1 / 32, 1.0}
    assert others[1 / 32] > 5 * payload["estimate"]


@pytest.mark.parametrize(("name", "text"), [("delta_without_dga", "--delta"),
                                            ("dga_six_lists", "to 5 lists"),
                                            ("frequency_wrong_method", "Mh-chao"),
                                            ("covariates_bad_sum_over", "nope"),
                                            ("stratified_without_covariates", "--covariates")])
def test_option_errors_exit_2(runs, name, text):
    run = _result(runs, name)
    assert run.code == 2, run
    assert text in _one_line_error(run)


def test_compare_json_is_a_list_of_results(runs):
    run = _result(runs, "compare_korea_json")
    assert run.code == 0, run.stderr
    rows = json.loads(run.stdout)
    assert isinstance(rows, list)
    by_method = {r["method"]: r for r in rows}
    assert {"stepwise", "bic", "all pairs", "Mt", "Mbh", "latent classes"} <= set(by_method)
    assert by_method["all pairs"]["estimate"] is None
    assert by_method["all pairs"]["verdicts"] == ["no estimate"]
    assert "below observed" in by_method["Mbh"]["verdicts"]
    assert by_method["bic"]["result"]["model"] == ["b:c", "c:d"]
    lc = by_method["latent classes"]
    assert lc["ci_low"] <= lc["estimate"] <= lc["ci_high"]


def test_compare_text_and_chart(runs, tmp):
    run = _result(runs, "compare_artificial_text_svg")
    assert run.code == 0, run.stderr
    assert "Estimates by method" in run.stdout
    assert "not identifiable" in run.stdout
    assert "3 two-list model(s) have no maximum likelihood estimate" in run.stdout
    assert (tmp / "compare.svg").read_text().lstrip().startswith("<svg")


def test_compare_on_frequency_data(runs):
    run = _result(runs, "compare_frequency_file")
    assert run.code == 0, run.stderr
    for model in ("M0", "Mh Chao (LB)", "Mh Darroch"):
        assert model in run.stdout
    assert "not applicable" in run.stdout


def test_frequency_dataset_uses_its_occasions(runs):
    run = _result(runs, "frequency_dataset_json")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["t"] == 11 and payload["observed"] == 19


def test_covariate_model_from_the_command_line(runs, tmp):
    from zicht.mse.covariates import CovariateLogLinear, StratifiedHistories

    run = _result(runs, "covariates_json")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    # the same model fitted in Python on the table summed over region
    frame = pd.read_csv(tmp / "covariates_json.csv")
    frame = frame.groupby(["A", "B", "C", "sex"], as_index=False)["count"].sum()
    want = CovariateLogLinear("A:sex").fit(StratifiedHistories.from_frame(frame, ["sex"]))
    assert payload["estimate"] == pytest.approx(want.estimate, rel=1e-9)
    assert payload["observed"] == int(frame["count"].sum())
    strata = {s["sex"]: s for s in payload["strata"]}
    assert set(strata) == {"F", "M"}
    assert sum(s["estimate"] for s in strata.values()) == pytest.approx(payload["estimate"])
    assert "A:sex" in payload["model"]


def test_the_method_choices_are_the_registry_s():
    """``--method`` is written out (so that ``zicht --help`` does not import numpy); it must
    list exactly the registry's methods for capture histories, in its order."""
    from zicht.cli.estimate import Method
    from zicht.mse.methods import names

    assert [m.value for m in Method] == list(names(input="histories"))


@pytest.mark.parametrize("method", ["Mb", "Mbh"])
def test_estimate_takes_every_registered_method(method, capsys):
    """Mb and Mbh were in the registry (and `simulate study`) but not in `zicht estimate`."""
    result = CliRunner().invoke(app, ["estimate", "uk5", "--method", method, "--ci", "none",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["method"].startswith(method)


def test_lcmcr_json_has_the_chains_and_their_diagnostics(runs):
    """Korea at the default budget (4 chains of 110,500 sweeps, ~2 CPU s)."""
    run = _result(runs, "lcmcr_korea_json")
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["method"] == "LCMCR" and payload["chains"] == 4
    assert payload["settings"]["chains"] == 4 and payload["settings"]["seed"] == 1234
    draws = payload["n_draws"]
    assert draws == 4 * payload["settings"]["samples"]
    assert 0 < payload["ess_tail"] <= draws and 100 < payload["ess_bulk"] <= draws
    assert 0.99 < payload["rhat"] < 1.05  # measured 1.005: the chains agree
    assert payload["poor_mixing"] is (payload["rhat"] > 1.01 or payload["ess_bulk"] < 100)
    assert payload["poor_mixing"] is bool(payload["mixing_problems"])
    assert len(payload["chain_medians"]) == 4


DUTCH_BUDGET = {"burnin": 10_000, "samples": 1_000, "thinning": 20}  # as tests/mse/test_lcmcr


@pytest.fixture
def short_lcmcr(monkeypatch):
    """LCMCR at a test-sized budget (the command has no options for it)."""
    from zicht.mse import lcmcr

    full = lcmcr.lcmcr_posterior
    monkeypatch.setattr(lcmcr, "lcmcr_posterior",
                        lambda table, **kw: full(table, **{**kw, **DUTCH_BUDGET}))


def test_lcmcr_text_and_json_say_poor_mixing_on_the_dutch_table(short_lcmcr):
    """The Dutch 6-list table: the chains settle in different modes; the text says so and
    the JSON marks it (seed 4: chain medians ~50k, ~138k, ~140k, ~49k)."""
    args = ["estimate", "netherlands", "--method", "lcmcr", "--seed", "4"]
    text = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert text.exit_code == 0, text.output
    assert "poor mixing" in text.stdout and "disagree" in text.stdout  # the cell may wrap
    assert re.search(r"R-hat \(rank-normalised, split\)\s*│\s*1\.\d{3}", text.stdout)
    run = CliRunner().invoke(app, [*args, "--format", "json"])
    assert run.exit_code == 0, run.output
    payload = json.loads(run.stdout)
    assert payload["poor_mixing"] is True and payload["rhat"] > 1.01
    assert payload["chains"] == 4 and payload["n_draws"] == 4000


@pytest.mark.slow  # 4 chains of 110,500 sweeps on the Dutch table: ~6 s on two cores
def test_lcmcr_default_budget_on_the_dutch_table_says_poor_mixing(tmp):
    """As a user runs it: the console script, the default budget and seed (measured: chain
    medians 50,876, 141,786, 144,310, 54,725; R-hat 1.84)."""
    run = _run("lcmcr_dutch", Case(("estimate", "netherlands", "--method", "lcmcr")), tmp)
    assert run.code == 0, run.stderr
    assert "poor mixing" in run.stdout


def test_a_stratum_column_not_named_says_which_option_takes_it(tmp_path):
    """`--covariates sex` on capture_histories_by_stratum.csv without `--sum-over`: the year
    and the other strata are neither lists nor covariates (issue 20: the message was "column
    'year': value '2015' is not 0 or 1")."""
    table = pd.DataFrame({"year": [2015, 2015, 2016, 2016], "sex": ["F", "M", "F", "M"],
                          "A": [1, 0, 1, 1], "B": [0, 1, 1, 0], "count": [5, 4, 3, 2]})
    path = tmp_path / "by_stratum.csv"
    table.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["estimate", str(path), "--covariates", "sex"])
    assert result.exit_code == 2
    assert "'year'" in result.output and "--sum-over year" in result.output


def test_the_method_option_s_help_is_whole():
    """Rich read "[default: stepwise; ...]" as markup and showed "Estimator ."."""
    result = CliRunner().invoke(app, ["estimate", "--help"], env={"COLUMNS": "200"})
    assert "Estimator (default: stepwise; with --covariates bic)." in result.output


def test_link_help_shows_the_form_the_docs_use():
    """The docs write `zicht link REPORTS --out DIR`; the help showed only `COMMAND`, with
    `run` among the commands."""
    result = CliRunner().invoke(app, ["link", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "link REPORTS --out DIR [OPTIONS]" in result.output
    assert "run is implied" in result.output


@pytest.mark.parametrize("command", [["serve"], ["demo", "--out", "DEMO"]])
def test_a_taken_port_is_said_in_one_line(command, tmp_path):
    """`zicht serve` and `zicht demo` on a port another process holds: one line naming the
    port and --port, exit 2, before anything is built (issue 20)."""
    import socket
    import subprocess
    import sys

    zicht = Path(sys.executable).with_name("zicht")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [a.replace("DEMO", str(tmp_path / "demo")) for a in command]
        done = subprocess.run([str(zicht), *args, "--port", str(port)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "ZICHT_PSEUDONYM_KEY": "a3" * 32})
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port}" in lines[0] and "--port" in lines[0]
    assert not (tmp_path / "demo").exists()


def test_no_option_help_has_a_word_too_long_for_an_80_column_terminal():
    """Rich cuts a word longer than the help column (about 27 characters at 80 columns) with an
    ellipsis (issue 20: --sum-over's help named capture_histories_by_stratum.csv)."""
    import typer

    from tests.test_docs import _options
    from zicht.cli import app as cli

    long = [(command, word) for command, option in _options(typer.main.get_command(cli))
            for word in (getattr(option, "help", None) or "").split() if len(word) > 26]
    assert long == []
