"""Reflex event handling time by handler, for coworking_reflex_event_duration_seconds.

Reflex 0.10 has no hook around a whole event (its middleware gets only a `preprocess` call
before the handler), so this wraps the one method that runs an event: it loads the state
under its lock, runs the handler and saves the state (`BaseStateEventProcessor._execute_event`).
A private method: tests/browser/test_browser_metrics.py checks the family fills after a
page's events, so an upgrade that renames it fails the suite instead of silently measuring
nothing.
"""

from __future__ import annotations

import time

from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor

from coworking_app import metrics


def measure_events() -> None:
    original = BaseStateEventProcessor._execute_event
    if getattr(original, "measured", False):
        return

    async def _execute_event(self, *, entry, registered_handler) -> None:
        started = time.perf_counter()
        try:
            await original(self, entry=entry, registered_handler=registered_handler)
        finally:
            metrics.EVENT_DURATION.labels(registered_handler.handler.fn.__qualname__).observe(
                time.perf_counter() - started)

    _execute_event.measured = True  # type: ignore[attr-defined]
    BaseStateEventProcessor._execute_event = _execute_event  # type: ignore[method-assign]
