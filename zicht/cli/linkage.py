"""Linkage commands of the ``zicht`` command line.

``zicht link REPORTS --out DIR`` links reports into persons; ``zicht link review DIR`` shows
the review queue and records decisions; ``zicht link evaluate DIR --truth SIM`` compares with
a simulation's truth; ``zicht link estimate DIR --year Y`` gives the estimate with its linkage
band.  Bad input exits with code 2 and writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from enum import StrEnum
from pathlib import Path

import click
import typer
from rich.table import Table
from typer.core import TyperGroup

from .common import err
from .common import fail as _fail
from .common import wide_out as out


class _LinkGroup(TyperGroup):
    """``zicht link REPORTS ...`` runs the linkage; ``zicht link review|evaluate|estimate``
    are subcommands (a first argument that is not one of them is the reports)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        # the form the docs use first: `zicht link REPORTS --out DIR`
        return ["REPORTS --out DIR [OPTIONS]  |  COMMAND [ARGS]..."]


app = typer.Typer(cls=_LinkGroup, add_completion=False, no_args_is_help=True,
                  help="Link reports into persons (zicht link REPORTS --out DIR), review "
                       "uncertain pairs, evaluate against a simulation's truth.")


class Backend(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class BandMethod(StrEnum):
    threshold = "threshold"
    sample = "sample"
    none = "none"


def _quiet_splink(verbose: bool) -> None:
    if verbose:
        from splink.internals.splink_logging import enable

        enable(logging.INFO)
    else:
        logging.getLogger("splink").setLevel(logging.ERROR)


@app.command("run", help="`zicht link REPORTS --out DIR` (run is implied): link REPORTS (a "
                          "registry export or a zicht simulate folder) into persons; write the "
                          "persons and capture histories to --out.")
def run(
    reports: Path = typer.Argument(..., help="reports.parquet from `zicht export`, its folder, "
                                             "or a `zicht simulate` folder."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the results (made if missing)."),
    backend: Backend = typer.Option(Backend.duckdb, help="SQL engine for Splink."),
    threshold: float = typer.Option(0.3, min=0.0, max=1.0,
                                    help="Match probability from which a pair is a candidate "
                                         "link (joined by average linkage, docs/LINKAGE.md)."),
    lists: str = typer.Option(None, help='Lists for estimation, e.g. "POL=POL; ZC=ZC; '
                                         'OTHER=OPV,JZ,GEM" (default: the six national '
                                         "lists, or the simulation's scenario lists)."),
    band: BandMethod = typer.Option(BandMethod.threshold, help="Linkage band: clusterings "
                                    "at thresholds 0.1-0.5, links sampled by their "
                                    "probability, or none."),
    samples: int = typer.Option(100, min=1, help="Linkages drawn for --band sample."),
    seed: int = typer.Option(1, min=0, help="Seed for training samples and linkage draws."),
    decisions: Path = typer.Option(None, help="Review decisions file (default: "
                                              "OUT/decisions.jsonl)."),
    verbose: bool = typer.Option(False, "--verbose", help="Show Splink's training log."),
    spark_master: str = typer.Option(None, help="--backend spark: local[*] (default) or a "
                                     "cluster, spark://HOST:7077 (ZICHT_SPARK_MASTER)."),
    spark_driver_memory: str = typer.Option(None, help="--backend spark: the driver's memory, "
                                            "e.g. 8g (default: half the machine's). Each "
                                            "--spark-* option has a ZICHT_SPARK_* variable "
                                            "(docs/LINKAGE.md)."),
    spark_executor_memory: str = typer.Option(None, help="--backend spark on a cluster: each "
                                              "executor's memory."),
    spark_partitions: int = typer.Option(None, help="--backend spark: shuffle "
                                         "partitions (default 4 per core in local mode, 200 on "
                                         "a cluster; ZICHT_SPARK_PARTITIONS)."),
):
    from ..linkage import LinkageInputError, load_reports
    from ..linkage.persons import parse_lists
    from ..linkage.run import link
    from ..tokens import Pseudonymiser, PseudonymKeyError

    if threshold <= 0:
        _fail("--threshold must be above 0")
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir}: exists and is not a folder")
    try:
        list_map = parse_lists(lists) if lists else None
        try:  # the configured key: pseudonymises a simulation, checks an export's fingerprint
            key = Pseudonymiser()
        except PseudonymKeyError:
            key = None  # an export can be linked without it (unchecked); a simulation cannot
        loaded = load_reports(reports, key)  # every check before anything is written
    except (LinkageInputError, PseudonymKeyError, ValueError) as exc:
        _fail(str(exc))
    if key is None:
        err.print(f"note: no pseudonymisation key configured, so the export's key fingerprint "
                  f"({loaded.fingerprint}) was not checked against the registry's")
    _quiet_splink(verbose)
    spark = None
    given = {"master": spark_master, "driver_memory": spark_driver_memory,
             "executor_memory": spark_executor_memory, "partitions": spark_partitions}
    if backend != Backend.spark and any(v is not None for v in given.values()):
        _fail("the --spark-* options need --backend spark")
    if backend == Backend.spark:
        try:
            from ..linkage.spark import SparkSettings, spark_session

            settings = SparkSettings.from_env(**given)
            spark = spark_session(settings)
        except ValueError as exc:
            _fail(str(exc))
        except ImportError as exc:
            _fail(f"{exc} (install it with `pip install zicht[spark]`)")
    try:
        with err.status("linking", spinner="dots") as status:
            result = link(loaded, out_dir, backend=backend.value, threshold=threshold,
                          lists=list_map, band_method=band.value, samples=samples, seed=seed,
                          decisions=decisions,
                          spark=spark, progress=lambda message: status.update(message))
    except LinkageInputError as exc:  # refused before anything is written
        _fail(f"{reports}: {exc}")
    except Exception as exc:
        if spark is None:
            raise
        from ..linkage.spark import explain_failure

        failure = explain_failure(spark, exc)
        if failure is None:
            raise
        _fail(str(failure), code=3)
    finally:
        if spark is not None:
            with contextlib.suppress(Exception):  # the JVM may be gone already
                spark.stop()
    _print_summary(result.summary, out_dir)
    _print_m_u(out_dir / "m_u.csv" if out_dir is not None else None, result.summary)


def _print_m_u(file: Path | None, summary: dict) -> None:
    """The trained m and u per comparison level, and the warnings on implausible ones."""
    import pandas as pd

    if file is not None and file.exists():
        frame = pd.read_csv(file)
        t = Table(title="What the model learnt: m = P(level | same person), u = P(level | "
                        "different persons)")
        for column in ("comparison", "level", "m", "u", "weight"):
            t.add_column(column, justify="left" if column in ("comparison", "level")
                         else "right")
        for row in frame.itertuples(index=False):
            t.add_row(row.comparison, row.level, _prob(row.m), _prob(row.u),
                      "-" if pd.isna(row.weight) else f"{row.weight:+.1f}")
        out.print(t)
    for warning in summary.get("training_warnings", []):
        err.print(f"warning: {warning}")


def _prob(x) -> str:
    return "-" if x is None or x != x else f"{x:.3g}"


def _print_summary(summary: dict, out_dir: Path) -> None:
    t = Table(title=f"Linkage -> {out_dir}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("reports", f"{summary['reports']:,}")
    t.add_row("persons", f"{summary['persons']:,}")
    t.add_row("pairs scored", f"{summary['pairs_scored']:,}")
    t.add_row("threshold", f"{summary['threshold']:g}")
    t.add_row("review queue", f"{summary['review_queue']:,} pairs "
                              f"({summary['review_band'][0]:g}-{summary['review_band'][1]:g})")
    t.add_row("decisions applied", f"{summary['decisions']:,}"
              + (f" ({summary['decision_conflicts']} 'no match' still joined by other links)"
                 if summary["decision_conflicts"] else ""))
    seconds = summary["seconds"]
    t.add_row("seconds", ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    evaluation = summary.get("evaluation")
    if evaluation:
        t.add_row("true persons", f"{evaluation['true_persons']:,} "
                                  f"(counted {evaluation['persons_error']:+.2%})")
        t.add_row("pairwise P / R / F1", _prf(evaluation, "pairwise"))
        t.add_row("cluster P / R / F1", _prf(evaluation, "cluster"))
    out.print(t)


def _prf(evaluation: dict, kind: str) -> str:
    return " / ".join(f"{evaluation[f'{kind}_{m}']:.4f}" for m in ("precision", "recall", "f1"))


def _folder(path: Path) -> Path:
    if not (path / "summary.json").exists():
        _fail(f"{path}: not a linkage folder (no summary.json; run `zicht link REPORTS --out "
              f"{path}` first)")
    return path


@app.command(help="Show the review queue of a linkage folder, or record a decision: "
                       "--pair ID_L ID_R --decide match|no-match|undecided.")
def review(
    folder: Path = typer.Argument(..., help="The --out folder of `zicht link`."),
    pair: tuple[str, str] = typer.Option(None, help="The two report ids of a decision."),
    decide: str = typer.Option(None, help="match, no-match, or undecided (withdraws an "
                                          "earlier decision) for --pair."),
    note: str = typer.Option("", help="A note kept with the decision."),
    by: str = typer.Option(None, help="Who decides (default: cli:<os user>)."),
    limit: int = typer.Option(20, min=1, help="Pairs shown."),
    history: bool = typer.Option(False, "--history", help="Show every decision ever recorded."),
):
    import pandas as pd

    from ..linkage.review import DecisionLog

    folder = _folder(folder)
    log = DecisionLog(folder / "decisions.jsonl")
    if (pair is None) != (decide is None):
        _fail("--pair ID_L ID_R and --decide go together")
    if pair is not None:
        _check_pair(folder, pair)
        try:
            entry = log.record(*pair, decide, by=by, note=note)
        except ValueError as exc:
            _fail(str(exc))
        # an operator's explicit decision: it supersedes whatever stands, and says so
        replaced = f", supersedes #{entry['supersedes']}" if entry["supersedes"] else ""
        out.print(f"{entry['decision']}: {entry['id_l']} - {entry['id_r']} ({entry['by']}, "
                  f"{entry['at']}, #{entry['seq']}{replaced}); applied on the next "
                  f"`zicht link` run into {folder}")
        return
    try:
        if history:
            _print_frame(log.entries(), "Decisions (oldest first)")
            return
        current = log.current()
    except ValueError as exc:
        _fail(str(exc))
    queue = pd.read_csv(folder / "review_queue.csv", dtype={"id_l": str, "id_r": str})
    if len(current):
        done = pd.MultiIndex.from_frame(current[["id_l", "id_r"]])
        queue = queue[~pd.MultiIndex.from_frame(queue[["id_l", "id_r"]]).isin(done)]
    if queue.empty:
        out.print("The review queue is empty.")
        return
    t = Table(title=f"Review queue: {len(queue):,} pairs, most valuable to the estimate first")
    # the ids whole, on one line each (they are copied into --pair); the rest wraps
    width = int(max(queue["id_l"].str.len().max(), queue["id_r"].str.len().max()))
    t.add_column("pair", no_wrap=True, min_width=width)
    for column in ("p", "name", "birth date", "years apart", "left", "right"):
        t.add_column(column, overflow="fold")
    for _, row in queue.head(limit).iterrows():
        t.add_row(f"{row['id_l']}\n{row['id_r']}", f"{row['match_probability']:.2f}",
                  str(row.get("level_name", "")), str(row.get("level_birth_date", "")),
                  str(row.get("level_year", "")), _side(row, "l"), _side(row, "r"))
    out.print(t)
    out.print("Decide: zicht link review FOLDER --pair ID_L ID_R --decide match|no-match")


def _check_pair(folder: Path, pair: tuple[str, str]) -> None:
    """Both ids name reports of this linkage, and two different ones (exit 2 otherwise)."""
    if pair[0] == pair[1]:
        _fail("--pair needs two different reports")
    known = folder / "report_persons.parquet"
    if not known.exists():
        return  # a folder of decisions only: nothing to check the ids against
    import pandas as pd

    ids = set(pd.read_parquet(known, columns=["report_id"])["report_id"].astype(str))
    missing = [i for i in pair if i not in ids]
    if missing:
        _fail(f"no report {', '.join(repr(i) for i in missing)} in {folder} "
              f"(copy the ids from `zicht link review {folder}`)")


def _side(row, side: str) -> str:
    keys = ("reporter_category", "organisation", "reference_year", "sex", "nationality",
            "age_band")
    return " ".join(str(row[f"{k}_{side}"]) for k in keys
                    if f"{k}_{side}" in row and str(row[f"{k}_{side}"]) not in ("", "nan"))


def _print_frame(frame, title: str) -> None:
    t = Table(title=title)
    for column in frame.columns:
        t.add_column(str(column))
    for row in frame.itertuples(index=False):
        t.add_row(*(str(v) for v in row))
    out.print(t)


@app.command(help="Compare a linkage with the truth (a simulation's, or your own labels): "
                       "pairwise and cluster precision/recall/F1, persons counted vs true "
                       "persons, and (--estimates) each year's estimate on the linked vs the "
                       "true persons.")
def evaluate(
    folder: Path = typer.Argument(..., help="The --out folder of `zicht link`."),
    truth: Path = typer.Option(..., help="A `zicht simulate` folder, or a CSV/Parquet file "
                                         "with person_id and report_id, or person_id and "
                                         "source_ref (your own report ids; with organisation "
                                         "too when ids repeat between organisations)."),
    estimates: bool = typer.Option(False, "--estimates", help="Also estimate each year on the "
                                                              "linked and on the true persons."),
    method: str = typer.Option("stepwise", help="Estimator for --estimates."),
    format: str = typer.Option("text", "--format", help="text or json."),
):
    from ..linkage.evaluate import TruthError, read_truth, true_persons
    from ..linkage.evaluate import evaluate as score

    folder = _folder(folder)
    linked = _read_linked(folder)
    try:
        true_person = true_persons(linked, read_truth(truth))
    except TruthError as exc:
        _fail(str(exc))
    result = score(linked["person_id"].to_numpy(), true_person).as_dict()
    rows = _estimates(folder, linked, true_person, method) if estimates else None
    if format == "json":
        print(json.dumps({"evaluation": result, "estimates": rows}, indent=2))
        return
    t = Table(title=f"Linkage {folder} vs truth {truth}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("reports", f"{result['reports']:,}")
    t.add_row("persons (true)", f"{result['persons']:,} ({result['true_persons']:,}; "
                                f"{result['persons_error']:+.2%})")
    t.add_row("pairwise precision / recall / F1", _prf(result, "pairwise"))
    t.add_row("cluster precision / recall / F1", _prf(result, "cluster"))
    out.print(t)
    if rows:
        e = Table(title=f"Estimates ({method}): linked persons vs true persons")
        for column in ("year", "observed", "true observed", "estimate", "on true links",
                       "difference"):
            e.add_column(column, justify="right")
        for row in rows:
            e.add_row(str(row["year"]), f"{row['observed']:,}",
                      "-" if row["true_observed"] is None else f"{row['true_observed']:,}",
                      _num(row["estimate"]), _num(row["true_links_estimate"]),
                      f"{row['difference']:+.2%}" if row["difference"] is not None else "-")
        out.print(e)


def _read_linked(folder: Path):
    import pandas as pd

    file = folder / "report_persons.parquet"
    if not file.exists():
        _fail(f"{folder}: no report_persons.parquet (the --out folder of `zicht link`)")
    return pd.read_parquet(file)


def _num(x) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _estimates(folder: Path, linked, true_person, method: str) -> list[dict]:
    """Each year's estimate on the linked and on the true capture histories; the true ones
    are built from the truth's labels with the linkage's own lists (``summary.json``)."""
    import pandas as pd

    from ..linkage.evaluate import true_capture_histories
    from ..mse import CaptureHistories, EstimateNotAvailable, make_estimator

    histories = pd.read_csv(folder / "capture_histories.csv")
    lists = [c for c in histories.columns if c not in ("year", "count")]
    true_histories = None
    if {"reporter_category", "reference_year"} <= set(linked.columns):
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        true_histories = true_capture_histories(linked, true_person, summary.get("lists"))
    rows = []
    for year, part in histories.groupby("year"):
        row = {"year": int(year), "observed": int(part["count"].sum()), "true_observed": None,
               "estimate": None, "true_links_estimate": None, "difference": None}
        try:
            row["estimate"] = make_estimator(method).fit(CaptureHistories.from_frame(
                part[[*lists, "count"]].reset_index(drop=True)), ci="none").estimate
            if true_histories is not None:
                true_part = true_histories[true_histories["year"] == year]
                row["true_observed"] = int(true_part["count"].sum())
                row["true_links_estimate"] = make_estimator(method).fit(
                    CaptureHistories.from_frame(true_part[[*lists, "count"]]
                                                .reset_index(drop=True)), ci="none").estimate
                row["difference"] = row["estimate"] / row["true_links_estimate"] - 1
        except EstimateNotAvailable:
            pass
        rows.append(row)
    return rows


@app.command(help="The estimate of one year with its linkage band: the range over "
                       "plausible linkages, beside the statistical interval, and both combined.")
def estimate(
    folder: Path = typer.Argument(..., help="The --out folder of `zicht link`."),
    year: int = typer.Option(..., help="Reference year."),
    method: str = typer.Option("stepwise", help="Estimator (stepwise, aic, bic, Mt, ...)."),
    level: float = typer.Option(0.95, min=0.5, max=0.999, help="Confidence level."),
    format: str = typer.Option("text", "--format", help="text or json."),
):
    from ..linked_estimate import estimate_with_linkage
    from ..mse import EstimateNotAvailable, MSEInputError

    folder = _folder(folder)
    try:
        result = estimate_with_linkage(folder, year, method, level)
    except MSEInputError as exc:
        _fail(str(exc))
    except EstimateNotAvailable as exc:
        _fail(f"no estimate: {exc}", 3)
    if format == "json":
        payload = result.as_dict()
        payload.pop("band_estimates")
        print(json.dumps(payload, indent=2))
        return
    t = Table(title=f"Estimate {year} ({result.method}) with linkage uncertainty",
              show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("observed persons", f"{result.observed:,}")
    t.add_row("estimate", f"{result.estimate:,.0f}")
    if result.interval:
        t.add_row(f"{level:.0%} interval (statistical)",
                  f"{result.interval[0]:,.0f} - {result.interval[1]:,.0f}")
    what = ("range over thresholds 0.1-0.5" if result.band_method == "threshold"
            else "2.5-97.5 % of sampled linkages")
    t.add_row(f"linkage band ({what})",
              f"{result.linkage_band[0]:,.0f} - {result.linkage_band[1]:,.0f} "
              f"({result.linkages - result.linkages_without_estimate} linkages)")
    if result.combined:
        t.add_row(f"{level:.0%} interval (linkage + statistical)",
                  f"{result.combined[0]:,.0f} - {result.combined[1]:,.0f}")
    out.print(t)
