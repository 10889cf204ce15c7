"""Market data (docs/market.md): crawl sources, runs, listings and service keys for the
operator panel; the crawler's batch ingest (a service key, not a person); the owner's
"Рынок рядом". Thin adapters over services/market."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict

from coworking_app.api.deps import CurrentUser, DbSession, ServiceKeyHeader, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.common.fields import Line
from coworking_app.services.market import crawls, ingest, keys, listings, runs, sources

router = APIRouter(tags=["market"], route_class=EdgeRoute)
_CONFLICT = {**SIGNED_IN, **responses(409)}


def _source_out(source, last_run=None) -> sources.SourceOut:
    return sources.SourceOut(
        id=source.id, name=source.name, start_url=source.start_url, kind=source.kind, selectors=source.selectors,
        schedule=source.schedule, enabled=source.enabled,
        last_run=({"id": last_run.id, "status": last_run.status, "finished_at": last_run.finished_at}
                  if last_run else None))


# --- sources -----------------------------------------------------------------------------


@router.get("/admin/market/sources", response_model=list[sources.SourceOut], responses=SIGNED_IN)
def list_sources(session: DbSession, user: CurrentUser) -> list[sources.SourceOut]:
    newest = runs.newest_runs(session, user)
    return [_source_out(s, newest.get(s.id)) for s in sources.list_sources(session, user)]


@router.post("/admin/market/sources", response_model=sources.SourceOut, status_code=status.HTTP_201_CREATED,
             responses=_CONFLICT)
def create_source(uow: Uow, user: CurrentUser, body: sources.SourceInput) -> sources.SourceOut:
    """A site to crawl. `selectors` only for kind `css` (link, optional next, item with
    external_id, name and price required; Scrapy's CSS with ::text and ::attr(x))."""
    return _source_out(uow.run(lambda s, _fx: sources.do_create_source(s, user, body)))


@router.get("/admin/market/sources/{source_id}", response_model=sources.SourceOut, responses=SIGNED_IN)
def get_source(session: DbSession, user: CurrentUser, source_id: PathId) -> sources.SourceOut:
    source = sources.access_source(session, user, source_id)
    return _source_out(source, runs.newest_runs(session, user, source_id).get(source_id))


@router.patch("/admin/market/sources/{source_id}", response_model=sources.SourceOut, responses=_CONFLICT)
def update_source(uow: Uow, user: CurrentUser, source_id: PathId, body: sources.SourcePatch) -> sources.SourceOut:
    return _source_out(uow.run(lambda s, _fx: sources.do_update_source(s, user, source_id, body)))


@router.delete("/admin/market/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT, responses=SIGNED_IN)
def delete_source(uow: Uow, user: CurrentUser, source_id: PathId) -> Response:
    """The source goes with its runs and listings."""
    uow.run(lambda s, _fx: sources.do_delete_source(s, user, source_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class Queued(BaseModel):
    run_id: int


@router.post("/admin/market/sources/{source_id}/crawl", response_model=Queued,
             status_code=status.HTTP_202_ACCEPTED, responses=_CONFLICT)
def crawl_now(uow: Uow, user: CurrentUser, source_id: PathId) -> Queued:
    """Queues a crawl (409 while one of this source is queued or running)."""
    return Queued(run_id=uow.run(lambda s, fx: runs.do_request_crawl(s, fx, user, source_id)).id)


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Line(2000) | None = None


@router.post("/admin/market/sources/{source_id}/test", response_model=list[dict], responses=SIGNED_IN)
def test_source(session: DbSession, user: CurrentUser, source_id: PathId, body: TestIn) -> list[dict]:
    """The source's extraction applied to one page (its start URL unless `url`): the fields
    found per item, nothing stored."""
    return crawls.test_source(session, user, source_id, body.url or "")


# --- runs --------------------------------------------------------------------------------


@router.get("/admin/market/runs", response_model=list[runs.RunOut], responses=SIGNED_IN)
def list_runs(session: DbSession, user: CurrentUser,
              source_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[runs.RunOut]:
    return [runs.run_out(r) for r in runs.list_runs(session, user, source_id, limit)]


@router.get("/admin/market/runs/{run_id}", response_model=runs.RunOut, responses=SIGNED_IN)
def get_run(session: DbSession, user: CurrentUser, run_id: PathId) -> runs.RunOut:
    """status queued | running | finished | failed, the counters so far and the errors
    (the first 200; error_count counts them all)."""
    return runs.run_out(runs.access_run(session, user, run_id))


# --- listings ----------------------------------------------------------------------------


@router.get("/admin/market/listings", response_model=listings.ListingPage, responses=SIGNED_IN)
def list_listings(session: DbSession, user: CurrentUser,
                  source_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                  city: Annotated[Line(100) | None, Query()] = None,
                  include_gone: bool = False,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> listings.ListingPage:
    return listings.list_listings(session, user, source_id=source_id, city=city, include_gone=include_gone,
                                  limit=limit, offset=offset)


# --- service keys --------------------------------------------------------------------------


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(100, min_length=2)


class KeyOut(BaseModel):
    id: int
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKey(KeyOut):
    key: str  # shown this once


def _key_out(key) -> dict:
    return dict(id=key.id, name=key.name, scope=key.scope, prefix=key.prefix, created_at=key.created_at,
                last_used_at=key.last_used_at, revoked_at=key.revoked_at)


@router.get("/admin/market/keys", response_model=list[KeyOut], responses=SIGNED_IN)
def list_keys(session: DbSession, user: CurrentUser) -> list[KeyOut]:
    return [KeyOut(**_key_out(k)) for k in keys.list_keys(session, user)]


@router.post("/admin/market/keys", response_model=NewKey, status_code=status.HTTP_201_CREATED, responses=SIGNED_IN)
def create_key(uow: Uow, user: CurrentUser, body: KeyIn) -> NewKey:
    """A key for a crawler on another machine (scope market:ingest); `key` is shown once."""
    def work(s, _fx):
        key, raw = keys.do_create_key(s, user, body.name.strip())
        return NewKey(key=raw, **_key_out(key))
    return uow.run(work)


@router.delete("/admin/market/keys/{key_id}", response_model=KeyOut, responses=SIGNED_IN)
def revoke_key(uow: Uow, user: CurrentUser, key_id: PathId) -> KeyOut:
    return KeyOut(**_key_out(uow.run(lambda s, _fx: keys.do_revoke_key(s, user, key_id))))


# --- the crawler's batches -------------------------------------------------------------------


@router.post("/market/listings/batch", response_model=ingest.BatchResult, responses=responses(401, 403, 422))
def ingest_batch(uow: Uow, key: ServiceKeyHeader, body: ingest.BatchIn) -> ingest.BatchResult:
    """Up to 100 listings from the crawler (Authorization: Bearer <service key>, scope
    market:ingest), answered per item: created, updated, unchanged or error with the reason."""
    return uow.run(lambda s, _fx: ingest.do_ingest_batch(s, key, body))


# --- the owner's view ----------------------------------------------------------------------


@router.get("/owner/spaces/{space_id}/market", response_model=listings.MarketNear, responses=SIGNED_IN)
def market_near(session: DbSession, user: CurrentUser, space_id: PathId,
                radius_m: Annotated[int, Query(ge=listings.RADIUS_MIN_M, le=listings.RADIUS_MAX_M)] = 2000
                ) -> listings.MarketNear:
    """Competitors within `radius_m` of the space: per unit and currency their count,
    quartiles and where the space's own price falls; the nearest 10; a monthly trend. The
    space's owner and staff only."""
    return listings.market_near_space(session, user, space_id, radius_m)
