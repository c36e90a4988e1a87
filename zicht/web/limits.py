"""Request bodies: authenticated before they are read, bounded while they stream.

FastAPI reads (and for a file, spools to disk) a request's body before it resolves the route's
dependencies, authentication among them; so without this middleware an anonymous client could
make the server buffer a body of any size before the 401.  :class:`BodyGuard` runs first:

1. A request that carries a body (a ``Content-Length`` above 0, or a chunked one) must come with
   an API token that is valid or a live browser session, except the login form; otherwise it is
   answered 401 (the API) or sent to the login page (the pages) without reading a byte of it.
2. Each route has a limit (:func:`route_limit`: one report, a batch, an import, anything else;
   the settings ``ZICHT_LIMIT_*``).  A declared ``Content-Length`` above it is answered 413 at
   once; otherwise the bytes are counted as they arrive, and the moment they pass the limit the
   client gets 413 and the application sees the client gone (``http.disconnect``), so nothing
   beyond the limit is ever held.

The 413 says which limit and which setting, in the request's language.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..i18n import translator
from ..registry.errors import TooLarge, Unauthenticated
from .deps import SESSION_COOKIE, client_address, error_response, lang_of, registry_of

ANONYMOUS_BODIES = {("POST", "/login")}
IMPORT_OVERHEAD = 64 * 1024  # multipart headers and the form's other fields


def route_limit(registry, method: str, path: str) -> tuple[int, str]:
    """(bytes, setting) of the body a request to ``path`` may send."""
    settings = registry.settings
    if method == "POST" and path in ("/api/v1/reports", "/reports/new"):
        return settings.limit_report, "ZICHT_LIMIT_REPORT"
    if method == "POST" and path == "/api/v1/reports/batch":
        return settings.limit_batch, "ZICHT_LIMIT_BATCH"
    if method == "POST" and path in ("/api/v1/imports", "/import"):
        return settings.imports.max_bytes + IMPORT_OVERHEAD, "ZICHT_LIMIT_IMPORT"
    return settings.limit_other, "ZICHT_LIMIT_OTHER"


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


class BodyGuard:
    """Pure ASGI middleware (see the module's docstring)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        headers = {k.lower(): v for k, v in scope.get("headers", ())}
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        request = Request(scope)
        registry = registry_of(request)
        limit, setting = route_limit(registry, method, path)
        if (declared > 0 or chunked) and (method, path) not in ANONYMOUS_BODIES:
            if not await self._authenticated(request, headers):
                response = await self._unauthenticated(request)
                return await response(scope, receive, send)
        if declared > limit:
            response = await self._too_large(request, limit, setting)
            return await response(scope, receive, send)

        received = 0
        refused = False
        started = False

        async def counted_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        response = await self._too_large(request, limit, setting)
                        await response(scope, receive, guarded_send_raw)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send_raw(message):
            nonlocal started
            started = True
            await send(message)

        async def guarded_send(message):
            if refused:  # the 413 went out; what the application answers is dropped
                return
            await guarded_send_raw(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _authenticated(self, request: Request, headers: dict) -> bool:
        """Whether the request has a valid token or a live session (looked up once: the
        route's own authentication reuses what is found here)."""
        registry = registry_of(request)
        auth = headers.get(b"authorization", b"").decode("latin-1")
        source = client_address(request)
        state = request.scope.setdefault("state", {})
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return False
            if registry.cached_token_actor(token, source) is not None:
                return True  # the route checks it fully (the writer, for a submission)
            try:
                state["api_actor"] = await run_in_threadpool(registry.token_actor, token,
                                                             source)
            except Unauthenticated:
                return False
            return True
        secret = request.cookies.get(SESSION_COOKIE, "")
        if not secret:
            return False
        session = await run_in_threadpool(registry.session_actor, secret, source)
        state["session"] = session
        return session is not None

    @staticmethod
    async def _refusal(request: Request, exc: Unauthenticated | TooLarge) -> Response:
        """The app's own answer to ``exc`` (:func:`.deps.error_response`), closing the
        connection: the body was not read, and is not drained."""
        response = await run_in_threadpool(error_response, request, exc)
        response.headers["Connection"] = "close"
        return response

    def _unauthenticated(self, request: Request):
        _ = translator(lang_of(request))
        return self._refusal(request, Unauthenticated(_("log in or send an API token")))

    def _too_large(self, request: Request, limit: int, setting: str):
        _ = translator(lang_of(request))
        return self._refusal(request, TooLarge(_(
            "the request is larger than {size}, the limit for {path} (setting {setting})").format(
            size=_size(limit), path=request.url.path, setting=setting)))


__all__ = ["BodyGuard", "route_limit"]
