"""CPU time and resident memory of the bench's processes, sampled while it runs."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def parents() -> dict[int, int]:
    """Every process's parent, read in one pass over the process table."""
    proc = Path("/proc")
    if not proc.is_dir():
        import psutil

        return {p.pid: p.info["ppid"] for p in psutil.process_iter(["ppid"])}
    out = {}
    for entry in os.listdir(proc):
        if entry.isdigit():
            try:
                stat = (proc / entry / "stat").read_bytes()
            except OSError:  # gone meanwhile
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so from the last ")".
            out[int(entry)] = int(stat[stat.rfind(b")") + 2 :].split(None, 2)[1])
    return out


def children_of(parent_of: dict[int, int]) -> dict[int, list[int]]:
    """The table of parents turned around: each process's children."""
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    return children


def descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    """``pid``'s children, their children and so on."""
    out, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(children.get(child, ()))
    return out


class RssSampler:
    """Samples resident memory and CPU time of named processes (and their children) every ``interval_s``.

    A process's CPU time includes its children's: the live ones' as sampled, and the exited ones'
    as the kernel adds them to their parent when it reaps them (PostgreSQL's autovacuum workers
    and backends come and go during a load), so the counter does not fall when a child exits. A
    process watched without its children (the harness, whose children are watched by name) is
    charged with neither. The process table is read once per sample, however many processes are
    watched: the sampler runs on the machine it measures.
    """

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.pids: dict[str, int] = {}
        self.samples: dict[str, list[tuple[float, float, float]]] = {}  # (t, rss MB, cpu s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.t0 = time.monotonic()
        self.flat: set[str] = set()
        self._procs: dict[int, object] = {}  # psutil.Process by pid, kept while the pid is watched

    def watch(self, name: str, pid: int, children: bool = True) -> None:
        self.pids[name] = pid
        if not children:
            self.flat.add(name)
        self.samples.setdefault(name, [])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # never started when only geometry or the SLA clock ran
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        """One sample of the machine and of every watched process."""
        import psutil

        now = time.monotonic() - self.t0
        t = psutil.cpu_times()
        # The whole machine's busy CPU seconds: what the bench did not use, others did.
        self.samples.setdefault("_machine", []).append(
            (now, 0.0, t.user + t.system + t.nice + t.irq + t.softirq + getattr(t, "steal", 0.0))
        )
        watched = list(self.pids.items())
        children = children_of(parents()) if any(name not in self.flat for name, _ in watched) else {}
        procs: dict[int, object] = {}
        for name, pid in watched:
            family = [pid] if name in self.flat else [pid, *descendants(pid, children)]
            rss = cpu = 0.0
            for q in family:
                proc = procs.get(q) or self._procs.get(q)
                try:
                    if proc is None:
                        proc = psutil.Process(q)
                    with proc.oneshot():
                        rss += proc.memory_info().rss
                        times = proc.cpu_times()
                except psutil.Error:
                    if q == pid:  # the process itself is gone: no sample
                        break
                    continue  # a child that exited meanwhile: its parent has its time
                procs[q] = proc
                cpu += times.user + times.system
                if name not in self.flat:
                    # What its exited children used, once it reaped them; they are no longer
                    # in the family, so nothing is counted twice.
                    cpu += times.children_user + times.children_system
            else:
                self.samples[name].append((now, rss / 2**20, cpu))
        self._procs = procs

    def peaks(self) -> dict[str, float]:
        return {
            n: max((mb for _, mb, _ in s), default=0.0)
            for n, s in self.samples.items()
            if not n.startswith("_")
        }

    def cpu_share(self, t_from: float, t_to: float) -> dict[str, float]:
        """CPU used per process between two time.monotonic() moments, in cores (1.0 = one core busy)."""
        a, b = t_from - self.t0, t_to - self.t0
        out = {}
        for name, s in self.samples.items():
            inside = [x for x in s if a <= x[0] <= b]
            if len(inside) >= 2 and inside[-1][0] > inside[0][0]:
                out[name] = (inside[-1][2] - inside[0][2]) / (inside[-1][0] - inside[0][0])
        if "_machine" in out:
            out["others"] = max(0.0, out["_machine"] - sum(v for k, v in out.items() if k != "_machine"))
        return out
