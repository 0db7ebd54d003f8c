"""`nuanxin dead-letters`: read the dead-letter topics, and replay letters once the cause is fixed.

Kafka's client is imported when a command runs, as the rest of the CLI does, so `nuanxin --help`
stays quick.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from shared.events.topics import ALL, dead_letter
from shared.settings import PlatformSettings

if TYPE_CHECKING:
    from shared.kafka.dead_letters import DeadLetter

dead_letters_app = typer.Typer(
    help="Read the dead-letter topics, and replay letters once the cause is fixed.", no_args_is_help=True
)
StreamOpt = Annotated[list[str] | None, typer.Option(
    "--topic", help="A stream (reports, cases, wishes, volunteers); repeatable; default all.")]


def _dead_letters(s: PlatformSettings, streams: list[str] | None) -> list[DeadLetter]:
    from aiokafka.errors import KafkaError

    from shared.kafka.dead_letters import read_dead_letters

    unknown = sorted(set(streams or ()) - set(ALL))
    if unknown:
        raise typer.BadParameter(f"unknown stream {', '.join(unknown)}; one of {', '.join(ALL)}",
                                 param_hint="--topic")
    topics = [s.topic(dead_letter(t)) for t in (streams or ALL)]
    try:
        letters, missing = asyncio.run(read_dead_letters(s.kafka_bootstrap_servers, topics))
    except TimeoutError as exc:
        typer.echo(f"the broker at {s.kafka_bootstrap_servers} answered, but too slowly: {exc}; "
                   "try again", err=True)
        raise typer.Exit(1) from None
    except (KafkaError, OSError) as exc:
        typer.echo(f"could not read the dead letters from Kafka at {s.kafka_bootstrap_servers}: "
                   f"{str(exc) or type(exc).__name__} (is KAFKA_BOOTSTRAP_SERVERS right, and the broker "
                   "up?)", err=True)
        raise typer.Exit(1) from None
    if missing:
        typer.echo(f"no topic {', '.join(missing)} on {s.kafka_bootstrap_servers} (namespace "
                   f"{s.namespace!r}: is NUANXIN_NAMESPACE right? services create the topics when "
                   "they start)", err=True)
        if len(missing) == len(topics):
            raise typer.Exit(1)
    return letters


def _echo_letter(letter: DeadLetter) -> None:
    d = letter.summary()
    at = datetime.fromtimestamp(d["at"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    typer.echo(f"{d['where']}  {at} UTC  {d['event_type'] or '(no type)'}  id {d['event_id'] or '-'}")
    typer.echo(f"    {d['consumer'] or '?'}: {d['error_type'] or '?'} after {d['attempts'] or '?'} "
               f"attempt(s): {(d['error'] or '')[:300]}")
    typer.echo(f"    published to {d['original']}")


@dead_letters_app.command("list")
def dead_letters_list(
    streams: StreamOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON object a letter, value included.")] = False,
) -> None:
    """Every dead letter now kept, with the consumer, the error and where the event came from."""
    letters = _dead_letters(PlatformSettings(), streams)
    if as_json:
        for letter in letters:
            d = letter.summary()
            try:
                d["value"] = (letter.value or b"").decode("utf-8")
            except UnicodeDecodeError:
                d["value_base64"] = base64.b64encode(letter.value or b"").decode()
            typer.echo(json.dumps(d, ensure_ascii=False))
        return
    if not letters:
        typer.echo("no dead letters")
        return
    for letter in letters:
        _echo_letter(letter)
    typer.echo("")
    kinds = Counter((d["consumer"], d["error_type"]) for d in (x.summary() for x in letters))
    typer.echo(f"{len(letters)} dead letter(s): " + "; ".join(
        f"{n} {consumer or '?'}/{error or '?'}" for (consumer, error), n in kinds.most_common()))


@dead_letters_app.command("replay")
def dead_letters_replay(
    which: Annotated[list[str] | None, typer.Argument(
        help="Letters to replay, by where (reports.dlq[0]@3, as `list` prints it) or event id.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every letter on the chosen topics.")] = False,
    streams: StreamOpt = None,
    consumer: Annotated[str | None, typer.Option(help="Only letters this consumer gave up on.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would be replayed; publish nothing.")] = False,
) -> None:
    """Publish dead letters again to the topic they came from, once the cause is fixed.

    Each keeps its key, value and original headers (ce_id included), so a consumer that applied
    the event already skips it and only the one that gave up applies it now; it lands after the
    newer events of its key. One that fails again is dead-lettered again.
    """
    from aiokafka.errors import KafkaError

    from shared.kafka.dead_letters import replay
    from shared.kafka.producer import create_producer

    if not which and not every:
        raise typer.BadParameter("name the letters to replay (where or event id, as `list` prints "
                                 "them), or give --all", param_hint="WHICH")
    s = PlatformSettings()
    letters = _dead_letters(s, streams)
    if consumer:
        letters = [x for x in letters if x.header("dlq_consumer") == consumer]
    if which:
        wanted = set(which)
        letters = [x for x in letters if x.where in wanted or x.event_id in wanted]
        found = {x.where for x in letters} | {x.event_id for x in letters}
        if missing := sorted(wanted - found):
            typer.echo(f"no such dead letter: {', '.join(missing)} (see `nuanxin dead-letters list`)",
                       err=True)
            raise typer.Exit(1)
    if not letters:
        typer.echo("nothing to replay")
        return
    for letter in letters:
        typer.echo(f"{'would replay' if dry_run else 'replaying'} {letter.where} -> {letter.original_topic}"
                   f"  ({letter.header('ce_type') or 'no type'}, id {letter.event_id or '-'})")
    if dry_run:
        return

    async def publish() -> None:
        producer = create_producer(s.kafka_bootstrap_servers, client_id="nuanxin-dead-letters")
        await producer.start()
        try:
            await replay(producer, letters)
        finally:
            await producer.stop()

    try:
        asyncio.run(publish())
    except (KafkaError, OSError) as exc:
        typer.echo(f"replay stopped: {str(exc) or type(exc).__name__}. Some letters may have gone out; "
                   "running it again is safe (consumers skip an event id they applied)", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"replayed {len(letters)}; a consumer that applied one already skips it (same ce_id)")
