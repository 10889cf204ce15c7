"""The REST API under /api/v1, mounted on the Reflex app through api_transformer."""

from __future__ import annotations

import gc
import logging
import uuid
from contextlib import asynccontextmanager

from anyio import to_thread

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from coworking_app import alerts, observability
from coworking_app.api.deps import header_user_id
from coworking_app.logs import configure_logging
from coworking_app.api import (
    admin,
    auth,
    bookings,
    catalog,
    checkin,
    favourites,
    finance,
    health,
    maps,
    market,
    messages,
    notifications,
    owner,
    places,
    plans,
    reconciliation,
    reviews,
    series,
    spaces,
    telegram,
    tiles,
    waitlist,
)
from coworking_app.api.headers import SecurityHeaders
from coworking_app.api.limits import BodySizeLimit
from coworking_app.api.metrics import API_PREFIX, Measured, router as metrics_router
from coworking_app.api.observe import RequestContext, request_id_of
from coworking_app.services.payments.payments import ProviderError
from coworking_app.services.common.errors import (
    Conflict,
    PayloadTooLarge,
    UnsupportedMedia,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    SecondFactorRequired,
)
from coworking_app.services.common.text import has_cyrillic
from coworking_app.services.common.validation import russian_errors
from coworking_app.settings import get_settings
from models import PHOTO_LIMIT
from coworking_app.i18n import Labels, N_, tr

log = logging.getLogger("coworking_app.api")


