"""Messages between a renter and the owner of a space.

- A conversation is either a question before booking ("ask the host": one per renter and
  space) or about one booking (one per booking); the renter or the owner starts it.
- Only its two participants read and write it; operators may read a conversation while a
  report on it is open. Anyone else gets 404, whatever id they try.
- Text is plain (up to 2000 characters, shown as text, never as HTML); an image may be
  attached (JPEG/PNG, same checks as photos), re-encoded and kept in the database.
- Sending is limited to MESSAGES_PER_MINUTE per person.
- A new message is pushed to the other person's open tabs after commit (the notification
  channel); `do_email_unread` (every minute, jobs/cron.py) emails a person whose message
  has been unread for 15 minutes, at most once an hour per conversation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.catalog.photos import FULL_SIZE, THUMB_SIZE, check_image, encode_jpeg
from coworking_app.effects import Effects
from coworking_app.services.accounts import ratelimit
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking.booking_states import booking_refusal
from coworking_app.services.catalog.spaces import is_bookable
from coworking_app.services.common.text import check_chars, check_plain_text
from coworking_app.services.common.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from models import (
    Booking,
    Channel,
    Conversation,
    ConversationMember,
    ConversationReport,
    Message,
    MessageImage,
    Role,
    Space,
    User,
)
from coworking_app.i18n import tr

TEXT_MAX = 2000
MESSAGES_PER_MINUTE = 30
UNREAD_EMAIL_AFTER = timedelta(minutes=15)
UNREAD_EMAIL_EVERY = timedelta(hours=1)
PREVIEW = 140


def check_text(value: object, *, with_image: bool) -> str:
    """A message's text: may be empty only when an image comes with it."""
    return check_plain_text("text", value, minimum=0 if with_image else 1, maximum=TEXT_MAX, what=tr("Сообщение"))


# --- access -------------------------------------------------------------------------------------


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def access_conversation(session: Session, user: User | None, conversation_id: int, *,
                        for_write: bool = False) -> tuple[Conversation, ConversationMember | None]:
    """The conversation and the caller's membership. Participants may read and write;
    an operator or admin may read (member None) while a report on it is open; everyone
    else gets 404, as if it did not exist."""
    if user is None:
        raise NotAuthenticated()
    conversation = session.get(Conversation, conversation_id) if _valid_id(conversation_id) else None
    if conversation is not None:
        member = session.get(ConversationMember, (conversation.id, user.id))
        if member is not None:
            return conversation, member
        if not for_write and _is_staff(user) and session.scalar(
                select(ConversationReport.id).where(ConversationReport.conversation_id == conversation.id,
                                                    ConversationReport.resolved_at.is_(None)).limit(1)):
            return conversation, None
    raise NotFound(tr("Переписка не найдена"))


def _is_staff(user: User) -> bool:
    """Operator or admin, with REQUIRE_2FA_FOR_STAFF applied as everywhere else."""
    try:
        check_role(user, Role.operator, Role.admin)
    except PermissionDenied:
        return False
    return True


def _published_space(session: Session, space_id: object) -> Space:
    space = session.get(Space, space_id) if _valid_id(space_id) else None
    if space is None or not is_bookable(space):
        raise InvalidInput("space_id", tr("Пространство не найдено"))
    return space


# --- writing ---------------------------------------------------------------------------------------


def do_start_conversation(session: Session, effects: Effects, *, user: User | None, space_id: object,
                          booking_id: object = None, text_: object = "",
                          image: bytes | None = None) -> tuple[Conversation, Message]:
    """Find or open the conversation, then send the first (or next) message in it."""
    check_text(text_, with_image=image is not None)  # a refused message opens nothing
    conversation = do_open_conversation(session, user=user, space_id=space_id, booking_id=booking_id)
    message = do_send_message(session, effects, user=user, conversation_id=conversation.id, text_=text_, image=image)
    return conversation, message


