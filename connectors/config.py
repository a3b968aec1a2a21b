"""``sources.yaml``: which files and tables make up a night's drop, and how their columns map.

Relative paths and relative SQLite URLs resolve against the YAML file's own folder, so the same
``sources.yaml`` works next to any night's drop of the same files. ``${VAR}`` in a URL is replaced from
the environment, so credentials never live in the file: a URL whose password (or ``password=`` query
parameter) is written out literally is refused, naming the source but not the password. A value
substituted into the user or password part is URL-quoted, so a password may hold ``@``, ``:`` or ``/``.

A SQL source reads a ``table`` (a plain identifier, optionally schema-qualified, checked here before
any database is touched) or a ``query`` whose ``:name`` placeholders are bound from ``params`` (never
formatted into the SQL). Every problem of the file is reported at once.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.errors import SourcesConfigError
from connectors.schema import CANONICAL_FIELDS, SOURCE_NAMES

__all__ = ["TABLE_NAME_PATTERN", "DropConfig", "QueryParameter", "SourceConfig", "load_sources_config"]

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REQUIRED_FIELDS = ("record_id", "full_name")
#: A table name: a plain SQL identifier, optionally qualified by a schema (``registry.penduduk``).
TABLE_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$")
#: Query-string keys that carry a password for some database driver.
_PASSWORD_KEYS = frozenset({"password", "passwd", "pwd"})

#: A value bound to a ``:name`` placeholder of a source's ``query``.
QueryParameter = str | int | float | bool | dt.date | dt.datetime | None


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
    # sql (the url may hold a password taken from the environment: kept out of repr)
    url: str | None = Field(default=None, repr=False)
    table: str | None = None
    query: str | None = None
    params: dict[str, QueryParameter] | None = None

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

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None
        return encoding

    @field_validator("table")
    @classmethod
    def _plain_identifier(cls, table: str | None) -> str | None:
        if table is not None and not TABLE_NAME_PATTERN.match(table):
            raise ValueError(
                "'table' must be a plain identifier, optionally schema-qualified (letters, digits and "
                "underscores, e.g. penduduk or dukcapil.penduduk); write anything else as a 'query'"
            )
        return table

    @model_validator(mode="after")
    def _kind_has_its_settings(self) -> SourceConfig:
        if self.kind == "csv":
            if self.path is None:
                raise ValueError("a csv source needs 'path'")
            if self.url or self.table or self.query or self.params is not None:
                raise ValueError("a csv source takes 'path', not 'url', 'table', 'query' or 'params'")
            if len(self.delimiter) != 1 or self.delimiter in '"\r\n':
                raise ValueError("'delimiter' must be one character, not a quote or a line break")
        else:
            if not self.url:
                raise ValueError("a sql source needs 'url'")
            if bool(self.table) == bool(self.query):
                raise ValueError("a sql source needs exactly one of 'table' or 'query'")
            if self.params is not None and not self.query:
                raise ValueError("'params' go with a 'query' (they are bound to its :name placeholders)")
            if self.query:
                _check_placeholders(self.query, self.params or {})
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
        if isinstance(raw.get("url"), str):
            problems.extend(f"sources.{name}.url: {problem}" for problem in _url_problems(raw["url"]))
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


def _check_placeholders(query: str, params: dict[str, QueryParameter]) -> None:
    """Every ``:name`` placeholder of ``query`` has a value in ``params``, and every value a placeholder."""
    try:
        placeholders = set(sa.text(query).compile().params)
    except sa.exc.SQLAlchemyError:
        raise ValueError("'query' cannot be read as SQL text") from None
    unbound = sorted(placeholders - set(params))
    unused = sorted(set(params) - placeholders)
    if unbound:
        raise ValueError(f"'query' has placeholder(s) {', '.join(':' + n for n in unbound)} without 'params'")
    if unused:
        raise ValueError(f"'params' {', '.join(unused)} match no :name placeholder of 'query'")


def _url_problems(url: str) -> list[str]:
    """What is wrong with a URL as written in sources.yaml; never quotes the URL or its password.

    A password may only come from the environment: the password part, when there is one, must be a
    single ``${VAR}`` reference, and so must a ``password=`` query parameter.
    """
    if _ENV_REFERENCE.fullmatch(url.strip()):
        return []  # the whole URL comes from the environment
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        if _ENV_REFERENCE.search(url):
            return []  # may be one once the environment fills it in; the connector reports it if not
        return ["not a valid SQLAlchemy URL (dialect+driver://user@host/database)"]
    literal = bool(parsed.password) and not _ENV_REFERENCE.fullmatch(str(parsed.password))
    for key, value in parsed.query.items():
        values = (value,) if isinstance(value, str) else value
        if key.lower() in _PASSWORD_KEYS and any(not _ENV_REFERENCE.fullmatch(v) for v in values):
            literal = True
    if literal:
        return [
            "holds a literal password; write ${VARIABLE} in its place and set that variable in the "
            "environment (passwords never go in sources.yaml)"
        ]
    return []


def _resolved_url(url: str, base: Path) -> str:
    scheme_end = url.find("://") + 3 if "://" in url else 0
    host_end = url.find("/", scheme_end)
    userinfo_end = url.rfind("@", scheme_end, host_end if host_end >= 0 else len(url))

    def substitute(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable not in os.environ:
            raise ValueError(f"url refers to environment variable {variable}, which is not set")
        value = os.environ[variable]
        # user and password are URL-quoted, so a password may hold '@', ':' or '/'
        return quote(value, safe="") if scheme_end <= match.start() < userinfo_end else value

    url = _ENV_REFERENCE.sub(substitute, url)
    prefix, _, rest = url.partition(":///")
    if prefix.startswith("sqlite") and rest and not rest.startswith("/") and rest != ":memory:":
        return f"{prefix}:///{(base / rest).resolve()}"
    return url
