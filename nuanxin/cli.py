"""The one command line: bring the system up, run a target, migrate, mint tokens, follow a trace."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from nuanxin.dead_letters import dead_letters_app
from nuanxin.serve import serve
from nuanxin.targets import TARGETS, expand, spec_for

app = typer.Typer(help="nuanxin (暖新): reports, cases, notifications and micro-wishes.",
                  no_args_is_help=True, add_completion=False)

app.add_typer(dead_letters_app, name="dead-letters")
TargetOpt = Annotated[str, typer.Option("--target", "-t", help=f"One of {', '.join(TARGETS)} or all.")]


def _check_target(target: str) -> None:
    if target != "all" and target not in TARGETS:
        raise typer.BadParameter(f"unknown target {target!r}; one of {', '.join(TARGETS)} or all")


@app.command()
def run(
    target: TargetOpt = "all",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
) -> None:
    """Run one service, or all of them in one process (they still talk only through Kafka)."""
    _check_target(target)
    serve(target, host, port)


@app.command()
def relay(
    target: TargetOpt = "all",
    host: Annotated[str, typer.Option(help="Address of /healthz and /metrics.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port of /healthz and /metrics.")] = 8100,
) -> None:
    """Publish the outbox of one service, or of all, from a process of its own.

    Run the services with NUANXIN_OUTBOX_RELAY=separate, so their cores serve only requests and
    events; until a relay runs, their events wait in the outbox.
    """
    _check_target(target)
    serve(target, host, port, relay=True)


@app.command()
def migrate(target: TargetOpt = "all") -> None:
    """Apply database migrations of one service or all of them."""
    from shared.postgres.migrate import upgrade
    from shared.settings import PlatformSettings

    _check_target(target)
    settings = PlatformSettings()

    async def main() -> None:
        for name in expand(target):
            spec = spec_for(name)
            await upgrade(settings.database_url, schema=name, script_location=spec.migrations)
            typer.echo(f"{name}: migrated")

    asyncio.run(main())


@app.command()
def infra(
    data: Annotated[Path, typer.Option(help="Folder for PostgreSQL data and logs.")] = Path("var"),
    kafka_port: Annotated[int, typer.Option(help="Embedded broker port.")] = 9092,
    pg_port: Annotated[int, typer.Option(help="Embedded PostgreSQL port.")] = 55432,
) -> None:
    """Start only the embedded broker and PostgreSQL, print their addresses, wait for Ctrl-C."""
    from nuanxin.embedded import EmbeddedKafka, EmbeddedPostgres

    data.mkdir(parents=True, exist_ok=True)
    kafka = EmbeddedKafka(port=kafka_port, log_path=data / "tansu.log")
    pg = EmbeddedPostgres(data.resolve() / "postgres", port=pg_port)
    try:
        typer.echo(f"KAFKA_BOOTSTRAP_SERVERS={kafka.start()}")
        tcp = pg.start()
        # Clients on this machine go through the server's Unix-domain socket (less CPU a round
        # trip, as under `nuanxin run`); the TCP address is for clients elsewhere.
        # Quoted for the shell: the socket's URL holds an "&".
        typer.echo(f"DATABASE_URL={shlex.quote(pg.local_url)}")
        if pg.local_url != tcp:
            typer.echo(f"# from another machine or container: DATABASE_URL={shlex.quote(tcp)}")
        sys.stdout.flush()
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        pg.stop()
        kafka.stop()


def _named(name: str) -> bool:
    """Whether the environment points at an existing server (plain or NUANXIN_-prefixed)."""
    return bool(os.environ.get(name) or os.environ.get(f"NUANXIN_{name}"))


DEMO = "500112002001"  # 五星路社区, 双龙湖街道: the demo community staff token's community


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    data: Annotated[Path, typer.Option(help="Folder for PostgreSQL data, logs and traces.")] = Path("var"),
) -> None:
    """Bring the whole system up: embedded broker and database unless the environment names them."""
    from nuanxin.embedded import EMBEDDED_TOPIC_PARTITIONS, EmbeddedKafka, EmbeddedPostgres
    from shared.auth import Principal, TokenCodec
    from shared.settings import PlatformSettings

    data.mkdir(parents=True, exist_ok=True)
    # The server stops on SIGTERM and then raises it again; as an exception here, not the default
    # action (die at once), it still reaches the finally below that stops the broker and database.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    kafka = pg = None
    try:
        if not _named("KAFKA_BOOTSTRAP_SERVERS"):
            kafka = EmbeddedKafka(port=int(os.environ.get("NUANXIN_KAFKA_PORT", "9092")),
                                  log_path=data / "tansu.log")
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.start()
            os.environ.setdefault("NUANXIN_TOPIC_PARTITIONS", str(EMBEDDED_TOPIC_PARTITIONS))
        if not _named("DATABASE_URL"):
            pg = EmbeddedPostgres(data.resolve() / "postgres",
                                  port=int(os.environ.get("NUANXIN_PG_PORT", "55432")))
            pg.start()
            os.environ["DATABASE_URL"] = pg.local_url
        os.environ.setdefault("NUANXIN_TRACE_DIR", str(data / "traces"))
        # Every service in this one process, and no relay process beside it: each publishes its own
        # outbox, whatever the shell says (a "separate" copied from a deployment would relay nothing).
        os.environ["NUANXIN_OUTBOX_RELAY"] = "in-service"
        settings = PlatformSettings()
        codec = TokenCodec(settings.jwt_secret.get_secret_value(), settings.jwt_issuer,
                           settings.jwt_audience)
        base = f"http://{host}:{port}"
        banner = "\n".join([
            "",
            "nuanxin is up.",
            f"  home                 {base}/",
            f"  community dashboard  {base}/dashboard   (paste a staff token)",
            f"  worker's phone page  {base}/worker      (paste a worker token)",
            f"  micro-wish wall      {base}/wall        (anyone looks; a token to claim)",
            f"  ops                  {base}/ops",
            f"  API docs             {base}/docs",
            f"  health, metrics      {base}/healthz  {base}/metrics",
            f"  Kafka                {settings.kafka_bootstrap_servers}"
            f"{'  (embedded Tansu)' if kafka else ''}",
            f"  PostgreSQL           {settings.database_url}{'  (embedded)' if pg else ''}",
            f"  traces               {settings.trace_dir}  (nuanxin trace <report-id>)",
            "",
            "Development tokens (valid 12 h):",
            f"  worker w-demo        {codec.issue(Principal('w-demo', 'worker'))}",
            f"  district staff       {codec.issue(Principal('d-demo', 'district_staff'))}",
            f"  community staff      {codec.issue(Principal('c-demo', 'community_staff', community=DEMO))}"
            f"  (community {DEMO})",
            "",
            "Ctrl-C stops everything.",
        ])
        serve("all", host, port, banner=banner)
    finally:
        if pg is not None:
            pg.stop()
        if kafka is not None:
            kafka.stop()
        typer.echo("nuanxin stopped.")


@app.command()
def token(
    role: Annotated[str, typer.Option(help="worker, community_staff, street_staff, district_staff, ops")],
    sub: Annotated[str, typer.Option(help="Subject: the worker's or staff member's id.")],
    community: Annotated[str | None, typer.Option(help="Community code (community staff).")] = None,
    street: Annotated[str | None, typer.Option(help="Street code (street staff).")] = None,
    hours: Annotated[float, typer.Option(help="Lifetime in hours.")] = 12,
) -> None:
    """Mint a signed access token with the configured secret (for development and tests)."""
    from datetime import timedelta

    from shared.auth import ROLES, Principal, TokenCodec
    from shared.settings import PlatformSettings

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    s = PlatformSettings()
    codec = TokenCodec(s.jwt_secret.get_secret_value(), s.jwt_issuer, s.jwt_audience)
    principal = Principal(sub, role, community=community, street=street)  # type: ignore[arg-type]
    typer.echo(codec.issue(principal, ttl=timedelta(hours=hours)))


@app.command("trace")
def trace_cmd(
    report_id: Annotated[str, typer.Argument(help="The report whose journey to print.")],
    trace_dir: Annotated[Path | None, typer.Option(help="Span files folder.")] = None,
) -> None:
    """Print one report's journey across the services as a tree with timings."""
    from shared.settings import PlatformSettings
    from shared.telemetry.journey import journey, render_tree

    folder = trace_dir or PlatformSettings().trace_dir
    found = journey(folder, report_id)
    if not found:
        typer.echo(f"no spans mention report {report_id} in {folder} "
                   "(spans are flushed every half second; with OTLP set, look in Jaeger)", err=True)
        raise typer.Exit(1)
    for trace_id, spans in found.items():
        services = sorted({s["service"] for s in spans})
        typer.echo(f"trace {trace_id}  ({len(spans)} spans; {', '.join(services)})")
        for line in render_tree(spans):
            typer.echo("  " + line)


