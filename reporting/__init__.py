"""The steward's run report: one self-contained HTML page per run (no internet needed).

Its own room because the report reads from several stages (validation, matching, the registry) and will
grow charts and the review queue; it never logs or prints personal values, and masks them on the page.
"""

from reporting.html import ReportInputs, data_docs_dir, write_report
from reporting.registry_view import review_contributions

__all__ = ["ReportInputs", "data_docs_dir", "review_contributions", "write_report"]
