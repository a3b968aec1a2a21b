"""The stewards' commands: ``registry review list``, ``registry review decide`` and ``export-outreach``.

``review list`` shows the doubtful pairs of the current registry with the compared fields masked (names
as initials, NIKs and phones with their middle digits starred); ``review decide`` stores a decision
keyed by the two records (``store.reviews``), which every later run applies as a must-link or
cannot-link constraint. ``export-outreach`` writes the coverage gap — working people without active
employment insurance — with contact details for collective registration drives; it prints only a count.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from pipelines.commands import fail, with_registry

__all__ = ["export_outreach_command", "review"]

#: Columns of ``review list --format csv``: the pair, then the compared fields, masked.
LIST_COLUMNS = [
    "pair_id", "source_l", "record_id_l", "source_r", "record_id_r", "weight", "decision", "stale",
    "full_name_l", "full_name_r", "nik_l", "nik_r", "birth_date_l", "birth_date_r", "sex_l", "sex_r",
    "phone_l", "phone_r", "kelurahan_l", "kelurahan_r",
]  # fmt: skip


def _steward() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


@click.group()
def review() -> None:
    """The stewards' review queue: list doubtful pairs, decide them."""


@review.command("list")
@click.option("--db", help="Registry database URL.")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("--all", "include_decided", is_flag=True, help="Also list pairs already decided.")
def list_command(db: str | None, output: str, include_decided: bool) -> None:
    """The pairs waiting for a steward (highest weight first; stale decisions on top), fields masked."""
    from reporting.masking import mask_frame
    from store.reviews import review_queue

    queue = with_registry(db, lambda engine: review_queue(engine, include_decided=include_decided))
    shown = mask_frame(queue.reindex(columns=LIST_COLUMNS), names=True)
    shown["weight"] = shown["weight"].astype(float).round(2)
    shown["decision"] = shown["decision"].fillna("")
    shown["stale"] = shown["stale"].map({True: "yes", False: ""}).fillna("")
    if output == "csv":
        click.echo(shown.to_csv(index=False), nl=False)
        return
    if shown.empty:
        click.echo("the review queue is empty")
        return
    for row in shown.itertuples(index=False):
        flag = f"  [{row.decision}, STALE: a record changed since]" if row.stale else ""
        click.echo(
            f"pair {row.pair_id}  weight {row.weight:.2f}  {row.source_l}/{row.record_id_l}  ~  "
            f"{row.source_r}/{row.record_id_r}{flag}"
        )
        for field in ("full_name", "nik", "birth_date", "sex", "phone", "kelurahan"):
            left, right = getattr(row, f"{field}_l"), getattr(row, f"{field}_r")
            mark = "=" if left == right and left not in ("", None) else " "
            click.echo(f"    {field:<11}{_text(left):<32}{mark} {_text(right)}")
    click.echo(f"{len(shown):,} pairs; decide with `registry review decide PAIR_ID --match|--non-match`")


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value)


@review.command("decide")
@click.argument("pair_id", type=int)
@click.option("--match/--non-match", "is_match", default=None, help="The two records are one person, or not.")
@click.option("--note", help="Why (kept with the decision).")
@click.option("--by", "by", help="Who decides (default: the OS user).")
@click.option("--db", help="Registry database URL.")
def decide_command(
    pair_id: int, is_match: bool | None, note: str | None, by: str | None, db: str | None
) -> None:
    """Decide pair PAIR_ID (from `review list`): every later run keeps the two records together
    (--match) or apart (--non-match)."""
    from store.reviews import record_decision

    if is_match is None:
        fail("say --match or --non-match")
    decision = "match" if is_match else "non-match"
    key = with_registry(
        db, lambda engine: record_decision(engine, pair_id, decision, by=by or _steward(), note=note)
    )
    click.echo(
        f"pair {pair_id} ({key['source_l']}/{key['record_id_l']} ~ {key['source_r']}/{key['record_id_r']}) "
        f"decided {decision}; the next run applies it"
    )


@click.command("export-outreach")
@click.option("--db", help="Registry database URL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
@click.option("--informal-only", is_flag=True, help="Only informal / gig workers (BPU-type occupations).")
def export_outreach_command(db: str | None, out: Path, informal_only: bool) -> None:
    """Write the working people without active employment insurance (with contact details) to a CSV."""
    from reporting.coverage import export_outreach

    count = with_registry(db, lambda engine: export_outreach(engine, out, informal_only=informal_only))
    click.echo(f"wrote {count:,} workers without active employment insurance to {out}")
