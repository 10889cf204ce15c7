"""Command line: `python -m coworking_app.cli <command>`. Thin adapter over the services."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from coworking_app.db import get_engine, read_scope
from coworking_app.uow import run_use_case
from coworking_app.i18n import tr


def _create_db(args: argparse.Namespace) -> int:
    """Create the configured database if it does not exist yet."""
    from coworking_app.services.admin.maintenance import do_create_database
    from coworking_app.settings import get_settings

    setup = do_create_database(get_settings().database_url)
    if setup.created:
        print(f"created database {setup.name}")
    if not setup.postgis_available:
        print("PostGIS is not installed for this PostgreSQL server: install the package "
              "postgresql-15-postgis-3 (Debian: apt-get install -y postgresql-15-postgis-3)",
              file=sys.stderr)
        return 1
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from coworking_app.demo.seed import seed_demo

    started = time.monotonic()
    report = run_use_case(seed_demo)
    print(
        f"demo data: {report.cities} cities, {report.districts} districts, {report.stops} stops, "
        f"{report.amenities} amenities; {report.spaces_created} new spaces, "
        f"{report.spaces_assigned} spaces handed to their chain's owner, "
        f"{report.photos} new photos, {report.reviews} demo reviews ({time.monotonic() - started:.1f}s)"
    )
    return 0


def _seed_scale(args: argparse.Namespace) -> int:
    from coworking_app.demo.scale import seed_scale
    from coworking_app.services.admin.maintenance import do_vacuum_after_bulk_load

    if args.spaces < 1 or args.spaces > 2_000_000:
        print("--spaces must be between 1 and 2000000", file=sys.stderr)
        return 2
    started = time.monotonic()
    created = run_use_case(lambda session, _effects: seed_scale(session, args.spaces, seed=args.seed))
    do_vacuum_after_bulk_load(get_engine())
    print(f"synthetic spaces: {created} created ({time.monotonic() - started:.1f}s)")
    return 0


def _set_status(args: argparse.Namespace) -> int:
    from coworking_app.services.common.errors import InvalidInput, NotFound
    from coworking_app.services.catalog.spaces import do_set_space_status
    from models import SpaceStatus

    try:
        space = run_use_case(lambda session, effects: do_set_space_status(
            session, effects, args.space_id, SpaceStatus(args.status)))
        print(f"space {space.id} is now {space.status}")
    except NotFound:
        print(f"space {args.space_id} not found", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"{exc.field}: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _create_staff(args: argparse.Namespace) -> int:
    from coworking_app.services.accounts.signup import do_create_staff
    from coworking_app.services.common.errors import InvalidInput
    from models import Role

    role = Role.admin if args.command == "create-admin" else Role.operator
    try:
        user = run_use_case(lambda session, _effects: do_create_staff(
            session, email=args.email, password=args.password, full_name=args.name, role=role))
        print(f"{role.value} {user.email} (id {user.id}), roles: {', '.join(user.roles)}")
    except InvalidInput as exc:
        print(f"{exc.field}: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from coworking_app.services.admin.maintenance import latest_mails

    with read_scope() as session:
        for mail in latest_mails(session, args.limit):
            print(f"--- {mail.name} {mail.created_at:%Y-%m-%d %H:%M} [{mail.status}] to {mail.to}: {mail.subject}")
            print(mail.body)
    return 0


def _backup(args: argparse.Namespace) -> int:
    """Dumps the database into the backup store; the dump's path or key is the last line."""
    from coworking_app.services.ops.backup import do_backup

    try:
        result = do_backup()
    except Exception as exc:  # noqa: BLE001 (logged, recorded and alerted by do_backup)
        print(tr("Резервная копия не создана: {exc}", exc=exc), file=sys.stderr)
        return 1
    print(tr("копия: {size_bytes} байт, таблиц: {len}; удалено старых копий: {len2}", size_bytes=result.size_bytes, len=len(result.tables), len2=len(result.deleted)))
    print(result.location)
    return 0


def _restore(args: argparse.Namespace) -> int:
    """Restores a dump into a new database and verifies it (exit 2: refused, nothing left
    behind; 1: the verification failed or the restore broke)."""
    from coworking_app.services.common.errors import InvalidInput
    from coworking_app.services.ops.backup import BackupError, do_restore

    try:
        report = do_restore(args.source, args.database, force=args.force)
    except InvalidInput as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 (a failure of the server or the store, said in Russian)
        logging.getLogger(__name__).exception("Restore failed")
        print(tr("Восстановление не удалось: {name__}: {exc}", name__=type(exc).__name__, exc=exc), file=sys.stderr)
        return 1
    width = max([len(tr("таблица"))] + [len(t.table) for t in report.tables])
    print(f"{tr('таблица'):<{width}}  {tr('в копии'):>10}  {tr('восстановлено'):>13}")
    for t in report.tables:
        shown = ["—" if n is None else str(n) for n in (t.expected, t.restored)]
        print(f"{t.table:<{width}}  {shown[0]:>10}  {shown[1]:>13}{'' if t.ok else '  ≠'}")
    print(tr("миграции: {value} ({value2})", value=', '.join(sorted(report.versions)) or 'нет', value2='последняя версия' if report.migrations_at_head else 'в коде ' + ', '.join(sorted(report.heads))))
    if not report.ok:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        print(tr("Проверка не пройдена; база {database} оставлена для разбора", database=report.database), file=sys.stderr)
        return 1
    print(tr("База {database} восстановлена из {source} и проверена", database=report.database, source=report.source))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coworking_app.cli")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("create-db", help="create the database if missing")
    commands.add_parser("seed-demo", help="load the demo cities and spaces (idempotent)")

    scale = commands.add_parser("seed-scale", help="add N synthetic spaces for benchmarks")
    scale.add_argument("--spaces", type=int, default=100_000)
    scale.add_argument("--seed", type=int, default=1)

    status = commands.add_parser("set-space-status", help="publish, hide or unpublish a space")
    status.add_argument("space_id", type=int)
    status.add_argument("status", choices=["draft", "pending_review", "published", "hidden"])

    for name in ("create-admin", "create-operator"):
        staff = commands.add_parser(name, help=f"create a {name.split('-')[1]} account (or add the role)")
        staff.add_argument("--email", required=True)
        staff.add_argument("--password", required=True)
        staff.add_argument("--name", default=tr("Администратор"))

    outbox = commands.add_parser("outbox", help="print the latest queued emails (development)")
    outbox.add_argument("--limit", type=int, default=10)

    commands.add_parser("backup", help="dump the database into BACKUP_DIR or the backup bucket")
    restore = commands.add_parser("restore", help="restore a dump into a new database and verify it")
    restore.add_argument("source", metavar="PATH_OR_KEY", help="a dump's path, name or S3 key")
    restore.add_argument("--database", required=True, help="the new database ([a-z_][a-z0-9_]*)")
    restore.add_argument("--force", action="store_true", help="drop that database first if it exists")

    args = parser.parse_args(argv)
    handler = {"create-db": _create_db, "seed-demo": _seed_demo, "seed-scale": _seed_scale,
               "set-space-status": _set_status, "create-admin": _create_staff,
               "create-operator": _create_staff, "outbox": _outbox,
               "backup": _backup, "restore": _restore}
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