def do_open_conversation(session: Session, *, user: User | None, space_id: object,
                         booking_id: object = None) -> Conversation:
    """The conversation, created if needed (it shows in inboxes once it has a message).
    Without a booking: the caller asks the host of a published space. With a booking: the
    booking's renter or the owner of its space, about that booking."""
    if user is None:
        raise NotAuthenticated()
    if booking_id is None:
        space = _published_space(session, space_id)
        if space.owner_id == user.id:
            raise InvalidInput("space_id", tr("Это ваше пространство: написать самому себе нельзя"))
        renter_id, owner_id, key = user.id, space.owner_id, {"booking_id": None}
    else:
        booking = session.get(Booking, booking_id) if _valid_id(booking_id) else None
        space = session.get(Space, booking.space_id) if booking is not None else None
        if booking is None or space is None or user.id not in (booking.user_id, space.owner_id):
            raise InvalidInput("booking_id", tr("Бронь не найдена"))
        if space_id is not None and space_id != space.id:
            raise InvalidInput("space_id", tr("Бронь относится к другому пространству"))
        role = "renter" if booking.user_id == user.id else "owner"
        reason = booking_refusal(booking, role, "message", now=datetime.now(timezone.utc),
                                 host_id=space.owner_id)
        if reason is not None:
            raise InvalidInput("booking_id", reason[0].upper() + reason[1:])
        renter_id, owner_id, key = booking.user_id, space.owner_id, {"booking_id": booking.id}
    # Insert or find: the partial unique indexes make two simultaneous first messages
    # land in one conversation.
    where = "booking_id IS NULL" if key["booking_id"] is None else "booking_id IS NOT NULL"
    conversation_id = session.execute(
        pg_insert(Conversation.__table__).values(space_id=space.id, renter_id=renter_id, owner_id=owner_id,
                                                 **key)
        .on_conflict_do_nothing(index_elements=["booking_id"] if key["booking_id"] else ["space_id", "renter_id"],
                                index_where=text(where))
        .returning(Conversation.__table__.c.id)).scalar()
    if conversation_id is None:
        query = select(Conversation.id).where(Conversation.booking_id == key["booking_id"]) if key["booking_id"] \
            else select(Conversation.id).where(Conversation.space_id == space.id, Conversation.renter_id == renter_id,
                                               Conversation.booking_id.is_(None))
        conversation_id = session.scalar(query)
    else:
        session.execute(pg_insert(ConversationMember.__table__).values([
            {"conversation_id": conversation_id, "user_id": renter_id, "role": "renter"},
            {"conversation_id": conversation_id, "user_id": owner_id, "role": "owner"},
        ]).on_conflict_do_nothing())
    return session.get(Conversation, conversation_id)


def do_send_message(session: Session, effects: Effects, *, user: User | None, conversation_id: int, text_: object,
                    image: bytes | None = None) -> Message:
    conversation, member = access_conversation(session, user, conversation_id, for_write=True)
    body = check_text(text_, with_image=image is not None)
    encoded = _encode_image(image) if image is not None else None  # 413/415 before counting
    ratelimit.do_take(f"messages:{user.id}", MESSAGES_PER_MINUTE, 60)
    # The conversation row is locked: messages of one conversation get increasing ids in
    # commit order, which last_read_id relies on.
    session.execute(select(Conversation.id).where(Conversation.id == conversation.id).with_for_update())
    message = Message(conversation_id=conversation.id, sender_id=user.id, text=body)
    session.add(message)
    session.flush()
    if encoded is not None:
        full, thumb, width, height = encoded
        session.add(MessageImage(message_id=message.id, data=full, thumb=thumb, width=width, height=height))
    session.execute(update(Conversation).where(Conversation.id == conversation.id).values(
        last_message_id=message.id, last_message_at=func.now()))
    session.execute(update(ConversationMember).where(
        ConversationMember.conversation_id == conversation.id, ConversationMember.user_id == user.id)
        .values(last_read_id=message.id))
    session.flush()
    _push_to_other(effects, conversation, user, message, has_image=encoded is not None)
    return message


