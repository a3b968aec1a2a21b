"""The ``registry`` command: run the sync, make sample drops, export and evaluate the registry.

Errors that a user can act on (a missing file, a bad column, an unreachable database) end the command
with one line on stderr and exit status 2 — never a traceback. Output carries counts and ids only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from pipelines.settings import RegistrySettings

__all__ = ["main"]

_OUR_LOGGERS = "connectors,matching,expectations,store,reporting,pipelines,synthetic"


def _quiet_third_parties() -> None:
    """Settings that must be in place before Prefect or GX is imported."""
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", _OUR_LOGGERS)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


class _UserErrorTracebackFilter(logging.Filter):
    """Drops the traceback from Prefect's failure logs when the error is one a user can act on.

    The message (which names the source, file and column, never a personal value) is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from connectors.errors import RegistryError
        from matching.errors import MatchingError

        if record.exc_info and isinstance(record.exc_info[1], RegistryError | MatchingError):
            record.exc_info = None
            record.exc_text = None
        return True


def _hide_user_error_tracebacks() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.task_engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(item, _UserErrorTracebackFilter) for item in logger.filters):
            logger.addFilter(_UserErrorTracebackFilter())


def _fail(message: str) -> None:
    click.echo(f"registry: error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Unified Registry (Registri Terpadu): link three agencies' participant lists into one registry."""
    _quiet_third_parties()


@main.command()
@click.option("--config", type=click.Path(path_type=Path), help="sources.yaml of the drop to read.")
@click.option("--db", help="Registry database URL (default sqlite:///registry.db).")
@click.option("--report-dir", type=click.Path(path_type=Path), help="Folder for the run's HTML report.")
@click.option("--match-settings", type=click.Path(path_type=Path), help="Matching preset YAML.")
def run(config: Path | None, db: str | None, report_dir: Path | None, match_settings: Path | None) -> None:
    """Run the nightly sync once, locally (no Prefect server needed)."""
    from connectors.errors import RegistryError
    from matching.errors import MatchingError

    defaults = RegistrySettings()
    config = config or defaults.config
    db = db or defaults.db
    report_dir = report_dir or defaults.report_dir
    match_settings = match_settings or defaults.match_settings
    from pipelines.flow import sync

    _hide_user_error_tracebacks()
    try:
        result = sync(
            config=str(config),
            db=db,
            report_dir=str(report_dir),
            match_settings=str(match_settings) if match_settings else None,
        )
    except (RegistryError, MatchingError) as error:
        _fail(str(error))
    _print_counts(result, db)


def _print_counts(result: dict, db: str) -> None:
    from store import redact_url

    read, linked, quarantined = result["read"], result["linked"], result["quarantined"]
    click.echo("")
    click.echo(f"{'source':<24}{'read':>10}{'linked':>10}{'quarantined':>13}")
    for source in read:
        click.echo(
            f"{source:<24}{read[source]:>10,}{linked.get(source, 0):>10,}{quarantined.get(source, 0):>13,}"
        )
    total_read, total_linked = sum(read.values()), sum(linked.values())
    total_quarantined = sum(quarantined.values())
    click.echo(f"{'total':<24}{total_read:>10,}{total_linked:>10,}{total_quarantined:>13,}")
    balanced = total_read == total_linked + total_quarantined
    verdict = "every record accounted for" if balanced else "RECORDS UNACCOUNTED FOR"
    click.echo(
        f"check: read {total_read:,} = linked {total_linked:,} + quarantined {total_quarantined:,}: {verdict}"
    )
    click.echo(f"registry persons: {result['persons']:,} ({result['new_persons']:,} new)")
    click.echo(f"registry: {redact_url(db)}")
    click.echo(f"report:   {result['report']}")
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


@main.command("export-links")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def export_links_command(db: str | None, out: Path) -> None:
    """Write source,record_id,registry_id for every source record the registry holds."""
    from store import export_links

    count = _with_registry(db, lambda engine: export_links(engine, out))
    click.echo(f"wrote {count:,} links to {out}")


@main.command("export-quarantine")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def export_quarantine_command(db: str | None, out: Path) -> None:
    """Write source,record_id,reason for every quarantined source row."""
    from store import export_quarantine

    count = _with_registry(db, lambda engine: export_quarantine(engine, out))
    click.echo(f"wrote {count:,} quarantined records to {out}")


@main.command()
@click.option("--truth", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True)
@click.option("--db", help="Registry database URL.")
def evaluate(truth: Path, db: str | None) -> None:
    """Pairwise precision, recall and F1 of the registry against a drop's truth.csv."""
    from pipelines.evaluation import evaluate_registry

    scores = _with_registry(db, lambda engine: evaluate_registry(engine, truth))
    click.echo(f"records evaluated: {scores.records:,} (in truth but not linked: {scores.unlinked:,})")
    click.echo(f"true pairs: {scores.true_pairs:,}  predicted pairs: {scores.predicted_pairs:,}")
    click.echo(f"precision: {scores.precision:.5f}  recall: {scores.recall:.5f}  F1: {scores.f1:.5f}")


def _with_registry(db: str | None, action):  # type: ignore[no-untyped-def]
    from connectors.errors import RegistryError
    from store import open_registry

    url = db or RegistrySettings().db
    try:
        engine = open_registry(url, create=False)
        try:
            return action(engine)
        finally:
            engine.dispose()
    except RegistryError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{error.filename or ''}: {error.strerror}")


if __name__ == "__main__":  # pragma: no cover
    main()
