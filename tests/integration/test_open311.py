"""An Open311 GeoReport v2 client files a report and follows it to its owning community."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from services.routing.geodata.loader import load_geojson_jurisdictions
from tests.support.system import run_system

pytestmark = pytest.mark.integration

V2 = "/open311/v2"


def _two_communities():
    _streets, communities = load_geojson_jurisdictions()
    here, elsewhere = communities[17], next(c for c in communities if c.code != communities[17].code)
    point = here.geometry.representative_point()
    return here, elsewhere, point.x, point.y


async def _until_routed(client: httpx.AsyncClient, request_id: str, api_key: str) -> dict:
    for _ in range(150):
        response = await client.get(f"{V2}/requests/{request_id}.json", params={"api_key": api_key})
        assert response.status_code == 200, response.text
        (found,) = response.json()
        if found["agency_responsible"] is not None and found["expected_datetime"] is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"request {request_id} was never routed: {found}")


def _error(response: httpx.Response, status: int, starts: str) -> None:
    assert response.status_code == status, response.text
    (error,) = response.json()
    assert error["code"] == status
    assert error["description"].startswith(starts), error


async def test_a_form_encoded_client_files_a_request_and_follows_it_to_its_community(settings):
    here, elsewhere, lon, lat = _two_communities()
    async with run_system(settings, ["reports", "routing"]) as system, system.client() as client:
        worker = system.token("w-311", "worker")
        response = await client.post(f"{V2}/requests.json", data={
            "api_key": worker, "service_code": "hazard.blocked_fire_exit",
            "lat": str(lat), "long": str(lon), "address_string": "龙湖小区3栋",
            "description": "电动车堵住消防通道", "attribute[severity]": "urgent",
            "email": "ignored@example.com", "first_name": "Ignored",
        }, headers={"Idempotency-Key": "k-311"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        (filed,) = response.json()
        request_id = filed["service_request_id"]
        assert filed["account_id"] is None and filed["service_notice"]

        again = await client.post(f"{V2}/requests", data={
            "api_key": worker, "service_code": "hazard.blocked_fire_exit",
            "lat": str(lat), "long": str(lon),
        }, headers={"Idempotency-Key": "k-311"})
        assert again.json()[0]["service_request_id"] == request_id

        found = await _until_routed(client, request_id, worker)
        assert found["service_request_id"] == request_id
        assert found["agency_responsible"] == here.code
        assert found["status"] == "open"
        assert found["status_notes"] == f"routed to community {here.code}"
        assert found["service_code"] == "hazard.blocked_fire_exit"
        assert found["service_name"] == "消防通道堵塞 Blocked fire exit"
        assert found["description"] == "电动车堵住消防通道"
        assert found["address"] == "龙湖小区3栋"
        assert (found["lat"], found["long"]) == pytest.approx((lat, lon))
        assert found["media_url"] is None
        requested = datetime.fromisoformat(found["requested_datetime"])
        assert datetime.fromisoformat(found["expected_datetime"]) > requested
        assert datetime.fromisoformat(found["updated_datetime"]) >= requested

        own_staff = system.token("c-1", "community_staff", community=here.code)
        own_street = system.token("s-1", "street_staff", street=here.parent_code)
        other_staff = system.token("c-2", "community_staff", community=elsewhere.code)
        other_worker = system.token("w-other", "worker")
        for key in (own_staff, own_street):
            listed = await client.get(f"{V2}/requests.json", params={"api_key": key})
            assert [r["service_request_id"] for r in listed.json()] == [request_id]
        for key in (other_staff, other_worker):
            _error(await client.get(f"{V2}/requests/{request_id}.json", params={"api_key": key}),
                   404, "service_request_id")
            assert (await client.get(f"{V2}/requests.json", params={"api_key": key})).json() == []

        mine = await client.get(f"{V2}/requests.json", params={
            "api_key": worker, "service_request_id": f"{request_id},not-a-uuid",
        })
        assert [r["service_request_id"] for r in mine.json()] == [request_id]
        filtered = await client.get(f"{V2}/requests.json", params={
            "api_key": own_staff, "service_code": "civility.littering", "status": "open",
        })
        assert filtered.json() == []
        closed = await client.get(f"{V2}/requests.json", params={"api_key": own_staff, "status": "closed"})
        assert closed.json() == []

        token = await client.get(f"{V2}/tokens/{request_id}.json", params={"api_key": worker})
        assert token.json() == [{"service_request_id": request_id, "token": request_id}]
        _error(await client.get(f"{V2}/tokens/{request_id}.json", params={"api_key": other_worker}),
               404, "token")


async def test_discovery_services_and_errors_have_the_specs_shapes(settings):
    _here, _elsewhere, lon, lat = _two_communities()
    async with run_system(settings, ["reports", "routing"]) as system, system.client() as client:
        discovery = (await client.get(f"{V2}/discovery.json")).json()
        assert set(discovery) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = discovery["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == f"{system.base_url}{V2}"
        assert endpoint["type"] == "test" and endpoint["formats"] == ["application/json"]

        services = (await client.get(f"{V2}/services.json")).json()
        assert services == (await client.get(f"{V2}/services")).json()
        by_code = {s["service_code"]: s for s in services}
        assert by_code["hazard.blocked_fire_exit"]["group"] == "Safety hazard"
        assert {s["type"] for s in services} == {"realtime"}
        assert set(services[0]) == {
            "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
        }

        definition = (await client.get(f"{V2}/services/residents_voice.grievance.json")).json()
        assert definition["service_code"] == "residents_voice.grievance"
        attributes = {a["code"]: a for a in definition["attributes"]}
        assert attributes["severity"]["datatype"] == "singlevaluelist"
        assert attributes["severity"]["required"] is False
        assert [v["key"] for v in attributes["severity"]["values"]] == ["low", "medium", "high", "urgent"]
        assert attributes["description"]["required"] is True
        _error(await client.get(f"{V2}/services/hazard.nothing.json"), 404, "service_code")

        worker = system.token("w-311", "worker")
        form = {"api_key": worker, "service_code": "hazard.road_damage", "lat": str(lat), "long": str(lon)}
        _error(await client.post(f"{V2}/requests.json", data={**form, "lat": ""}), 400, "lat is required")
        _error(await client.post(f"{V2}/requests.json", data={**form, "long": "east"}), 400, "long must")
        _error(await client.post(f"{V2}/requests.json", data={**form, "api_key": "forged"}),
               403, "api_key")
        keyless = {k: v for k, v in form.items() if k != "api_key"}
        _error(await client.post(f"{V2}/requests.json", data=keyless), 403, "api_key is required")
        _error(await client.post(f"{V2}/requests.json", data={**form, "service_code": "hazard.ufo"}),
               404, "service_code hazard.ufo not found")
        _error(await client.post(f"{V2}/requests.json", data={**form, "attribute[severity]": "meh"}),
               400, "attribute[severity]")
        _error(await client.post(f"{V2}/requests.json",
                                 data={**form, "service_code": "residents_voice.grievance"}),
               400, "description is required")
        _error(await client.get(f"{V2}/requests/00000000-0000-0000-0000-000000000000.json",
                                params={"api_key": worker}), 404, "service_request_id")
        _error(await client.get(f"{V2}/requests.json", params={"api_key": worker, "start_date": "monday"}),
               400, "start_date")
        _error(await client.get(f"{V2}/requests.json"), 403, "api_key is required")

        voiced = await client.post(f"{V2}/requests.json", data={
            **form, "service_code": "residents_voice.grievance", "attribute[description]": "路灯太暗",
            "crs": "GCJ02",
        })
        assert voiced.status_code == 200, voiced.text
