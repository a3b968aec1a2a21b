"""Synthetic nightly drops of the three agency exports, with exact ground truth.

A drop is what the registry receives each night (``bpjs_kesehatan.csv``, ``bpjs_ketenagakerjaan.csv``,
``penduduk_depok.db``, formats per ``shared/agency-exports.md``) plus ``truth.csv`` (which person every
record belongs to; never read by the pipeline) and a copy of ``sources.yaml``. The people are
synthetic; the ways their records differ between agencies follow real Indonesian data.
"""

from synthetic.drop import DropSummary, generate_drop
from synthetic.nextday import generate_next_day

__all__ = ["DropSummary", "generate_drop", "generate_next_day"]