def _encode_image(data: bytes) -> tuple[bytes, bytes, int, int]:
    image = check_image(data)
    full, width, height = encode_jpeg(image, FULL_SIZE, crop=False)
    thumb, _, _ = encode_jpeg(image, THUMB_SIZE, crop=False)
    return full, thumb, width, height


def _push_to_other(effects: Effects, conversation: Conversation, sender: User, message: Message,
                   *, has_image: bool) -> None:
    other = conversation.owner_id if sender.id == conversation.renter_id else conversation.renter_id
    preview = (message.text or (tr("Изображение") if has_image else ""))[:PREVIEW]
    effects.publish(other, {
        "type": "message_new", "conversation_id": conversation.id, "message_id": message.id,
        "title": tr("Сообщение от {name}", name=sender.full_name)[:200], "body": preview})
    effects.publish(sender.id, {  # the sender's other tabs
        "type": "message_sent", "conversation_id": conversation.id, "message_id": message.id})


def do_mark_read(session: Session, *, user: User | None, conversation_id: int) -> int:
    """Everything in the conversation is read by the caller; returns their unread total."""
    conversation, member = access_conversation(session, user, conversation_id)
    if member is not None and member.last_read_id < conversation.last_message_id:
        session.execute(update(ConversationMember).where(
            ConversationMember.conversation_id == conversation.id, ConversationMember.user_id == user.id,
            ConversationMember.last_read_id < conversation.last_message_id)
            .values(last_read_id=conversation.last_message_id))
        session.flush()
    return unread_total(session, user)


def do_report_conversation(session: Session, *, user: User | None, conversation_id: int,
                           reason: object) -> ConversationReport:
    conversation, member = access_conversation(session, user, conversation_id, for_write=True)
    clean = check_plain_text("reason", reason, minimum=3, maximum=500, what=tr("Причина жалобы"))
    report = ConversationReport(conversation_id=conversation.id, user_id=user.id, reason=clean)
    session.add(report)
    session.flush()
    return report


# --- reading ----------------------------------------------------------------------------------------


class ConversationOut(BaseModel):
    id: int
    space_id: int
    space: str
    booking_id: int | None
    other_id: int
    other_name: str
    role: str  # the caller's side: renter | owner
    last_message: str
    last_message_at: datetime
    unread: int


def _unread_count():
    return (select(func.count()).select_from(Message).where(
        Message.conversation_id == ConversationMember.conversation_id,
        Message.id > ConversationMember.last_read_id,
        Message.sender_id != ConversationMember.user_id)
        .correlate(ConversationMember).scalar_subquery())


