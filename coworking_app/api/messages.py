"""Conversations between renters and owners: thin adapters over services.messaging.messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, File, Form, Header, Query, Response, UploadFile, status
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, Uow, bearer_user
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathBigId, PathId, responses
from coworking_app.services.messaging import messages as svc
from coworking_app.services.accounts.sessions import access_user_by_session_token
from coworking_app.services.common.errors import NotAuthenticated
from coworking_app.services.common.fields import BigId, Line, Text
from coworking_app.settings import get_settings

router = APIRouter(tags=["messages"], route_class=EdgeRoute, responses=SIGNED_IN)
_SEND = responses(409, 429)


class ConversationPage(BaseModel):
    items: list[svc.ConversationOut]
    total: int
    unread: int
    page: int
    page_size: int


@router.get("/conversations", response_model=ConversationPage)
def conversations(user: CurrentUser, session: DbSession,
                  q: Line(100) = "",
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=100)] = 30) -> ConversationPage:
    items, total = svc.list_conversations(session, user, q=q, page=page, page_size=page_size)
    return ConversationPage(items=items, total=total, unread=svc.unread_total(session, user),
                            page=page, page_size=page_size)


class StartIn(BaseModel):
    space_id: Any = None
    booking_id: Any = None
    text: Any = None


class MessageIn(BaseModel):
    text: Any = None


class Sent(BaseModel):
    conversation_id: int
    message_id: int


@router.post("/conversations", status_code=status.HTTP_201_CREATED, response_model=Sent, responses=_SEND)
def start(body: StartIn, user: CurrentUser, uow: Uow) -> Sent:
    conversation, message = uow.run(lambda s, fx: svc.do_start_conversation(
        s, fx, user=user, space_id=body.space_id, booking_id=body.booking_id, text_=body.text))
    return Sent(conversation_id=conversation.id, message_id=message.id)


@router.get("/conversations/{conversation_id}/messages", response_model=svc.ThreadOut)
def messages(conversation_id: PathId, user: CurrentUser, session: DbSession,
             before_id: BigId | None = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50) -> svc.ThreadOut:
    return svc.list_messages(session, user, conversation_id, before_id=before_id, limit=limit)


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED,
             response_model=Sent, responses=_SEND)
def send(conversation_id: PathId, body: MessageIn, user: CurrentUser, uow: Uow) -> Sent:
    message = uow.run(lambda s, fx: svc.do_send_message(s, fx, user=user, conversation_id=conversation_id,
                                                        text_=body.text))
    return Sent(conversation_id=conversation_id, message_id=message.id)


@router.post("/conversations/{conversation_id}/images", status_code=status.HTTP_201_CREATED,
             response_model=Sent, responses=responses(400, 409, 413, 415, 429))
def send_image(conversation_id: PathId, user: CurrentUser, uow: Uow,
               file: UploadFile = File(...), text: Annotated[Text(4000), Form()] = "") -> Sent:
    data = file.file.read(get_settings().max_upload_bytes + 1)
    message = uow.run(lambda s, fx: svc.do_send_message(s, fx, user=user, conversation_id=conversation_id,
                                                        text_=text, image=data))
    return Sent(conversation_id=conversation_id, message_id=message.id)


@router.post("/conversations/{conversation_id}/read")
def mark_read(conversation_id: PathId, user: CurrentUser, uow: Uow) -> dict:
    return {"unread": uow.run(lambda s, _fx: svc.do_mark_read(s, user=user, conversation_id=conversation_id))}


class ReasonIn(BaseModel):
    reason: Any = None


@router.post("/conversations/{conversation_id}/report", status_code=status.HTTP_201_CREATED,
             responses=responses(409))
def report(conversation_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> dict:
    row = uow.run(lambda s, _fx: svc.do_report_conversation(s, user=user, conversation_id=conversation_id,
                                                            reason=body.reason))
    return {"id": row.id, "conversation_id": row.conversation_id}


@router.get("/conversations/{conversation_id}/messages/{message_id}/image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "The JPEG image"}})
def image(conversation_id: PathId, message_id: PathBigId, session: DbSession,
          size: Annotated[str, Query(pattern="^(full|thumb)$")] = "full",
          authorization: Annotated[str | None, Header()] = None,
          cw_session: Annotated[str | None, Cookie()] = None) -> Response:
    """Bearer token (API clients) or the sign-in cookie (the inbox page's <img>)."""
    if authorization:
        user = bearer_user(session, authorization)
    elif cw_session:
        user = access_user_by_session_token(session, cw_session)[0]
    else:
        raise NotAuthenticated()
    row = svc.access_message_image(session, user, conversation_id, message_id)
    return Response(row.thumb if size == "thumb" else row.data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/admin/moderation/conversations", response_model=list[svc.ReportedConversation])
def reported(user: CurrentUser, session: DbSession) -> list[svc.ReportedConversation]:
    return svc.list_reported_conversations(session, user)


@router.post("/admin/moderation/conversations/{conversation_id}/resolve")
def resolve(conversation_id: PathId, user: CurrentUser, uow: Uow) -> dict:
    closed = uow.run(lambda s, _fx: svc.do_resolve_conversation_reports(s, moderator=user,
                                                                        conversation_id=conversation_id))
    return {"id": conversation_id, "closed": closed}