@app.command()
def asyncapi(
    out: Annotated[Path, typer.Option(help="Where the document lives.")] = Path("docs/asyncapi.json"),
    check: Annotated[bool, typer.Option(help="Fail if the file differs from the catalogue.")] = False,
) -> None:
    """Write the AsyncAPI 3.0 document of the events (or check the committed one is current)."""
    from shared.events.asyncapi import render

    text = render()
    if check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            typer.echo(f"{out} is out of date: run `nuanxin asyncapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out} is current")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command()
def boundaries(
    path: Annotated[Path, typer.Argument(help="GeoJSON of streets and communities.")],
    crs: Annotated[str | None, typer.Option(help="WGS84 or GCJ-02 (default: the file's hint).")] = None,
) -> None:
    """Check a boundary file (official or synthetic) before pointing routing at it."""
    from services.routing.geodata.check import check_boundaries

    r = check_boundaries(path, crs)
    typer.echo(f"{path}: {r.crs}, {r.streets} streets/towns, {r.communities} communities"
               f"{' (SYNTHETIC)' if r.synthetic else ''}")
    for label, codes in (("unknown community codes", r.unknown_codes),
                         ("invalid polygons", r.invalid),
                         ("communities under the wrong street", r.wrong_street),
                         ("communities with no polygon (their reports go to triage)", r.missing_codes)):
        if codes:
            typer.echo(f"  {label}: {len(codes)} ({', '.join(codes[:5])}{', ...' if len(codes) > 5 else ''})")
    if not r.usable:
        typer.echo("not usable: fix the above first", err=True)
        raise typer.Exit(1)
    typer.echo(f"usable: set NUANXIN_ROUTING_JURISDICTIONS_PATH={path.resolve()}"
               + (f" NUANXIN_ROUTING_JURISDICTIONS_CRS={crs}" if crs else "")
               + " and restart routing")


