"""Intake's rules for a new report: kinds, categories, severities and hidden reporters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.reports.domain.kinds import KINDS
from services.reports.domain.report import ReportRejected, new_report

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def _report(**changes):
    fields = dict(
        reporter_id="worker-42", kind="hazard", category="road_damage", lon=106.63, lat=29.72, now=NOW,
    )
    if changes.get("kind") == "food_safety":
        fields["photos"] = ("sha256:" + "0" * 64 + ".jpg",)
    fields.update(changes)
    return new_report(**fields)


def _rejected_field(**changes) -> str:
    with pytest.raises(ReportRejected) as caught:
        _report(**changes)
    return caught.value.field


def test_valid_report_keeps_what_the_worker_sent():
    report = _report(severity="urgent", description="  坑很深  ", address="双龙湖街道", photos=("p/1.jpg",))

    assert (report.reporter_id, report.kind, report.category) == ("worker-42", "hazard", "road_damage")
    assert report.severity == "urgent"
    assert (report.lon, report.lat) == (106.63, 29.72)
    assert report.submitted_at == NOW
    assert report.description == "坑很深"
    assert report.address == "双龙湖街道"
    assert report.photos == ("p/1.jpg",)
    assert report.status == "submitted"


def test_each_report_gets_its_own_id():
    assert _report().report_id != _report().report_id


def test_unknown_kind_is_rejected_naming_kind():
    assert _rejected_field(kind="graffiti") == "kind"


def test_category_of_another_kind_is_rejected_naming_category():
    # blocked_fire_exit is a hazard category, not a civility one.
    assert _rejected_field(kind="civility", category="blocked_fire_exit") == "category"


def test_unknown_category_is_rejected_naming_category():
    assert _rejected_field(category="alien_landing") == "category"


@pytest.mark.parametrize("severity", ["critical", "", "HIGH"])
def test_bad_severity_is_rejected_naming_severity(severity):
    assert _rejected_field(severity=severity) == "severity"


@pytest.mark.parametrize("description", ["", "   \n"])
def test_residents_voice_needs_a_description(description):
    assert _rejected_field(kind="residents_voice", category="grievance", description=description) == (
        "description"
    )


def test_residents_voice_with_a_description_is_accepted():
    report = _report(kind="residents_voice", category="suggestion", description="路灯太暗")
    assert report.description == "路灯太暗"


def test_other_kinds_need_no_description():
    assert _report(kind="hazard", category="dangling_wires", description="").description == ""


def test_rejection_message_names_the_field():
    with pytest.raises(ReportRejected, match=r"^category: "):
        _report(kind="civility", category="blocked_fire_exit")


@pytest.mark.parametrize(
    ("kind", "category", "expected"),
    [
        ("hazard", "blocked_fire_exit", "high"),
        ("hazard", "road_damage", "medium"),
        ("civility", "littering", "low"),
        ("food_safety", "no_licence", "medium"),
        ("elderly_checkin", "no_answer", "urgent"),
    ],
)
def test_severity_defaults_to_the_categorys(kind, category, expected):
    assert _report(kind=kind, category=category).severity == expected


def test_given_severity_overrides_the_default():
    assert _report(kind="elderly_checkin", category="no_answer", severity="low").severity == "low"


@pytest.mark.parametrize(
    ("kind", "category", "hidden"),
    [
        ("civility", "illegal_parking", True),
        ("food_safety", "expired_food", True),
        ("hazard", "blocked_fire_exit", False),
        ("residents_voice", "grievance", False),
        ("elderly_checkin", "needs_help", False),
    ],
)
def test_reporter_is_hidden_for_civility_and_food_safety(kind, category, hidden):
    assert _report(kind=kind, category=category, description="x").reporter_hidden is hidden


def test_catalogue_has_the_six_kinds_and_every_default_is_a_severity():
    assert set(KINDS) == {
        "hazard", "civility", "food_safety", "residents_voice", "policy_promotion", "elderly_checkin",
    }
    for kind in KINDS.values():
        assert kind.categories
        for category in kind.categories:
            assert category.default_severity in ("low", "medium", "high", "urgent")


def test_category_codes_are_unique_across_kinds():
    # Routing and dashboards key on the category code alone.
    codes = [c.code for kind in KINDS.values() for c in kind.categories]
    assert len(codes) == len(set(codes))


def test_a_food_safety_report_needs_photo_evidence():
    assert _rejected_field(kind="food_safety", category="pests", photos=()) == "photos"


@pytest.mark.parametrize(
    ("kind", "category", "opens", "status"),
    [
        ("policy_promotion", "leaflets", False, "recorded"),
        ("policy_promotion", "talk", False, "recorded"),
        ("elderly_checkin", "visited_fine", False, "recorded"),
        ("elderly_checkin", "no_answer", True, "submitted"),
        ("hazard", "road_damage", True, "submitted"),
    ],
)
def test_log_entries_are_recorded_and_open_no_case(kind, category, opens, status):
    report = _report(kind=kind, category=category)
    assert (report.opens_case, report.status) == (opens, status)
