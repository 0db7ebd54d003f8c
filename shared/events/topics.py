"""Topic names: one per aggregate stream, plus its dead-letter topic."""

REPORTS = "reports"
CASES = "cases"
WISHES = "wishes"
VOLUNTEERS = "volunteers"

ALL = (REPORTS, CASES, WISHES, VOLUNTEERS)


def dead_letter(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"
