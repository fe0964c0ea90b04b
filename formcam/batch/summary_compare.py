"""Per-runner changes between two batch summaries (``formcam batch --compare-to OLD/summary.csv``).

Clips are grouped by their ``runner`` column (the naming rule is in
:mod:`formcam.batch`). For each runner found in both summaries, each headline
measure's value is the median over that runner's analysed clips; the change is
new minus old, and it counts as a change only when it is larger than the two
values' combined expected error, ``sqrt(e_before**2 + e_after**2)`` with each
``e`` from report.json's ``expected_error`` of that metric: the rule
``formcam compare`` (:mod:`formcam.compare`) uses for two single analyses.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formcam.atomic import write_text_atomic
from formcam.batch.summary import HEADLINE_METRICS

#: Cadence has no ``expected_error`` in report.json: contact timing is good to
#: about 0.01 s per event (Young 2023, BlazePose), about 3 % of a step, and the
#: median over a clip's steps shrinks that; 3 steps/min is a safe margin.
CADENCE_EXPECTED_ERROR_SPM = 3.0
_ERROR_PATTERN = re.compile(r"±\s*(\d+(?:\.\d+)?)(?:\s*[-–]\s*(\d+(?:\.\d+)?))?\s*(%)?")


@dataclass(frozen=True)
class MeasureChange:
    """One runner's change in one measure between the old and the new summary.

    ``before`` and ``after`` are medians over the runner's clips; ``expected_error``
    is the two values' combined expected error, in the measure's unit.
    """

    runner: str
    measure: str
    before: float | None
    after: float | None
    expected_error: float | None
    clips_before: int
    clips_after: int

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)

    @property
    def beyond_error(self) -> bool | None:
        """True when the change is larger than the expected error; None when either side is missing."""
        if self.change is None or self.expected_error is None:
            return None
        return abs(self.change) > self.expected_error


@dataclass
class Comparison:
    """The per-runner changes, and the runners found in only one of the two summaries."""

    changes: list[MeasureChange] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)


def expected_error_value(text, value: float | None = None) -> float | None:
    """The expected error of a measurement, as a number in the metric's unit.

    Parameters
    ----------
    text : str or float or None
        report.json's ``expected_error``: a number, or text such as ``"±3° per
        step"``, ``"±2-4°"`` (the upper bound is used) or ``"±15 %"`` (relative
        to ``value`` when the ``%`` follows the number directly).
    value : float, optional
        The measured value, for relative errors.
    """
    if isinstance(text, (int, float)):
        return float(text)
    match = _ERROR_PATTERN.search(text or "")
    if match is None:
        return None
    bound = float(match.group(2) or match.group(1))
    if match.group(3):
        return None if value is None else abs(value) * bound / 100
    return bound


def expected_errors(reports: Iterable[dict]) -> dict[str, object]:
    """Each headline metric's ``expected_error`` as the reports give it (the first one found)."""
    errors: dict[str, object] = {}
    for report in reports:
        for name, metric in report.get("metrics", {}).items():
            if metric.get("expected_error") is not None:
                errors.setdefault(name, metric["expected_error"])
    return errors


def compare_summaries(before: Sequence[dict], after: Sequence[dict], errors: dict[str, object]) -> Comparison:
    """Per-runner changes of cadence and the headline metrics.

    Parameters
    ----------
    before, after : sequence of dict
        Summary rows (:func:`formcam.batch.summary.read_summary_csv` or
        :func:`~formcam.batch.summary.summary_row`); only rows with status
        ``ok`` count.
    errors : dict
        Metric name -> expected error (see :func:`expected_errors`).
    """
    old, new = _by_runner(before), _by_runner(after)
    comparison = Comparison(only_before=sorted(set(old) - set(new)), only_after=sorted(set(new) - set(old)))
    for runner in sorted(set(old) & set(new)):
        for measure in ("cadence_spm", *HEADLINE_METRICS):
            was, now = _median(old[runner], measure), _median(new[runner], measure)
            if was is None and now is None:
                continue
            error = _combined_error(errors.get(measure), was, now, cadence=measure == "cadence_spm")
            comparison.changes.append(MeasureChange(runner, measure, was, now, error, len(old[runner]), len(new[runner])))
    return comparison


def _combined_error(text, before: float | None, after: float | None, *, cadence: bool) -> float | None:
    if before is None or after is None:
        return None
    if cadence:
        return math.hypot(CADENCE_EXPECTED_ERROR_SPM, CADENCE_EXPECTED_ERROR_SPM)
    errors = (expected_error_value(text, before), expected_error_value(text, after))
    return None if None in errors else math.hypot(*errors)


def _by_runner(rows: Sequence[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("status") == "ok" and row.get("runner"):
            groups.setdefault(row["runner"], []).append(row)
    return groups


def _median(rows: list[dict], column: str) -> float | None:
    values = [float(row[column]) for row in rows if row.get(column) is not None]
    return round(statistics.median(values), 2) if values else None


CHANGE_COLUMNS = (
    "runner", "measure", "before", "after", "change", "expected_error", "beyond_error", "clips_before", "clips_after",
)


def changes_csv(comparison: Comparison) -> str:
    """CSV text, one row per runner and measure (:data:`CHANGE_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHANGE_COLUMNS)
    for change in comparison.changes:
        beyond = {True: "yes", False: "no", None: ""}[change.beyond_error]
        error = None if change.expected_error is None else round(change.expected_error, 2)
        writer.writerow([change.runner, change.measure, _blank(change.before), _blank(change.after), _blank(change.change),
                         _blank(error), beyond, change.clips_before, change.clips_after])
    return buffer.getvalue()


def write_changes_csv(comparison: Comparison, path: str | Path) -> Path:
    """Write ``changes.csv`` atomically."""
    return write_text_atomic(path, changes_csv(comparison))


def _blank(value) -> str:
    return "" if value is None else str(value)
