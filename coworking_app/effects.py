"""What a use case causes besides its own rows: the after-commit effects a service adds.

A service that queues a job, tells someone's open tabs, drops a cached page or writes a
booking notice says so in its signature: it takes an `Effects` (services that take only a
`Session` cause none of these). The unit of work (coworking_app/uow.py) that runs the use
case owns the object: it writes the booking notices as the last step of the transaction and
does everything else only after a successful commit, all of it in one Redis round trip per
Redis database; a rollback forgets it all.

Plain data, no imports of the project: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Job:
    """An RQ job: `func` is a dotted path ("jobs.booking.expire_hold"); `at` schedules it
    (RQ's scheduler runs it then); `job_id` de-duplicates; `retry_intervals` are RQ's
    retries (seconds before each)."""

    func: str
    args: tuple
    at: datetime | None = None
    job_id: str | None = None
    retry_intervals: tuple[int, ...] = ()
    timeout: int = 120
    queue: str | None = None  # another RQ queue than the default (jobs/__init__.py names them)


@dataclass(frozen=True, slots=True)
class Publish:
    """A realtime event (JSON-able, with at least "type") for one person's open tabs."""

    user_id: int
    event: dict


@dataclass(frozen=True, slots=True)
class BookingNotice:
    """A booking change whose notices are written at commit, so they see the transaction's
    final state (a cancellation's refund, say). `keep` holds rows the writer will read,
    referenced until then (the session's identity map holds rows only weakly)."""

    booking: Any  # models.Booking
    action: str
    actor_role: str
    keep: tuple = ()


@dataclass(slots=True)
class Effects:
    """The after-commit effects of one transaction (see the module's docstring)."""

    jobs: list[Job] = field(default_factory=list)
    cancelled_jobs: list[str] = field(default_factory=list)
    publishes: list[Publish] = field(default_factory=list)
    cache_keys: set[str] = field(default_factory=set)
    booking_notices: list[BookingNotice] = field(default_factory=list)
    batched: dict[str, list] = field(default_factory=dict)
    counts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def queue_job(self, func: str, *args: object, at: datetime | None = None, job_id: str | None = None,
                  retry_intervals: list[int] | tuple[int, ...] = (), timeout: int = 120,
                  queue: str | None = None) -> None:
        self.jobs.append(Job(func, args, at, job_id, tuple(retry_intervals), timeout, queue))

    def queue_batched(self, name: str, *items: int) -> None:
        """Ids for the batched work list `name` (coworking_app/batches.py): pushed after
        commit, handled many at a time by one job (jobs/batches.py names the lists)."""
        self.batched.setdefault(name, []).extend(items)

    def count(self, metric: str, *labels: str) -> None:
        """One more of `metric` (coworking_app.metrics names them) with `labels`, counted
        only if the transaction commits: a rolled-back booking was never made."""
        self.counts.append((metric, labels))

    def cancel_jobs(self, *job_ids: str) -> None:
        """Scheduled jobs to remove (a cancelled booking's reminders); a job that runs anyway
        must find nothing to do."""
        self.cancelled_jobs.extend(job_ids)

    def publish(self, user_id: int, event: dict) -> None:
        self.publishes.append(Publish(user_id, event))

    def drop_cache(self, *keys: str) -> None:
        self.cache_keys.update(keys)

    def add_booking_notice(self, booking, action: str, *, actor_role: str, keep: tuple = ()) -> None:
        self.booking_notices.append(BookingNotice(booking, action, actor_role, keep))

    def after_commit(self) -> bool:
        """Whether anything is left to do once the transaction has committed."""
        return bool(self.jobs or self.cancelled_jobs or self.batched or self.publishes or self.cache_keys
                    or self.counts)

    def clear(self) -> None:
        self.jobs.clear()
        self.cancelled_jobs.clear()
        self.publishes.clear()
        self.cache_keys.clear()
        self.booking_notices.clear()
        self.batched.clear()
        self.counts.clear()
