"""Headless Chromium (Debian's, at /usr/bin/chromium) and axe-core for the browser tests.

The browser comes from `make browser` (part of `make dev`/`make test`). A missing browser
fails the tests; ZICHT_SKIP_BROWSER=1 skips them instead (for a machine without one).
axe-core is vendored in tests/browser/vendor/ by web/vendor.sh.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
PASSWORD = "Correct-Horse-9-Battery"  # of every user of the site fixture (conftest.py)


@contextmanager
def launch_browser() -> Iterator:
    """Yield a headless playwright Browser on Debian's Chromium; closes it afterwards."""
    if os.environ.get("ZICHT_SKIP_BROWSER") == "1":
        pytest.skip("ZICHT_SKIP_BROWSER=1: browser tests skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` (Debian's chromium), "
            "or set ZICHT_SKIP_BROWSER=1 to skip the browser tests",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Chromium's sandbox cannot start as root; playwright passes --no-sandbox by
        # default already, it is spelled out so that the tests do not depend on that.
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page, tags=WCAG_TAGS) -> list[dict]:
    """Run axe-core on the page's current document; its WCAG 2.1 A/AA violations.

    Each violation is axe's dict: id, impact, help, helpUrl, tags, nodes (target, html,
    failureSummary). The page's context should have bypass_csp=True if the app sends a
    Content-Security-Policy, since axe is injected as a script.
    """
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        list(tags),
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """A readable list of violations, for assertion messages."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def login(page, base: str, username: str, password: str, lang: str = "nl") -> None:
    """Log in through the login form (labels in the page's language)."""
    page.goto(f"{base}/login?lang={lang}")
    page.get_by_label("Gebruikersnaam" if lang == "nl" else "User name").fill(username)
    page.get_by_label("Wachtwoord" if lang == "nl" else "Password").fill(password)
    page.get_by_role("button", name="Inloggen" if lang == "nl" else "Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
