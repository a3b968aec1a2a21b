"""The ``registry`` command: run the sync, make sample drops, export and evaluate the registry.

Errors that a user can act on (a missing file, a bad column, an unreachable database) end the command
with one line on stderr and exit status 2 — never a traceback. Output carries counts and ids only.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from pipelines.commands import fail, pseudonymiser_option, with_registry
from pipelines.settings import EXECUTOR_CHOICES, SOURCE_CHOICES, RegistrySettings

__all__ = ["console_main", "main"]

_OUR_LOGGERS = "connectors,matching,expectations,store,reporting,pipelines,synthetic"
#: Seconds a run waits for its temporary Prefect server (no PREFECT_API_URL) to answer.
TEMPORARY_SERVER_TIMEOUT = 180


def _quiet_third_parties() -> None:
    """Settings that must be in place before Prefect or GX is imported."""
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", _OUR_LOGGERS)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # the first temporary server on a machine creates and migrates Prefect's database: more than
    # Prefect's 20 s on a slow 2-core machine (the quick start's `make run` on a fresh clone)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(TEMPORARY_SERVER_TIMEOUT))


class _UserErrorTracebackFilter(logging.Filter):
    """Drops the traceback from Prefect's failure logs when the error is one a user can act on.

    The message (which names the source, file and column, never a personal value) is kept. A registry
    database that went away (``DATABASE_ERRORS``) is one too: the command ends with one line saying so.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from connectors.errors import RegistryError
        from matching.errors import MatchingError
        from pipelines.commands import DATABASE_ERRORS

        hidden = (RegistryError, MatchingError, *DATABASE_ERRORS)
        if record.exc_info and isinstance(record.exc_info[1], hidden):
            record.exc_info = None
            record.exc_text = None
        return True


def _hide_user_error_tracebacks() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.task_engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(item, _UserErrorTracebackFilter) for item in logger.filters):
            logger.addFilter(_UserErrorTracebackFilter())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    envvar="REGISTRY_LOG_LEVEL",
    help="Level of the log lines (default INFO for the registry's own, Prefect's setting for Prefect's); "
    "also REGISTRY_LOG_LEVEL. They carry counts and ids only, at any level.",
)
def main(log_level: str | None) -> None:
    """Unified Registry (Registri Terpadu): link three agencies' participant lists into one registry."""
    _quiet_third_parties()
    if log_level:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level.upper())  # read when Prefect is imported
        for name in _OUR_LOGGERS.split(","):
            logging.getLogger(name).setLevel(log_level.upper())


def _run_options(function):  # type: ignore[no-untyped-def]
    """Where the sync reads and writes: the options ``run`` and ``serve`` share."""
    for option in reversed(
        [
            click.option(
                "--config", type=click.Path(path_type=Path), help="sources.yaml of the drop to read."
            ),
            click.option("--db", help="Registry database URL (default sqlite:///registry.db)."),
            click.option(
                "--report-dir", type=click.Path(path_type=Path), help="Folder for the run's HTML report."
            ),
            click.option("--match-settings", type=click.Path(path_type=Path), help="Matching preset YAML."),
        ]
    ):
        function = option(function)
    return function


