"""What operators and admins do to accounts: block/unblock, roles, creating accounts.

- Operators and admins block and unblock renters and owners; only an admin blocks staff.
  Blocking signs the person out everywhere at once (their sessions are revoked).
- Only admins change roles. Nobody blocks themselves or removes their own admin role, so
  the network cannot lock itself out.
"""

from __future__ import annotations

from sqlmodel import Session

from coworking_app.services.accounts.signup import do_create_staff
from coworking_app.services.accounts.sessions import do_sign_out_everywhere
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import InvalidInput, NotFound, PermissionDenied
from models import Role, User
from coworking_app.i18n import tr


def access_user_for_staff(session: Session, staff: User | None, user_id: int) -> tuple[User, User]:
    staff = check_role(staff, Role.operator, Role.admin)
    target = session.get(User, user_id, with_for_update=True) if 0 < user_id < 2**31 else None
    if target is None:
        raise NotFound(tr("Пользователь не найден"))
    return staff, target


def do_set_user_blocked(session: Session, staff: User | None, user_id: int, blocked: bool) -> User:
    staff, target = access_user_for_staff(session, staff, user_id)
    if target.id == staff.id:
        raise InvalidInput("blocked", tr("Себя заблокировать нельзя"))
    if target.is_staff and not staff.has_role(Role.admin):
        raise PermissionDenied(tr("Операторов и администраторов блокирует только администратор"))
    target.is_active = not blocked
    session.add(target)
    session.flush()
    if blocked:
        do_sign_out_everywhere(session, target)
    return target


def check_roles(roles: list[str]) -> list[str]:
    known = [r.value for r in Role]
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise InvalidInput("roles", tr("Нет таких ролей: {value}. Допустимые значения: {join}", value=', '.join(unknown)[:60], join=', '.join(known)))
    clean = [r for r in known if r in roles]  # canonical order, no repeats
    if not clean:
        raise InvalidInput("roles", tr("Нужна хотя бы одна роль"))
    return clean


def do_set_user_roles(session: Session, admin: User | None, user_id: int, roles: list[str]) -> User:
    admin = check_role(admin, Role.admin)
    clean = check_roles(roles)
    _admin, target = access_user_for_staff(session, admin, user_id)
    if target.id == admin.id and Role.admin.value not in clean:
        raise InvalidInput("roles", tr("Свою роль администратора снять нельзя"))
    target.roles = clean
    session.add(target)
    session.flush()
    return target


def do_create_account(session: Session, admin: User | None, *, email: str, password: str, full_name: str,
                      role: str) -> User:
    """An admin opens an account for an operator, an owner or a renter (email verified)."""
    check_role(admin, Role.admin)
    (role_value,) = check_roles([role])
    return do_create_staff(session, email=email, password=password, full_name=full_name, role=Role(role_value))
