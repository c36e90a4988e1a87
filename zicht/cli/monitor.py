"""Monitor commands of the ``zicht`` command line.

``zicht monitor estimates LINKED --out estimates.csv`` estimates every year of a ``zicht link``
folder; ``zicht monitor indicators REPORTS LINKED`` prints the indicators; ``zicht monitor
targets REPORTS LINKED`` the status of the programme targets.  Bad input exits with code 2.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer
from rich.table import Table

from ..i18n import translator
from .common import Format, Lang, err
from .common import fail as _fail
from .common import wide_out as out

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Indicators, estimates per year and programme targets.")



def _data(reports: Path, linked: Path, estimates: Path | None, chain: Path | None = None):
    from ..monitor.chain import ChainError, ChainStore
    from ..monitor.inputs import MonitorData, MonitorInputError

    data = MonitorData.from_files(reports, linked, estimates)
    if chain is not None:
        try:
            _, data.chain = ChainStore(chain).load()
        except ChainError as exc:
            raise MonitorInputError(str(exc)) from None
    return data


def _value(x: float, unit: str, lang: str = "en") -> str:
    from ..monitor.indicators import format_value

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format_value(x, unit, lang)


@app.command("estimates")
def estimates(
    linked: Path = typer.Argument(..., help="A `zicht link` output folder."),
    out_file: Path = typer.Option(None, "--out", help="CSV to write (one row per year)."),
    method: str = typer.Option("stepwise", help="Estimator (see `zicht estimate --help`), or "
                                                "`series`: one model over all years."),
    level: float = typer.Option(0.95, min=0.5, max=0.999),
    ci: str = typer.Option("bootstrap", help="Interval of each year: bootstrap (re-selects "
                                             "the model in every replicate; published) or "
                                             "profile (given the chosen model)."),
    format: Format = typer.Option(Format.text, "--format"),
):
    """Estimate every year of a linkage, with its linkage band, the change from the year
    before (significant or not) and the trend."""
    from ..monitor.estimates import SERIES, series_estimates, series_json, yearly_estimates
    from ..mse import MSEInputError
    from ..tabular import write_csv

    if ci not in ("bootstrap", "profile", "bca"):
        _fail(f"--ci {ci}: choose bootstrap, profile or bca")
    frame = None
    try:
        if method != SERIES:
            frame = yearly_estimates(linked, method, level, ci)
        series = series_estimates(linked, method, level, frame=frame)
        payload = series_json(series)
    except MSEInputError as exc:
        if frame is None:
            _fail(str(exc))
        # no year has an estimate: the table still says why, year by year
        payload = {"method": method, "level": level, "years": [], "trend": None,
                   "problem": str(exc)}
    if out_file is not None:
        rows = frame if frame is not None else _series_frame(payload)
        tmp = out_file.with_suffix(out_file.suffix + ".tmp")
        try:
            write_csv(rows, tmp)
            tmp.replace(out_file)
        except OSError as exc:
            _fail(f"{out_file}: cannot write it ({exc.strerror or exc})")
    if format == Format.json:
        print(json.dumps(payload))
        return
    t = Table(title=f"Estimates per year ({payload['method']})")
    for col in ("year", "observed", "estimate", "interval", "change from the year before"):
        t.add_column(col, justify="left" if col.startswith("change") else "right")
    for row in payload["years"]:
        year = f"{row['year']}" + (" (provisional)" if row["provisional"] else "")
        t.add_row(year, f"{row['observed']:,}", f"{row['estimate']:,.0f}",
                  f"{row['ci_low']:,.0f} - {row['ci_high']:,.0f}", _change_text(row["change"]))
    out.print(t)
    if "problem" in payload and frame is not None:
        for row in frame.itertuples():
            out.print(f"{row.year}: {row.status}")
    trend = payload["trend"]
    if trend is not None:
        word = "a significant trend" if trend["significant"] else "no significant trend"
        joint = payload.get("details", {}).get("trend")
        source = f" (from one model over all years: {joint})" if joint else ""
        out.print(f"trend{source}: {trend['per_year']:+.1%} a year ({trend['ci_low']:+.1%} to "
                  f"{trend['ci_high']:+.1%}): {word}")
    if out_file is not None:
        out.print(f"written: {out_file}")


def _change_text(change: dict | None) -> str:
    if change is None:
        return "-"
    span = f"{change['estimate']:+,.0f} ({change['ci_low']:+,.0f} to {change['ci_high']:+,.0f})"
    return (f"significant change: {span}" if change["significant"]
            else f"no significant change: {span}")


def _series_frame(payload: dict):
    import pandas as pd

    return pd.DataFrame([
        {"year": r["year"], "method": payload["method"], "observed": r["observed"],
         "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
         "provisional": r["provisional"], "status": "ok"} for r in payload["years"]])


@app.command("indicators")
def indicators(
    reports: Path = typer.Argument(..., help="Reports: a registry export or a simulation's "
                                             "reports.parquet."),
    linked: Path = typer.Argument(..., help="The `zicht link` folder of those reports."),
    estimates_file: Path = typer.Option(None, "--estimates",
                                        help="`zicht monitor estimates` output."),
    chain: Path = typer.Option(None, help="Chain figures folder (`zicht monitor chain`)."),
    indicator: str = typer.Option(None, help="One indicator (default: all)."),
    by: str = typer.Option(None, help="Comma-separated breakdowns, e.g. sex,region."),
    year: int = typer.Option(None, help="Only this year."),
    lang: Lang = typer.Option(Lang.nl, help="Language of the names."),
    format: Format = typer.Option(Format.text, "--format"),
):
    """Compute the indicators (docs/DOMAIN.md section 6) with their definitions' versions."""
    from ..monitor.indicators import INDICATORS, publish
    from ..monitor.inputs import MonitorInputError

    keys = [indicator] if indicator else list(INDICATORS)
    unknown = [k for k in keys if k not in INDICATORS]
    if unknown:
        _fail(f"unknown indicator {unknown[0]!r} (choose from {', '.join(INDICATORS)})")
    breakdown = tuple(b.strip() for b in (by or "").split(",") if b.strip())
    try:
        data = _data(reports, linked, estimates_file, chain)
        results = []
        for key in keys:
            ind = INDICATORS[key]
            if breakdown and not set(breakdown) <= set(ind.breakdowns):
                if indicator:
                    ind.compute(data, breakdown)  # raises with the allowed breakdowns
                continue
            if any(getattr(data, need) is None for need in ind.needs):
                continue
            frame = ind.compute(data, breakdown)
            if year is not None:
                frame = frame[frame["year"] == year]
            results.append((ind, frame))
    except MonitorInputError as exc:
        _fail(str(exc))
    if format == Format.json:
        payload = [row for ind, frame in results for row in publish(frame, ind)]
        print(json.dumps(payload))
        return
    if not breakdown:  # one table: an indicator per row, a year per column
        years = sorted({int(y) for _, frame in results for y in frame["year"]})
        _ = translator(lang.value)
        t = Table(title=_("Indicators"))
        t.add_column(_("indicator"))
        t.add_column("v", justify="right")
        for y in years:
            t.add_column(str(y), justify="right")
        for ind, frame in results:
            by_year = {int(y): v for y, v in zip(frame["year"], frame["value"], strict=True)}
            t.add_row(ind.name(lang.value), str(ind.version),
                      *[_value(by_year.get(y), ind.unit, lang.value) for y in years])
        out.print(t)
        return
    _ = translator(lang.value)
    for ind, frame in results:
        t = Table(title=f"{ind.name(lang.value)} (v{ind.version})",
                  caption=ind.counts_nl if lang == Lang.nl else ind.counts_en)
        t.add_column(_("year"), justify="right")
        for col in breakdown:
            t.add_column(col)
        t.add_column(_("value"), justify="right")
        for row in frame.itertuples(index=False):
            values = row._asdict()
            t.add_row(str(int(values["year"])), *[str(values[b]) for b in breakdown],
                      _value(values["value"], ind.unit, lang.value))
        out.print(t)


