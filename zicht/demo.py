"""The whole chain on synthetic data: what ``make demo`` (``zicht demo``) builds and serves.

:func:`build` runs every stage as a user would, through the stages' own interfaces and files:

=============  ==============================================================================
simulate       ten years of the ``nl-baseline`` scenario (``zicht simulate``) -> ``sim/``
registry       a SQLite registry (``zicht.db``, key file beside it), the simulation's
               organisations and the demo users; every report imported (``zicht import``)
export         the pseudonymised reports (``zicht export``) -> ``export/``
link           reports linked into persons (``zicht link``) -> ``linked/``
estimate       the estimate of every year with its linkage band -> ``estimates.csv``
chain          synthetic chain figures (``zicht.simulate.chain``), versioned -> ``chain/``
publish        every published figure (``zicht monitor publish``) -> ``publication.json``
report         the annual report of the last year in Dutch and English, PDF and HTML
=============  ==============================================================================

The folder is marked as a demo folder (``demo.json``: the parameters, the time each stage took,
the users); a folder holding other files is never overwritten.  Building again with the same
parameters reuses what is there; ``rebuild=True`` starts over.  Names and birth dates exist in
clear only in ``sim/`` (the simulation's input files, as a reporter's own files would); the
registry stores them pseudonymised (the test reads the database file to check).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

MARKER = "demo.json"
DEFAULT_PASSWORD = "zicht-demo-2024"  # a local demo on synthetic data; ZICHT_DEMO_PASSWORD
USERS = (("analist", "analyst", None), ("beheerder", "admin", None),
         ("melder", "reporter", "POL-01"))
PARTS = ("sim", "export", "linked", "chain", "reports", "zicht.db", "zicht.db-wal",
         "zicht.db-shm", "zicht.key", "estimates.csv", "chain.csv", "publication.json",
         MARKER)


# what a finished demo needs to be reused and served
NEEDED = ("zicht.db", "linked/persons.parquet", "linked/review_queue.csv", "publication.json")


class DemoError(RuntimeError):
    """The demo cannot be built in this folder (the message says why)."""


@dataclass
class Demo:
    """What a demo build made: its folder, parameters and stage times (seconds)."""

    folder: Path
    years: list[int]
    seed: int
    victims: int | None
    timings: dict[str, float] = field(default_factory=dict)
    users: list[dict] = field(default_factory=list)
    reused: bool = False

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.folder / 'zicht.db').resolve()}"

    @property
    def publication(self) -> Path:
        return self.folder / "publication.json"

    @property
    def linked(self) -> Path:
        return self.folder / "linked"

    def reports(self) -> list[Path]:
        """The annual reports built (PDF and HTML, Dutch and English)."""
        folder = self.folder / "reports"
        return sorted(folder.glob("*.*")) if folder.is_dir() else []

    def serve_environment(self) -> dict[str, str]:
        """The settings ``zicht serve`` needs for this demo: its database, publication and
        linkage, and the key the registry was built with (so that reports entered in the
        served demo link to the imported ones; without it the registry would make a new key
        file beside the database)."""
        return {"ZICHT_DATABASE_URL": self.database_url,
                "ZICHT_PSEUDONYM_KEY": demo_key(self.seed),
                "ZICHT_PUBLICATION": str(self.publication.resolve()),
                "ZICHT_LINKAGE": str(self.linked.resolve())}

    def params(self) -> dict:
        return {"years": self.years, "seed": self.seed, "victims": self.victims,
                "version": __version__}


def demo_key(seed: int) -> str:
    """The demo's pseudonymisation key: derived from the seed, so that the same seed gives the
    same tokens, links and figures.  Public, hence for synthetic data only; a real registry
    reads its key from the environment (docs/PSEUDONYMISATION.md)."""
    import hashlib

    return hashlib.sha256(f"zicht demo key {seed}".encode()).hexdigest()


def password() -> str:
    return os.environ.get("ZICHT_DEMO_PASSWORD") or DEFAULT_PASSWORD


def _check_folder(folder: Path, params: dict, rebuild: bool) -> dict | None:
    """The marker of a finished demo with the same parameters (reuse it), else None; refuses a
    folder that holds anything but a demo's parts."""
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise DemoError(f"{folder} exists and is not a folder")
    present = {p.name for p in folder.iterdir()}
    marker = folder / MARKER
    if present and not marker.exists():
        raise DemoError(f"{folder} holds files that are not a zicht demo; choose another "
                        "folder (--out)")
    strangers = present - set(PARTS)
    if strangers:
        raise DemoError(f"{folder} holds files the demo did not make "
                        f"({', '.join(sorted(strangers)[:3])}); not overwriting it")
    if not marker.exists():
        return None
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = None
    if not isinstance(done, dict) or done.get("zicht_demo") != 1:
        raise DemoError(f"{marker} is not a zicht demo's marker; not overwriting {folder}")
    if rebuild or done.get("params") != params or not done.get("complete"):
        return None
    if not all((folder / part).exists() for part in NEEDED):
        return None  # a part was removed since: build again
    return done


