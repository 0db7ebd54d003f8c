"""Golden JSON per event type: the wire shape of every event body is pinned by a sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shared.events.catalogue  # noqa: F401  (registers every event type)
from shared.events.base import registered_types

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "events"


def _sample(event_type: str) -> dict:
    return json.loads((SAMPLES / f"{event_type}.json").read_text(encoding="utf-8"))


def test_the_catalogue_registers_event_types():
    assert {"nuanxin.report.submitted.v1", "nuanxin.case.opened.v1"} <= set(registered_types())


@pytest.mark.parametrize("event_type", sorted(registered_types()))
def test_every_registered_type_has_a_sample(event_type):
    assert (SAMPLES / f"{event_type}.json").is_file(), f"add tests/data/events/{event_type}.json"


def test_every_sample_names_a_registered_type():
    # A sample left behind after a type is renamed or removed is a wire change too.
    assert {p.stem for p in SAMPLES.glob("*.json")} == set(registered_types())


@pytest.mark.parametrize("event_type", sorted(registered_types()))
def test_sample_validates_and_dumps_back_unchanged(event_type):
    cls = registered_types()[event_type]
    sample = _sample(event_type)

    body = cls.model_validate(sample)

    assert body.model_dump(mode="json") == sample
    # Field order too, so a diff of the wire JSON stays readable.
    assert list(body.model_dump(mode="json")) == list(sample)


@pytest.mark.parametrize("event_type", sorted(registered_types()))
def test_sample_round_trips_through_model_dump_json(event_type):
    cls = registered_types()[event_type]
    body = cls.model_validate(_sample(event_type))
    assert cls.model_validate_json(body.model_dump_json()) == body


@pytest.mark.parametrize("event_type", sorted(registered_types()))
def test_every_event_field_is_described(event_type):
    cls = registered_types()[event_type]
    undescribed = [name for name, f in cls.model_fields.items() if not f.description]
    assert undescribed == []