@main.command()
@_run_options
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(SOURCE_CHOICES),
    help="Refresh only this source (repeatable); the others are carried over from the registry.",
)
@click.option("--full", is_flag=True, help="Force a full rebuild (default: incremental).")
@click.option("--dry-run", is_flag=True, help="Do everything but publish; report what would change.")
@click.option("--threshold", type=float, help="Match weight threshold, instead of the preset's.")
@click.option(
    "--executor",
    type=click.Choice(EXECUTOR_CHOICES),
    help="Where standardisation and matching run: local (default) or dask (a dask.distributed cluster).",
)
@click.option(
    "--dask-address",
    help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --executor dask; without it, dask "
    "starts a temporary local cluster).",
)
def run(
    config: Path | None,
    db: str | None,
    report_dir: Path | None,
    match_settings: Path | None,
    only: tuple[str, ...],
    full: bool,
    dry_run: bool,
    threshold: float | None,
    executor: str | None,
    dask_address: str | None,
) -> None:
    """Run the sync once, locally (no Prefect server needed)."""
    from connectors.errors import RegistryError
    from matching.errors import MatchingError
    from pipelines.commands import DATABASE_ERRORS, database_unavailable

    if executor == "local" and dask_address:
        fail("--dask-address needs --executor dask (or no --executor)")

    defaults = RegistrySettings()
    config = config or defaults.config
    db = db or defaults.db
    report_dir = report_dir or defaults.report_dir
    match_settings = match_settings or defaults.match_settings
    from pipelines.flow import sync

    _hide_user_error_tracebacks()
    try:
        with _progress_display():
            result = sync(
                config=str(config),
                db=db,
                only=list(only) or None,
                full=full,
                dry_run=dry_run,
                threshold=threshold,
                report_dir=str(report_dir),
                match_settings=str(match_settings) if match_settings else None,
                executor=executor,
                dask_address=dask_address,
            )
    except (RegistryError, MatchingError) as error:
        fail(str(error))
    except DATABASE_ERRORS as error:  # the registry database went away during the run
        fail(database_unavailable(db, error))
    except RuntimeError as error:
        if not _temporary_server_failed(error):
            raise
        fail(
            f"the temporary Prefect server did not answer within "
            f"{os.environ.get('PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS')} s: point "
            "PREFECT_API_URL at a running server (prefect server start) or raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
        )
    _print_counts(result, db)


def _temporary_server_failed(error: RuntimeError) -> bool:
    """Prefect's error when the temporary server it starts for a run does not come up in time."""
    return "ephemeral Prefect API server" in str(error)


@main.command()
@_run_options
@click.option("--cron", default=None, help="Cron schedule of the nightly run (default 0 2 * * *).")
@click.option("--timezone", default=None, help="Time zone of the schedule (default Asia/Jakarta).")
@click.option(
    "--full-cron",
    default=None,
    help="Cron schedule of the full rebuilds that retrain the match model (default 0 4 * * 0, Sundays "
    "04:00; 'off' for none).",
)
def serve(
    config: Path | None,
    db: str | None,
    report_dir: Path | None,
    match_settings: Path | None,
    cron: str | None,
    timezone: str | None,
    full_cron: str | None,
) -> None:
    """Create or update the deployment sync/nightly and serve it from this process (stop with Ctrl-C).

    Runs on its schedule and any run started with `prefect deployment run sync/nightly` execute here.
    Point PREFECT_API_URL at a Prefect server first (see the README).
    """
    from pipelines.deployment import (
        FULL_REBUILD_CRON,
        NIGHTLY_CRON,
        NIGHTLY_TIMEZONE,
        nightly_deployment,
        serve_deployments,
    )

    defaults = RegistrySettings()
    if not os.environ.get("PREFECT_API_URL"):
        click.echo(
            "registry: warning: PREFECT_API_URL is not set; the deployment goes to a temporary Prefect "
            "server that ends with this process. Start one with `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api.",
            err=True,
        )
    match_settings = match_settings or defaults.match_settings
    deployment = nightly_deployment(
        config=config or defaults.config,
        db=db or defaults.db,
        report_dir=report_dir or defaults.report_dir,
        match_settings=match_settings,
        cron=cron or NIGHTLY_CRON,
        timezone=timezone or NIGHTLY_TIMEZONE,
        full_cron=None if (full_cron or "").lower() == "off" else full_cron or FULL_REBUILD_CRON,
    )
    _hide_user_error_tracebacks()
    serve_deployments(deployment)


