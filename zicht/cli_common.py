"""What the command modules share: the output format and language options, and the one-line
error that ends a command (``error: ...`` on stderr, exit code 2 unless told otherwise).

It imports nothing of theirs, so any of them can be imported first."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.console import Console

_err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    text = "text"
    json = "json"


class Lang(StrEnum):
    nl = "nl"
    en = "en"


def fail(message: str, code: int = 2) -> None:
    # markup/emoji off: a file name or cell value like "[red]" or ":x:" is printed as is
    _err.print(f"error: {message}", soft_wrap=True, markup=False, emoji=False)
    raise typer.Exit(code)
