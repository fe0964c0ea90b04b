"""What to draw on each frame: from the analysis to :class:`~formcam.report.overlay.FrameAnnotation`.

The annotated video, its slow-motion replay and the HTML report's evidence
frames all draw through :class:`FrameAnnotator`, so a frame shows the same
lines and numbers wherever it appears. Drawing itself is in
:mod:`formcam.report.overlay`.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.registry import panel_hints, panel_metrics
from formcam.gait.steps import GaitEvents, stances
from formcam.report.overlay import FrameAnnotation
from formcam.report.panel import PanelRow

__all__ = ["FrameAnnotator", "contact_labels", "panel_rows", "stance_side"]

_UNIT_TEXT = {"deg": "°"}
#: How long the contact badge and ring stay on screen, seconds.
CONTACT_HOLD_S = 0.25


def stance_side(events: GaitEvents, n_frames: int) -> np.ndarray:
    """Which foot is on the ground in each frame.

    Parameters
    ----------
    events : GaitEvents
        Contacts and toe-offs; paired by :func:`formcam.gait.steps.stances`.
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


def contact_labels(events: GaitEvents, n_frames: int, hold_frames: int) -> np.ndarray:
    """``'L contact'`` / ``'R contact'`` for ``hold_frames`` frames from each contact, else None; shape (T,)."""
    labels = np.full(n_frames, None, dtype=object)
    for frame, side in zip(np.asarray(events.contact_frames, dtype=int), np.asarray(events.contact_sides)):
        labels[frame : frame + hold_frames] = f"{str(side)[0].upper()} contact"
    return labels


def _format_value(metric: dict) -> str:
    unit = _UNIT_TEXT.get(metric["unit"], f" {metric['unit']}")
    sides = ""
    if metric["left"] is not None and metric["right"] is not None:
        sides = f"  L {metric['left']:.1f} / R {metric['right']:.1f}"
    return f"{metric['value']:.1f}{unit}{sides}"


def panel_rows(report: dict) -> list[PanelRow]:
    """Cadence and the view's headline metrics as they appear in the video's panel.

    Only metrics the view can measure are listed (a compact panel); one that the
    clip could not support says why. Oblique and unknown views list the three
    headline metrics as not measurable in that view.
    """
    cadence = report["cadence_spm"]["value"]
    rows = [PanelRow("Cadence", f"{cadence:.0f} steps/min" if cadence else "n/a", None)]
    view = report["view"]["label"]
    # Oblique and unknown views measure nothing view-specific; their panel says which metrics a clear view would give.
    for name in panel_metrics(view) or panel_hints():
        metric = report["metrics"].get(name)
        if metric is None:
            continue
        label = metric.get("label") or name
        if metric["value"] is None:
            why = f"not in {view} view" if not metric["valid_for_view"] else "too few steps"
            rows.append(PanelRow(label, f"n/a ({why})", None))
        else:
            rows.append(PanelRow(label, _format_value(metric), metric["flag"]))
    return rows


class FrameAnnotator:
    """Build each frame's :class:`FrameAnnotation` from an analysis.

    Parameters
    ----------
    kinematics : formcam.gait.kinematics.Kinematics
        Cleaned landmarks ``xy`` (T, 33, 2), per-frame ``signals``, ``events`` and ``view``.
    fps : float
        Frame rate, for how long a contact stays marked.
    scale : tuple of float
        ``(x, y)`` size of the frames drawn on relative to the analysed
        frames (the annotated video may be smaller than the input).

    Examples
    --------
    >>> annotate = FrameAnnotator(kin, fps=60)                  # doctest: +SKIP
    >>> image = draw_overlay(frame.rgb, annotate(i), panel_rows(report))  # doctest: +SKIP
    """

    def __init__(self, kinematics, fps: float, scale: tuple[float, float] = (1.0, 1.0)):
        kin = kinematics
        self.n_frames = len(kin.xy)
        self._xy = kin.xy * np.asarray(scale, dtype=kin.xy.dtype) if scale != (1.0, 1.0) else kin.xy
        self._signals = kin.signals
        line = getattr(kin, "markers", None)
        picture = None if line is None else line.picture_xy
        self._markers = None if picture is None else picture * np.asarray(scale, dtype=np.float64)
        self._pelvis_tilt = None if line is None else line.tilt_deg
        self._view = kin.view.label
        self._facing = int(getattr(kin.view, "facing", 0) or 0)
        self.stance = stance_side(kin.events, self.n_frames)
        hold = max(1, int(round(CONTACT_HOLD_S * (fps or 30.0))))
        self.contact = contact_labels(kin.events, self.n_frames, hold)

    @property
    def xy(self) -> np.ndarray:
        """The runner's landmarks in every frame, pixels of the frames drawn on, shape (T, 33, 2)."""
        return self._xy

    def _signal(self, name: str, i: int) -> float:
        values = self._signals.get(name)
        return float(values[i]) if values is not None else float("nan")

    def __call__(self, i: int, *, highlight: str | None = None, in_stance: str | None = None) -> FrameAnnotation:
        """The annotation of frame ``i``; ``highlight`` draws one metric's geometry,
        ``in_stance`` overrides the stance side (an evidence frame's step side)."""
        return FrameAnnotation(
            xy=self._xy[i],
            view=self._view,
            shoulder_tilt_deg=self._signal("shoulder_tilt_deg", i),
            hip_tilt_deg=self._signal("hip_tilt_deg", i),
            head_forward_deg=self._signal("head_forward_deg", i),
            in_stance=in_stance or self.stance[i],
            event=self.contact[i],
            trunk_lean_deg=self._signal("trunk_forward_lean_deg", i),
            facing=self._facing,
            highlight=highlight,
            markers=None if self._markers is None else self._markers[i],
            pelvis_tilt_deg=float("nan") if self._pelvis_tilt is None else float(self._pelvis_tilt[i]),
        )
