"""Serve targets over HTTP as `nuanxin run`, `nuanxin up` and `nuanxin relay` do."""

from __future__ import annotations

import asyncio

from nuanxin.targets import expand, spec_for


def serve(target: str, host: str, port: int, banner: str | None = None, *, relay: bool = False) -> None:
    """Serve one target or all (``relay``: their outbox relays instead) with uvicorn on uvloop."""
    import uvicorn
    from prometheus_client import CollectorRegistry

    from nuanxin.app import create_app, create_relay_app
    from shared.gc import quiet_gc
    from shared.host import ServiceHost
    from shared.http.listener import new_event_loop
    from shared.relay_host import RelayHost
    from shared.settings import PlatformSettings
    from shared.telemetry.logging import configure_logging

    settings = PlatformSettings()
    configure_logging(settings.log_level)
    registry = CollectorRegistry()
    names = expand(target)
    if relay:
        served = create_relay_app([RelayHost(name, settings, registry=registry) for name in names])
    else:
        served = create_app([ServiceHost(spec_for(name), settings, registry=registry) for name in names])
    config = uvicorn.Config(served, host=host, port=port, log_config=None,
                            access_log=False, lifespan="on", timeout_graceful_shutdown=5,
                            server_header=False)  # no "server: uvicorn" on every answer
    server = uvicorn.Server(config)

    async def started() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.1)
        quiet_gc()  # everything start-up built (schemas, jurisdiction index, pools) stays put
        if banner:
            print(banner, flush=True)

    async def main() -> None:
        await asyncio.gather(server.serve(), started())

    # uvloop's loop (less CPU per request) taking every waiting connection each turn, so a burst
    # of new connections is not served one per turn of a busy loop (shared/http/listener.py).
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main())