@app.command("targets")
def targets(
    reports: Path = typer.Argument(..., help="Reports (registry export or simulation)."),
    linked: Path = typer.Argument(..., help="The `zicht link` folder of those reports."),
    estimates_file: Path = typer.Option(None, "--estimates"),
    targets_file: Path = typer.Option(None, "--targets", help="Targets YAML (default: the "
                                      "shipped example)."),
    today: int = typer.Option(None, help="The current year (default: the last year of data "
                                         "+ 1)."),
    lang: Lang = typer.Option(Lang.nl),
):
    """Status of the programme targets per development line, with the reasoning."""
    from ..monitor.inputs import MonitorInputError
    from ..monitor.targets import TargetsError, evaluate, load_targets

    try:
        lines = load_targets(targets_file)
        data = _data(reports, linked, estimates_file)
        now = today if today is not None else max(data.years) + 1
        statuses = evaluate(lines, data, now)
    except (MonitorInputError, TargetsError) as exc:
        _fail(str(exc))
    names = {line.line: (line.name_nl if lang == Lang.nl else line.name_en) for line in lines}
    _ = translator(lang.value)
    t = Table(title=_("Programme targets"))
    for col in (_("line"), _("indicator"), _("status"), _("reasoning")):
        t.add_column(col)
    from ..monitor.indicators import INDICATORS
    from ..monitor.labels import status as status_label
    from ..monitor.labels import target_indicator

    known = {key: {"name_nl": ind.name("nl"), "name_en": ind.name("en")}
             for key, ind in INDICATORS.items()}
    for s in statuses:
        shown = target_indicator({"indicator": s.target.indicator,
                                  "where": dict(s.target.where)}, known, lang.value)
        t.add_row(f"{s.target.line}. {names[s.target.line]}", shown,
                  status_label(s.status, lang.value), s.reason(lang.value))
    out.print(t)