def build(folder: str | Path = "demo", years: list[int] | None = None, seed: int = 1,
          victims: int | None = None, rebuild: bool = False, languages=("nl", "en"),
          step: Callable[[str, float], None] | None = None,
          whatif_years: int | None = None) -> Demo:
    """Build the demo in ``folder`` (see the module's text); ``step(name, seconds)`` is called
    after each stage; ``whatif_years``: simulated years per scenario of the published what-if
    (default :data:`zicht.monitor.whatif.PUBLISHED_REPLICATES`)."""
    folder = Path(folder)
    demo = Demo(folder, list(years or range(2015, 2025)), seed, victims)
    done = _check_folder(folder, demo.params(), rebuild)
    if done is not None:
        demo.timings, demo.users, demo.reused = done["timings"], done["users"], True
        return demo
    if folder.exists():
        for name in PARTS:
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"zicht_demo": 1, "params": demo.params(),
                                             "complete": False}))

    def stage(name: str, fn: Callable[[], object]):
        t0 = time.perf_counter()
        result = fn()
        demo.timings[name] = round(time.perf_counter() - t0, 2)
        if step is not None:
            step(name, demo.timings[name])
        return result

    stage("simulate", lambda: _simulate(demo))
    stage("registry", lambda: _registry(demo))
    stage("export", lambda: _export(demo))
    stage("link", lambda: _link(demo))
    stage("estimate", lambda: _estimate(demo))
    stage("chain", lambda: _chain(demo))
    stage("publish", lambda: _publish(demo, whatif_years))
    stage("report", lambda: _report(demo, languages))
    (folder / MARKER).write_text(json.dumps({
        "zicht_demo": 1, "params": demo.params(), "complete": True, "timings": demo.timings,
        "users": demo.users}, indent=2))
    return demo


# -- the stages -----------------------------------------------------------------------------
def _simulate(demo: Demo) -> None:
    from .simulate import load_scenario, write_run

    overrides = None if demo.victims is None else {"victims_per_year": demo.victims}
    scenario = load_scenario("nl-baseline", overrides)
    write_run(scenario, demo.years, demo.seed, demo.folder / "sim", formats=("csv",))


def _open_registry(demo: Demo):
    from .registry.service import Registry
    from .registry.settings import Settings

    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": demo_key(demo.seed)}
    reg = Registry(Settings.from_env(env, database_url=demo.database_url))
    reg.upgrade()
    return reg


def _registry(demo: Demo) -> None:
    import pandas as pd

    from .registry.service import operator

    reg = _open_registry(demo)
    try:
        actor = operator("demo")
        source = demo.folder / "sim" / "reports.csv"
        orgs = pd.read_csv(source, usecols=["organisation", "reporter_category"],
                           dtype=str).drop_duplicates("organisation")
        for code, category in sorted(orgs.itertuples(index=False, name=None)):
            reg.add_organisation(actor, code, code, category)
        for username, role, org in USERS:
            reg.add_user(actor, username, role, password(), org)
            demo.users.append({"username": username, "role": role, "organisation": org})
        reg.import_file(actor, source.read_bytes(), source.name, lang="en")
    finally:
        reg.dispose()


def _export(demo: Demo) -> None:
    from .registry.service import operator

    reg = _open_registry(demo)
    try:
        reg.export(operator("demo"), demo.folder / "export")
    finally:
        reg.dispose()


def _link(demo: Demo) -> None:
    from .linkage.run import link

    link(demo.folder / "export", demo.linked)


def _estimate(demo: Demo) -> None:
    from .monitor.estimates import yearly_estimates
    from .tabular import write_csv

    write_csv(yearly_estimates(demo.linked), demo.folder / "estimates.csv")


def _chain(demo: Demo) -> None:
    from .monitor.chain import ChainStore
    from .simulate.chain import write_chain

    path = write_chain(demo.folder / "sim", demo.folder / "chain.csv", seed=demo.seed)
    ChainStore(demo.folder / "chain").import_csv(path)


def _publish(demo: Demo, whatif_years: int | None = None) -> None:
    from .monitor.chain import ChainStore
    from .monitor.inputs import MonitorData, reports_file
    from .monitor.publish import build_publication

    reports = reports_file(demo.folder / "export")
    data = MonitorData.from_files(reports, demo.linked, demo.folder / "estimates.csv")
    version, data.chain = ChainStore(demo.folder / "chain").load()
    build_publication(data, demo.publication, linkage_dir=demo.linked, reports_file=reports,
                      chain_version=version.version, today=max(demo.years) + 1,
                      whatif_replicates=whatif_years)


REPORT_NAMES = {"nl": "jaarrapport", "en": "annual-report"}


def _report(demo: Demo, languages) -> None:
    """The annual report of the last year, PDF and HTML per language."""
    from .report.annual import build_report

    folder = demo.folder / "reports"
    folder.mkdir(exist_ok=True)
    doc = json.loads(demo.publication.read_text(encoding="utf-8"))
    year = doc["latest_year"]
    for lang in languages:
        for suffix in (".pdf", ".html"):
            build_report(doc, folder / f"{REPORT_NAMES[lang]}-{year}{suffix}", year=year,
                         lang=lang)