def list_conversations(session: Session, user: User | None, *, q: str = "", page: int = 1,
                       page_size: int = 30, only_id: int | None = None) -> tuple[list[ConversationOut], int]:
    """The caller's conversations, most recent first, with the last message and the number
    of unread messages; `q` filters by the space's or the other person's name."""
    if user is None:
        raise NotAuthenticated()
    page, page_size = max(1, page), max(1, min(page_size, 100))
    other = User.__table__.alias("other")
    last = Message.__table__.alias("last")
    other_id = func.coalesce(
        func.nullif(Conversation.renter_id, user.id), Conversation.owner_id)
    query = (select(Conversation, ConversationMember.role, Space.name, other.c.id, other.c.full_name,
                    last.c.text, _unread_count())
             .join(ConversationMember, and_(ConversationMember.conversation_id == Conversation.id,
                                            ConversationMember.user_id == user.id))
             .join(Space, Space.id == Conversation.space_id)
             .join(other, other.c.id == other_id)
             .outerjoin(last, last.c.id == Conversation.last_message_id))
    if only_id is not None:
        query = query.where(Conversation.id == only_id)
    else:  # a conversation opened from a booking card shows once it has a message
        query = query.where(Conversation.last_message_id > 0)
    q = check_chars("q", (q or "").strip()[:100])
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # Names only: matching emails would let anyone probe the other person's address.
        query = query.where(or_(Space.name.ilike(pattern), other.c.full_name.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
                           .offset((page - 1) * page_size).limit(page_size)).all()
    return [ConversationOut(
        id=c.id, space_id=c.space_id, space=space_name, booking_id=c.booking_id, other_id=o_id,
        other_name=o_name, role=role, last_message=(last_text or (tr("Изображение") if c.last_message_id else ""))[:PREVIEW],
        last_message_at=c.last_message_at, unread=int(unread or 0))
        for c, role, space_name, o_id, o_name, last_text, unread in rows], total


def unread_total(session: Session, user: User | None) -> int:
    """Unread messages over all the caller's conversations (the inbox badge)."""
    if user is None:
        return 0
    return int(session.scalar(select(func.coalesce(func.sum(_unread_count()), 0))
                              .where(ConversationMember.user_id == user.id)) or 0)


class MessageOut(BaseModel):
    id: int
    sender_id: int
    mine: bool
    text: str
    has_image: bool
    image_width: int | None
    image_height: int | None
    created_at: datetime


class ThreadOut(BaseModel):
    conversation: ConversationOut | None  # None for an operator reading a reported thread
    space_id: int
    space: str
    booking_id: int | None
    renter: str
    owner: str
    items: list[MessageOut]
    has_more: bool


def list_messages(session: Session, user: User | None, conversation_id: int, *,
                  before_id: int | None = None, limit: int = 50) -> ThreadOut:
    """The newest `limit` messages (older ones page with `before_id`), oldest first."""
    conversation, member = access_conversation(session, user, conversation_id)
    limit = max(1, min(limit, 200))
    query = select(Message, MessageImage.width, MessageImage.height) \
        .outerjoin(MessageImage, MessageImage.message_id == Message.id) \
        .where(Message.conversation_id == conversation.id)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    rows = session.execute(query.order_by(Message.id.desc()).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = list(reversed(rows[:limit]))
    items = [MessageOut(id=m.id, sender_id=m.sender_id, mine=m.sender_id == user.id, text=m.text,
                        has_image=w is not None, image_width=w, image_height=h, created_at=m.created_at)
             for m, w, h in rows]
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_([conversation.renter_id, conversation.owner_id]))).all())
    space = session.get(Space, conversation.space_id)
    summary = None
    if member is not None:
        listed = list_conversations(session, user, only_id=conversation.id)[0]
        summary = listed[0] if listed else None
    return ThreadOut(conversation=summary, space_id=space.id, space=space.name, booking_id=conversation.booking_id,
                     renter=names.get(conversation.renter_id, ""), owner=names.get(conversation.owner_id, ""),
                     items=items, has_more=has_more)


def access_message_image(session: Session, user: User | None, conversation_id: int,
                         message_id: int) -> MessageImage:
    conversation, _ = access_conversation(session, user, conversation_id)
    image = session.get(MessageImage, message_id) if _valid_id(message_id) else None
    message = session.get(Message, message_id) if image is not None else None
    if message is None or message.conversation_id != conversation.id:
        raise NotFound(tr("Изображение не найдено"))
    return image


# --- unread email ----------------------------------------------------------------------------------