@app.command("publish")
def publish_cmd(
    reports: Path = typer.Argument(..., help="Reports (registry export or simulation)."),
    linked: Path = typer.Argument(..., help="The `zicht link` folder of those reports."),
    out_file: Path = typer.Option(..., "--out", help="publication.json to write."),
    estimates_file: Path = typer.Option(None, "--estimates"),
    chain: Path = typer.Option(None, help="Chain figures folder (`zicht monitor chain`)."),
    targets_file: Path = typer.Option(None, "--targets"),
    k: int = typer.Option(10, min=1, help="Disclosure control: no published count of persons "
                                          "below k."),
    today: int = typer.Option(None, help="The current year for the target statuses."),
    compare_methods: bool = typer.Option(True, "--compare/--no-compare",
                                         help="Run every estimator on the latest year."),
    whatif_years: int = typer.Option(None, "--whatif-years", min=0,
                                     help="Simulated years per scenario of the public what-if "
                                          "(default 100 with --compare, none without; 0: "
                                          "none)."),
):
    """Compute every published figure once (indicators, disclosure-controlled breakdowns,
    overlap, estimates, method comparison, targets) into one JSON file for the dashboard and
    the report."""
    from ..monitor.chain import ChainStore
    from ..monitor.inputs import MonitorInputError, reports_file
    from ..monitor.publish import build_publication
    from ..monitor.targets import TargetsError, load_targets

    try:
        data = _data(reports, linked, estimates_file, chain)
        chain_version = ChainStore(chain).load()[0].version if chain is not None else None
        doc = build_publication(data, out_file, k=k, linkage_dir=linked,
                                reports_file=reports_file(reports),
                                targets=load_targets(targets_file), chain_version=chain_version,
                                today=today, compare_methods=compare_methods,
                                whatif_replicates=whatif_years)
    except (MonitorInputError, TargetsError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out_file}: cannot write it ({exc.strerror or exc})")
    public = doc["public"]
    suppressed = sum(t["suppressed"] for t in public["breakdowns"].values())
    out.print(f"written: {out_file} ({len(public['indicators'])} indicators, years "
              f"{doc['years'][0]}-{doc['years'][-1]}, k = {k}, {suppressed} breakdown cells "
              "suppressed)")


@app.command("chain")
def chain_import(
    file: Path = typer.Argument(..., help="Chain figures CSV: year, area, measure, "
                                          "value, development_line, source."),
    store: Path = typer.Option(..., help="Folder that keeps the versions."),
):
    """Validate chain figures and store them as a new version (the same figures again: no new
    version)."""
    from ..monitor.chain import ChainError, ChainStore

    try:
        before = len(ChainStore(store).versions())
        version = ChainStore(store).import_csv(file)
    except ChainError as exc:
        _fail(str(exc))
    new = version.version > before
    out.print(f"{'stored as' if new else 'already stored as'} version {version.version}: "
              f"{version.rows} figures, years {', '.join(map(str, version.years))}, "
              f"sha256 {version.sha256[:12]}")


@app.command("capacity")
def capacity_cmd(
    publication: Path = typer.Argument(..., help="A publication (`zicht monitor publish`)."),
    chain: Path = typer.Option(None, help="Chain figures folder (`zicht monitor chain`), for "
                                          "agencies whose cases come from a chain measure."),
    capacity_file: Path = typer.Option(None, "--capacity", help="Capacity assumptions YAML "
                                       "(default: the shipped example)."),
    share: float = typer.Option(None, help="Share of the estimated victims to plan for "
                                           "(default: the file's share_of_estimate)."),
    whatif_rate: str = typer.Option(None, "--whatif-rate", help="The what-if's rate: police, "
                                    "twice or level_2014_2017 (default: the file's)."),
    lang: Lang = typer.Option(Lang.nl),
):
    """FTE each agency would need for today's registered persons, with a reporting obligation
    (the publication's what-if) and for a share of the estimated victims, per development line
    beside the capacity today; from a publication and a set of assumptions, so the assumptions
    can be varied without publishing again."""
    from ..monitor.capacity import (
        CapacityError,
        from_publication,
        line_names,
        load_capacity,
        view,
    )
    from ..monitor.chain import ChainError, ChainStore
    from ..monitor.publication import PublicationError, load

    try:
        pub = load(publication)
        assumptions = load_capacity(capacity_file, share=share, whatif_scenario=whatif_rate)
        frame = ChainStore(chain).load()[1] if chain is not None else None
        cap = from_publication(assumptions, dict(pub.public), frame)
    except (PublicationError, CapacityError, ChainError) as exc:
        _fail(str(exc))
    _ = translator(lang.value)
    shown = view(cap, lang.value, line_names(pub.public, lang.value))
    for title, columns, rows in (
            (_("FTE needed per agency"), shown["agency_columns"], shown["agencies"]),
            (_("FTE needed per development line"), shown["line_columns"], shown["lines"]),
            (_("Assumptions"), shown["assumption_columns"], shown["assumptions"])):
        t = Table(title=title)
        for col in columns:
            t.add_column(col)
        for row in rows:
            t.add_row(*row)
        out.print(t)
    out.print(shown["note"])
    out.print(shown["version"])


