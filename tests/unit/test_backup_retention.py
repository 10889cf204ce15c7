"""Backup retention (services/ops/retention.py): 7 daily, 4 weekly (ISO), 12 monthly, the
newest dump of each; the newest of all always; names parsed and made alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coworking_app.services.ops.retention import dump_name, expired, keep, parse_dump_name

UTC = timezone.utc
NOW = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)  # a Friday, ISO week 49


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_nightly_dumps_for_two_years_keep_7_days_4_weeks_12_months():
    nightly = [NOW - timedelta(days=i) for i in range(730)]
    kept = keep(nightly, NOW)
    days = {NOW - timedelta(days=i) for i in range(7)}  # Dec 4 .. Nov 28
    # Newest of ISO weeks 49 (today), 48, 47, 46: Sundays Nov 29 (already a daily), 22, 15.
    weeks = {at(2026, 11, 22, 2, 30), at(2026, 11, 15, 2, 30)}
    # Newest of each month Jan..Dec 2026: the last night of each earlier month.
    months = {at(2026, m, 1, 2, 30) - timedelta(days=1) for m in range(2, 13)}
    assert kept == days | weeks | months | {NOW}
    assert len(kept) == 7 + 2 + 10  # November's last night (Nov 30) is one of the 7 days
    assert min(kept) == at(2026, 1, 31, 2, 30)


def test_the_newest_of_a_day_week_month_is_kept_and_earlier_ones_of_it_are_not():
    moments = [at(2026, 12, 4, 0, 5), at(2026, 12, 4, 1, 0), NOW,  # three today
               at(2026, 10, 3, 2, 30), at(2026, 10, 20, 2, 30)]  # two in October, outside the weeks
    assert keep(moments, NOW) == {NOW, at(2026, 10, 20, 2, 30)}


def test_a_year_old_only_dump_is_kept_and_future_ones_are_never_deleted():
    old = at(2024, 5, 1)
    assert keep([old], NOW) == {old}
    assert keep([old, at(2024, 4, 1)], NOW) == {old}  # the newest of all, not the older one
    future = NOW + timedelta(hours=3)
    assert future in keep([future, NOW], NOW)


def test_weeks_are_iso_weeks_across_a_year_end():
    now = at(2027, 1, 6, 3)  # Wednesday of ISO week 2027-W01 (starts Monday Jan 4)
    sunday = at(2027, 1, 3, 3)  # 2026-W53
    assert sunday.isocalendar()[:2] == (2026, 53)
    moments = [at(2026, 12, 13, 3), at(2026, 12, 14, 3), at(2026, 12, 20, 3), at(2026, 12, 27, 3), sunday]
    kept = keep(moments, now, daily=1, weekly=4, monthly=1)
    # Weeks 2027-W01 (no dump), 2026-W53, W52, W51: Sundays Jan 3, Dec 27, Dec 20; W50's Dec 13 goes.
    assert kept == {sunday, at(2026, 12, 27, 3), at(2026, 12, 20, 3)}


def test_names_round_trip_and_retention_works_per_database_on_names():
    name = dump_name("coworking", at(2026, 12, 4, 3, 15))
    assert name == "coworking-coworking-20261204T031500Z.dump"
    parsed = parse_dump_name(name)
    assert parsed.database == "coworking" and parsed.taken_at == at(2026, 12, 4, 3, 15)
    assert parse_dump_name("coworking-x-20261204T031500Z.dump.json") is None
    assert parse_dump_name(".tmp-coworking-x-20261204T031500Z.dump.abc") is None
    assert parse_dump_name("coworking-x-20261399T031500Z.dump") is None  # no such date

    names = [dump_name(db, NOW - timedelta(days=i)) for db in ("main", "other") for i in range(40)]
    names += ["notes.txt"]
    gone = expired(names, NOW)
    assert "notes.txt" not in gone
    for db in ("main", "other"):
        left = [n for n in names if n.startswith(f"coworking-{db}-") and n not in gone]
        # 7 days, Sundays Nov 22 and Nov 15 (weeks 47, 46), Oct 31 (October's last night)
        assert len(left) == 10, left
    assert [parse_dump_name(n).taken_at for n in gone] == sorted(parse_dump_name(n).taken_at for n in gone)
