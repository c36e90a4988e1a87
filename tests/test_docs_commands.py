"""Every documented command works (issue 20): the shell blocks of README.md and docs/*.md run
in order, one temporary folder per document, as a newcomer would type them; and the output a
document shows is the output the commands give.

What a document says to the test, in an HTML comment on the line before a block (invisible
on GitHub):

- ``<!-- docs-test: skip: REASON -->`` - the block is not run (a server that runs until Ctrl-C,
  ``make``, which CI runs itself, a database CI does not have); the reason is required;
- ``<!-- docs-test: output -->`` - a text block of output: every number in it must appear in
  the output of the block before it (so a figure in the docs is produced by its command);
  write ``…`` for what changes from run to run (a time);
- ``<!-- docs-test: example -->`` - a text block that only illustrates (not checked).

``sh`` blocks run line by line in bash (a line ending in ``\\`` continues), each in the
document's folder, with what earlier lines exported; ``.venv/bin/zicht`` and ``zicht`` are the
installed command; no ``ZICHT_*`` setting of the machine is passed on.  ``pycon`` blocks
run as doctests.  A command must exit 0.  In the manner of Datasette's documentation tests and
of mktestdocs, without a dependency."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)\s*$")
MARK = re.compile(r"^<!--\s*docs-test:\s*(skip|output|example)\s*(?::\s*(.*?))?\s*-->\s*$")
NUMBER = re.compile(r"(?<![\w.…])-?\d[\d,]*(?:\.\d+)?(?![\w…])")
TIMEOUT = 900  # seconds a command may take


@dataclass
class Block:
    doc: Path
    line: int  # of the opening fence
    lang: str
    lines: list[str]
    mark: str | None = None
    reason: str = ""
    output: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        name = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc.name
        return f"{name}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of ``doc`` in order, each with the mark on the line before it."""
    out: list[Block] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    mark: tuple[str, str] | None = None
    i = 0
    while i < len(lines):
        text = lines[i]
        m = MARK.match(text.strip())
        fence = FENCE.match(text)
        if m:
            mark = (m.group(1), m.group(2) or "")
        elif fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")),
                       None)
            if end is None:
                raise AssertionError(f"{doc.name}:{i + 1}: a block that is never closed")
            block = Block(doc, i + 1, fence.group(1), lines[i + 1:end])
            if mark is not None:
                block.mark, block.reason = mark
            out.append(block)
            mark, i = None, end
        elif text.strip():
            mark = None  # a mark belongs to the block right after it
        i += 1
    return out


def commands(block: Block) -> list[str]:
    """The block's command lines (continuations joined; comment lines left out)."""
    out, current = [], ""
    for line in block.lines:
        current += line.lstrip() if current else line
        if line.endswith("\\"):
            current = current[:-1].rstrip() + " "
            continue
        if current.strip() and not current.strip().startswith("#"):
            out.append(current.strip())
        current = ""
    return out


def numbers(text: str) -> list[str]:
    return [n.replace(",", "") for n in NUMBER.findall(text)]


class Session:
    """One document's folder and shell state."""

    def __init__(self, folder: Path):
        self.folder = folder
        # the repository's folder, as a newcomer has it: `.venv/bin/zicht` and the package's
        # files (the shipped tables); what the commands write goes into the folder itself
        (folder / ".venv").symlink_to(sys.prefix)
        (folder / "zicht").symlink_to(ROOT / "zicht")
        bin_dir = str(Path(sys.prefix) / "bin")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ZICHT_")}
        self.env.update(PATH=f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}",
                        COLUMNS="100", NO_COLOR="1", ZICHT_SKIP_BROWSER="1")
        self.state = folder / ".docs-env"

    def run(self, command: str) -> subprocess.CompletedProcess:
        script = (f"[ -f {self.state} ] && source {self.state}\n{command}\nrc=$?\n"
                  f"export -p > {self.state}\nexit $rc\n")
        return subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=self.folder,
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)

    def doctest(self, block: Block, globs: dict) -> str:
        parser = doctest.DocTestParser()
        test = parser.get_doctest("\n".join(block.lines) + "\n", globs, block.where,
                                  str(block.doc), block.line)
        lines: list[str] = []
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                       | doctest.NORMALIZE_WHITESPACE)
        cwd = os.getcwd()
        os.chdir(self.folder)
        try:
            runner.run(test, out=lines.append)
        finally:
            os.chdir(cwd)
        return "".join(lines)


