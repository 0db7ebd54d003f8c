"""What a benchmark run does: the options, from the command line or from `nuanxin bench`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Options:
    """What to run; the defaults are the full run (about 10 minutes on a 2-core machine)."""

    kafka: str = "embedded"
    quick: bool = False
    stage_s: float = 6.0
    drain_s: float = 20.0
    pipeline_rates: list[float] = field(default_factory=lambda: [500, 1000, 2000, 5000])
    intake_rates: list[float] = field(default_factory=lambda: [250, 500, 1000, 2000])
    intake_ceiling: list[float] = field(default_factory=lambda: [5000, 8000, 12000])
    # Past the fixed loads, at most this many more for each server while its limit is narrowed down.
    intake_extra_loads: int = 8
    # Then both servers past their limits one right after the other, this many times (the ratio's
    # pairs; even, so that the two orders come as often and a steady drift of speed cancels out).
    intake_pairs: int = 4
    intake_stage_s: float = 5.0
    # New connections opened at once during a load on intake at 80 % of its best rate (0: none).
    intake_burst: int = 150
    refine_steps: int = 2
    # A short stage can hold while a backlog grows slowly: the highest held load is run again this
    # long; if it does not hold, the held loads below it until one does, then the range above that
    # one is narrowed down (bench/sustain.py), at most sustain_tries loads in all.
    sustain_s: float = 30.0
    sustain_tries: int = 4
    # Before each load the stack is given up to this long to finish the one before (0: no wait).
    settle_s: float = 30.0
    geometry_points: int = 1_000_000
    geometry_cap_s: float = 20.0
    sla_deadlines: int = 1_000_000
    sla_due: int = 20
    sla_spread_s: float = 5.0
    profile_s: float = 12.0
    # Offered load while the services are profiled (None: the lowest load that was not held).
    profile_rate: float | None = None
    # py-spy samples a second in each profiled process: three samplers at 100 took 0.31 cores of the
    # two, at 50 0.17-0.18, and the stack accepted less of the load it was profiled at.
    profile_hz: int = 50
    passthrough_ceiling: list[float] = field(default_factory=lambda: [20_000])
    fetch_max_wait_ms: int = 20  # the live services' default (shared/settings.py)
    # Who publishes intake's outbox: a `nuanxin relay` process beside the reports service
    # ("separate", as docs/operations.md advises for a busy intake) or the service itself.
    reports_relay: str = "separate"
    # The relay process's linger (NUANXIN_RELAY_LINGER_MS for it alone), as Compose runs it: with
    # its core free a relay apart publishes at its linger, and at 50 ms routing's and notify's
    # batches came out a third to a half the size they are behind a relay inside an overloaded
    # reports process, at more broker and consumer CPU a report (docs/benchmark-history.md, "The
    # outbox relay in a process of its own").
    relay_linger_ms: int = 100
    stages: list[str] = field(
        default_factory=lambda: ["geometry", "sla", "passthrough", "pipeline", "profile", "intake"]
    )
    keep_db: bool = False
    out: Path | None = None

    def apply_quick(self) -> None:
        """A few seconds per stage: to check the harness, not to quote numbers."""
        self.quick = True
        self.stage_s, self.drain_s, self.intake_stage_s = 2.0, 8.0, 2.0
        self.refine_steps = 0
        self.intake_extra_loads = 1
        self.intake_pairs = 2
        self.sustain_s, self.sustain_tries = 4.0, 1
        self.geometry_points, self.geometry_cap_s = 100_000, 3.0
        self.sla_deadlines, self.sla_due, self.sla_spread_s = 100_000, 10, 3.0
        self.profile_s = 4.0


def pair_count(text: str) -> int:
    """An even number of pairs, 0 or more: each server goes first in as many as the other."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 0 or value % 2:
        raise argparse.ArgumentTypeError(
            f"must be an even number, 0 or more (each server goes first in half the pairs), not {value}"
        )
    return value


