"""The ``zicht`` command line: one Typer app, its commands registered here, one module per
command group.

=====================  =========================================================================
module                 commands
=====================  =========================================================================
``estimate``           ``estimate``, ``datasets``, ``demo tables``
``simulate``           ``simulate``, ``simulate study``
``registry``           ``serve``, ``db``, ``orgs``, ``users``, ``tokens``, ``import``, ``export``,
                       ``audit``, ``registry purge``
``linkage``            ``link``, ``link review``, ``link evaluate``, ``link estimate``
``monitor``            ``monitor estimates|indicators|targets|publish|chain``, ``whatif``
``report``             ``report``
``demo``               ``demo`` (the whole chain, then the dashboard)
``common``             what they share: consoles, ``fail``, year parsing, format and language
=====================  =========================================================================

Input errors print one line (``error: ...``) on stderr and exit with code 2; a refusal or a
model without an estimate exits with code 3.  The stages (``zicht.registry``, ``zicht.mse``, ...)
know nothing of Typer; each command imports its stage inside the function, so ``zicht serve``
and the registry commands start without loading numpy, pandas or Splink.
"""

from __future__ import annotations

import typer

from . import demo, estimate, linkage, monitor, registry, report, simulate

app = typer.Typer(
    help="zicht: sight of the nature and extent of human trafficking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# -- estimation on a table -------------------------------------------------------------------------
app.command("estimate")(estimate.estimate)
app.command("datasets")(estimate.datasets)

# -- simulation ------------------------------------------------------------------------------------
app.add_typer(simulate.app, name="simulate")

# -- registry --------------------------------------------------------------------------------------
app.command("serve")(registry.serve)
app.add_typer(registry.db_app, name="db")
app.add_typer(registry.orgs_app, name="orgs")
app.add_typer(registry.users_app, name="users")
app.add_typer(registry.tokens_app, name="tokens")
app.command("import")(registry.import_)
app.command("export")(registry.export)
app.add_typer(registry.audit_app, name="audit")
app.add_typer(registry.registry_app, name="registry")

# -- linkage, monitor, report ----------------------------------------------------------------------
app.add_typer(linkage.app, name="link")
app.add_typer(monitor.app, name="monitor")
app.command("whatif")(monitor.whatif)
app.command("report")(report.report)

# -- the demo --------------------------------------------------------------------------------------
demo.app.command("tables")(estimate.demo_tables)
app.add_typer(demo.app, name="demo")


def main() -> None:  # pragma: no cover - console entry point
    app()


__all__ = ["app", "main"]