def check(doc: Path, folder: Path) -> list[str]:
    """Run ``doc``'s blocks; the problems found, each naming its line."""
    session, problems, previous, globs = Session(folder), [], None, {}
    for block in blocks(doc):
        if block.mark == "skip":
            if not block.reason:
                problems.append(f"{block.where}: `docs-test: skip` needs a reason")
            continue
        if block.mark == "example":
            continue
        if block.mark == "output":
            if previous is None:
                problems.append(f"{block.where}: an output block after no command")
                continue
            got = set(numbers(previous.output))
            missing = [n for n in numbers("\n".join(block.lines)) if n not in got]
            if missing:
                problems.append(f"{block.where}: figures not in the output of "
                                f"{previous.where}: {', '.join(missing[:12])}")
            continue
        if block.lang == "pycon":
            report = session.doctest(block, globs)
            if report:
                problems.append(f"{block.where}: doctest failed\n{report[-3000:]}")
            continue
        if block.lang not in ("sh", "bash", "shell"):
            continue
        outputs = []
        for command in commands(block):
            done = session.run(command)
            outputs.append(done.stdout + done.stderr)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
                problems.append(f"{block.where}: `{command}` exited {done.returncode}\n    "
                                + "\n    ".join(tail))
        block.output = "\n".join(outputs)
        previous = block
    return problems


def _runnable(doc: Path) -> bool:
    return any(b.lang in ("sh", "bash", "shell", "pycon") or b.mark for b in blocks(doc))


RUNNABLE = [d for d in DOCS if _runnable(d)]


def test_every_document_with_commands_is_run():
    """A document whose commands the test would silently pass by: none (its shell blocks
    are either run or marked)."""
    assert {d.name for d in RUNNABLE} >= {"README.md", "LINKAGE.md", "MONITOR.md",
                                          "REGISTRY.md", "SIMULATE.md", "ESTIMATION.md"}


@pytest.mark.slow  # the documented commands, as a user runs them
@pytest.mark.parametrize("doc", RUNNABLE, ids=[d.name for d in RUNNABLE])
def test_the_documented_commands_run(doc, tmp_path):
    problems = check(doc, tmp_path)
    assert not problems, "\n".join(problems)


# -- the harness itself ----------------------------------------------------------------------
def test_marks_and_blocks_are_read(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("text\n<!-- docs-test: skip: serves until Ctrl-C -->\n```sh\nzicht serve\n"
                   "```\n\n```sh\necho 12,345 \\\n  and 6.5\n# a comment\n```\n"
                   "<!-- docs-test: output -->\n```text\n12,345 and 6.5 in … s\n```\n"
                   "<!-- docs-test: skip -->\nnot a block\n```sh\nfalse\n```\n")
    found = blocks(doc)
    assert [(b.lang, b.mark) for b in found] == [("sh", "skip"), ("sh", None),
                                                 ("text", "output"), ("sh", None)]
    assert found[0].reason == "serves until Ctrl-C"
    assert commands(found[1]) == ["echo 12,345 and 6.5"]
    assert numbers("12,345 and 6.5 in … s; …3") == ["12345", "6.5"]


def test_a_failing_command_and_a_figure_not_produced_are_found(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("```sh\nexport N=41\necho $((N + 1)) persons\n```\n"
                   "<!-- docs-test: output -->\n```text\n42 persons of 43\n```\n"
                   "```sh\nexit 3\n```\n<!-- docs-test: skip -->\n```sh\ntrue\n```\n")
    folder = tmp_path / "run"
    folder.mkdir()
    problems = check(doc, folder)
    assert len(problems) == 3, problems
    assert "figures not in the output" in problems[0] and problems[0].endswith(": 43")
    assert "exited 3" in problems[1]
    assert "needs a reason" in problems[2]
