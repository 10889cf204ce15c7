"""Which backups to keep: grandfather-father-son, a pure function over the dumps' times.

Kept: the newest dump of each of the last DAILY calendar days, of each of the last WEEKLY ISO
weeks and of each of the last MONTHLY calendar months, counted back from `now` (the current
day, week and month included), in UTC like the names of the dumps. A dump may be kept for
more than one reason (today's newest is also this week's and this month's). Besides, the
newest dump of all is always kept (backups that stopped for a year must not end with an
empty store), and dumps from the future (a clock set wrong) are never deleted here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

DAILY = 7
WEEKLY = 4
MONTHLY = 12

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# coworking-<database>-20261204T031500Z.dump
DUMP_NAME = re.compile(r"^coworking-(?P<database>.+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")


@dataclass(frozen=True)
class DumpName:
    name: str
    database: str
    taken_at: datetime  # UTC


def dump_name(database: str, taken_at: datetime) -> str:
    """coworking-<database>-<UTC time>.dump"""
    return f"coworking-{database}-{taken_at.astimezone(timezone.utc).strftime(STAMP_FORMAT)}{DUMP_SUFFIX}"


def parse_dump_name(name: str) -> DumpName | None:
    """The database and time in a dump's file name (without folders); None for other files."""
    match = DUMP_NAME.match(name)
    if not match:
        return None
    try:
        taken = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return DumpName(name, match["database"], taken)


def _month_back(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + (day.month - 1) - months
    return index // 12, index % 12 + 1


def keep(moments: Iterable[datetime], now: datetime, daily: int = DAILY, weekly: int = WEEKLY,
         monthly: int = MONTHLY) -> set[datetime]:
    """The moments (aware datetimes) of the dumps to keep; every other one may be deleted."""
    moments = sorted({m.astimezone(timezone.utc) for m in moments})
    if not moments:
        return set()
    now = now.astimezone(timezone.utc)
    today = now.date()
    days = {today - timedelta(days=i) for i in range(daily)}
    weeks = {(today - timedelta(weeks=i)).isocalendar()[:2] for i in range(weekly)}
    months = {_month_back(today, i) for i in range(monthly)}
    newest: dict[tuple, datetime] = {}  # bucket -> its newest moment (moments ascend)
    kept = {moments[-1]}
    for moment in moments:
        if moment > now:
            kept.add(moment)
            continue
        day = moment.date()
        if day in days:
            newest[("d", day)] = moment
        if day.isocalendar()[:2] in weeks:
            newest[("w", day.isocalendar()[:2])] = moment
        if (day.year, day.month) in months:
            newest[("m", day.year, day.month)] = moment
    return kept | set(newest.values())


def expired(names: Iterable[str], now: datetime) -> list[str]:
    """Of these dump file names, the ones retention deletes (per database: dumps of two
    databases in one store do not crowd each other out), oldest first. Other names are
    never in the answer."""
    by_database: dict[str, list[DumpName]] = {}
    for name in names:
        parsed = parse_dump_name(name)
        if parsed:
            by_database.setdefault(parsed.database, []).append(parsed)
    out: list[DumpName] = []
    for dumps in by_database.values():
        kept = keep([d.taken_at for d in dumps], now)
        out += [d for d in dumps if d.taken_at not in kept]
    return [d.name for d in sorted(out, key=lambda d: (d.taken_at, d.name))]
