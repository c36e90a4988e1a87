"""``zicht demo``: the whole chain on synthetic data, then the dashboard on localhost.

``zicht demo`` builds (or reuses) the demo folder (:mod:`zicht.demo`) and serves the registry and
dashboard on it; ``--no-serve`` stops after the build.  ``zicht demo tables`` is the earlier
demo: every estimator on the shipped published tables.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.table import Table

from .common import check_port, out
from .common import fail as _fail
from .common import parse_years as _years

app = typer.Typer(add_completion=False,
                  help="The whole chain on synthetic data (simulate, register, link, "
                       "estimate, publish, report) and the dashboard on localhost; "
                       "`zicht demo tables` estimates on the shipped published tables.")
STAGES = {"simulate": "simulate ten years of nl-baseline",
          "registry": "register every report (pseudonymised at intake)",
          "export": "export the pseudonymised reports", "link": "link reports into persons",
          "estimate": "estimate every year", "chain": "chain figures (synthetic)",
          "publish": "publish (indicators, disclosure control, method comparison)",
          "report": "annual report (nl, en; PDF, HTML)"}


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    folder: Path = typer.Option(Path("demo"), "--out", help="Folder to build the demo in."),
    years: str = typer.Option("2015-2024", help="Years to simulate (a range or a list)."),
    seed: int = typer.Option(1, min=0, help="Simulation seed."),
    victims: int = typer.Option(None, min=1, help="Victims per year (default: the scenario's "
                                                   "6,000)."),
    rebuild: bool = typer.Option(False, "--rebuild",
                                 help="Build again even if the folder holds this demo."),
    serve: bool = typer.Option(True, "--serve/--no-serve",
                               help="Serve the dashboard when the build is done."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, min=1, max=65535),
    whatif_years: int = typer.Option(None, "--whatif-years", min=0,
                                     help="Simulated years per scenario of the published "
                                          "what-if (default 100; 0: none)."),
):
    """Build the demo and serve it: `make demo`."""
    if ctx.invoked_subcommand is not None:
        return
    from .. import demo as demo_mod

    if serve:
        check_port(host, port)  # before the build, not two minutes later
    logging.getLogger("splink").setLevel(logging.ERROR)  # its training notes are for analysts
    logging.getLogger("zicht.registry").setLevel(logging.ERROR)  # the key file note: below
    year_list = _years(years)
    t0 = time.perf_counter()
    done: list[str] = []

    def step(name: str, seconds: float) -> None:
        done.append(name)
        out.print(f"  [{len(done)}/{len(STAGES)}] {STAGES[name]:<62} {seconds:6.1f} s")

    out.print(f"zicht demo -> {folder}/")
    with out.status("building ...", spinner="dots") if sys.stdout.isatty() else nullcontext():
        try:
            d = demo_mod.build(folder, year_list, seed, victims, rebuild=rebuild, step=step,
                               whatif_years=whatif_years)
        except demo_mod.DemoError as exc:
            _fail(str(exc), 2)
    if d.reused:
        out.print(f"  reusing the demo built earlier in {folder}/ (--rebuild builds it again)")
    else:
        out.print(f"  built in {time.perf_counter() - t0:.1f} s")
    _summary(d)
    if not serve:
        return
    import uvicorn

    os.environ.update(d.serve_environment())
    out.print(f"\nSite: http://{host}:{port}/   dashboard: http://{host}:{port}/dashboard   "
              "(Ctrl-C stops)")
    uvicorn.run("zicht.web.app:create_app", factory=True, host=host, port=port,
                log_level="warning", access_log=False, proxy_headers=False)


def _summary(d) -> None:
    import json

    from ..monitor.charts import estimate_interval

    doc = json.loads(d.publication.read_text())
    latest = doc["latest_year"]
    values = {i["key"]: next((v["value"] for v in i["values"] if v["year"] == latest), None)
              for i in doc["public"]["indicators"]}
    est = next((e for e in doc["public"]["estimates"] if e["year"] == latest), {})
    t = Table(title=f"{latest}: registered and estimated victims (synthetic data)")
    for col in ("registered persons", "estimated victims", "95% interval (with linkage)",
                "detection rate"):
        t.add_column(col, justify="right")
    low, high = estimate_interval(est)
    t.add_row(_n(values.get("registered_persons")), _n(est.get("estimate")),
              "-" if low is None else f"{_n(low)} - {_n(high)}",
              "-" if values.get("detection_rate") is None
              else f"{values['detection_rate']:.1%}")
    out.print(t)
    users = ", ".join(f"{u['username']} ({u['role']})" for u in d.users)
    from ..demo import password

    out.print(f"Log in as {users}; password: {password()}")
    for path in d.reports():
        out.print(f"Annual report: {path}")


def _n(x) -> str:
    return "-" if x is None else f"{x:,.0f}"

