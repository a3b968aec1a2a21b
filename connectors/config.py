"""``sources.yaml``: which files and tables make up a night's drop, and how their columns map.

Relative paths and relative SQLite URLs resolve against the YAML file's own folder, so the same
``sources.yaml`` works next to any night's drop of the same files. ``${VAR}`` in a URL is replaced from
the environment, so credentials never live in the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from connectors.errors import SourcesConfigError
from connectors.schema import CANONICAL_FIELDS, SOURCE_NAMES

__all__ = ["DropConfig", "SourceConfig", "load_sources_config"]

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REQUIRED_FIELDS = ("record_id", "full_name")


class SourceConfig(BaseModel):
    """One source of the drop: where it is and how its columns map onto the canonical schema."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    programme: Literal["health", "employment", "city"]
    kind: Literal["csv", "sql"]
    columns: dict[str, str]
    # csv
    path: Path | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    # sql
    url: str | None = None
    table: str | None = None
    query: str | None = None

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; known: {sorted(CANONICAL_FIELDS)}")
        missing = [field for field in _REQUIRED_FIELDS if field not in columns]
        if missing:
            raise ValueError(f"columns must map {missing}")
        return columns

    @model_validator(mode="after")
    def _kind_has_its_settings(self) -> SourceConfig:
        if self.kind == "csv":
            if self.path is None:
                raise ValueError("a csv source needs 'path'")
            if self.url or self.table or self.query:
                raise ValueError("a csv source takes 'path', not 'url', 'table' or 'query'")
            if len(self.delimiter) != 1:
                raise ValueError("'delimiter' must be one character")
        else:
            if not self.url:
                raise ValueError("a sql source needs 'url'")
            if bool(self.table) == bool(self.query):
                raise ValueError("a sql source needs exactly one of 'table' or 'query'")
        return self

    @property
    def location(self) -> str:
        """Where the source is, for messages: the file path, or the table/query (never a password)."""
        if self.kind == "csv":
            return str(self.path)
        return f"table {self.table}" if self.table else "query"


class DropConfig(BaseModel):
    """The whole ``sources.yaml``: the sources of one nightly drop, in file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    sources: tuple[SourceConfig, ...]

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.sources)


def load_sources_config(path: str | Path) -> DropConfig:
    """Read and validate ``sources.yaml``; every problem found is reported at once."""
    path = Path(path)
    if not path.is_file():
        raise SourcesConfigError(str(path), ["file not found"])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SourcesConfigError(str(path), [f"not valid YAML ({type(error).__name__})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("sources"), dict):
        raise SourcesConfigError(str(path), ["top level must be a mapping with a 'sources' mapping"])
    unknown_top = sorted(set(document) - {"sources"})
    problems = [f"unknown top-level key {key!r}" for key in unknown_top]
    base = path.resolve().parent
    sources: list[SourceConfig] = []
    for name, raw in document["sources"].items():
        if name not in SOURCE_NAMES:
            problems.append(f"sources.{name}: unknown source name; expected one of {list(SOURCE_NAMES)}")
        if not isinstance(raw, dict):
            problems.append(f"sources.{name}: must be a mapping")
            continue
        try:
            sources.append(_resolved(SourceConfig(name=name, **raw), base))
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"])
                prefix = f"sources.{name}.{where}" if where else f"sources.{name}"
                problems.append(f"{prefix}: {detail['msg']}")
        except ValueError as error:
            problems.append(f"sources.{name}: {error}")
    if not document["sources"]:
        problems.append("'sources' is empty")
    if problems:
        raise SourcesConfigError(str(path), problems)
    return DropConfig(path=path.resolve(), sources=tuple(sources))


def _resolved(source: SourceConfig, base: Path) -> SourceConfig:
    """Resolve relative paths and SQLite URLs against ``base``; expand ``${VAR}`` in URLs."""
    if source.kind == "csv":
        assert source.path is not None
        path = source.path if source.path.is_absolute() else base / source.path
        return source.model_copy(update={"path": path})
    return source.model_copy(update={"url": _resolved_url(source.url or "", base)})


def _resolved_url(url: str, base: Path) -> str:
    def substitute(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable not in os.environ:
            raise ValueError(f"url refers to environment variable {variable}, which is not set")
        return os.environ[variable]

    url = _ENV_REFERENCE.sub(substitute, url)
    prefix, _, rest = url.partition(":///")
    if prefix.startswith("sqlite") and rest and not rest.startswith("/") and rest != ":memory:":
        return f"{prefix}:///{(base / rest).resolve()}"
    return url
