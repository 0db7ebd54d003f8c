"""Run services in this process behind a real HTTP server, as `nuanxin run` does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CollectorRegistry

from nuanxin.app import create_app
from nuanxin.embedded import free_port
from nuanxin.targets import spec_for
from shared.auth import Principal, TokenCodec
from shared.clock import Clock
from shared.host import ServiceHost
from shared.settings import PlatformSettings


@dataclass
class RunningSystem:
    """A started system: its base URL, hosts and a token codec matching its settings."""

    base_url: str
    hosts: list[ServiceHost]
    tokens: TokenCodec
    app: FastAPI

    def host(self, name: str) -> ServiceHost:
        """The host of one service."""
        return next(h for h in self.hosts if h.name == name)

    def token(self, subject: str, role: str, **scope: str) -> str:
        """A valid token for a principal."""
        return self.tokens.issue(Principal(subject, role, **scope))  # type: ignore[arg-type]

    def client(self, token: str | None = None, **kwargs) -> httpx.AsyncClient:
        """An HTTP client for the system, authenticated when a token is given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30, **kwargs)

    def flush_spans(self) -> None:
        """Export every finished span now."""
        for host in self.hosts:
            host.tracer_provider.force_flush()


@contextlib.asynccontextmanager
async def run_system(
    settings: PlatformSettings,
    targets: Sequence[str],
    *,
    exporter: SpanExporter | None = None,
    clock: Clock | None = None,
    overrides: dict[str, dict] | None = None,
) -> AsyncIterator[RunningSystem]:
    """Start the targets in this process with an HTTP server on a free port; stop on exit."""
    registry = CollectorRegistry()
    hosts = [
        ServiceHost(
            spec_for(t), settings, exporter=exporter, registry=registry, clock=clock,
            overrides=(overrides or {}).get(t),
        )
        for t in targets
    ]
    port = free_port()
    app = create_app(hosts)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                       lifespan="on", access_log=False, timeout_graceful_shutdown=2)
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped during start-up")
        await asyncio.sleep(0.05)
    tokens = hosts[0].tokens
    try:
        yield RunningSystem(f"http://127.0.0.1:{port}", hosts, tokens, app)
    finally:
        server.should_exit = True
        await task
