"""frames.csv (one row per frame) and steps.csv (one row per step and metric)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..atomic import write_text_atomic


def frames_table(t_ms: np.ndarray, signals: dict[str, np.ndarray], detected: np.ndarray) -> str:
    """CSV text: ``frame, t_ms, detected`` then one column per per-frame signal (empty = NaN).

    Parameters
    ----------
    t_ms : ndarray, shape (T,)
    signals : dict of name -> ndarray, shape (T,)
    detected : ndarray, bool, shape (T,)
    """
    names = sorted(signals)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["frame", "t_ms", "detected", *names])
    columns = [np.asarray(signals[name], dtype=float) for name in names]
    for frame, row in enumerate(zip(t_ms, detected, *columns)):
        writer.writerow([frame, f"{row[0]:.3f}", int(row[1]), *(_cell(v) for v in row[2:])])
    return buffer.getvalue()


def _cell(value: float) -> str:
    """Empty cell for a missing value, so spreadsheets see a blank rather than 'nan'."""
    return f"{value:.3f}" if np.isfinite(value) else ""


def steps_table(metrics: dict) -> str:
    """CSV text: ``metric, side, frame, t_ms, value, unit`` for every per-step value in report metrics."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", "side", "frame", "t_ms", "value", "unit"])
    for name, metric in sorted(metrics.items()):
        for step in metric.get("per_step") or []:
            writer.writerow([name, step.get("side"), step.get("frame"), step.get("t_ms", ""), step.get("value"), metric["unit"]])
    return buffer.getvalue()


def write_tables(out_dir: Path, t_ms, signals, detected, metrics: dict) -> None:
    """Write frames.csv and steps.csv into ``out_dir`` atomically."""
    write_text_atomic(Path(out_dir) / "frames.csv", frames_table(t_ms, signals, detected))
    write_text_atomic(Path(out_dir) / "steps.csv", steps_table(metrics))
