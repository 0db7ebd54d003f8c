"""Open311 vocabulary: service codes name every kind and category, statuses map to open/closed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.reports.domain import open311
from services.reports.domain.kinds import KINDS, SEVERITIES

PAIRS = [(k.code, c.code) for k in KINDS.values() for c in k.categories]


@pytest.mark.parametrize(("kind", "category"), PAIRS)
def test_every_kind_and_category_round_trips_through_its_service_code(kind, category):
    code = open311.service_code(kind, category)
    assert code == f"{kind}.{category}"
    assert open311.parse_service_code(code) == (kind, category)
    assert open311.service_for(kind, category) is open311.SERVICES[code]


def test_there_is_one_service_per_category_and_no_other():
    assert sorted(open311.SERVICES) == sorted(f"{k}.{c}" for k, c in PAIRS)


@pytest.mark.parametrize(
    "code", ["", "hazard", "hazard.", ".blocked_fire_exit", "hazard.littering", "nope.talk",
             "hazard.blocked_fire_exit.json", "hazard/blocked_fire_exit"],
)
def test_codes_naming_no_kind_and_category_parse_to_none(code):
    assert open311.parse_service_code(code) is None


def test_a_listing_names_the_category_in_chinese_and_english_under_its_kind():
    listing = open311.SERVICES["hazard.blocked_fire_exit"].listing()
    assert listing == {
        "service_code": "hazard.blocked_fire_exit",
        "service_name": "消防通道堵塞 Blocked fire exit",
        "description": listing["description"],
        "metadata": True,
        "type": "realtime",
        "keywords": listing["keywords"],
        "group": "Safety hazard",
    }
    assert "消防通道堵塞" in listing["keywords"]


def test_severity_is_an_optional_single_value_list_of_our_severities():
    (severity,) = open311.SERVICES["civility.littering"].definition()["attributes"]
    assert severity["code"] == "severity"
    assert severity["datatype"] == "singlevaluelist"
    assert severity["required"] is False
    assert [v["key"] for v in severity["values"]] == list(SEVERITIES)


def test_residents_voice_requires_a_description_and_others_do_not():
    for code, service in open311.SERVICES.items():
        required = {a.code for a in service.attributes if a.required}
        kind, _ = open311.parse_service_code(code)
        assert required == ({"description"} if KINDS[kind].description_required else set()), code


@pytest.mark.parametrize(
    ("status", "expected"),
    [("submitted", "open"), ("routed", "open"), ("acknowledged", "open"), ("in_progress", "open"),
     ("waiting_for_info", "open"), ("resolved", "closed"), ("closed", "closed")],
)
def test_a_resolved_or_closed_case_is_closed(status, expected):
    assert open311.request_status(status) == expected


def test_agency_is_the_owning_community_or_triage_once_routed():
    assert open311.agency_responsible("routed", "500112002001") == "500112002001"
    assert open311.agency_responsible("routed", None) == "district triage"
    assert open311.agency_responsible("submitted", None) is None


def test_status_notes_say_where_the_request_is_unless_notes_were_stored():
    assert open311.status_notes("routed", "500112002001") == "routed to community 500112002001"
    assert open311.status_notes("routed", None) == "routed to district triage"
    assert open311.status_notes("submitted", None) == "received, awaiting routing"
    assert open311.status_notes("closed", "500112002001", "已处理 fixed") == "已处理 fixed"


def test_a_routed_report_shows_its_community_deadline_and_w3c_times():
    submitted = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    shown = open311.ServiceRequest(
        report_id="r-1", kind="hazard", category="road_damage", status="routed", status_notes=None,
        description="坑", address=None, lat=29.7, lon=106.6, community_code="500112002001",
        submitted_at=submitted, updated_at=submitted + timedelta(minutes=1),
        resolve_by=submitted + timedelta(days=3),
    ).as_dict()
    assert shown["service_request_id"] == "r-1"
    assert shown["status"] == "open"
    assert shown["agency_responsible"] == "500112002001"
    assert shown["requested_datetime"] == "2026-11-30T01:00:00Z"
    assert shown["expected_datetime"] == "2026-12-03T01:00:00Z"
    assert (shown["lat"], shown["long"], shown["media_url"]) == (29.7, 106.6, None)