@app.command("points-audit")
def points_audit() -> None:
    """Rebuild the volunteer points ledger from the events and compare it with the live one."""
    from services.volunteers.app.rebuild import audit_database
    from services.volunteers.settings import VolunteersSettings
    from shared.settings import PlatformSettings

    result = asyncio.run(audit_database(PlatformSettings(), VolunteersSettings().rules()))
    typer.echo(result.summary())
    if not result.equal:
        raise typer.Exit(1)


@app.command("import-stations")
def import_stations(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or GeoJSON of stations.")],
    crs: Annotated[str | None, typer.Option(help="WGS84 or GCJ-02 for rows naming none.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or geojson (default: suffix).")] = None,
) -> None:
    """Import warm-map stations (暖新地图): every row valid or nothing written; upsert by id."""
    from services.stations.app.importer import run_import_file
    from services.stations.domain.records import ImportRejected
    from shared.settings import PlatformSettings

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"{stage} {done}/{total}", err=True)

    try:
        result = run_import_file(path, database_url=PlatformSettings().database_url, crs=crs, fmt=fmt,
                                 progress=progress)
    except ImportRejected as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"imported {result.rows} stations ({result.created} new, {result.updated} updated); "
               f"import {result.import_id}")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def bench(ctx: typer.Context) -> None:
    """Measure the stack as `make run` starts it and write bench/results/<timestamp>/report.md.

    The options are `python -m bench`'s (bench/options.py), passed on as given: `--help` lists them.
    """
    from bench.run import main

    raise typer.Exit(main(ctx.args, prog="nuanxin bench"))
