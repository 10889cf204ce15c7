"""The Telegram bot: a second front end over the same services as the web app
(docs/telegram.md). Run as its own process, `python -m coworking_app.bot`.

- app.py: the process (long polling, or a webhook with TELEGRAM_WEBHOOK_URL), its handlers
  and the outbox task;
- start.py (/start, linking with a code, the menu, help), search.py (city, district or
  metro, filters, result cards), booking.py (resource, calendar, time, seats, add-ons, the
  price, the payment link), cabinet.py ("Мои брони": cancel with the refund, receipt,
  .ics; owners accept or decline);
- dialog.py: where a chat is in a dialogue, kept in Redis (restarts and several bot
  processes lose nothing); callback data carry only short ids into it;
- calls.py: services run in worker threads (the bot's loop never waits on the database);
- ui.py: keyboards, the month calendar, sending and editing messages within Telegram's limits;
- outbox.py: the only sender of queued messages (notices of linked chats, operator alerts),
  within Telegram's rate limits.
Like every adapter it holds no rule and no query: it imports services, never models or SQL
(tests/unit/test_architecture.py).
"""
