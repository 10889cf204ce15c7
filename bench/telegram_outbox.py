"""The bot's outbox under load: many notices for many linked chats, sent by the real bot
process to the local fake Bot API (tests/telegram_fake.py). Prints how fast the backlog
drains, the busiest second against Telegram's 30 messages/s, the closest two messages to
one chat against its 1/s, and what claiming a batch costs the database (p50/p95).

`make bench-telegram` (its own database and Redis databases)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coworking_app.db import get_engine  # noqa: E402
from coworking_app.services.accounts.signup import do_register  # noqa: E402
from coworking_app.bot.outbox import BATCH  # noqa: E402
from coworking_app.services.messaging import telegram  # noqa: E402
from coworking_app.services.messaging.notifications import Notice, do_notify_many  # noqa: E402
from coworking_app.uow import UnitOfWork, run_use_case  # noqa: E402
from models import Channel  # noqa: E402
from tests.telegram_fake import TOKEN, FakeBotApi  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", 150))
NOTICES_EACH = int(os.environ.get("BENCH_NOTICES_EACH", 3))
CHAT_BASE = 9_100_000_000


def setup() -> int:
    with get_engine().begin() as conn:
        conn.exec_driver_sql("DELETE FROM notification WHERE channel = 'telegram'")
        conn.exec_driver_sql("DELETE FROM app_user WHERE email LIKE 'tg-bench-%%'")
    stamp = int(time.time())

    def people(s, fx):
        made = []
        for n in range(PEOPLE):
            user = do_register(s, fx, email=f"tg-bench-{stamp}-{n}@example.com", password="Bench-Pass-2026-x",
                               full_name=f"Читатель {n}", role="renter")
            user.telegram_chat_id, user.telegram_name = CHAT_BASE + n, f"chat {n}"
            made.append(user)
        s.flush()
        return made

    users = run_use_case(people)
    notices = [Notice(u, "booking_confirmed",
                      {"id": 1000 + i, "space": "Коворкинг «Нагрузка»", "resource": "Стол", "when": "05.12.2026, 10:00–12:00",
                       "link": "/cabinet/bookings"}, f"bench-{stamp}-{u.id}-{i}")
               for u in users for i in range(NOTICES_EACH)]
    run_use_case(lambda s, fx: do_notify_many(s, fx, notices, channels=(Channel.telegram,)))
    return len(notices)


def claim_costs(rounds: int = 40) -> tuple[float, float]:
    """Claiming a batch (the outbox's size) from a backlog (rolled back: nothing is sent)."""
    times = []
    for _ in range(rounds):
        with UnitOfWork() as uow:
            started = time.perf_counter()
            uow.session.connection()
            telegram.claim_outgoing(uow.session, limit=BATCH)
            times.append((time.perf_counter() - started) * 1000)
            uow.session.rollback()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    total = setup()
    p50, p95 = claim_costs()
    with FakeBotApi() as fake:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": fake.url,
               "TELEGRAM_OUTBOX_POLL_SECONDS": "0.2", "PUBLIC_URL": "https://cospace.example"}
        bot = subprocess.Popen([sys.executable, "-m", "coworking_app.bot"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            fake.wait_for("setMyCommands", timeout=60)
            started = time.monotonic()
            deadline = started + 600
            while len([c for c in fake.of("sendMessage") if (c.chat_id or 0) >= CHAT_BASE]) < total:
                if time.monotonic() > deadline:
                    raise SystemExit("the backlog did not drain in 10 minutes")
                time.sleep(0.2)
            elapsed = time.monotonic() - started
        finally:
            bot.terminate()
            bot.wait(timeout=15)
    sent = [c for c in fake.of("sendMessage") if (c.chat_id or 0) >= CHAT_BASE]
    per_second: dict[int, int] = defaultdict(int)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in sent:
        per_second[int(call.at - started)] += 1
        per_chat[call.chat_id].append(call.at)
    closest = min((b - a for times in per_chat.values() for a, b in zip(sorted(times), sorted(times)[1:])),
                  default=float("inf"))
    print(f"telegram outbox: {total} notices to {PEOPLE} chats ({NOTICES_EACH} each)")
    print(f"  drained in {elapsed:.1f} s: {total / elapsed:.1f} messages/s (Telegram allows about 30/s)")
    print(f"  busiest second: {max(per_second.values())} messages; closest two in one chat: {closest:.2f} s (limit 1 s)")
    print(f"  claiming a batch of {BATCH} from the backlog: p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
