"""Static checks of docker-compose.yml (no Docker engine needed).

The compose file must start exactly one container per deployable target, wire every
application service to the infrastructure services by their compose names, and not
publish two services on the same host port. When the docker CLI with the compose
plugin is installed, `docker compose config -q` validates the file against the
Compose specification too (that needs no running engine).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from nuanxin.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INFRA = ("kafka", "postgres", "jaeger")
CONTAINER_HTTP_PORT = 8000


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose.get("services")
    assert isinstance(services, dict) and services, "top-level `services` is missing or empty"
    for name, spec in services.items():
        assert isinstance(spec, dict), f"service {name!r} must be a mapping"
    return services


@pytest.fixture(scope="module")
def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services.items() if name not in INFRA}


def _command(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command")
    if isinstance(command, str):
        return shlex.split(command)
    assert isinstance(command, list), "command must be a list or a string"
    return [str(part) for part in command]


def _option(name: str, command: list[str], option: str) -> str:
    assert option in command, f"{name}: command {command} has no {option}"
    index = command.index(option)
    assert index + 1 < len(command), f"{name}: {option} has no value"
    return command[index + 1]


def _target_of(name: str, spec: dict[str, Any]) -> str:
    command = _command(spec)
    assert command[0] in ("run", "relay"), (
        f"{name}: command should be `run --target ...` or `relay --target ...`, got {command}"
    )
    return _option(name, command, "--target")


def _is_relay(spec: dict[str, Any]) -> bool:
    return _command(spec)[0] == "relay"


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: (pair[1] if len(pair) > 1 else "") for pair in pairs}
    return {str(key): str(value) for key, value in env.items()}


def _depends_on(spec: dict[str, Any]) -> list[str]:
    deps = spec.get("depends_on") or []
    return list(deps) if isinstance(deps, (list, dict)) else [deps]


def _published_ports(spec: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(host_ip, host_port, protocol, container_port) for each published port."""
    out = []
    for entry in spec.get("ports") or []:
        if isinstance(entry, dict):
            published = entry.get("published")
            if published is None:
                continue
            out.append(
                (
                    str(entry.get("host_ip", "")),
                    str(published),
                    str(entry.get("protocol", "tcp")),
                    int(entry["target"]),
                )
            )
            continue
        text = str(entry)
        text, _, protocol = text.partition("/")
        parts = text.rsplit(":", 2)
        if len(parts) == 1:  # "8000": container port only, host port chosen by Docker
            continue
        host_ip = parts[0] if len(parts) == 3 else ""
        out.append((host_ip, parts[-2], protocol or "tcp", int(parts[-1])))
    return out


def test_infrastructure_services_exist(services: dict[str, dict[str, Any]]) -> None:
    for name in INFRA:
        assert name in services, f"missing infrastructure service {name!r}"
        assert services[name].get("image"), f"{name} must use a published image"


def test_postgres_and_kafka_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name in ("kafka", "postgres"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} needs a healthcheck"


def test_every_app_service_runs_a_known_target(
    app_services: dict[str, dict[str, Any]],
) -> None:
    assert app_services, "no application services"
    for name, spec in app_services.items():
        assert spec.get("build") or spec.get("image"), f"{name}: needs build or image"
        target = _target_of(name, spec)
        assert target in TARGETS, f"{name}: --target {target!r} is not one of {TARGETS}"


def test_every_target_has_exactly_one_service(app_services: dict[str, dict[str, Any]]) -> None:
    by_target: dict[str, list[str]] = {}
    for name, spec in app_services.items():
        if not _is_relay(spec):
            by_target.setdefault(_target_of(name, spec), []).append(name)
    for target in TARGETS:
        assert len(by_target.get(target, [])) == 1, (
            f"target {target!r} should have exactly one compose service, has "
            f"{by_target.get(target, [])}"
        )


def test_each_outbox_left_to_a_relay_has_exactly_one(app_services: dict[str, dict[str, Any]]) -> None:
    # A service with NUANXIN_OUTBOX_RELAY=separate publishes nothing itself: without a relay
    # container its events would wait in the outbox for ever. A relay for a service that relays
    # its own would be harmless (one relay per schema at a time) but idle.
    separate = {
        _target_of(name, spec) for name, spec in app_services.items()
        if not _is_relay(spec) and _environment(spec).get("NUANXIN_OUTBOX_RELAY") == "separate"
    }
    relays: dict[str, list[str]] = {}
    for name, spec in app_services.items():
        if _is_relay(spec):
            relays.setdefault(_target_of(name, spec), []).append(name)
    assert separate, "reports leaves its outbox to a relay container"
    assert {t: len(names) for t, names in relays.items()} == dict.fromkeys(separate, 1)


