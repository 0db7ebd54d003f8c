"""The fault suite's harness: services as separate processes, a stream of reports, counting afterwards.

Every service runs as ``python -m nuanxin run --target <name> --port <port>``, exactly as it is
deployed, pointed at the session's broker, the test's own database and its own namespace. The
harness can SIGKILL and restart those processes; the tests then count what came out of the
other end (SQL over each service's schema, and records on the Kafka topics).
"""

from tests.faults.harness.config import (
    ARTIFACTS,
    AUDIENCE,
    FIGURES_PATH,
    ISSUER,
    JWT_SECRET,
    LONG,
    PARTITIONS,
    REPO,
    SEED,
)
from tests.faults.harness.counting import (
    Tally,
    case_memberships,
    feed_entries,
    header,
    read_topic,
    tally,
    wait_for_effects,
    wait_until,
)
from tests.faults.harness.figures import record_figures
from tests.faults.harness.processes import Deployment, ServiceProcess
from tests.faults.harness.traffic import (
    Intake,
    Publisher,
    communities,
    point_in,
    report_events,
    report_requests,
)

__all__ = [
    "ARTIFACTS",
    "AUDIENCE",
    "FIGURES_PATH",
    "ISSUER",
    "JWT_SECRET",
    "LONG",
    "PARTITIONS",
    "REPO",
    "SEED",
    "Deployment",
    "Intake",
    "Publisher",
    "ServiceProcess",
    "Tally",
    "case_memberships",
    "communities",
    "feed_entries",
    "header",
    "point_in",
    "read_topic",
    "record_figures",
    "report_events",
    "report_requests",
    "tally",
    "wait_for_effects",
    "wait_until",
]
