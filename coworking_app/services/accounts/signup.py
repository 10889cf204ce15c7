"""Creating accounts: sign-up in two steps (the form, then the code or link mailed to the
address, answered alike whether or not the address is taken), accounts made at once (demo
data, tests: do_register) and staff accounts (do_create_staff), and the sign-up mails.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts import ratelimit
from coworking_app.services.accounts.identity import (
    ClientInfo,
    check_email,
    check_full_name,
    check_phone,
    find_user_by_email,
    utcnow,
)
from coworking_app.services.accounts.lifecycle import do_send_email_verification
from coworking_app.services.accounts.passwords import check_password
from coworking_app.services.accounts.security import digest, hash_password, new_code, new_token
from coworking_app.services.common.errors import Conflict, InvalidInput
from coworking_app.services.messaging import mailer
from coworking_app.settings import get_settings
from models import Role, SignUpRequest, User
from coworking_app import i18n
from coworking_app.i18n import N_, tr

SIGN_UP_ROLES = (Role.renter, Role.owner)
EMAIL_TAKEN = N_("Этот email уже зарегистрирован")
WRONG_SIGN_UP_CODE = N_("Неверный код или срок его действия истёк")
SIGN_UP_CODE_TRIES = 5  # wrong codes per sign-up; then only the link in the mail works
SIGN_UP_PER_EMAIL_PER_HOUR = 5  # sign-up mails to one address (a free or a taken one)


def check_sign_up(*, email: str, password: str, full_name: str, phone: str | None,
                  role: str, accepted_terms: bool) -> tuple[str, str, str | None]:
    """(email, full name, phone) normalised, or InvalidInput naming the first bad field.
    Says nothing about whether the address is taken."""
    email = check_email(email)
    full_name = check_full_name(full_name)
    phone = check_phone(phone)
    check_password(password, email)
    if role not in {r.value for r in SIGN_UP_ROLES}:
        raise InvalidInput("role", tr("Выберите: арендатор или владелец"))
    if not accepted_terms:
        raise InvalidInput("accepted_terms", tr("Нужно согласие с условиями сервиса"))
    return email, full_name, phone


def _add_user(session: Session, *, email: str, full_name: str, phone: str | None,
              password_hash: str, role: str, verified: bool) -> User:
    user = User(email=email, full_name=full_name, phone=phone, password_hash=password_hash,
                roles=[role], password_changed_at=utcnow(), language=i18n.current(),  # the sign-up's
                email_verified_at=utcnow() if verified else None)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise Conflict("email", EMAIL_TAKEN) from exc
    return user


def do_register(
    session: Session,
    effects: Effects,
    *,
    email: str,
    password: str,
    full_name: str,
    phone: str | None = None,
    role: str = Role.renter.value,
    accepted_terms: bool = True,
) -> User:
    """An account created at once, its email still to be verified: demo data, tests, the
    bench. Conflict("email") if the address is taken (any case). People sign up through
    do_request_sign_up, which answers the same whether or not the address is taken."""
    email, full_name, phone = check_sign_up(email=email, password=password, full_name=full_name,
                                            phone=phone, role=role, accepted_terms=accepted_terms)
    if find_user_by_email(session, email):
        raise Conflict("email", EMAIL_TAKEN)
    user = _add_user(session, email=email, full_name=full_name, phone=phone,
                     password_hash=hash_password(password), role=role, verified=False)
    do_send_email_verification(session, effects, user)
    return user


def _sign_up_code_hash(email: str, code: str) -> str:
    return digest(f"sign-up:{email.lower()}:{code}")


def do_request_sign_up(
    session: Session,
    effects: Effects,
    *,
    email: str,
    password: str,
    full_name: str,
    phone: str | None = None,
    role: str = Role.renter.value,
    accepted_terms: bool = True,
    next_path: str = "",
    client: ClientInfo = ClientInfo(),
) -> str:
    """Sign-up, step 1: checks the form and mails the address; returns the normalised
    address. The same work, answer and mail count whether or not the address is taken
    (Argon2 hash, one sign_up_request row, one mail queued): a free address gets a code and
    a link that create the account (do_confirm_sign_up), a taken one a note to its owner.
    RateLimited per client address and per email (mail bombing)."""
    settings = get_settings()
    email, full_name, phone = check_sign_up(email=email, password=password, full_name=full_name,
                                            phone=phone, role=role, accepted_terms=accepted_terms)
    limits = [(f"sign-up:email:{email.lower()}", SIGN_UP_PER_EMAIL_PER_HOUR)]
    if client.ip:
        limits.append((f"sign-up:ip:{client.ip}", settings.signups_per_ip_per_hour))
    ratelimit.do_take(limits, window_seconds=3600,
                      message=tr("Слишком много регистраций, попробуйте позже"))
    password_hash = hash_password(password)
    owner = find_user_by_email(session, email)
    hours = settings.email_verification_hours
    row = SignUpRequest(email=email, subject="", body="", next_path=(next_path or "")[:200],
                        expires_at=utcnow() + timedelta(hours=hours))
    if owner is None:
        code, token = new_code(), new_token()
        link = f"{settings.base_url}/signup/confirm?token={token}"
        row.kind, row.full_name, row.phone, row.role = "new", full_name, phone, role
        row.password_hash, row.code_hash, row.link_hash = (password_hash, _sign_up_code_hash(email, code),
                                                           digest(token))
        row.subject = tr("Код {code} — подтвердите email в CoSpace", code=code)
        row.body = (tr("Здравствуйте, {full_name}!\n\nВаш код подтверждения: {code}\n\nВведите его на странице регистрации или откройте ссылку:\n{link}\n\nКод и ссылка действуют {hours} ч. Если вы не регистрировались в CoSpace, просто удалите это письмо.", full_name=full_name, code=code, link=link, hours=hours))
    else:
        row.kind = "taken"
        base = settings.base_url
        with i18n.use(owner.language):
            row.subject = tr("Попытка регистрации в CoSpace с вашим адресом")
            row.body = (tr("Здравствуйте, {full_name}!\n\nКто-то (возможно, вы) пытался зарегистрироваться в CoSpace с этим адресом, но у вас уже есть аккаунт.\n\nВойти: {base}/login\nЗабыли пароль? Восстановите его: {base}/reset-password\n\nЕсли это были не вы, ничего делать не нужно: новый аккаунт не создан, ваш пароль не изменился.", full_name=owner.full_name, base=base))
    session.add(row)
    session.flush()
    effects.queue_job("jobs.accounts.send_sign_up_mail", row.id, job_id=f"sign-up-mail-{row.id}",
                      retry_intervals=(10, 60, 300, 1800, 7200))
    return email


def do_confirm_sign_up(session: Session, *, email: str = "", code: str = "",
                       token: str = "") -> tuple[User, str]:
    """Sign-up, step 2: the code typed with its address, or the link's token, creates the
    account (email verified, as the mail reached its owner). Returns (user, where the person
    was going). A wrong code is counted against every pending sign-up of the address;
    InvalidInput("code"/"token") for a wrong, used or expired one, the same whether or not
    the address was free; Conflict("email") if the address got an account meanwhile."""
    now = utcnow()
    pending = (select(SignUpRequest).where(SignUpRequest.kind == "new",
                                           SignUpRequest.confirmed_at.is_(None),
                                           SignUpRequest.expires_at > now).with_for_update())
    if token:
        row = session.scalars(pending.where(SignUpRequest.link_hash == digest(token[:200]))).first()
        if row is None:
            raise InvalidInput("token", tr("Ссылка недействительна или устарела: зарегистрируйтесь снова"))
    else:
        try:
            email = check_email(email)
        except InvalidInput as exc:
            raise InvalidInput("code", WRONG_SIGN_UP_CODE) from exc
        code = "".join(ch for ch in (code or "")[:32] if not ch.isspace())
        rows = list(session.scalars(pending.where(
            func.lower(SignUpRequest.email) == email.lower(),
            SignUpRequest.failed_codes < SIGN_UP_CODE_TRIES)))
        wanted = _sign_up_code_hash(email, code)
        row = next((r for r in rows if r.code_hash == wanted), None) if code.isdigit() else None
        if row is None:
            for other in rows:
                other.failed_codes += 1
            raise InvalidInput("code", WRONG_SIGN_UP_CODE).keeping_changes()
    row.confirmed_at = now
    if find_user_by_email(session, row.email):
        raise Conflict("email", tr("{EMAIL_TAKEN}: войдите или восстановите пароль", EMAIL_TAKEN=EMAIL_TAKEN)).keeping_changes()
    user = _add_user(session, email=row.email, full_name=row.full_name, phone=row.phone,
                     password_hash=row.password_hash, role=row.role, verified=True)
    row.password_hash = ""  # the account holds it now
    return user, row.next_path


def do_purge_sign_up_requests(session: Session) -> int:
    """Forgets sign-ups whose code and link have expired (with the password hash they kept)."""
    return session.execute(delete(SignUpRequest).where(SignUpRequest.expires_at < utcnow())).rowcount


def recent_sign_up_mails(session: Session, limit: int = 10) -> list[SignUpRequest]:
    """The latest sign-up mails (the CLI `outbox` command, development)."""
    return list(session.scalars(select(SignUpRequest).order_by(SignUpRequest.id.desc()).limit(limit)))


def do_send_sign_up_mail(session: Session, request_id: int) -> str:
    """Sends a sign-up request's mail once: "sent", "skipped: ..." or "retry: <error>"."""
    row = session.get(SignUpRequest, request_id, with_for_update=True)
    if row is None:
        return "skipped: no such sign-up"
    if row.sent_at is not None:
        return "skipped: already sent"
    try:
        mailer.send(mailer.Mail(to=row.email, subject=row.subject, text=row.body))
    except mailer.TransientMailError as exc:
        return f"retry: {exc}"
    except mailer.MailError as exc:
        return f"failed: {exc}"
    row.sent_at = utcnow()
    return "sent"


def do_create_staff(session: Session, *, email: str, password: str, full_name: str,
                    role: Role = Role.admin) -> User:
    """Operators and admins (CLI `create-admin`, or an admin in the panel)."""
    email = check_email(email)
    check_password(password, email)
    user = find_user_by_email(session, email)
    if user is None:
        user = User(email=email, full_name=check_full_name(full_name), roles=[role.value],
                    password_hash=hash_password(password), email_verified_at=utcnow(),
                    password_changed_at=utcnow())
        session.add(user)
    elif role.value not in user.roles:
        user.roles = [*user.roles, role.value]
    session.flush()
    return user
