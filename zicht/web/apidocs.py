"""The JSON API's documentation page (``/api/v1/docs``): Swagger UI served from our own origin.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script, both of
which the site's Content-Security-Policy (``app.SECURITY_HEADERS``) forbids, so the page stayed
blank.  This one is a small template (``templates/api_docs.html``) that loads Swagger UI as
vendored by web/vendor.sh (``static/vendor/swagger-ui/``) and starts it from
``static/api-docs.js``: no inline script or style, nothing fetched from elsewhere, under the
same CSP as every other page.  The page's title and heading follow the request's language
(Dutch by default, ``?lang=en``); the OpenAPI descriptions and Swagger UI itself are English.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..i18n import install_jinja
from .deps import lang_of

DOCS_URL = "/api/v1/docs"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
install_jinja(TEMPLATES.env)  # _("...") in the page's language


def install(app: FastAPI) -> None:
    """Serve the documentation page for ``app``'s OpenAPI document (``app.openapi_url``)."""

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        return TEMPLATES.TemplateResponse(request, "api_docs.html", {
            "lang": lang,
            "openapi_url": app.openapi_url})
