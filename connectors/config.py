"""``sources.yaml``: which files and tables make up a night's drop, and how their columns map.

Relative paths and relative SQLite URLs resolve against the YAML file's own folder, so the same
``sources.yaml`` works next to any night's drop of the same files. ``${VAR}`` in a URL is replaced from
the environment, so credentials never live in the file: a URL whose password (or ``password=`` query
parameter) is written out literally is refused, naming the source but not the password. A password
may also come from a Prefect Secret block: ``${prefect-secret:BLOCK-NAME}`` is replaced by the block's
value (``Secret.load(name)``; Prefect is imported only when a URL refers to a block). A missing block is
reported naming the source and the block, never a value. A value substituted into the user or password
part is URL-quoted, so a password may hold ``@``, ``:`` or ``/``.

A SQL source reads a ``table`` (a plain identifier, optionally schema-qualified, checked here before
any database is touched) or a ``query`` whose ``:name`` placeholders are bound from ``params`` (never
formatted into the SQL). Every problem of the file is reported at once.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.errors import SourcesConfigError
from connectors.schema import CANONICAL_FIELDS, SOURCE_NAMES

__all__ = [
    "TABLE_NAME_PATTERN",
    "DropConfig",
    "QueryParameter",
    "SecretResolver",
    "SourceConfig",
    "load_sources_config",
    "prefect_secret",
]

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: ``${prefect-secret:NAME}``: the value of a Prefect Secret block (names: lowercase, digits, dashes).
_SECRET_REFERENCE = re.compile(r"\$\{prefect-secret:([a-z0-9][a-z0-9-]*)\}")
#: Either kind of reference: an environment variable or a Prefect Secret block.
_REFERENCE = re.compile(rf"{_ENV_REFERENCE.pattern}|{_SECRET_REFERENCE.pattern}")
_SECRET_PREFIX = "${prefect-secret:"
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


#: Resolves the name of a Prefect Secret block to its value (raises ``LookupError`` naming the problem).
SecretResolver = Callable[[str], str]


def load_sources_config(path: str | Path, *, secrets: SecretResolver | None = None) -> DropConfig:
    """Read and validate ``sources.yaml``; every problem found is reported at once.

    ``secrets`` resolves ``${prefect-secret:NAME}`` references (default: ``prefect_secret``, which loads
    the Prefect Secret block of that name from the Prefect API in use).
    """
    path = Path(path)
    secrets = secrets or prefect_secret
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
            sources.append(_resolved(SourceConfig(name=name, **raw), base, secrets))
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


def prefect_secret(name: str) -> str:
    """The value of the Prefect Secret block ``name`` (a string), from the Prefect API in use.

    Raises ``LookupError`` with a message naming the block, never its value. The raw stored string is
    returned: ``Secret.get()`` would JSON-decode it, turning a password such as ``123456`` into a number.
    """
    from prefect.blocks.system import Secret  # only when sources.yaml refers to a block

    try:
        found = Secret.load(name)
    except ValueError:
        found = None
    except Exception as error:  # the API unreachable, a block of another type, ...
        kind = type(error).__name__
        raise LookupError(f"Prefect Secret block {name!r} cannot be loaded ({kind})") from None
    if found is None:
        raise LookupError(
            f"Prefect Secret block {name!r} not found (create it in the Prefect UI, Blocks -> Secret)"
        )
    value = found.value.get_secret_value()
    if not isinstance(value, str):
        raise LookupError(f"Prefect Secret block {name!r} holds a {type(value).__name__}, not a string")
    return value


def _resolved(source: SourceConfig, base: Path, secrets: SecretResolver) -> SourceConfig:
    """Resolve relative paths and SQLite URLs against ``base``; expand ``${VAR}`` and
    ``${prefect-secret:NAME}`` in URLs."""
    if source.kind == "csv":
        assert source.path is not None
        path = source.path if source.path.is_absolute() else base / source.path
        return source.model_copy(update={"path": path})
    return source.model_copy(update={"url": _resolved_url(source.url or "", base, secrets)})


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

    A password may only come from the environment or a Prefect Secret block: the password part, when
    there is one, must be a single ``${VAR}`` or ``${prefect-secret:NAME}`` reference, and so must a
    ``password=`` query parameter.
    """
    for prefix in re.finditer(re.escape(_SECRET_PREFIX), url):
        if not _SECRET_REFERENCE.match(url, prefix.start()):
            return [
                "a ${prefect-secret:NAME} reference needs a block name of lowercase letters, digits and "
                "dashes (e.g. ${prefect-secret:city-db-password})"
            ]
    if _REFERENCE.fullmatch(url.strip()):
        return []  # the whole URL comes from the environment or a Secret block
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        if _REFERENCE.search(url):
            return []  # may be one once the reference is filled in; the connector reports it if not
        return ["not a valid SQLAlchemy URL (dialect+driver://user@host/database)"]
    literal = bool(parsed.password) and not _REFERENCE.fullmatch(str(parsed.password))
    for key, value in parsed.query.items():
        values = (value,) if isinstance(value, str) else value
        if key.lower() in _PASSWORD_KEYS and any(not _REFERENCE.fullmatch(v) for v in values):
            literal = True
    if literal:
        return [
            "holds a literal password; write ${VARIABLE} (set in the environment) or "
            "${prefect-secret:BLOCK-NAME} (a Prefect Secret block) in its place (passwords never go in "
            "sources.yaml)"
        ]
    return []


def _resolved_url(url: str, base: Path, secrets: SecretResolver) -> str:
    scheme_end = url.find("://") + 3 if "://" in url else 0
    host_end = url.find("/", scheme_end)
    userinfo_end = url.rfind("@", scheme_end, host_end if host_end >= 0 else len(url))

    def substitute(match: re.Match[str]) -> str:
        variable, block = match.group(1), match.group(2)
        if block is not None:
            try:
                value = secrets(block)
            except LookupError as error:
                raise ValueError(f"url refers to a Prefect Secret block: {error.args[0]}") from None
        elif variable not in os.environ:
            raise ValueError(f"url refers to environment variable {variable}, which is not set")
        else:
            value = os.environ[variable]
        # user and password are URL-quoted, so a password may hold '@', ':' or '/'
        return quote(value, safe="") if scheme_end <= match.start() < userinfo_end else value

    url = _REFERENCE.sub(substitute, url)
    prefix, _, rest = url.partition(":///")
    if prefix.startswith("sqlite") and rest and not rest.startswith("/") and rest != ":memory:":
        return f"{prefix}:///{(base / rest).resolve()}"
    return url
