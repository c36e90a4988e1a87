"""What the command modules share: the two consoles, the one-line error that ends a command
(``error: ...`` on stderr, exit code 2 unless told otherwise), the output format and language
options, year parsing, number formatting and chart files.

It imports no other command module, so any of them can be imported first.  Heavy libraries
(numpy, pandas, the stages) are imported inside the functions that need them, so that
``zicht serve`` and the registry commands start quickly.
"""

from __future__ import annotations

import json
import math
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

# piped output (make demo, CI logs) gets room for the tables instead of 80 columns: 120, and 140
# for the linkage, monitor and report tables (wider ones); markup and emoji off: a file name or
# cell value like "[red]" or ":x:" is printed as is
out = Console(highlight=False, markup=False, emoji=False,
              width=None if sys.stdout.isatty() else 120)
wide_out = Console(highlight=False, markup=False, emoji=False,
                   width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)


class Format(StrEnum):
    text = "text"
    json = "json"


class Lang(StrEnum):
    nl = "nl"
    en = "en"


class CI(StrEnum):
    profile = "profile"
    bootstrap = "bootstrap"
    bca = "bca"
    model = "model"
    none = "none"


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command: ``error: MESSAGE`` on stderr, exit ``code`` (2: the input or the
    options are wrong; 3: the operation was refused or has no answer)."""
    err.print(f"error: {message}", soft_wrap=True)
    raise typer.Exit(code)


def check_port(host: str, port: int) -> None:
    """End the command with one line when ``host:port`` is taken (another server, an earlier
    `zicht demo`), before anything is built or started."""
    import errno
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            return  # not ours to judge (an address this machine lacks): the server says
        fail(f"port {port} on {host} is in use (another server, or an earlier zicht serve or "
             f"demo): choose another with --port, e.g. --port {port + 1 if port < 65535 else 8080}")


def parse_years(text: str) -> list[int]:
    """A year, a range ``2015-2024`` or a list ``2022,2023,2024``: consecutive and increasing
    (victims carry over from one year to the next); ASCII digits only."""
    text = text.replace(" ", "")
    try:
        if not re.fullmatch(r"[0-9]{4}(-[0-9]{4}|(,[0-9]{4})*)", text):
            raise ValueError(text)  # int() would also read other scripts' digits
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            years = list(range(a, b + 1))
        else:
            years = [int(x) for x in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give a year, a range 2015-2024 or a list") from None
    if not years:
        raise typer.BadParameter(f"{text!r}: no years (a range runs from early to late)")
    if any(y < 1900 or y > 2100 for y in years):
        raise typer.BadParameter(f"{text!r}: years must lie between 1900 and 2100")
    if years != list(range(years[0], years[0] + len(years))):
        raise typer.BadParameter(f"{text!r}: years must be consecutive and increasing "
                                 "(victims carry over from one year to the next)")
    return years


def fmt(x: Any, digits: int = 1) -> str:
    """A number with thousands separators, ``-`` for a missing or infinite one."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.{digits}f}"


def print_json(payload: Any) -> None:
    """One JSON document on stdout (pretty on a terminal, one line when piped)."""
    text = json.dumps(payload)
    out.print_json(text) if sys.stdout.isatty() else print(text)


def save_chart(chart: Any, path: Path) -> None:
    """An Altair chart as .png, .svg, .html or .json; raises ``MSEInputError`` (which the
    estimation commands turn into one line and exit 2) for another suffix or an unwritable
    file."""
    from ..mse import MSEInputError

    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".html", ".json"):
        raise MSEInputError(f"{path}: chart format must be .png, .svg, .html or .json")
    try:
        chart.save(str(path))
    except OSError as exc:
        raise MSEInputError(f"{path}: cannot write the chart ({exc.strerror or exc})") from None
