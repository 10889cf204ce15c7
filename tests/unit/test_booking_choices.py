"""The time pickers offer only starts with room and ends within the duration limits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coworking_app.services.booking.availability import Slot, end_choices, start_choices
from models import Resource

T0 = datetime(2030, 1, 7, 9, tzinfo=timezone.utc)


def _slots(free: list[int]) -> list[Slot]:
    step = timedelta(minutes=30)
    return [Slot(start=T0 + i * step, end=T0 + (i + 1) * step, free_seats=f) for i, f in enumerate(free)]


def test_starts_need_room_and_ends_stop_at_a_full_slot_and_the_limits():
    slots = _slots([2, 2, 2, 2, 0, 2, 2])
    assert [s.start for s in start_choices(slots, 2, now=T0 - timedelta(hours=1))] == \
        [slots[i].start for i in (0, 1, 2, 3, 5, 6)]
    assert start_choices(slots, 3, now=T0) == []
    desk = Resource(space_id=1, kind="hot_desk", name="d", capacity=2, min_minutes=60, max_minutes=90)
    # From 09:00: 60 and 90 minutes; 120 is over the maximum, and 10:00-10:30 is full anyway.
    assert end_choices(slots, desk, T0, 2) == [T0 + timedelta(minutes=60), T0 + timedelta(minutes=90)]
    # From 10:30: 30 minutes is under the minimum and the 11:00 slot is full.
    assert end_choices(slots, desk, T0 + timedelta(minutes=90), 1) == []
