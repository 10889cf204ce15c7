"""Telegram on the site: the person's linked chat (`/me/telegram`), a link code for the bot
(`/me/telegram/link`), and the confirmation of a chat that asked the bot to be linked
(`/telegram/links/{code}`). Thin adapters over services.messaging.telegram: the bot itself
runs elsewhere, so codes are issued whether or not this process has a bot token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.common.fields import Line
from coworking_app.services.messaging import telegram

router = APIRouter(tags=["telegram"], route_class=EdgeRoute, responses=responses(401))

# The one-time code of a link (what Telegram carries in `/start <code>`); the service says
# in Russian which codes it does not know, has seen used or expired (422 naming `code`).
PathCode = Annotated[Line(64, min_length=1), Path(description="The one-time code from the bot's link")]


class TelegramOut(BaseModel):
    linked: bool
    name: str | None  # the chat's name as Telegram gave it
    linked_at: datetime | None
    bot_username: str  # t.me/<bot_username>


class LinkCodeOut(BaseModel):
    code: str
    url: str  # https://t.me/<bot>?start=<code>: opening it in Telegram links that chat
    expires_at: datetime


class ChatLinkOut(BaseModel):
    chat_name: str
    expires_at: datetime


class ConfirmedOut(BaseModel):
    chat_name: str


def telegram_out(chat: telegram.LinkedChat) -> TelegramOut:
    return TelegramOut(linked=chat.chat_id is not None, name=chat.name, linked_at=chat.linked_at,
                       bot_username=chat.bot_username)


@router.get("/me/telegram", response_model=TelegramOut)
def my_telegram(user: CurrentUser) -> TelegramOut:
    """Whether a Telegram chat is linked to the caller's account, and which."""
    return telegram_out(telegram.linked_chat(user))


@router.post("/me/telegram/link", status_code=status.HTTP_201_CREATED, response_model=LinkCodeOut,
             responses=responses(429))
def create_link(user: CurrentUser, uow: Uow) -> LinkCodeOut:
    """A one-time code (10 minutes) and the bot's deep link: the chat that opens it is linked
    to the caller's account. 429 with Retry-After past 10 codes an hour."""
    link = uow.run(lambda s, _fx: telegram.do_create_site_link(s, user))
    return LinkCodeOut(code=link.code, url=link.url, expires_at=link.expires_at)


@router.delete("/me/telegram", status_code=status.HTTP_204_NO_CONTENT)
def unlink(user: CurrentUser, uow: Uow) -> Response:
    """Unlinks the caller's chat (its waiting notices are cancelled); nothing linked is fine."""
    uow.run(lambda s, _fx: telegram.do_unlink(s, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/telegram/links/{code}", response_model=ChatLinkOut, responses=responses(422))
def chat_link(session: DbSession, user: CurrentUser, code: PathCode) -> ChatLinkOut:
    """The chat that asked the bot to be linked with this code (shown before confirming).
    422 naming `code` for a code that is malformed, unknown, used or expired."""
    link = telegram.access_chat_link(session, user, code)
    return ChatLinkOut(chat_name=link.chat_name, expires_at=link.expires_at)


@router.post("/telegram/links/{code}/confirm", response_model=ConfirmedOut, responses=responses(422))
def confirm_chat_link(user: CurrentUser, uow: Uow, code: PathCode) -> ConfirmedOut:
    """Links the chat that asked with this code to the caller's account (a chat linked to
    another account moves here); the chat is told. Refusals as for GET."""
    link = uow.run(lambda s, fx: telegram.do_confirm_chat_link(s, fx, user, code))
    return ConfirmedOut(chat_name=link.chat_name)
