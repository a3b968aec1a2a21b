"""Data Docs built with the cached-template views read exactly like those built with GX's default views."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import expectations.runner as runner
from expectations import validate_source

pytestmark = pytest.mark.integration

#: Rows failing critical and reported-only expectations, so every kind of Docs block is rendered.
ROWS: list[dict[str, str | None]] = [
    {"record_id": "0009990000001"},
    {"record_id": None},
    {"record_id": "0009990000001"},
    {"full_name": "   "},
    {"nik": "32760145078500"},
    {"birth_date": "31-02-1990"},
    {"sex": "X"},
    {"phone": "12345"},
    {},
]

_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}"), "UUID"),
    (re.compile(r"\d{8}T\d{6}(?:\.\d+)?Z?"), "TIME"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:\+00:00|Z)?"), "TIME"),
    (re.compile(r"'_run_time_sort': [0-9.]+"), "'_run_time_sort': TIME"),
]


def _site(folder: Path) -> dict[str, str]:
    """Every file of a Data Docs site by path, run ids, times and element uuids blanked out."""

    def stable(text: str) -> str:
        for pattern, replacement in _VOLATILE:
            text = pattern.sub(replacement, text)
        return text

    return {
        stable(str(path.relative_to(folder))): stable(path.read_text(encoding="utf-8", errors="replace"))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_cached_template_views_render_the_same_site(make_frame, tmp_path: Path, monkeypatch) -> None:
    frame = make_frame("bpjs_kesehatan", ROWS)
    with monkeypatch.context() as patched:  # GX's own default views: the reference
        patched.setattr(
            runner,
            "_view",
            lambda name: {
                "module_name": "great_expectations.render.view",
                "class_name": name.replace("Cached", "Default"),
            },
        )
        validate_source(frame, "bpjs_kesehatan", data_docs_dir=tmp_path / "default")
    for attempt in ("first", "cached"):  # the second build reads every template from the cache
        validate_source(frame, "bpjs_kesehatan", data_docs_dir=tmp_path / attempt)
    reference = _site(tmp_path / "default")
    assert len(reference) >= 3 and "index.html" in reference
    assert _site(tmp_path / "first") == reference
    assert _site(tmp_path / "cached") == reference