def test_app_servers_listen_on_the_container_interface(app_services: dict[str, dict[str, Any]]) -> None:
    # A published port arrives on the container's network interface; a server on loopback only
    # (the command's default) would never answer it.
    for name, spec in app_services.items():
        command = _command(spec)
        assert _option(name, command, "--host") == "0.0.0.0", name
        default = "8100" if _is_relay(spec) else "8000"  # `nuanxin relay` / `nuanxin run`
        port = _option(name, command, "--port") if "--port" in command else default
        assert port == str(CONTAINER_HTTP_PORT), f"{name} serves on {port}, not the port published"


def test_depends_on_refers_to_existing_services(services: dict[str, dict[str, Any]]) -> None:
    for name, spec in services.items():
        for dep in _depends_on(spec):
            assert dep in services, f"{name} depends on unknown service {dep!r}"
            assert dep != name, f"{name} depends on itself"


def test_app_services_wait_for_healthy_kafka_and_postgres(
    app_services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in app_services.items():
        deps = spec.get("depends_on")
        assert isinstance(deps, dict), f"{name}: depends_on should use the long form"
        for infra in ("kafka", "postgres"):
            assert deps.get(infra, {}).get("condition") == "service_healthy", (
                f"{name} should wait for {infra} to be healthy"
            )


def test_kafka_bootstrap_points_at_the_kafka_service(
    services: dict[str, dict[str, Any]], app_services: dict[str, dict[str, Any]]
) -> None:
    advertised = _environment(services["kafka"]).get("KAFKA_ADVERTISED_LISTENERS", "")
    advertised_addrs = {urlsplit(item.strip()).netloc for item in advertised.split(",") if item}
    for name, spec in app_services.items():
        bootstrap = _environment(spec).get("KAFKA_BOOTSTRAP_SERVERS")
        assert bootstrap, f"{name}: KAFKA_BOOTSTRAP_SERVERS is not set"
        for server in bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            assert host == "kafka", f"{name}: bootstrap host {host!r} is not the kafka service"
            assert port.isdigit(), f"{name}: bootstrap server {server!r} has no port"
            assert server.strip() in advertised_addrs, (
                f"{name}: {server!r} is not a listener Kafka advertises ({advertised!r})"
            )


def test_database_and_otel_endpoints_use_service_names(
    services: dict[str, dict[str, Any]], app_services: dict[str, dict[str, Any]]
) -> None:
    for name, spec in app_services.items():
        env = _environment(spec)
        database = urlsplit(env.get("DATABASE_URL", ""))
        assert database.scheme.startswith("postgresql"), f"{name}: DATABASE_URL is not postgres"
        assert database.hostname in services, f"{name}: DATABASE_URL host is not a service"
        otlp = urlsplit(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
        assert otlp.hostname in services, f"{name}: OTLP endpoint host is not a service"
        assert env.get("NUANXIN_ENV") in {"dev", "prod"}, f"{name}: NUANXIN_ENV dev|prod"
        assert env.get("NUANXIN_JWT_SECRET"), f"{name}: NUANXIN_JWT_SECRET is not set"


def test_otel_service_names_are_per_target(app_services: dict[str, dict[str, Any]]) -> None:
    for name, spec in app_services.items():
        if _is_relay(spec):  # a relay makes no spans
            continue
        expected = f"nuanxin-{_target_of(name, spec)}"
        assert _environment(spec).get("OTEL_SERVICE_NAME") == expected, name


def test_app_services_publish_http_and_check_health(
    app_services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in app_services.items():
        container_ports = {port[3] for port in _published_ports(spec)}
        assert CONTAINER_HTTP_PORT in container_ports, f"{name}: port 8000 is not published"
        test = spec.get("healthcheck", {}).get("test")
        assert test and "/healthz" in " ".join(map(str, test)), f"{name}: no /healthz check"


def test_published_host_ports_do_not_collide(services: dict[str, dict[str, Any]]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for name, spec in services.items():
        for host_ip, host_port, protocol, _ in _published_ports(spec):
            key = (host_port, protocol)
            where = f"{name} ({host_ip or '*'})"
            assert key not in seen, f"host port {host_port}/{protocol}: {seen[key]} and {where}"
            seen[key] = where


def test_docker_compose_config_validates() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker CLI is not installed")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
    )
    if version.returncode != 0 or "compose" not in (version.stdout + version.stderr).lower():
        pytest.skip("docker CLI has no compose plugin")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr or result.stdout
