"""Request-scoped helpers shared by the API and the pages: the registry, the language and
the actor (who is asking)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ..registry.audit import Actor
from ..registry.security import same
from ..registry.service import AccessDenied, Registry, RegistryError, Unauthenticated

SESSION_COOKIE = "zicht_session"
LANG_COOKIE = "zicht_lang"
LANGS = ("nl", "en")


def registry_of(request: Request) -> Registry:
    return request.app.state.registry


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def lang_of(request: Request) -> str:
    """?lang= wins, then the language cookie, then Accept-Language; Dutch by default."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang in LANGS:
        return lang
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    return "nl"


def error_response(request: Request, exc: RegistryError) -> Response:
    """The answer to a refusal: JSON under ``/api/`` (with ``total`` when not every error is
    listed), otherwise the pages' own message page or login redirect."""
    pages_error = getattr(request.app.state, "pages_error", None)
    if request.url.path.startswith("/api/") or pages_error is None:
        body = {"detail": str(exc), "errors": getattr(exc, "as_list", list)()}
        if getattr(exc, "unlisted", 0):
            body["total"] = exc.total
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse(body, status_code=exc.status, headers=headers)
    return pages_error(request, exc)


def session_of(request: Request) -> tuple[Actor, str] | None:
    """(actor, CSRF token) of the request's browser session, cached on the request."""
    if not hasattr(request.state, "session"):
        secret = request.cookies.get(SESSION_COOKIE, "")
        request.state.session = registry_of(request).session_actor(
            secret, client_address(request)) if secret else None
    return request.state.session


def check_csrf(request: Request, csrf: str, supplied: str | None) -> None:
    if not supplied or not same(csrf, supplied):
        raise AccessDenied("missing or wrong CSRF token")


def actor_for_api(request: Request) -> Actor:
    """A bearer token, or a browser session (with X-CSRF-Token on state-changing requests)."""
    auth = request.headers.get("authorization", "")
    checked = getattr(request.state, "api_actor", None)  # by the BodyGuard, moments ago
    if auth and checked is not None:
        return checked
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use Authorization: Bearer <API token>")
        return registry_of(request).token_actor(token, client_address(request))
    session = session_of(request)
    if session is None:
        raise Unauthenticated("log in or send an API token")
    actor, csrf = session
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(request, csrf, request.headers.get("x-csrf-token"))
    return actor


async def actor_for_api_async(request: Request) -> Actor:
    """:func:`actor_for_api` for async handlers: a token validated moments ago is answered
    from the registry's cache on the event loop; anything else goes through the thread pool."""
    from starlette.concurrency import run_in_threadpool

    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        hit = registry_of(request).cached_token_actor(token, client_address(request))
        if hit is not None:
            return hit
    return await run_in_threadpool(actor_for_api, request)
