"""Every event body the system knows; importing this module registers them all."""

from shared.events.cases import CaseOpenedV1
from shared.events.reports import ReportSubmittedV1

__all__ = ["CaseOpenedV1", "ReportSubmittedV1"]
