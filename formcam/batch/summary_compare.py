"""Per-runner changes between two batch summaries (``formcam batch --compare-to OLD/summary.csv``).

Clips are grouped by their ``runner`` column (the naming rule is in
:mod:`formcam.batch`). For each runner found in both summaries, each headline
measure's value is the median over that runner's analysed clips; the change is
new minus old, and it counts as a change only when it is larger than the two
values' combined expected error, ``sqrt(e_before**2 + e_after**2)`` with each
``e`` the number report.json's ``expected_error`` of that metric opens with
(:func:`expected_errors`): the rule ``formcam compare`` (:mod:`formcam.compare`)
uses for two single analyses.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formcam.atomic import write_text_atomic
from formcam.gait.registry import HEADLINE_METRICS, METRICS, expected_error
from formcam.text import csv_cell

#: Cadence has no ``expected_error`` in report.json: contact timing is good to
#: about 0.01 s per event (Young 2023, BlazePose), about 3 % of a step, and the
#: median over a clip's steps shrinks that; 3 steps/min is a safe margin.
CADENCE_EXPECTED_ERROR_SPM = 3.0


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


def expected_errors(reports: Iterable[dict]) -> dict[str, float | None]:
    """Each metric's expected error, in its unit (None where unknown).

    The registry's number (:func:`formcam.gait.registry.expected_error`, the
    one report.json's ``expected_error`` opens with), as the first report
    that has the metric states it: at that clip's real-time frame rate where
    the metric is valid in its view (values read at foot contact have the
    noise study's number for their frame rate), else at no particular frame
    rate; a metric no report has gets the latter too.
    """
    rates: dict[str, float | None] = {}
    for report in reports:
        video = report.get("video") or {}
        file_fps = video.get("fps")
        fps = file_fps * (video.get("slow_motion_factor") or 1.0) if file_fps else None
        for name, metric in report.get("metrics", {}).items():
            rates.setdefault(name, fps if metric.get("valid_for_view") else None)
    return {name: expected_error(spec, rates.get(name)) for name, spec in METRICS.items()}


def compare_summaries(before: Sequence[dict], after: Sequence[dict], errors: dict[str, float | None]) -> Comparison:
    """Per-runner changes of cadence and the headline metrics.

    Parameters
    ----------
    before, after : sequence of dict
        Summary rows (:func:`formcam.batch.summary.read_summary_csv` or
        :func:`~formcam.batch.summary.summary_row`); only rows with status
        ``ok`` count.
    errors : dict
        Metric name -> expected error in the metric's unit, or None (see :func:`expected_errors`).
    """
    old, new = _by_runner(before), _by_runner(after)
    comparison = Comparison(only_before=sorted(set(old) - set(new)), only_after=sorted(set(new) - set(old)))
    for runner in sorted(set(old) & set(new)):
        for measure in ("cadence_spm", *HEADLINE_METRICS):
            was, now = _median(old[runner], measure), _median(new[runner], measure)
            if was is None and now is None:
                continue
            error = _combined_error(errors.get(measure), was, now, cadence=measure == "cadence_spm")
            comparison.changes.append(
                MeasureChange(runner, measure, was, now, error, len(old[runner]), len(new[runner]))
            )
    return comparison


def _combined_error(error: float | None, before: float | None, after: float | None, *, cadence: bool) -> float | None:
    if before is None or after is None:
        return None
    if cadence:
        return math.hypot(CADENCE_EXPECTED_ERROR_SPM, CADENCE_EXPECTED_ERROR_SPM)
    return None if error is None else math.hypot(error, error)


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
    "runner",
    "measure",
    "before",
    "after",
    "change",
    "expected_error",
    "beyond_error",
    "clips_before",
    "clips_after",
)


def changes_csv(comparison: Comparison) -> str:
    """CSV text, one row per runner and measure (:data:`CHANGE_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHANGE_COLUMNS)
    for change in comparison.changes:
        beyond = {True: "yes", False: "no", None: ""}[change.beyond_error]
        error = None if change.expected_error is None else round(change.expected_error, 2)
        writer.writerow(
            [
                csv_cell(change.runner),
                csv_cell(change.measure),
                _blank(change.before),
                _blank(change.after),
                _blank(change.change),
                _blank(error),
                beyond,
                change.clips_before,
                change.clips_after,
            ]
        )
    return buffer.getvalue()


def write_changes_csv(comparison: Comparison, path: str | Path) -> Path:
    """Write ``changes.csv`` atomically."""
    return write_text_atomic(path, changes_csv(comparison))


def _blank(value) -> str:
    return "" if value is None else str(value)