def do_email_unread(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """For each participant with a message from the other side unread for 15 minutes and
    not yet covered by an email, one email, at most once an hour per conversation.
    Run every minute; returns how many emails were queued."""
    now = now or datetime.now(timezone.utc)
    due = session.execute(text("""
        SELECT cm.conversation_id, cm.user_id, c.last_message_id,
               (SELECT min(m.id) FROM message m
                 WHERE m.conversation_id = cm.conversation_id AND m.id > greatest(cm.last_read_id, cm.emailed_id)
                   AND m.sender_id <> cm.user_id) AS first_unread
        FROM conversation c
        JOIN conversation_member cm ON cm.conversation_id = c.id
        WHERE c.last_message_at >= :recent
          AND c.last_message_id > greatest(cm.last_read_id, cm.emailed_id)
          AND (cm.emailed_at IS NULL OR cm.emailed_at <= :hour_ago)
        FOR UPDATE OF cm SKIP LOCKED
    """), {"recent": now - timedelta(days=7), "hour_ago": now - UNREAD_EMAIL_EVERY}).all()
    sent = 0
    for conversation_id, user_id, last_id, first_unread in due:
        if first_unread is None:
            continue
        first = session.get(Message, first_unread)
        if first.created_at > now - UNREAD_EMAIL_AFTER:
            continue
        unread = session.execute(select(Message).where(
            Message.conversation_id == conversation_id, Message.id >= first_unread,
            Message.sender_id != user_id).order_by(Message.id)).scalars().all()
        conversation = session.get(Conversation, conversation_id)
        sender = session.get(User, unread[-1].sender_id)
        recipient = session.get(User, user_id)
        space = session.get(Space, conversation.space_id)
        rows = do_notify(session, effects, recipient, "message_unread", {
            "space": space.name, "sender": sender.full_name,
            "preview": (unread[-1].text or tr("Изображение"))[:PREVIEW], "more": len(unread) - 1,
            "link": f"/inbox/{conversation_id}"},
            dedupe=f"message_unread:{conversation_id}:{user_id}:{unread[-1].id}",
            channels=(Channel.email, Channel.telegram))
        session.execute(update(ConversationMember).where(
            ConversationMember.conversation_id == conversation_id, ConversationMember.user_id == user_id)
            .values(emailed_id=unread[-1].id, emailed_at=now))
        sent += len(rows)
    session.flush()
    return sent



# --- reports, for moderators ---------------------------------------------------------------


class ReportedConversation(BaseModel):
    id: int
    space: str
    renter: str
    owner: str
    reasons: list[str]
    reported_at: datetime


def list_reported_conversations(session: Session, moderator: User | None, *,
                                limit: int = 50) -> list[ReportedConversation]:
    """Conversations with open reports, oldest report first (operators and admins)."""
    check_role(moderator, Role.operator, Role.admin)
    renter, owner = User.__table__.alias("renter"), User.__table__.alias("owner")
    rows = session.execute(
        select(Conversation.id, Space.name, renter.c.full_name, owner.c.full_name,
               func.array_agg(ConversationReport.reason), func.min(ConversationReport.created_at))
        .join(ConversationReport, ConversationReport.conversation_id == Conversation.id)
        .join(Space, Space.id == Conversation.space_id)
        .join(renter, renter.c.id == Conversation.renter_id).join(owner, owner.c.id == Conversation.owner_id)
        .where(ConversationReport.resolved_at.is_(None))
        .group_by(Conversation.id, Space.name, renter.c.full_name, owner.c.full_name)
        .order_by(func.min(ConversationReport.created_at)).limit(max(1, min(limit, 200)))).all()
    return [ReportedConversation(id=i, space=space, renter=r, owner=o, reasons=list(why), reported_at=at)
            for i, space, r, o, why, at in rows]


def do_resolve_conversation_reports(session: Session, *, moderator: User | None, conversation_id: int) -> int:
    """The moderator has dealt with it: the reports close, and with them the read access."""
    check_role(moderator, Role.operator, Role.admin)
    if not _valid_id(conversation_id) or session.get(Conversation, conversation_id) is None:
        raise NotFound(tr("Переписка не найдена"))
    result = session.execute(update(ConversationReport).where(
        ConversationReport.conversation_id == conversation_id, ConversationReport.resolved_at.is_(None))
        .values(resolved_at=datetime.now(timezone.utc), resolved_by=moderator.id))
    return result.rowcount or 0
