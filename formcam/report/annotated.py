"""The annotated video: the input, upright, with the runner's skeleton and findings drawn on.

Same frames and timing as the input (each frame keeps its presentation time),
encoded as H.264 so it plays in browsers and on phones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..decode import iter_frames
from ..events import GaitEvents, stances
from ..pose import prefetch
from .h264 import H264Writer
from .overlay import FrameAnnotation, PanelRow, draw_overlay

#: The panel's rows after cadence: the three headline measurements, then the trunk leans.
PANEL_METRICS = ("head_forward_pct", "shoulder_dip_deg", "pelvic_drop_deg", "trunk_forward_lean_deg", "trunk_lateral_lean_deg")
_UNIT_TEXT = {"deg": "°"}


def stance_side(events: GaitEvents, n_frames: int) -> np.ndarray:
    """Which foot is on the ground in each frame.

    Parameters
    ----------
    events : GaitEvents
        Contacts and toe-offs; paired by :func:`formcam.events.stances`.
    n_frames : int

    Returns
    -------
    ndarray of object, shape (T,)
        ``'left'``, ``'right'`` or None: a foot is in stance from its contact to
        its paired toe-off.
    """
    paired = stances(events)
    result = np.full(n_frames, None, dtype=object)
    for side in ("left", "right"):
        mine = (paired.sides == side) & (paired.toe_off_frames >= 0)
        delta = np.zeros(n_frames + 1, dtype=np.int64)
        np.add.at(delta, paired.contact_frames[mine], 1)
        np.add.at(delta, paired.toe_off_frames[mine], -1)
        result[np.cumsum(delta)[:n_frames] > 0] = side
    return result


def panel_rows(report: dict) -> list[PanelRow]:
    """Cadence and the headline metrics as they appear in the video's panel."""
    cadence = report["cadence_spm"]["value"]
    rows = [PanelRow("Cadence", f"{cadence:.0f} steps/min" if cadence else "n/a", None)]
    view = report["view"]["label"]
    for name in PANEL_METRICS:
        metric = report["metrics"].get(name)
        if metric is None:
            continue
        label = metric.get("label") or name
        if metric["value"] is None:
            why = f"not in {view} view" if not metric["valid_for_view"] else "too few steps"
            rows.append(PanelRow(label, f"n/a ({why})", None))
            continue
        unit = _UNIT_TEXT.get(metric["unit"], f" {metric['unit']}")
        sides = ""
        if metric["left"] is not None and metric["right"] is not None:
            sides = f"  L {metric['left']:.1f} / R {metric['right']:.1f}"
        rows.append(PanelRow(label, f"{metric['value']:.1f}{unit}{sides}", metric["flag"]))
    return rows


def _event_labels(report: dict, n_frames: int, hold_frames: int) -> np.ndarray:
    labels = np.full(n_frames, None, dtype=object)
    for event in report["events"]:
        if event["kind"] == "contact":
            start = event["frame"]
            labels[start:start + hold_frames] = f"{event['side'][0].upper()} contact"
    return labels


def render_annotated_video(
    video_path: Path,
    out_path: Path,
    kinematics,
    report: dict,
    *,
    on_frame: Callable[[int], None] | None = None,
) -> Path:
    """Decode ``video_path`` again, draw each frame's annotation, and write H.264 to ``out_path``.

    Parameters
    ----------
    video_path : Path
        The analysed video.
    out_path : Path
        Where the MP4 goes (written atomically).
    kinematics : formcam.kinematics.Kinematics
        Cleaned landmarks ``xy`` (T, 33, 2), per-frame ``signals`` and ``events``.
    report : dict
        The report, for the panel's values.
    on_frame : callable, optional
        Progress callback, called with the running frame count.
    """
    frames = iter_frames(video_path)  # presentation times of the file, which the output keeps
    info = frames.info
    kin = kinematics
    n_frames = len(kin.xy)
    stance = stance_side(kin.events, n_frames)
    fps = info.fps or 30.0
    event_label = _event_labels(report, n_frames, hold_frames=max(1, int(round(0.25 * fps))))
    panel = panel_rows(report)
    signals = kin.signals
    writer = H264Writer(out_path, width=info.width, height=info.height, time_base=info.time_base, fps=fps)
    with frames, writer:
        for frame in prefetch(frames):
            i = frame.index
            if i < n_frames:
                annotation = FrameAnnotation(
                    xy=kin.xy[i],
                    view=kin.view.label,
                    shoulder_tilt_deg=float(signals["shoulder_tilt_deg"][i]),
                    hip_tilt_deg=float(signals["hip_tilt_deg"][i]),
                    head_forward_deg=float(signals["head_forward_deg"][i]),
                    in_stance=stance[i],
                    event=event_label[i],
                )
                image = draw_overlay(frame.rgb, annotation, panel)
            else:
                image = frame.rgb
            writer.write(image, frame.pts)
            if on_frame is not None:
                on_frame(i + 1)
    return Path(out_path)