def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 in our shape: `loc` names the field, `msg` is Russian, the refused
    input is not echoed back (it may hold what JSON cannot encode)."""
    return JSONResponse(status_code=422, content={"detail": russian_errors(exc.errors())})


_HTTP_MESSAGES = Labels({
    400: N_("Не удалось прочитать тело запроса"),
    401: N_("Войдите, чтобы продолжить"),
    403: N_("Недостаточно прав для этого действия"),
    404: N_("Не найдено"),
    405: N_("Этот метод здесь не поддерживается"),
    406: N_("Такой формат ответа не поддерживается"),
    413: N_("Слишком большой запрос"),
    415: N_("Такой тип содержимого не поддерживается"),
})


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's and FastAPI's own refusals (unknown path, wrong method, unreadable form)."""
    detail = tr(exc.detail) if isinstance(exc.detail, str) and has_cyrillic(exc.detail) \
        else _HTTP_MESSAGES.get(exc.status_code, tr("Запрос не выполнен"))
    return JSONResponse(status_code=exc.status_code, content={"detail": detail},
                        headers=getattr(exc, "headers", None))


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected: logged with the request id, answered with JSON naming it."""
    request_id = request_id_of(request.scope) or uuid.uuid4().hex
    try:
        user_id = header_user_id(request.headers.get("authorization"))
    except Exception:  # noqa: BLE001 (the report must not fail on a malformed header)
        user_id = None
    # Sentry first, with who and which request: the log line below would otherwise become
    # the event (its logging integration), without them.
    observability.report(exc, request_id=request_id, user_id=user_id)
    log.error("Unhandled %s in %s %s (request %s)", type(exc).__name__, request.method,
              request.url.path, request_id, exc_info=exc)
    route = getattr(request.scope.get("route"), "path", None) or request.url.path[:100]
    alerts.alert("error", tr("{name__} в {method} {value} (запрос {request_id}): {value2}", name__=type(exc).__name__, method=request.method, value=request.url.path[:200], request_id=request_id, value2=str(exc)[:500]), f"{type(exc).__name__}:{request.method}:{route}")
    return JSONResponse(status_code=500, headers={"X-Request-ID": request_id}, content={
        "detail": tr("Внутренняя ошибка сервера. Мы уже разбираемся; номер запроса {request_id}", request_id=request_id),
        "request_id": request_id,
    })


def _invalid_input(request: Request, exc: InvalidInput) -> JSONResponse:
    # A refused path parameter (a link's code) is named where it came from.
    location = "path" if exc.field in request.path_params else "query" if request.method == "GET" else "body"
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {"loc": [location, exc.field], "msg": exc.message, "type": "value_error"}
            ]
        },
    )


def _not_found(request: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": exc.message})


def _not_authenticated(request: Request, exc: NotAuthenticated) -> JSONResponse:
    return JSONResponse(status_code=401, content={"detail": exc.message},
                        headers={"WWW-Authenticate": "Bearer"})


def _second_factor(request: Request, exc: SecondFactorRequired) -> JSONResponse:
    return JSONResponse(status_code=401, content={
        "detail": [{"loc": ["body", "totp_code"], "msg": exc.message, "type": "totp_required"}]
    })


def _denied(request: Request, exc: PermissionDenied) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": exc.message})


def _conflict(request: Request, exc: Conflict) -> JSONResponse:
    return JSONResponse(status_code=409, content={
        "detail": [{"loc": ["body", exc.field], "msg": exc.message, "type": "conflict"}]
    })


def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    return JSONResponse(
        status_code=429,
        content={"detail": exc.wait_text, "retry_after": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


def _file_error(status_code: int):
    def handler(request: Request, exc: PayloadTooLarge | UnsupportedMedia) -> JSONResponse:
        return JSONResponse(status_code=status_code, content={
            "detail": [{"loc": ["body", exc.field], "msg": exc.message, "type": "file"}]
        })
    return handler


def _provider_error(request: Request, exc: ProviderError) -> JSONResponse:
    return JSONResponse(status_code=502, content={"detail": exc.message})


def limit_api_threads() -> None:
    """Per process, on the server's event loop: the size of the thread pool that runs the
    synchronous routes (Starlette's default is 40). Run at start-up by this app's lifespan
    (the API served alone) and by the Reflex app's (which mounts this app, and a mounted
    app's lifespan does not run)."""
    to_thread.current_default_thread_limiter().total_tokens = get_settings().api_threads


@asynccontextmanager
async def _lifespan(app: FastAPI):
    limit_api_threads()
    yield


def create_api() -> FastAPI:
    configure_logging()
    observability.start_sentry("app")  # before the app exists: its integrations wrap Starlette
    api = FastAPI(
        lifespan=_lifespan,
        title="Coworking marketplace API",
        version="1.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    api.add_exception_handler(Exception, _server_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(RequestValidationError, _request_validation)
    api.add_exception_handler(InvalidInput, _invalid_input)
    api.add_exception_handler(NotFound, _not_found)
    api.add_exception_handler(NotAuthenticated, _not_authenticated)
    api.add_exception_handler(SecondFactorRequired, _second_factor)
    api.add_exception_handler(PermissionDenied, _denied)
    api.add_exception_handler(Conflict, _conflict)
    api.add_exception_handler(RateLimited, _rate_limited)
    api.add_exception_handler(PayloadTooLarge, _file_error(413))
    api.add_exception_handler(UnsupportedMedia, _file_error(415))
    api.add_exception_handler(ProviderError, _provider_error)
    for module in (health, catalog, checkin, places, spaces, favourites, series, bookings, notifications, auth, owner, admin,
                   reviews, messages, market, telegram, finance, reconciliation, waitlist, plans):
        api.include_router(module.router, prefix=API_PREFIX)
    api.include_router(tiles.router)  # /tiles/...: map tiles for the map frame
    api.include_router(maps.router)  # /maps/...: the map frame's documents
    settings = get_settings()
    if settings.metrics_enabled:
        api.include_router(metrics_router)  # /metrics: Prometheus (docs/operations.md)
    upload = settings.max_upload_bytes
    api.add_middleware(
        BodySizeLimit,
        default_limit=1024 * 1024,  # JSON bodies
        limits=[
            (r"^/api/v1/spaces/\d+/photos$", upload + 64 * 1024),  # one photo + multipart framing
            (r"^/api/v1/conversations/\d+/images$", upload + 64 * 1024),  # an image in a message
            (r"^/_upload", PHOTO_LIMIT * upload + 1024 * 1024),  # Reflex uploads: a full gallery
        ],
    )
    api.add_middleware(SecurityHeaders)  # every response: pages, API, media, uploads, tiles, maps
    api.add_middleware(RequestContext)  # request id, audit context, the dashboard's API time
    if settings.metrics_enabled:  # outermost: its time covers the whole request, pages included
        api.add_middleware(Measured)
    settings.media_root.mkdir(parents=True, exist_ok=True)
    api.mount(
        settings.media_url, StaticFiles(directory=settings.media_root), name="media"
    )
    freeze_startup_objects()
    return api


def freeze_startup_objects() -> None:
    """Moves everything alive after start-up (modules, models, routes, about 300k objects)
    out of the garbage collector's reach. A full collection otherwise walks all of them:
    measured 160 ms, a pause that some request pays for. Standard for long-running servers
    (gc.freeze, Python 3.7+); objects created later are collected as usual. Once per
    process: what was frozen is never collected, so a later app (tests build several)
    must not freeze the garbage of earlier ones."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


_frozen = False