def _calibration(path: Path) -> dict:
    """The calibration stored in a publication (``zicht monitor publish``)."""
    from ..monitor.whatif import WhatIfError

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WhatIfError(f"{path}: not a readable publication ({exc})") from None
    found = (doc.get("analyst") or {}).get("calibration") if isinstance(doc, dict) else None
    if not found:
        raise WhatIfError(f"{path}: the publication holds no calibration (no year with an "
                          "estimate)")
    return found


def whatif(
    category: str = typer.Option(..., help="Reporter category with the obligation, e.g. ZC "
                                           "(care coordinators), JZ (youth care), GEM."),
    rate: float = typer.Option(None, help="Its detection rate under the obligation (share of "
                                          "the year's victims it detects)."),
    like: str = typer.Option(None, help="...or the rate of this category, e.g. POL."),
    scenario: str = typer.Option("nl-baseline", help="Shipped scenario name or YAML file."),
    victims: int = typer.Option(None, help="Victims per year (default: the scenario's; e.g. "
                                           "the latest estimate)."),
    replicates: int = typer.Option(50, min=1, help="Simulated years per arm."),
    seed: int = typer.Option(1, min=0),
    method: str = typer.Option("stepwise", help="Estimator for both arms."),
    own_list: bool = typer.Option(True, help="Give the category its own MSE list."),
    publication: Path = typer.Option(None, help="Fit the scenario to the data: the "
                                                "publication's calibration (victims = the "
                                                "latest estimate, each category's rate = the "
                                                "persons it registered / the estimate)."),
    lang: Lang = typer.Option(Lang.nl),
    format: Format = typer.Option(Format.text, "--format"),
):
    """What a reporting obligation for a category would bring: extra reports and persons,
    the detection rate, and how much the estimate's interval narrows."""
    from ..monitor.whatif import WhatIfError, calibrate
    from ..monitor.whatif import whatif as run
    from ..mse import MSEInputError
    from ..mse.methods import METHODS
    from ..simulate import ScenarioError, load_scenario

    if method not in METHODS:
        _fail(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    fitted_to: int | None = None  # the year of the publication's calibration
    try:
        sc = load_scenario(scenario)
        if publication is not None:
            if victims is not None:
                _fail("--victims and --publication exclude each other (the publication's "
                      "calibration sets the victims)")
            calibration = _calibration(publication)
            sc = calibrate(sc, **calibration)
            fitted_to = calibration.get("year")
        if sys.stderr.isatty() and format == Format.text:
            from rich.progress import Progress

            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("simulating", total=replicates)
                result = run(sc, category, rate, like, replicates, seed, method,
                             own_list=own_list, victims=victims,
                             progress=lambda done: bar.update(task, completed=done))
        else:
            result = run(sc, category, rate, like, replicates, seed, method,
                         own_list=own_list, victims=victims)
    except (WhatIfError, ScenarioError, MSEInputError) as exc:
        _fail(str(exc))
    if format == Format.json:
        print(json.dumps(result.to_dict()))
        return
    from ..i18n import format_percent

    _ = translator(lang.value)
    if publication is not None:
        scenario = (_("{scenario}, calibrated to {year}").format(scenario=scenario,
                                                                 year=fitted_to)
                    if fitted_to else _("{scenario}, calibrated").format(scenario=scenario))
    t = Table(title=_("Reporting obligation for {category}: detection rate {now} -> {obliged} "
                      "({scenario}, {replicates} years)").format(
        category=category, now=format_percent(result.rate_now, lang.value, decimals=2),
        obliged=format_percent(result.rate_obliged, lang.value, decimals=2),
        scenario=scenario, replicates=replicates))
    t.add_column("")
    for col in (_("now"), _("with obligation"), _("difference")):
        t.add_column(col, justify="right")
    for row in result.table(lang.value):
        t.add_row(*row)
    out.print(t)
    out.print(result.narrowing_text(lang.value))
