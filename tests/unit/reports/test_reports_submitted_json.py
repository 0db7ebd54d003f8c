"""The answer to a filed report is written without building ReportView, and says what it would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reports.domain.report import Report
from services.reports.handlers.http import ReportView, _submitted_json, _view

_text = st.text(max_size=40)
_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))]
    ),
)
_reports = st.builds(
    Report,
    report_id=st.uuids().map(str),
    reporter_id=_text,
    kind=_text,
    category=_text,
    severity=st.sampled_from(["low", "medium", "high", "urgent"]),
    lon=st.floats(-180, 180),
    lat=st.floats(-90, 90),
    submitted_at=_moments,
    description=_text,
    address=st.none() | _text,
    photos=st.lists(_text, max_size=3).map(tuple),
    reporter_hidden=st.booleans(),
    opens_case=st.booleans(),
    pairing_id=st.none() | _text,
    status=st.sampled_from(["submitted", "recorded", "routed"]),
)


@settings(max_examples=300)
@given(_reports)
def test_the_answer_is_the_views_json_byte_for_byte(report):
    assert _submitted_json(report) == _view(report).model_dump_json().encode()


def test_a_plain_report_in_utc_and_whole_seconds():
    report = Report(
        report_id="01938b6e-0000-7000-8000-000000000001", reporter_id="w-1", kind="hazard",
        category="blocked_fire_exit", severity="high", lon=106.5, lat=29.6,
        submitted_at=datetime(2026, 12, 3, 8, 0, tzinfo=UTC), description="消防通道被堵",
        address=None, photos=("sha256:ab.jpg",),
    )
    body = _submitted_json(report)
    assert body == _view(report).model_dump_json().encode()
    assert ReportView.model_validate_json(body) == _view(report)
    assert b'"submitted_at":"2026-12-03T08:00:00Z"' in body
    assert "消防通道被堵".encode() in body  # UTF-8 as it is
