import pytest

from .helpers import launch_browser


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (xdist worker)."""
    with launch_browser() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page in its own context; CSP bypassed so that axe can be injected."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()
