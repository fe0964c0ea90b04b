"""A batch's summary table: one row per clip, written as ``summary.csv``.

Each row holds the clip's name and runner, how its analysis ended (status and
message), its view and cadence, the headline metrics with their left/right
values and flags (:data:`formcam.gait.registry.HEADLINE_METRICS`), and its quality warnings. Numbers are rounded to two
decimals; a blank cell means "not measured" (see the clip's report.json for why).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from formcam.atomic import write_text_atomic
from formcam.errors import UnreadableInputError
from formcam.gait.registry import HEADLINE_METRICS
from formcam.text import FORMULA_STARTS, csv_cell

_METRIC_PARTS = ("", "_left", "_right", "_flag")

SUMMARY_COLUMNS = (
    "clip", "runner", "status", "message", "view", "view_confidence", "running", "cadence_spm", "cadence_steps",
    *(f"{name}{part}" for name in HEADLINE_METRICS for part in _METRIC_PARTS),
    "quality", "quality_messages", "folder", "source",
)  # fmt: skip
NUMERIC_COLUMNS = frozenset(
    {"view_confidence", "cadence_spm", "cadence_steps"}
    | {f"{name}{part}" for name in HEADLINE_METRICS for part in ("", "_left", "_right")}
)
_QUALITY_SEPARATOR = "; "
#: Between quality warnings' messages (themselves sentences) in ``quality_messages``.
QUALITY_MESSAGE_SEPARATOR = " | "


def summary_row(
    *,
    clip: str,
    runner: str,
    status: str,
    message: str = "",
    report: dict | None = None,
    folder: str = "",
    source: str = "",
) -> dict:
    """One clip's row, keyed by :data:`SUMMARY_COLUMNS`; measurements are None without a report."""
    row = dict.fromkeys(SUMMARY_COLUMNS)
    row.update(clip=clip, runner=runner, status=status, message=message, folder=folder, source=source)
    if report is None:
        return row
    cadence = report.get("cadence_spm") or {}
    row.update(
        view=report["view"]["label"],
        view_confidence=_rounded(report["view"].get("confidence")),
        running="yes" if report["runner"].get("is_running") else "no",
        cadence_spm=_rounded(cadence.get("value")),
        cadence_steps=cadence.get("n_steps"),
        quality=_QUALITY_SEPARATOR.join(w["code"] for w in report.get("quality", [])),
        quality_messages=QUALITY_MESSAGE_SEPARATOR.join(w["message"] for w in report.get("quality", [])),
    )
    for name in HEADLINE_METRICS:
        metric = report["metrics"].get(name) or {}
        row[name] = _rounded(metric.get("value"))
        row[f"{name}_left"] = _rounded(metric.get("left"))
        row[f"{name}_right"] = _rounded(metric.get("right"))
        row[f"{name}_flag"] = metric.get("flag") if metric.get("value") is not None else None
    return row


def _rounded(value) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), 2)


def summary_csv(rows: Iterable[dict]) -> str:
    """CSV text of ``rows`` with the :data:`SUMMARY_COLUMNS` header; None is a blank cell.

    Text a spreadsheet would run as a formula (a clip named ``=2+5.mp4``)
    gets a leading apostrophe (:func:`formcam.text.csv_cell`); :func:`read_summary_csv` takes it off.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(column) is None else csv_cell(row[column]) for column in SUMMARY_COLUMNS])
    return buffer.getvalue()


def write_summary_csv(rows: Sequence[dict], path: str | Path) -> Path:
    """Write ``summary.csv`` atomically."""
    return write_text_atomic(path, summary_csv(rows))


def is_summary_csv(path: str | Path) -> bool:
    """Whether ``path`` is a summary.csv that formcam wrote (so a new batch may replace it)."""
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            header = next(csv.reader(stream), [])
    except (OSError, UnicodeDecodeError):
        return False
    return header[:3] == list(SUMMARY_COLUMNS[:3])


def read_summary_csv(path: str | os.PathLike) -> list[dict]:
    """Rows of a summary.csv written by formcam, numbers as floats and blanks as None.

    Raises
    ------
    UnreadableInputError
        If the file is missing or is not a formcam batch summary.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableInputError(f"Cannot read the summary {path} ({error}).") from None
    if not is_summary_csv(path):
        raise UnreadableInputError(f"{path} is not a summary.csv written by formcam batch.")
    return [{key: _parsed(key, value) for key, value in row.items() if key is not None} for row in rows]


def _parsed(column: str, text: str | None):
    if text is None or text == "":
        return None
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):  # csv_cell's apostrophe
        text = text[1:]
    if column in NUMERIC_COLUMNS:
        try:
            return float(text)
        except ValueError:
            return None
    return text
