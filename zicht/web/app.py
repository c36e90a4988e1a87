"""The registry's web application: JSON API (``/api/v1``), HTML pages and static files.

``create_app()`` builds it on a :class:`Registry` (SQLite by default, PostgreSQL through
``ZICHT_DATABASE_URL``); ``zicht serve`` runs it with uvicorn.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..i18n import translator
from ..registry.service import Registry, RegistryError
from . import api
from .deps import error_response, lang_of
from .limits import BodyGuard

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("zicht.web")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
}


class RevalidatedStatic(StaticFiles):
    """Static files (CSS, the vendored scripts: ~0.8 MB on a chart page) may be kept by the
    browser but are revalidated on every use (ETag / Last-Modified, 304 without a body): the
    file names carry no version, so an upgrade is seen at once.  Everything else stays
    ``no-store``."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


_RAW_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


def _embed_headers() -> list[tuple[bytes, bytes]]:
    """The headers of an embeddable chart (``/embed/...``, zicht/web/embed.py): no
    X-Frame-Options, and frame-ancestors from ``ZICHT_EMBED_ANCESTORS`` (default any site)."""
    from .embed import frame_ancestors

    try:
        ancestors = frame_ancestors()
    except ValueError:  # checked when the app was made; changed since: frame nowhere
        ancestors = "'none'"
    headers = []
    for k, v in SECURITY_HEADERS.items():
        if k == "X-Frame-Options":
            continue
        if k == "Content-Security-Policy":
            v = v.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
        headers.append((k.lower().encode(), v.encode()))
    return headers


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: Starlette's
    BaseHTTPMiddleware costs a task group and a streaming wrapper per request)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        extra = _embed_headers() if scope.get("path", "").startswith("/embed/") \
            else _RAW_HEADERS

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(registry: Registry | None = None) -> FastAPI:
    from .embed import frame_ancestors

    frame_ancestors()  # a bad ZICHT_EMBED_ANCESTORS stops the start, with its reason
    registry = registry or Registry()
    app = FastAPI(title="zicht registry", version=__version__,
                  description="Reports of possible victims of human trafficking: intake, "
                              "pseudonymisation at intake, access by role, audit.",
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.registry = registry

    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError):
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError):
        _ = translator(lang_of(request))
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
            # a list index; the name of an unknown field may be any text, '²' included
            row = next((int(p) + 1 for p in loc if p.isascii() and p.isdigit()), None)
            name = ".".join(p for p in loc if not (p.isascii() and p.isdigit())) or "request"
            errors.append({"row": row, "field": name, "code": e.get("type", "invalid"),
                           "message": f"{name}: {e.get('msg', 'invalid')}"})
        return JSONResponse(jsonable_encoder({
            "detail": _("invalid request"), "errors": errors}),
            status_code=422)

    app.add_middleware(BodyGuard)  # inside SecurityHeaders: its 401 and 413 get the headers
    app.add_middleware(SecurityHeaders)

    app.include_router(api.router)
    from . import apidocs

    apidocs.install(app)
    app.mount("/static", RevalidatedStatic(directory=STATIC), name="static")
    try:
        from . import pages
    except ImportError:  # pragma: no cover - pages are optional while being built
        pages = None
    if pages is not None:
        pages.install(app)
        from . import (
            dashboard,
            downloads,
            embed,
            modus,
            protection,
            public,
            review,
            whatif_public,
        )

        public.install(app)
        downloads.install(app)
        dashboard.install(app)
        embed.install(app)
        whatif_public.install(app)
        protection.install(app)
        modus.install(app)
        review.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True}

    return app
