"""The docs cover the code, in the manner of Datasette's ``tests/test_docs.py``: every module is
named in ``docs/ARCHITECTURE.md``, every command of the ``zicht`` CLI appears in the README or
a page of ``docs/``, and every document the code points to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zicht"
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
DOCS = {p: p.read_text(encoding="utf-8") for p in [ROOT / "README.md",
                                                     *sorted((ROOT / "docs").glob("*.md"))]}


def modules() -> list[str]:
    """Every module of the package as its path (``zicht/mse/base.py``); a package's
    ``__init__``/``__main__`` and the Alembic revisions are named by their folder."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path.name in ("__init__.py", "__main__.py") or "/migrations/" in rel:
            continue
        out.append(rel)
    return out


def commands(group, prefix: str = "zicht") -> list[str]:
    """``zicht estimate``, ``zicht link review``, ...: every command and group, depth first."""
    out = [prefix] if prefix != "zicht" else []
    for name, sub in sorted(getattr(group, "commands", {}).items()):  # typer's own click
        out += commands(sub, f"{prefix} {name}")
    return out


@pytest.mark.parametrize("module", modules())
def test_every_module_is_named_in_the_architecture(module):
    named = f"`{module}`" in ARCHITECTURE
    assert named, f"{module} is not named in docs/ARCHITECTURE.md"


def test_the_architecture_names_no_module_that_is_gone():
    named = set(re.findall(r"`(zicht/[\w/]+\.py)`", ARCHITECTURE))
    gone = sorted(p for p in named if not (ROOT / p).exists())
    assert not gone, f"docs/ARCHITECTURE.md names modules that do not exist: {gone}"


def test_the_architecture_lists_modules_that_exist():
    """The check above cannot pass vacuously: the package and the page both have modules."""
    assert len(modules()) > 50
    assert len(re.findall(r"`(zicht/[\w/]+\.py)`", ARCHITECTURE)) > 50


def _cli_commands() -> list[str]:
    from zicht.cli import app

    return commands(typer.main.get_command(app))


@pytest.mark.parametrize("command", _cli_commands())
def test_every_command_is_in_the_docs(command):
    pattern = re.compile(rf"(?<![\w-]){re.escape(command)}(?![\w-])")
    documented = any(pattern.search(text) for text in DOCS.values())
    assert documented, f"`{command}` appears in neither README.md nor docs/*.md"


def test_the_command_list_is_complete():
    found = _cli_commands()
    for expected in ("zicht estimate", "zicht simulate study", "zicht link review",
                     "zicht monitor publish", "zicht demo tables", "zicht registry purge"):
        assert expected in found


def _options(group, prefix: str = "zicht"):
    """(command, click option) of every option of every command."""
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        yield from _options(sub, f"{prefix} {name}")
    for param in getattr(group, "params", []):
        yield prefix, param


def test_an_off_by_default_flag_has_no_negative_form():
    """`--password-stdin` alone, not `--no-password-stdin`, and never `--no-no-password`
    (issue 20: `users add --help` showed both)."""
    from zicht.cli import app

    shown = [(command, option.opts + option.secondary_opts)
             for command, option in _options(typer.main.get_command(app))
             if getattr(option, "is_flag", False) and option.default is False
             and option.secondary_opts]
    assert shown == []


def _pointers() -> list[tuple[str, str]]:
    """(file, document) for every ``*.md`` the code names (``docs/DOMAIN.md section 6``)."""
    out = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".yaml", ".html") or "vendor" in path.parts:
            continue
        for doc in re.findall(r"([\w./-]*[A-Z_]+\.md)\b", path.read_text(encoding="utf-8")):
            out.append((path.relative_to(ROOT).as_posix(), doc))
    return out


@pytest.mark.parametrize(("source", "doc"), _pointers())
def test_documents_the_code_points_to_are_in_the_repository(source, doc):
    name = Path(doc).name
    assert not doc.startswith("../"), f"{source} points outside the repository: {doc}"
    assert (ROOT / "docs" / name).exists() or (ROOT / name).exists() or \
        (ROOT / Path(source).parent / doc).exists(), f"{source} points to {doc}, which is missing"
