"""Incremental runs: what changed in tonight's drop, and which persons it can touch (no Prefect here).

Each validated record's raw fields are hashed (``store.publish.content_hashes``) and compared with the
hash the registry holds for the same ``(source, record_id)``: *new*, *changed*, *unchanged*; records the
registry holds that are not in the drop any more have *vanished*. Only new and changed records are
standardised to find their neighbourhood: the registry's live records sharing a block with them under
any blocking rule of the match settings (oversized blocks skipped, as the matcher does). The persons of
those neighbours, of the changed records and of the vanished records are *touched*: their live records
are matched again together with the new and changed ones, and only they are decided again. With the
stored model of the last full run, a neighbour counts only when a pair of it with a new or changed record
could reach the review weight (``matching.bounds``: an upper bound of the pair's weight from the columns
the registry stores); the others could only be non-matches of tonight's records, and deciding their
persons again would change nothing.

The frame is scored within the whole population: with the model (m, u, lambda) the last full run
trained on every record (``store.trained``; lambda scaled to the population's size) and with term
frequencies counted over the new and changed records and the unchanged live ones
(``Increment.frequencies``, counted during the neighbour search; when there was none,
``Increment.population`` holds the stored standardised columns of the live records not decided again to
count them over), so that a pair weighs what it would in a full run. Without a usable
stored model (none yet, other match settings, or one trained on a small registry, see
``pipelines.stages.stored_model``) the matcher trains on the frame itself, and a handful of records
alone would give a poorly trained model: the frame is then padded with whole persons drawn from the
rest of the registry (a fixed pseudo-random choice by registry id, up to ``BACKGROUND_RECORDS`` records
in all), who are decided again like the touched ones.

Unchanged records of the same touched person are tied together (``must_link``): the registry's earlier
decision on them stands and they can only gain records or merge with another person; a changed record
is decided afresh. Where the drop brought no new evidence the earlier decisions stand
(``keep_previous_decisions``): two unchanged records held as different persons are not merged by a
direct match, and a changed record stays with its person unless its own evidence (the pair's
comparison weights, without the population's prior) turns against them. A full rebuild (``registry run
--full``) decides every person again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import sqlalchemy as sa

from matching import MatchingError, MatchSettings, ScoredPairs, standardise_records
from matching.blocking import factorize_key, key_values, keyed_on_name_tokens
from matching.bounds import weight_bounds
from matching.comparisons import ValueFrequencies
from matching.frames import concat_rows, take_rows
from matching.linkage import population_frequencies
from matching.names import name_token_features
from matching.standardise import kk_number_values
from matching.text import positions_in
from store.frames import fetch_frame
from store.models import RAW_FIELDS, SourceRecord
from store.publish import content_hashes

__all__ = [
    "Increment",
    "held_name_tokens",
    "held_positions",
    "keep_previous_decisions",
    "plan_increment",
    "read_live_records",
    "unsettled_niks",
]

log = logging.getLogger(__name__)

_KEYS = ["source", "record_id"]
#: Records a frame to match holds at least (when the registry has them), so that training sees a sample.
BACKGROUND_RECORDS = 30_000
#: The name of the candidate pairs an increment adds: records that were one person before.
FORMER_PERSON_RULE = "former_person"
#: Stored standardised columns the blocking keys are derived from.
_BLOCKING_COLUMNS = ["nik_std", "name_key", "birth_date_std", "sex_std", "phone_std", "kelurahan_code"]


@dataclass(frozen=True)
class Increment:
    """What an incremental run decides again.

    ``records``: the canonical (raw) records to standardise and match, in drop order: new and changed
    records and every unchanged record of a touched person. ``touched``: the registry ids decided again.
    ``vanished``: keys of the held records gone from their source. ``must_link``: positional pairs of
    ``records`` (unchanged records of the same person). ``counts``: new, changed, unchanged, vanished,
    touched persons, records decided.
    """

    records: pd.DataFrame
    touched: frozenset[str]
    vanished: pd.DataFrame
    must_link: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    #: ``store.publish.content_hashes`` of ``records``, row by row.
    content_hashes: np.ndarray | None = None
    #: Per row of ``records``: the registry id it had (``None``: a new record) and whether it is new or
    #: changed (``fresh``).
    previous_ids: np.ndarray | None = None
    fresh: np.ndarray | None = None
    #: The stored standardised columns of the live records not decided again (term frequencies), and
    #: derived keys already computed for them (``matching.score_records(population_keys=…)``); only
    #: when ``frequencies`` were not counted already (then ``population_size`` is all scoring needs).
    population: pd.DataFrame | None = None
    population_keys: dict = field(default_factory=dict)
    #: How many live records are not decided again: the rest of the population the frame is scored in.
    population_size: int = 0
    #: ``standardise_records`` of the fresh rows of ``records`` (in their order), done to find neighbours.
    standardised_fresh: pd.DataFrame | None = None
    #: Term frequencies over the fresh and the unchanged live records (the frame and ``population``),
    #: counted to bound the neighbours' pairs (``matching.score_records(frequencies=…)``).
    frequencies: dict[str, ValueFrequencies] | None = None
    #: The cleaned KK numbers of the fresh and the unchanged live records: what the records standardised
    #: tonight are checked against (``matching.standardise_records(kk_numbers=…)``).
    kk_numbers: np.ndarray | None = None

    def standardised(self, rest: pd.DataFrame) -> pd.DataFrame:
        """The standardised ``records``, from ``rest`` (``standardise_records`` of the rows not fresh, in
        their order) and the fresh rows standardised already."""
        if self.standardised_fresh is None or self.fresh is None:
            return rest
        fresh = np.flatnonzero(self.fresh)
        order = np.concatenate([fresh, np.flatnonzero(~self.fresh)])
        parts = [part for part in (self.standardised_fresh, rest) if len(part)] or [rest]
        combined = concat_rows(parts)
        return take_rows(combined, np.argsort(order, kind="stable"))

    def pairs_of_former_persons(self) -> tuple[str, np.ndarray, np.ndarray] | None:
        """Positional pairs of ``records`` that were one person before, at least one of them new or
        changed: compared again whatever the blocking rules find (a changed record may no longer share a
        block with its person's other records), so ``keep_previous_decisions`` can weigh the link."""
        if self.previous_ids is None or self.fresh is None:
            return None
        frame = pd.DataFrame(
            {"id": self.previous_ids, "fresh": self.fresh, "position": np.arange(len(self.fresh))}
        )
        frame = frame.dropna(subset=["id"])
        pairs = frame.merge(frame, on="id", suffixes=("_l", "_r"))
        pairs = pairs[(pairs["position_l"] < pairs["position_r"]) & (pairs["fresh_l"] | pairs["fresh_r"])]
        return (
            FORMER_PERSON_RULE,
            pairs["position_l"].to_numpy(dtype=np.int64),
            pairs["position_r"].to_numpy(dtype=np.int64),
        )

    @property
    def to_standardise(self) -> pd.DataFrame:
        """The rows of ``records`` still to standardise (all, when none were)."""
        if self.standardised_fresh is None or self.fresh is None:
            return self.records
        return take_rows(self.records, np.flatnonzero(~self.fresh))

    @property
    def empty(self) -> bool:
        return len(self.records) == 0 and len(self.vanished) == 0


def read_live_records(engine: sa.Engine, sources: list[str]) -> pd.DataFrame:
    """The registry's live records of ``sources``: keys, registry id, content hash, KK number and NIK as
    sent (the NIK check of the records standardised again looks at every record's KK number; a NIK it
    refused may be accepted tonight) and the stored standardised columns the blocking keys derive from."""
    columns = [
        SourceRecord.source,
        SourceRecord.record_id,
        SourceRecord.registry_id,
        SourceRecord.content_hash,
        SourceRecord.kk_number,
        SourceRecord.nik,
    ]
    columns += [getattr(SourceRecord, name) for name in _BLOCKING_COLUMNS]
    statement = sa.select(*columns).where(SourceRecord.deleted_at.is_(None))
    with engine.connect() as connection:
        held = set(connection.execute(sa.select(SourceRecord.source).distinct()).scalars())
        if not held <= set(sources):
            # a filter on the key's first column reads through the index: twice the time of a scan
            statement = statement.where(SourceRecord.source.in_(sources))
        return fetch_frame(connection, statement)


def plan_increment(
    engine: sa.Engine,
    records: pd.DataFrame | Sequence[pd.DataFrame],
    settings: MatchSettings,
    *,
    held: pd.DataFrame | None = None,
    hashes: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    background: bool = True,
    model: dict[str, object] | None = None,
    held_tokens: pd.DataFrame | None = None,
) -> Increment:
    """Compare the drop's validated ``records`` (canonical frame, or the sources' frames in drop order)
    with the registry (see module docstring).

    ``held``: ``read_live_records`` of the records' sources, when already read; ``hashes``: the records'
    ``content_hashes``, and ``positions``: their ``held_positions`` in ``held``, when already computed
    (``validate_batch`` does both). ``background``: pad the frame with untouched persons for
    training; not needed when the frame is scored with the stored model of the whole population.
    ``model``: that stored model (``pipelines.stages.stored_model``); with it, a neighbour is touched
    only when a pair of it with a new or changed record could reach the review weight.
    ``held_tokens``: ``held_name_tokens(held)``, when already computed.
    """
    parts = [records] if isinstance(records, pd.DataFrame) else list(records)
    # the keys of every record in one frame; whole rows are taken from ``parts`` only where needed
    records = _take(parts, None, columns=[*_KEYS, *([] if hashes is not None else list(RAW_FIELDS))])
    sources = set(records["source"].unique())
    if held is None:
        held, positions, held_tokens = read_live_records(engine, sorted(sources)), None, None
    elif not set(held["source"].unique()) <= sources:
        ours = held["source"].isin(sources).to_numpy()
        held, positions = held[ours].reset_index(drop=True), None
        if held_tokens is not None:
            held_tokens = held_tokens[ours].reset_index(drop=True)
    current_hashes = content_hashes(records) if hashes is None else np.asarray(hashes, dtype=object)
    # (source, record_id) is the registry's primary key: each record finds at most one held row
    position = _positions(held, records) if positions is None else np.asarray(positions, dtype=np.int64)
    found = position >= 0
    registry_ids = np.full(len(records), None, dtype=object)
    registry_ids[found] = held["registry_id"].to_numpy(dtype=object)[position[found]]
    held_hashes = np.full(len(records), None, dtype=object)
    held_hashes[found] = held["content_hash"].to_numpy(dtype=object)[position[found]]
    is_new = ~found
    is_changed = found & (current_hashes != held_hashes)
    fresh = is_new | is_changed
    # held rows by what the drop says of them (no second key lookup: ``position`` maps drop → held)
    present = _held_mask(len(held), position[found])
    vanished = held.loc[~present, _KEYS].reset_index(drop=True)

    touched = set(registry_ids[is_changed]) | set(held.loc[~present, "registry_id"])
    names_of_held: pd.DataFrame | None = None
    standardised: pd.DataFrame | None = None
    frequencies: dict[str, ValueFrequencies] | None = None
    kk_numbers: np.ndarray | None = None
    if fresh.any():
        fresh_records = _take(parts, np.flatnonzero(fresh))
        stable = _held_mask(len(held), position[found & ~fresh])
        # the KK numbers of tonight's population: the NIK check sees them all, as in a full run
        kk_numbers = kk_number_values(
            pd.concat([held.loc[stable, "kk_number"], _column_or_none(fresh_records, "kk_number")])
        )
        standardised = standardise_records(fresh_records, kk_numbers=kk_numbers)
        neighbours, names_of_held, frequencies = _neighbours(
            held, stable, standardised, settings, model, held_tokens
        )
        touched |= neighbours
        if background:
            touched |= _background(held, touched, BACKGROUND_RECORDS - int(fresh.sum()))
    # (np.isin on object arrays compares every pair)
    decide = fresh | (~fresh & (positions_in(registry_ids, np.array(list(touched), dtype=object)) >= 0))
    chosen = np.flatnonzero(decide)
    tied = pd.Series(np.where(fresh[chosen], None, registry_ids[chosen]), dtype=object)
    must_link = _chains(tied)
    counts = {
        "new": int(is_new.sum()),
        "changed": int(is_changed.sum()),
        "unchanged": int((~fresh).sum()),
        "vanished": len(vanished),
        "touched_persons": len(touched),
        "decided_records": len(chosen),
    }
    log.info(
        "increment: %(new)d new, %(changed)d changed, %(unchanged)d unchanged, %(vanished)d vanished "
        "records; %(touched_persons)d persons touched, %(decided_records)d records decided again",
        counts,
    )
    # the live records not decided again: the rest of the population the frame is scored within (their
    # columns only when the term frequencies over them are still to count: 15 columns of 400k rows
    # take 0.5 s)
    others = np.flatnonzero(_held_mask(len(held), position[found & ~decide]))
    counted = frequencies is not None
    return Increment(
        records=_take(parts, chosen),
        population=None if counted else take_rows(held, others, _BLOCKING_COLUMNS),
        population_keys=(
            {"__name_tokens__": take_rows(names_of_held, others)}
            if names_of_held is not None and not counted
            else {}
        ),
        population_size=len(others),
        content_hashes=current_hashes[chosen],
        standardised_fresh=standardised,
        frequencies=frequencies,
        kk_numbers=kk_numbers,
        previous_ids=np.where(is_new[chosen], None, registry_ids[chosen]).astype(object),
        fresh=fresh[chosen],
        touched=frozenset(touched),
        vanished=vanished,
        must_link=must_link,
        counts=counts,
    )


def held_name_tokens(held: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame | None:
    """``name_token_features`` of the held records' (``read_live_records``) name keys, when a blocking rule
    is keyed on name tokens (else ``None``): the neighbour search's share of the work that needs no new
    or changed record, so that the flow can do it while the worker validates them
    (``plan_increment(held_tokens=…)``)."""
    if not keyed_on_name_tokens(settings.blocking.rules):
        return None
    return name_token_features(held["name_key"])


def _column_or_none(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column] if column in frame else pd.Series([], dtype=object)


def _take(
    parts: list[pd.DataFrame], positions: np.ndarray | None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Rows (positions into the parts one after another; ``None``: all) of the parts as one frame with a
    fresh index: the records of several sources without copying all of them into one frame first."""
    pieces, start = [], 0
    for part in parts:
        part = part if columns is None else part.loc[:, columns]
        if positions is None:
            pieces.append(part)
        else:
            inside = positions[(positions >= start) & (positions < start + len(part))] - start
            pieces.append(part.iloc[inside])
        start += len(part)
    if not pieces:
        return pd.DataFrame(columns=columns or [])
    return concat_rows(pieces)


def held_positions(held: pd.DataFrame, source: str, record_ids: pd.Series | np.ndarray) -> np.ndarray:
    """For each record id of ``source``, the position in ``held`` (``read_live_records``) of the live
    record with that key (-1: none); ``(source, record_id)`` is the registry's primary key, so there is
    at most one."""
    rows = np.flatnonzero(held["source"].to_numpy(dtype=object) == source)
    if len(rows) == 0:
        return np.full(len(record_ids), -1, dtype=np.int64)
    found = positions_in(np.asarray(record_ids, dtype=object), held["record_id"].to_numpy(dtype=object)[rows])
    return np.where(found >= 0, rows[np.maximum(found, 0)], -1).astype(np.int64)


def _positions(held: pd.DataFrame, records: pd.DataFrame) -> np.ndarray:
    """For each record, the position of the held row with its ``(source, record_id)`` (-1: none), looked
    up source by source (no key strings built for 400k rows)."""
    position = np.full(len(records), -1, dtype=np.int64)
    for source, rows in records.groupby("source", sort=False).indices.items():
        position[rows] = held_positions(held, source, records["record_id"].to_numpy(dtype=object)[rows])
    return position


def _held_mask(size: int, positions: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _neighbours(
    held: pd.DataFrame,
    stable: np.ndarray,
    fresh: pd.DataFrame,
    settings: MatchSettings,
    model: dict[str, object] | None = None,
    held_tokens: pd.DataFrame | None = None,
) -> tuple[set[str], pd.DataFrame | None, dict[str, ValueFrequencies] | None]:
    """Registry ids of the ``stable`` held records (a mask of ``held``) sharing a non-oversized block
    with any ``fresh`` record; the name tokens of every held record, when a rule needed them; and,
    with ``model``, the term frequencies over the fresh and stable records.

    With ``model`` (the stored model the frame will be scored with), only the held records of the
    pairs whose weight could reach the review weight count (``matching.bounds``): a neighbour that
    can pair with no fresh record above a non-match is not decided again.

    Blocks are keyed by the fresh records' values only: a held record's key is looked up among them
    (no codes for the whole registry's values); blocks are sized as the matcher would size them, over
    the stable and the fresh records. ``held_tokens``: the held records' ``held_name_tokens``, when
    already computed (the fresh records' are computed here and follow them)."""
    n_held = len(held)
    frame = pd.concat([held[_BLOCKING_COLUMNS], fresh[_BLOCKING_COLUMNS]], ignore_index=True)
    hit = np.zeros(n_held, dtype=bool)
    pair_codes: list[np.ndarray] = []
    cache: dict = {}
    if held_tokens is not None:
        # (tokens are per name: the held ones and the fresh ones are the tokens of the frame)
        cache["__name_tokens__"] = concat_rows([held_tokens, name_token_features(fresh["name_key"])])
    relative: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for rule in settings.blocking.rules:
        limit = rule.max_block_size or settings.blocking.max_block_size
        try:
            for key in rule.keys:
                if key not in relative:
                    relative[key] = _codes_of_fresh_values(key_values(frame, key, cache), n_held)
        except (KeyError, MatchingError):
            # a key the registry does not store: every held person may be a neighbour
            log.warning("blocking rule %s cannot be keyed on stored columns: every person touched", rule.name)
            return set(held.loc[stable, "registry_id"]), None, None
        blocks, held_blocks = _fresh_blocks([relative[key] for key in rule.keys])
        kept = held_blocks >= 0
        sizes = np.bincount(blocks[blocks >= 0], minlength=int(blocks.max(initial=-1)) + 1)
        sizes += np.bincount(held_blocks[kept & stable], minlength=len(sizes))[: len(sizes)]
        within = np.zeros(n_held, dtype=bool)
        within[kept] = sizes[held_blocks[kept]] <= limit
        if model is None:
            hit |= within
        else:
            held_rows, fresh_rows = _pairs_in_fresh_blocks(blocks, held_blocks, within & stable)
            pair_codes.append(held_rows * len(fresh) + fresh_rows)
    tokens = cache.get("__name_tokens__")
    names_of_held = None if tokens is None else tokens.iloc[:n_held]
    frequencies = None
    if model is not None:
        # the term frequencies the frame will be scored with, over the fresh and the stable records
        stable_rows = np.flatnonzero(stable)
        frequencies = population_frequencies(
            settings,
            [
                (fresh, {} if tokens is None else {"__name_tokens__": tokens.iloc[n_held:]}),
                (held, {} if names_of_held is None else {"__name_tokens__": names_of_held}, stable_rows),
            ],
        )
        codes = np.unique(np.concatenate(pair_codes)) if pair_codes else np.zeros(0, dtype=np.int64)
        held_rows, fresh_rows = codes // max(len(fresh), 1), codes % max(len(fresh), 1)
        bounds = weight_bounds(
            fresh,
            held,
            fresh_rows,
            held_rows,
            settings,
            model,
            records=len(fresh) + len(stable_rows),
            frequencies=frequencies,
            name_tokens=None if tokens is None else (tokens.iloc[n_held:], names_of_held),
            unsettled=unsettled_niks(held),
        )
        possible = bounds >= settings.thresholds.review_weight
        hit[held_rows[possible]] = True
        log.info(
            "neighbours: %d pairs of a new or changed record with a held record, %d of them could reach "
            "the review weight",
            len(codes),
            int(possible.sum()),
        )
    return set(held.loc[hit & stable, "registry_id"]), names_of_held, frequencies


def unsettled_niks(held: pd.DataFrame) -> np.ndarray | None:
    """A mask of ``held`` (``read_live_records``): the records the registry holds with a NIK it refused.
    Whether a NIK is refused can depend on the other records (one equal to another record's KK number),
    so tonight's standardisation may accept it (``matching.bounds``: ``unsettled``)."""
    if "nik" not in held:
        return None
    return (held["nik"].notna() & held["nik_std"].isna()).to_numpy()


def _pairs_in_fresh_blocks(
    fresh_blocks: np.ndarray, held_blocks: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (held row, fresh row) sharing a block, for the ``eligible`` held rows."""
    valid = np.flatnonzero(fresh_blocks >= 0)
    order = valid[np.argsort(fresh_blocks[valid], kind="stable")]
    counts = np.bincount(fresh_blocks[valid], minlength=int(fresh_blocks.max(initial=-1)) + 1)
    starts = np.cumsum(counts) - counts
    held_rows = np.flatnonzero(eligible)
    block = held_blocks[held_rows]
    repeats = counts[block]
    offsets = np.arange(int(repeats.sum()), dtype=np.int64) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    fresh_rows = order[np.repeat(starts[block], repeats) + offsets]
    return np.repeat(held_rows, repeats).astype(np.int64), fresh_rows.astype(np.int64)


def _codes_of_fresh_values(values: np.ndarray, n_held: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the fresh rows' values (after the ``n_held`` held rows; -1: missing) and, for each held
    row, the code of its value among them (-1: missing or no fresh record has it)."""
    fresh_codes, uniques = factorize_key(values[n_held:])
    held_codes = positions_in(values[:n_held], uniques)
    return fresh_codes.astype(np.int64), held_codes


def _fresh_blocks(per_key: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Block numbers of the fresh rows (combinations of their keys' codes; -1: a key missing) and of the
    held rows (the fresh block with the same key values; -1: none)."""
    fresh_codes, held_codes = per_key[0]
    fresh_block, held_block = fresh_codes.copy(), held_codes.copy()
    for fresh_codes, held_codes in per_key[1:]:
        width = int(max(fresh_codes.max(initial=-1), 0)) + 2
        fresh_pair = np.where((fresh_block >= 0) & (fresh_codes >= 0), fresh_block * width + fresh_codes, -1)
        held_pair = np.where((held_block >= 0) & (held_codes >= 0), held_block * width + held_codes, -1)
        numbers, combinations = pd.factorize(fresh_pair[fresh_pair >= 0])
        fresh_block = np.full(len(fresh_pair), -1, dtype=np.int64)
        fresh_block[fresh_pair >= 0] = numbers
        held_block = np.full(len(held_pair), -1, dtype=np.int64)
        known = held_pair >= 0
        held_block[known] = pd.Index(combinations).get_indexer(held_pair[known])
    return fresh_block, held_block


def _background(held: pd.DataFrame, touched: set[str], wanted: int) -> set[str]:
    """Whole untouched persons, in a fixed pseudo-random order of registry id, until the frame to match
    holds about ``wanted`` more records."""
    rest = held.loc[~held["registry_id"].isin(list(touched)), "registry_id"]
    already = int(held["registry_id"].isin(list(touched)).sum())
    if wanted - already <= 0 or rest.empty:
        return set()
    sizes = rest.value_counts()
    order = pd.util.hash_array(sizes.index.to_numpy(dtype=object)).argsort(kind="stable")
    sizes = sizes.iloc[order]
    chosen = sizes[sizes.cumsum() <= wanted - already]
    return set(chosen.index)


def _chains(registry_ids: pd.Series) -> np.ndarray:
    """Positional pairs tying each position to the first position with the same (non-missing) id."""
    frame = pd.DataFrame({"id": registry_ids, "position": np.arange(len(registry_ids))}).dropna()
    first = frame.groupby("id")["position"].transform("min")
    pairs = frame[frame["position"] != first]
    return np.column_stack([first[pairs.index].to_numpy(), pairs["position"].to_numpy()]).astype(np.int64)


def keep_previous_decisions(
    scored: ScoredPairs, increment: Increment, settings: MatchSettings
) -> ScoredPairs:
    """The registry's earlier decisions stand where tonight's drop brought no new evidence about a pair.

    - Two unchanged records the registry holds as different persons stay apart: a 'match' between them
      becomes 'review' (the model retrained on tonight's frame may weigh the same evidence a little
      differently; a full rebuild decides them afresh). A new or changed record can still join both.
    - A changed record stays with the person it belonged to unless its own evidence speaks against
      them: a pair of it with one of its person's records below the match weight is kept as a link when
      the pair's evidence alone (the comparisons' weights, without the population's prior) reaches the
      review weight. The prior says how rare a match is between two records drawn from the whole
      registry; these two were one person yesterday under the same record ids (hysteresis: a link is
      made at the match weight, and broken only when the evidence itself turns against it). Pairs the
      match rules hold back (e.g. suspected twins) stay in review.

    ``scored`` is positional into ``increment.records``.
    """
    if increment.previous_ids is None or increment.fresh is None or len(scored) == 0:
        return scored
    previous = increment.previous_ids
    fresh = increment.fresh
    left_id, right_id = previous[scored.left], previous[scored.right]
    known = pd.notna(left_id) & pd.notna(right_id)
    same = known & (left_id == right_id)
    both_unchanged = ~fresh[scored.left] & ~fresh[scored.right]
    code = scored.decision_code.copy()
    kept_apart = both_unchanged & known & ~same & (code == 0)
    thresholds = settings.thresholds
    evidence = scored.contributions.sum(axis=1, dtype=np.float64)
    below_match = scored.weight < thresholds.match_weight
    kept_together = (
        same & ~both_unchanged & (code != 0) & below_match & (evidence >= thresholds.review_weight)
    )
    code[kept_apart] = 1
    code[kept_together] = 0
    log.info(
        "earlier decisions kept: %d pairs of unchanged records kept apart, %d links of changed records kept",
        int(kept_apart.sum()),
        int(kept_together.sum()),
    )
    return replace(scored, decision_code=code)