@contextmanager
def _progress_display() -> Iterator[None]:
    """A live display of the stages when stderr is a terminal; otherwise the log lines are the progress."""
    if not sys.stderr.isatty():
        yield
        return
    from pipelines.progress import TerminalProgress, watching

    quieted = _quiet_console_logging()
    try:
        with TerminalProgress() as display, watching(display):
            yield
    finally:
        for handler, level in quieted:
            handler.setLevel(level)


def _quiet_console_logging() -> list[tuple[logging.Handler, int]]:
    """Console log handlers show warnings only while the live display draws (they would tear it)."""
    names = ("", "prefect", *_OUR_LOGGERS.split(","))
    changed = []
    for handler in {handler for name in names for handler in logging.getLogger(name).handlers}:
        stream = getattr(handler, "stream", None)
        on_terminal = stream in (sys.stderr, sys.stdout) or getattr(stream, "isatty", lambda: False)()
        if on_terminal and handler.level < logging.WARNING:
            changed.append((handler, handler.level))
            handler.setLevel(logging.WARNING)
    return changed


def _print_counts(result: dict, db: str) -> None:
    from store import redact_url

    read, linked, quarantined = result["read"], result["linked"], result["quarantined"]
    held = set(result.get("held", ()))
    click.echo("")
    click.echo(f"{'source':<24}{'read':>10}{'linked':>10}{'quarantined':>13}")
    for source in read:
        note = "  (carried over)" if source in held else ""
        click.echo(
            f"{source:<24}{read[source]:>10,}{linked.get(source, 0):>10,}"
            f"{quarantined.get(source, 0):>13,}{note}"
        )
    total_read, total_linked = sum(read.values()), sum(linked.values())
    total_quarantined = sum(quarantined.values())
    click.echo(f"{'total':<24}{total_read:>10,}{total_linked:>10,}{total_quarantined:>13,}")
    balanced = total_read == total_linked + total_quarantined
    verdict = "every record accounted for" if balanced else "RECORDS UNACCOUNTED FOR"
    click.echo(
        f"check: read {total_read:,} = linked {total_linked:,} + quarantined {total_quarantined:,}: {verdict}"
    )
    gone, before = result.get("ids_disappeared", 0), result.get("persons_before", 0)
    click.echo(
        f"registry persons: {result['persons']:,} ({result['new_persons']:,} new, "
        f"{gone:,} registry ids gone; before the run: {before:,})"
    )
    click.echo(f"registry: {redact_url(db)}")
    click.echo(f"report:   {result['report']}")
    if result.get("dry_run"):
        click.echo("dry run: nothing was published")
    if not balanced:
        sys.exit(1)


@main.command()
@click.option("--persons", type=click.IntRange(min=1), required=True, help="How many people to simulate.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write the drop into.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same drop).")
def samples(persons: int, out: Path, seed: int) -> None:
    """Write a synthetic drop of the three agency exports (plus truth.csv and sources.yaml)."""
    from synthetic import generate_drop

    out.mkdir(parents=True, exist_ok=True)
    summary = generate_drop(persons, out, seed=seed)
    for source, count in summary.counts.items():
        click.echo(f"{source:<24}{count:>10,} records")
    click.echo(f"wrote a drop of {persons:,} persons to {out} (config: {out / 'sources.yaml'})")


_PSEUDONYMISE_HELP = (
    "Replace NIKs with keyed HMAC-SHA256 pseudonyms (key: REGISTRY_PSEUDONYMISE_KEY, at least 32 bytes), "
    "for agencies that must not receive raw NIKs."
)


@main.command("export-links")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
@click.option("--pseudonymise", is_flag=True, help=_PSEUDONYMISE_HELP + " Adds nik_pseudonym per record.")
def export_links_command(db: str | None, out: Path, pseudonymise: bool) -> None:
    """Write source,record_id,registry_id for every source record the registry holds."""
    from store.exports import export_links

    pseudonymiser = pseudonymiser_option(pseudonymise)
    count = with_registry(db, lambda engine: export_links(engine, out, pseudonymiser))
    note = " (with NIK pseudonyms)" if pseudonymiser else ""
    click.echo(f"wrote {count:,} links to {out}{note}")


