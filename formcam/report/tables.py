"""frames.csv (one row per frame) and steps.csv (one row per step), for spreadsheets.

Every column that holds a quantity says its unit in the header as
``name [unit]`` (``t_ms [ms]``, ``hip_tilt_deg [deg]``,
``head_forward_pct [% trunk]``); ``name`` is the key used in report.json and
in :func:`formcam.gait.signals.frame_signals`, so a script can split the header at
``" ["``. Missing values are empty cells, never ``nan``.
"""

from __future__ import annotations

import bisect
import csv
import io
from pathlib import Path

import numpy as np

from formcam.atomic import write_text_atomic

__all__ = ["SIGNAL_UNITS", "frames_table", "steps_table", "write_tables"]

#: Units of the per-frame signals (:func:`formcam.gait.signals.frame_signals`); others go by their name's suffix.
SIGNAL_UNITS = {
    "head_forward_pct": "% trunk",
    "mid_hip_y_px": "px (y down)",
}
_SUFFIX_UNITS = {"_deg": "deg", "_px": "px", "_ms": "ms", "_cm": "cm", "_spm": "steps/min", "_pct": "%"}


def signal_unit(name: str) -> str:
    """The unit of per-frame signal ``name``: from :data:`SIGNAL_UNITS`, else its suffix (``_deg`` -> deg)."""
    if name in SIGNAL_UNITS:
        return SIGNAL_UNITS[name]
    return next((unit for suffix, unit in _SUFFIX_UNITS.items() if name.endswith(suffix)), "")


def column(name: str, unit: str) -> str:
    """Header cell: ``name [unit]``, or ``name`` for a quantity without a unit."""
    return f"{name} [{unit}]" if unit else name


def _cell(value) -> str:
    """Empty cell for a missing value, so spreadsheets see a blank rather than 'nan'."""
    if value is None:
        return ""
    value = float(value)
    return f"{value:.3f}" if np.isfinite(value) else ""


def _write(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def frames_table(t_ms: np.ndarray, signals: dict[str, np.ndarray], detected: np.ndarray) -> str:
    """CSV text: ``frame, t_ms [ms], detected`` then one column per per-frame signal with its unit.

    Parameters
    ----------
    t_ms : ndarray, shape (T,)
        Real-time frame times, ms.
    signals : dict of name -> ndarray, shape (T,)
        Per-frame signals; columns in name order.
    detected : ndarray, bool, shape (T,)
        1 where the pose model found the runner.
    """
    names = sorted(signals)
    header = ["frame", column("t_ms", "ms"), "detected", *(column(n, signal_unit(n)) for n in names)]
    columns = [np.asarray(signals[name], dtype=float) for name in names]
    rows = (
        [frame, f"{row[0]:.3f}", int(row[1]), *(_cell(v) for v in row[2:])]
        for frame, row in enumerate(zip(t_ms, detected, *columns))
    )
    return _write(header, rows)


def steps_table(report: dict) -> str:
    """CSV text: one row per foot contact (a step), its events and every metric's value for it.

    Columns: ``step``, ``side`` (the foot that lands), ``contact_frame``,
    ``contact_t_ms [ms]``, ``toe_off_frame``, ``toe_off_t_ms [ms]`` (that foot's
    next toe-off, empty if none was found), ``stance_ms [ms]``, ``step_ms [ms]``
    (to the next contact of either foot), then one column per metric that has
    per-step values, ``name [unit]``.

    A metric's per-step value goes in the row of the latest contact of its side
    at or before its frame (its stance, step, or stride for the arms); steps
    that a metric did not use are empty.

    Parameters
    ----------
    report : dict
        report.json content: ``events`` and ``metrics[name].per_step``.
    """
    events = sorted(report["events"], key=lambda e: (e["frame"], e["kind"]))
    contacts = [e for e in events if e["kind"] == "contact"]
    toe_offs = [e for e in events if e["kind"] == "toe_off"]
    rows = []
    for i, contact in enumerate(contacts):
        side = contact["side"]
        next_same = next((c["frame"] for c in contacts[i + 1 :] if c["side"] == side), float("inf"))
        toe_off = next((t for t in toe_offs if t["side"] == side and contact["frame"] < t["frame"] < next_same), None)
        next_contact = contacts[i + 1] if i + 1 < len(contacts) else None
        rows.append(
            {
                "step": i + 1,
                "side": side,
                "contact_frame": contact["frame"],
                "contact_t_ms": contact["t_ms"],
                "toe_off_frame": toe_off["frame"] if toe_off else None,
                "toe_off_t_ms": toe_off["t_ms"] if toe_off else None,
                "stance_ms": toe_off["t_ms"] - contact["t_ms"] if toe_off else None,
                "step_ms": next_contact["t_ms"] - contact["t_ms"] if next_contact else None,
            }
        )
    metric_names = [name for name, m in report["metrics"].items() if m.get("per_step")]
    by_side = {side: [row for row in rows if row["side"] == side] for side in {row["side"] for row in rows}}
    starts = {side: [row["contact_frame"] for row in mine] for side, mine in by_side.items()}
    for name in metric_names:
        for step in report["metrics"][name]["per_step"]:
            side, frame = step.get("side"), step.get("frame")
            at = bisect.bisect_right(starts.get(side, []), frame) - 1 if frame is not None else -1
            if at >= 0:
                by_side[side][at].setdefault(name, step.get("value"))

    header = [
        "step",
        "side",
        "contact_frame",
        column("contact_t_ms", "ms"),
        "toe_off_frame",
        column("toe_off_t_ms", "ms"),
        column("stance_ms", "ms"),
        column("step_ms", "ms"),
        *(column(name, report["metrics"][name]["unit"]) for name in metric_names),
    ]
    lines = (
        [
            row["step"],
            row["side"],
            row["contact_frame"],
            _cell(row["contact_t_ms"]),
            "" if row["toe_off_frame"] is None else row["toe_off_frame"],
            _cell(row["toe_off_t_ms"]),
            _cell(row["stance_ms"]),
            _cell(row["step_ms"]),
            *(_cell(row.get(name)) for name in metric_names),
        ]
        for row in rows
    )
    return _write(header, lines)


def write_tables(out_dir: Path, t_ms, signals, detected, report: dict) -> list[Path]:
    """Write frames.csv and steps.csv into ``out_dir`` atomically; return their paths."""
    out_dir = Path(out_dir)
    return [
        write_text_atomic(out_dir / "frames.csv", frames_table(t_ms, signals, detected)),
        write_text_atomic(out_dir / "steps.csv", steps_table(report)),
    ]
