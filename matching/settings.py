"""Match settings as data: frozen pydantic models loaded from a YAML preset.

A preset says how to find candidate pairs (blocking rules), how to compare them (comparisons with
their level thresholds), how to train the Fellegi–Sunter model without labels (EM options and the
training blocking rules), where to draw the line (thresholds) and how to guard the clusters.
Every model forbids unknown keys, so a typo in a preset fails at load time, and
:func:`settings_hash` gives a stable fingerprint to record with every run.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from matching.errors import MatchSettingsError

__all__ = [
    "BlockingRule",
    "BlockingSettings",
    "ComparisonSettings",
    "TrainingRule",
    "EMSettings",
    "ThresholdSettings",
    "ClusteringSettings",
    "MatchSettings",
    "load_settings",
    "settings_hash",
    "training_hash",
    "DEFAULT_PRESET",
]

DEFAULT_PRESET = "default.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BlockingRule(_Frozen):
    """Records are candidates when they agree exactly on every key column (none missing)."""

    name: str = Field(min_length=1)
    keys: tuple[str, ...] = Field(min_length=1)
    max_block_size: int | None = Field(default=None, ge=2, description="overrides the default")


class BlockingSettings(_Frozen):
    rules: tuple[BlockingRule, ...] = Field(min_length=1)
    max_block_size: int = Field(default=500, ge=2, description="blocks above this size are skipped")
    pair_ceiling: int = Field(default=200_000_000, ge=1, description="max candidate pairs per rule and total")

    @model_validator(mode="after")
    def _unique_names(self) -> BlockingSettings:
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"blocking rule names must be unique: {names}")
        return self


ComparisonKind = Literal["name", "date", "nik", "exact", "phone", "place", "string"]


class ComparisonSettings(_Frozen):
    """One comparison. Levels (fixed order) depend on ``kind``; see ``matching.comparisons``."""

    name: str = Field(min_length=1)
    kind: ComparisonKind
    column: str | None = Field(default=None, description="standardised column compared (not for 'place')")
    thresholds: tuple[float, ...] = Field(default=(), description="similarity thresholds, high to low")
    term_frequency: bool = Field(default=False, description="adjust exact agreement by value frequency")
    tf_minimum: float = Field(default=1e-6, gt=0, le=1, description="floor of the value frequency")
    max_edits: int = Field(default=1, ge=0, le=3, description="name: edits between corresponding tokens")

    @model_validator(mode="after")
    def _check(self) -> ComparisonSettings:
        if self.kind != "place" and not self.column:
            raise ValueError(f"comparison {self.name!r} of kind {self.kind!r} needs a column")
        if list(self.thresholds) != sorted(self.thresholds, reverse=True):
            raise ValueError(f"comparison {self.name!r}: thresholds must run from high to low")
        if any(not 0 < t <= 1 for t in self.thresholds):
            raise ValueError(f"comparison {self.name!r}: thresholds must lie in (0, 1]")
        return self


class TrainingRule(_Frozen):
    """A blocking rule used only to train m-probabilities (Splink-style sessions): comparisons in
    ``not_estimated`` are biased by the blocking and keep no estimate from this session."""

    name: str = Field(min_length=1)
    keys: tuple[str, ...] = Field(min_length=1)
    not_estimated: tuple[str, ...] = ()


class EMSettings(_Frozen):
    max_iterations: int = Field(default=200, ge=1)
    tolerance: float = Field(default=1e-6, gt=0)
    u_sample_pairs: int = Field(default=2_000_000, ge=1000, description="random pairs for u")
    training_sample_pairs: int = Field(default=3_000_000, ge=1000, description="max pairs per session")
    training_rules: tuple[TrainingRule, ...] = Field(min_length=1)
    probability_floor: float = Field(default=1e-6, gt=0, lt=0.01, description="floor of every m and u")
    seed: int = 20240817


class ThresholdSettings(_Frozen):
    match_weight: float = Field(description="total match weight (log2 Bayes factor incl. prior) for 'match'")
    review_weight: float = Field(description="pairs between this and match_weight go to 'review'")
    match_requires: tuple[dict[str, tuple[str, ...]], ...] = Field(
        default=(),
        description=(
            "alternatives, each mapping comparisons to allowed level names; a pair above match_weight "
            "that satisfies none of them is sent to 'review' instead (empty: no requirement)"
        ),
    )

    @model_validator(mode="after")
    def _order(self) -> ThresholdSettings:
        if self.review_weight > self.match_weight:
            raise ValueError("review_weight must not exceed match_weight")
        return self


class ClusteringSettings(_Frozen):
    nik_guard: bool = Field(default=True, description="never join different, self-consistent valid NIKs")
    nik_guard_max_distance: int = Field(
        default=1, ge=0, description="NIKs this close (edits) may still be typos of each other"
    )


class MatchSettings(_Frozen):
    version: Literal[1] = 1
    blocking: BlockingSettings
    comparisons: tuple[ComparisonSettings, ...] = Field(min_length=1)
    em: EMSettings
    thresholds: ThresholdSettings
    clustering: ClusteringSettings = ClusteringSettings()

    @model_validator(mode="after")
    def _cross_check(self) -> MatchSettings:
        names = [c.name for c in self.comparisons]
        if len(set(names)) != len(names):
            raise ValueError(f"comparison names must be unique: {names}")
        for rule in self.em.training_rules:
            unknown = set(rule.not_estimated) - set(names)
            if unknown:
                raise ValueError(f"training rule {rule.name!r} names unknown comparisons {sorted(unknown)}")
        return self


def settings_hash(settings: MatchSettings) -> str:
    """Stable SHA-256 (hex, 16 chars) of the settings' canonical JSON."""
    payload = json.dumps(settings.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def training_hash(settings: MatchSettings) -> str:
    """:func:`settings_hash` of what a trained model depends on: blocking, comparisons and EM (not the
    thresholds or the clustering, which only decide on the weights)."""
    payload = json.dumps(
        settings.model_dump(mode="json", exclude={"thresholds", "clustering"}),
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def load_settings(path: str | Path | None = None) -> MatchSettings:
    """Load and validate a preset. ``None`` loads the shipped ``presets/default.yaml``.

    Raises :class:`MatchSettingsError` listing every problem found.
    """
    try:
        if path is None:
            text = resources.files("matching.presets").joinpath(DEFAULT_PRESET).read_text(encoding="utf-8")
            origin = f"presets/{DEFAULT_PRESET}"
        else:
            text = Path(path).read_text(encoding="utf-8")
            origin = str(path)
    except OSError as exc:
        raise MatchSettingsError(f"cannot read match settings {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MatchSettingsError(f"match settings {origin} are not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MatchSettingsError(f"match settings {origin} must be a mapping")
    try:
        return MatchSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise MatchSettingsError(f"invalid match settings {origin}: {problems}") from exc