@main.command("export-persons")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
@click.option(
    "--pseudonymise",
    is_flag=True,
    help=_PSEUDONYMISE_HELP + " Also leaves out names, phones, street addresses, RT/RW and exact birth "
    "dates (birth_year instead).",
)
def export_persons_command(db: str | None, out: Path, pseudonymise: bool) -> None:
    """Write every registry person: registry_id, golden attributes (NIK included) and coverage flags."""
    from store.exports import export_persons

    pseudonymiser = pseudonymiser_option(pseudonymise)
    count = with_registry(db, lambda engine: export_persons(engine, out, pseudonymiser))
    note = " (pseudonymised: no NIK, name, phone, street address or birth date)" if pseudonymiser else ""
    click.echo(f"wrote {count:,} persons to {out}{note}")


@main.command("export-quarantine")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def export_quarantine_command(db: str | None, out: Path) -> None:
    """Write source,record_id,reason for every quarantined source row."""
    from store.exports import export_quarantine

    count = with_registry(db, lambda engine: export_quarantine(engine, out))
    click.echo(f"wrote {count:,} quarantined records to {out}")


@main.command()
@click.option("--truth", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True)
@click.option("--db", help="Registry database URL.")
def evaluate(truth: Path, db: str | None) -> None:
    """Pairwise precision, recall and F1 of the registry against a drop's truth.csv."""
    from pipelines.evaluation import evaluate_registry

    scores = with_registry(db, lambda engine: evaluate_registry(engine, truth))
    click.echo(f"records evaluated: {scores.records:,} (in truth but not linked: {scores.unlinked:,})")
    click.echo(f"true pairs: {scores.true_pairs:,}  predicted pairs: {scores.predicted_pairs:,}")
    click.echo(f"precision: {scores.precision:.5f}  recall: {scores.recall:.5f}  F1: {scores.f1:.5f}")


@main.group()
def db() -> None:
    """The registry database's schema."""


@db.command("upgrade")
@click.option("--db", "url", help="Registry database URL.")
def db_upgrade(url: str | None) -> None:
    """Create or upgrade the registry's schema to the newest migration."""
    import sqlalchemy as sa

    from store import redact_url
    from store.schema import current_revision, head_revision, upgrade_schema

    url = url or RegistrySettings().db
    try:
        engine = sa.create_engine(url)
    except sa.exc.ArgumentError:
        fail(f"not a database URL: {redact_url(url)}")
    try:
        before = current_revision(engine)
        upgrade_schema(engine)
    except sa.exc.OperationalError as error:
        fail(f"cannot upgrade the registry at {redact_url(url)}: {error.orig}")
    finally:
        engine.dispose()
    click.echo(f"registry schema at {redact_url(url)}: {before or 'empty'} -> {head_revision()}")


# the stewards' commands (review list / review decide, export-outreach) live in pipelines/review.py
from pipelines.review import export_outreach_command, review  # noqa: E402

main.add_command(review)
main.add_command(export_outreach_command)


def console_main() -> NoReturn:
    """The ``registry`` console script: :func:`main`, then an exit without the interpreter's teardown.

    With pandas, Prefect and GX imported, Python spends 1.5-2 s at exit clearing every module, longer
    than some commands take. What matters of a normal exit is done first, in Python's own order: wait
    for the threads that are not daemons and run threading's exit hooks (Prefect's log and event
    workers send their last batches there), run the ``atexit`` callbacks (logging shutdown,
    finalizers), flush stdout and stderr; then ``os._exit`` with the command's status. An unexpected
    exception leaves the normal way, with its traceback.
    """
    try:
        main()
        status: object = 0
    except SystemExit as leaving:
        status = leaving.code
    if status is None:
        status = 0
    elif not isinstance(status, int):  # sys.exit("message"): printed, status 1, as Python does
        print(status, file=sys.stderr)
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    console_main()
