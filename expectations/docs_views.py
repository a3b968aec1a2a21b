"""GX Data Docs page views that keep their compiled Jinja templates for the rest of the process.

GX's ``DefaultJinjaView`` makes a new Jinja ``Environment`` per view, so every Data Docs build parses
and compiles GX's page templates again — about 0.2 s per build, most of the Data Docs cost on a small
frame. These views are GX's own (same templates, same filters, same HTML); they only give their
environment a shared in-memory bytecode cache. Jinja checks each cached entry against the template
source's checksum, so a changed template is compiled again. The runner names them in its site config
(``site_section_builders`` / ``site_index_builder`` ``view``), the way GX lets a site choose its views.
"""

from __future__ import annotations

import threading
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

__all__ = ["CachedJinjaIndexPageView", "CachedJinjaPageView"]


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates by Jinja's bucket key, in memory, shared by every view of the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja drops it if the checksum of the source differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


_BYTECODE_CACHE = _MemoryBytecodeCache()


class CachedJinjaPageView(DefaultJinjaPageView):
    """GX's Data Docs page view, with compiled templates kept across builds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _BYTECODE_CACHE


class CachedJinjaIndexPageView(DefaultJinjaIndexPageView):
    """GX's Data Docs index page view, with compiled templates kept across builds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _BYTECODE_CACHE
