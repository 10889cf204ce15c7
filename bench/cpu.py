"""Where a benchmark's CPU goes: CPU seconds of the API server, PostgreSQL, Redis and the
benchmark's own client, read from /proc before and after a run (Linux only).

On this 2-core machine the four share the cores, so a figure such as "bookings per
second" depends on all of them; this splits the machine's work per request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[str, float]]:
    """pid -> (group, CPU seconds so far) of every process we can read."""
    out: dict[int, tuple[str, float]] = {}
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
        pid = int(name)
        if pid == me:
            group = "client"
        elif "granian" in cmdline or "granian" in comm:
            group = "server"
        elif comm.startswith("postgres") or "postgres" in cmdline.split(" ", 1)[0]:
            group = "postgres"
        elif comm.startswith("redis"):
            group = "redis"
        elif "rq" in cmdline and " worker " in cmdline:
            group = "worker"
        else:
            group = "other"
        out[pid] = (group, seconds)
    return out


@dataclass
class CpuSplit:
    seconds: dict[str, float]

    def per_request_ms(self, requests: int) -> str:
        parts = [f"{group} {1000 * self.seconds.get(group, 0.0) / max(1, requests):.2f}"
                 for group in ("server", "worker", "postgres", "redis", "client", "other")
                 if group != "worker" or group in self.seconds]
        total = 1000 * sum(self.seconds.values()) / max(1, requests)
        return "CPU ms per request: " + ", ".join(parts) + f" (total {total:.2f})"


class CpuMeter:
    """`with CpuMeter() as meter: ...`, then `meter.split`."""

    def __enter__(self) -> CpuMeter:
        self._before = _processes()
        return self

    def __exit__(self, *exc) -> None:
        after = _processes()
        totals: dict[str, float] = {}
        for pid, (group, seconds) in after.items():
            start = self._before.get(pid, (group, 0.0))[1]
            # A process born during the run counts from zero; one that ended is lost (the
            # server and the database keep theirs alive for the whole run).
            totals[group] = totals.get(group, 0.0) + max(0.0, seconds - start)
        self.split = CpuSplit(totals)