def parse_args(argv: list[str] | None, prog: str = "python -m bench") -> Options:
    """Options from `python -m bench` (or `nuanxin bench`) arguments."""
    p = argparse.ArgumentParser(prog=prog, description="Benchmark nuanxin; see docs/benchmark.md.")
    p.add_argument(
        "--kafka",
        choices=("embedded", "apache"),
        default="embedded",
        help="embedded Tansu (default) or Apache Kafka via deploy/kafka/run-kafka.sh",
    )
    p.add_argument("--quick", action="store_true", help="a few seconds per stage (check the harness)")
    p.add_argument(
        "--stages",
        default=None,
        help="comma list of geometry,sla,passthrough,pipeline,profile,intake (default: all)",
    )
    p.add_argument("--pipeline-rates", default=None, help="comma list of offered reports/s")
    p.add_argument("--intake-rates", default=None, help="comma list of offered requests/s")
    p.add_argument(
        "--intake-pairs",
        type=pair_count,
        default=None,
        help="times both HTTP servers are offered loads past their limits one after the other "
        "(even; 0: none)",
    )
    p.add_argument("--stage-seconds", type=float, default=None, help="seconds per pipeline/pass-through load")
    p.add_argument(
        "--sustain-seconds",
        type=float,
        default=None,
        help="seconds of the check that the highest held pipeline load holds (0: no check)",
    )
    p.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        help="most seconds to wait before each load for the stack to be idle again (0: no wait)",
    )
    p.add_argument(
        "--burst",
        type=int,
        default=None,
        help="new connections opened at once during a load on intake at 80%% of its best (0: none)",
    )
    p.add_argument(
        "--profile-rate",
        type=float,
        default=None,
        help="reports/s offered while py-spy samples the services (default: the lowest load not held)",
    )
    p.add_argument("--profile-seconds", type=float, default=None, help="seconds of each profiled load")
    p.add_argument("--profile-hz", type=int, default=None, help="py-spy samples a second in each service")
    p.add_argument("--sla-deadlines", type=int, default=None, help="open deadlines in the table")
    p.add_argument("--fetch-max-wait-ms", type=int, default=None)
    p.add_argument(
        "--reports-relay",
        choices=("separate", "in-service"),
        default=None,
        help="who publishes intake's outbox: a relay process of its own (default) or the service",
    )
    p.add_argument(
        "--relay-linger-ms", type=int, default=None, help="the relay process's NUANXIN_RELAY_LINGER_MS (100)"
    )
    p.add_argument("--keep-db", action="store_true", help="keep the bench databases for inspection")
    p.add_argument("--out", type=Path, default=None, help="results folder (default bench/results/<ts>)")
    a = p.parse_args(argv)
    o = Options(kafka=a.kafka, keep_db=a.keep_db, out=a.out)
    if a.quick:
        o.apply_quick()
    if a.stages:
        o.stages = [s.strip() for s in a.stages.split(",") if s.strip()]
    if a.pipeline_rates:
        o.pipeline_rates = [float(x) for x in a.pipeline_rates.split(",")]
    if a.intake_rates:
        o.intake_rates = [float(x) for x in a.intake_rates.split(",")]
    if a.intake_pairs is not None:
        o.intake_pairs = a.intake_pairs
    if a.stage_seconds:
        o.stage_s = o.intake_stage_s = a.stage_seconds
    if a.sustain_seconds is not None:
        o.sustain_s = a.sustain_seconds
    if a.settle_seconds is not None:
        o.settle_s = a.settle_seconds
    if a.burst is not None:
        o.intake_burst = a.burst
    if a.profile_rate:
        o.profile_rate = a.profile_rate
    if a.profile_seconds:
        o.profile_s = a.profile_seconds
    if a.profile_hz:
        o.profile_hz = a.profile_hz
    if a.sla_deadlines:
        o.sla_deadlines = a.sla_deadlines
    if a.fetch_max_wait_ms:
        o.fetch_max_wait_ms = a.fetch_max_wait_ms
    if a.reports_relay:
        o.reports_relay = a.reports_relay
    if a.relay_linger_ms is not None:
        o.relay_linger_ms = a.relay_linger_ms
    return o
