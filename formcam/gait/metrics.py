"""Running-form metrics: per-step values, per-side summaries and flags, for every metric of the registry.

:func:`compute_metrics` takes each metric of :data:`formcam.gait.registry.METRICS`
(its views, minimum steps, flag tiers, expected error) through its per-step
values (:mod:`formcam.gait.step_values`) to a :class:`MetricResult`.

Aggregation: per-step values are summarised by the median per side
(``left``/``right`` = the stance leg, or the arm); ``value`` is the median of
all per-step values.  Below the metric's minimum of steps ``value`` is null and
the reason names the minimum and its source; results from fewer than 7 steps
per side carry ``confidence: 'low'``.

Steps taken in parts of the clip seen from a view the metric is not valid for
(``frame_views``, from :func:`formcam.gait.view.view_segments`) are left out.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from formcam.gait.pelvis import MarkerLine
from formcam.gait.registry import METRICS, STABLE_STEPS_PER_SIDE, MetricSpec, expected_error_text
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.signals import frame_signals
from formcam.gait.step_values import NO_EVENTS, StepContext
from formcam.gait.steps import GaitEvents, StepValue, Unavailable
from formcam.gait.view import View, ViewEstimate
from formcam.pose import landmarks as lm

#: :attr:`MetricResult.method` of the metrics measured from the pelvis stickers.
MEASURED_FROM_MARKERS = "measured from markers"


@dataclass
class MetricResult:
    """One metric's summary, as written to report.json.

    Attributes
    ----------
    value : float or None
        Median over all steps; None when the view or data cannot support it.
    unit : str
    label : str
        Plain-words name for people (``"Pelvic drop"``).
    left, right : float or None
        Medians over the left/right stance steps (None for unsided metrics).
    n : int
        Steps used.
    valid_for_view : bool
    flag : {'ok', 'watch', 'high'} or None
    reference : str
    reason : str or None
        Why ``value`` is None.
    per_step : list of dict
        The report.json form of the per-step values that count
        (:class:`~formcam.gait.steps.StepValue`, with the step's time):
        ``{side, frame, t_ms, value}`` per step.
    expected_error : str or None
    confidence : {'normal', 'low'} or None
        'low' when fewer than 7 steps per side were used.
    excluded : dict of str -> int
        Steps measured but left out, by reason (a value outside the
        metric's physiological range, :attr:`MetricSpec.plausible`).
    calibration : str or None
        How a known bias of the pose model was corrected in this value
        (:mod:`formcam.gait.calibration`); None: measured as is.
    method : str or None
        How it was measured where that is not the landmarks: "measured from
        markers" (:attr:`MetricSpec.from_markers`); in report.json only when set.
    """

    value: float | None
    unit: str
    label: str = ""
    left: float | None = None
    right: float | None = None
    n: int = 0
    valid_for_view: bool = True
    flag: str | None = None
    reference: str = ""
    reason: str | None = None
    per_step: list[dict] = field(default_factory=list)
    expected_error: str | None = None
    confidence: str | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    calibration: str | None = None
    method: str | None = None

    def to_json(self) -> dict:
        """The report.json form (NaN becomes null)."""
        calibration = {"calibration": self.calibration} if self.calibration else {}
        method = {} if self.method is None else {"method": self.method}
        return {
            **calibration,
            "label": self.label,
            "value": _num(self.value),
            "unit": self.unit,
            "left": _num(self.left),
            "right": _num(self.right),
            "n": int(self.n),
            "valid_for_view": bool(self.valid_for_view),
            "flag": self.flag,
            "reference": self.reference,
            "reason": self.reason,
            "expected_error": self.expected_error,
            "confidence": self.confidence,
            "excluded": dict(self.excluded),
            "per_step": [
                {k: (_num(v) if k in ("value", "t_ms") else v) for k, v in step.items()} for step in self.per_step
            ],
            **method,
        }


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def marker_method(line: MarkerLine) -> str:
    """:attr:`MetricResult.method` of a metric measured from the stickers: the words, then how well they were seen."""
    n = len(line.seen)
    return (
        f"{MEASURED_FROM_MARKERS} (both stickers seen in {int(line.seen.sum())} of {n} frames; {line.filled} filled "
        f"in gaps up to {line_fill_ms(line):g} ms, {line.left_out} in longer gaps left out)"
    )


def line_fill_ms(line: MarkerLine) -> float:
    return float(line.summary()["max_fill_ms"])


# ----------------------------------------------------------------------------------- metrics
def compute_metrics(
    xy: np.ndarray,
    t_ms: np.ndarray,
    view: ViewEstimate,
    events: GaitEvents,
    *,
    height_cm: float | None = None,
    signals: dict[str, np.ndarray] | None = None,
    frame_views: np.ndarray | None = None,
    xy_unfiltered: np.ndarray | None = None,
    measured: np.ndarray | None = None,
    markers: MarkerLine | None = None,
) -> dict[str, MetricResult]:
    """Every metric of :data:`~formcam.gait.registry.METRICS` for one clip.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view : ViewEstimate
    events : GaitEvents
    height_cm : float, optional
        The runner's height, for ``vertical_oscillation_cm``.
    signals : dict, optional
        :func:`frame_signals` output, if already computed.
    frame_views : ndarray of str, shape (T,), optional
        The view of each frame (:func:`formcam.gait.view.frame_view_labels`);
        steps starting in a frame whose view is neither valid for the metric
        nor 'unknown' are left out.  None: every step counts.
    xy_unfiltered : ndarray, shape (T, 33, 2), optional
        The same landmarks before the low-pass (de-spiked and gap-filled,
        :attr:`formcam.gait.clean.CleanedTracks.unfiltered`), for the values taken
        at the instant of contact: the low-pass rounds the knee's sharp turn
        at landing by a few degrees, while the jitter it would remove
        averages out over the steps.  None: ``xy``.
    measured : ndarray, bool, shape (T, 33), optional
        Where ``xy_unfiltered`` is a measurement rather than a filled gap or
        a replaced outlier (:attr:`formcam.gait.clean.CleanedTracks.measured`);
        the angles at contact are fitted to measurements only
        (:func:`formcam.gait.contact_angles.value_at_event`).  None: every finite sample.
    markers : MarkerLine, optional
        The pelvis line from two stickers (:func:`formcam.gait.pelvis.marker_line`),
        levelled like ``xy``; the metrics measured from markers are null without it.

    Returns
    -------
    dict of str -> MetricResult
        One entry per metric of the registry, in its order; a metric that
        the view or data cannot support has ``value`` None and a ``reason``.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    n_frames = xy.shape[0] if xy.ndim == 3 else 0
    if signals is None:
        signals = frame_signals(xy, view)
    if n_frames == 0 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or len(t_ms) != n_frames:
        return {name: _null(name, view, "there are no frames to measure") for name in METRICS}

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        at_contact = (
            xy if xy_unfiltered is None or np.shape(xy_unfiltered) != xy.shape else np.asarray(xy_unfiltered, float)
        )
        if measured is not None and np.shape(measured) == at_contact.shape[:2]:
            measured_xy = np.where(np.asarray(measured, bool)[..., None], at_contact, np.nan)
        else:
            measured_xy = at_contact
        context = StepContext(xy, t_ms, view, events, signals, height_cm, at_contact, measured_xy, markers)
        # Only the metrics the view can give are measured; each takes what it needs from the context.
        per_step = {
            name: spec.step_values(context) if events.n_contacts >= 2 else NO_EVENTS
            for name, spec in METRICS.items()
            if view.label in spec.views
        }
    results = {}
    for name, spec in METRICS.items():
        if view.label not in spec.views:
            results[name] = _null(
                name, view, f"needs a {' or '.join(spec.views)} view; this clip's view is {view.label}", valid=False
            )
        elif isinstance(found := per_step[name], Unavailable):
            results[name] = _null(name, view, found.reason)
        else:
            steps, note = _in_valid_views(found, frame_views, spec.views)
            results[name] = summarise(name, steps, t_ms, note=note)
            if spec.from_markers and markers is not None and markers.usable:
                results[name].method = marker_method(markers)
    return results


def _in_valid_views(
    steps: list[StepValue], frame_views: np.ndarray | None, views: tuple[View, ...]
) -> tuple[list[StepValue], str]:
    """Steps whose frame lies in a part of the clip seen from one of ``views`` (or of unknown view), and a note."""
    if frame_views is None or not len(steps):
        return steps, ""
    frame_views = np.asarray(frame_views)
    frames = np.clip(np.array([step.frame for step in steps], dtype=int), 0, len(frame_views) - 1)
    step_views = frame_views[frames]
    keep = np.isin(step_views, views + (View.UNKNOWN,))
    if keep.all():
        return steps, ""
    others = sorted(set(step_views[~keep].tolist()))
    note = f" ({int((~keep).sum())} steps in {' or '.join(others)}-view parts of the clip were left out)"
    return [step for step, k in zip(steps, keep) if k], note


class _ResultBase(TypedDict):
    """The :class:`MetricResult` fields :func:`summarise` gives every result."""

    unit: str
    label: str
    reference: str
    expected_error: str
    per_step: list[dict]
    n: int
    excluded: dict[str, int]


def _plausible_steps(spec: MetricSpec, steps: list[StepValue]) -> tuple[list[StepValue], dict[str, int]]:
    """The steps whose value a human runner can have (:attr:`MetricSpec.plausible`), and the others counted by reason.

    A value outside the range is a pose failure, not a measurement: it is
    kept out of the median, the per-step outputs and the plots.
    """
    low, high = spec.plausible
    kept = [step for step in steps if low <= step.value <= high]
    if len(kept) == len(steps):
        return steps, {}
    unit = {"deg": "°"}.get(spec.unit, f" {spec.unit}")
    reason = f"outside the physiological range {low:g} to {high:g}{unit} (a pose failure)"
    return kept, {reason: len(steps) - len(kept)}


def summarise(name: str, steps: list[StepValue], t_ms: np.ndarray, *, note: str = "") -> MetricResult:
    """Aggregate per-step values into a :class:`MetricResult` with its flag (and their report.json form).

    ``value`` is None, with a reason naming the minimum and its source, when
    fewer steps than the metric's minimum (:attr:`MetricSpec.min_steps`) have
    a value; ``note`` is appended to that reason.
    """
    spec = METRICS[name]
    minimum = spec.min_steps_per_side
    steps = [StepValue(step.side, int(step.frame), float(step.value)) for step in steps if np.isfinite(step.value)]
    steps, excluded = _plausible_steps(spec, steps)
    if excluded:
        note += f" ({sum(excluded.values())} more were left out: {', '.join(excluded)})"
    per_step = [
        {"side": step.side, "frame": step.frame, "t_ms": float(t_ms[step.frame]), "value": step.value} for step in steps
    ]
    values = np.array([step.value for step in steps])
    sides = np.array([step.side for step in steps])
    counts = {side: int(np.sum(sides == side)) for side in ("left", "right")}
    dt_ms = median_frame_interval_ms(t_ms)
    fps = 1000.0 / dt_ms if np.isfinite(dt_ms) else None
    base = _ResultBase(
        unit=spec.unit,
        label=spec.label,
        reference=spec.reference,
        expected_error=expected_error_text(spec, fps),
        per_step=per_step,
        n=len(steps),
        excluded=excluded,
    )
    if spec.sided:
        short = [side for side in ("left", "right") if counts[side] < minimum]
        if short:
            reason = (
                f"only {counts['left']} left and {counts['right']} right steps could be measured{note}; "
                f"at least {minimum} per side are needed ({spec.min_steps_source})"
            )
            left = float(np.median(values[sides == "left"])) if counts["left"] >= minimum else None
            right = float(np.median(values[sides == "right"])) if counts["right"] >= minimum else None
            return MetricResult(value=None, left=left, right=right, reason=reason, **base)
        left, right = float(np.median(values[sides == "left"])), float(np.median(values[sides == "right"]))
        low = min(counts.values()) < STABLE_STEPS_PER_SIDE
    else:
        if len(steps) < spec.min_steps:
            return MetricResult(
                value=None,
                reason=f"only {len(steps)} steps could be measured{note}; at least "
                f"{spec.min_steps} are needed ({spec.min_steps_source})",
                **base,
            )
        left = right = None
        low = len(steps) < 2 * STABLE_STEPS_PER_SIDE
    value = float(np.median(values))
    return MetricResult(
        value=value,
        left=left,
        right=right,
        flag=flag_for(spec, value, left, right),
        confidence="low" if low else "normal",
        **base,
    )


def flag_for(spec: MetricSpec, value: float, left: float | None, right: float | None) -> str | None:
    """'ok', 'watch' or 'high' from the spec's tiers; None when the metric has no tiers."""
    if not spec.has_flags or value is None or not np.isfinite(value):
        return None
    if spec.high_above is not None and value > spec.high_above:
        return "high"
    watch = (spec.watch_above is not None and value > spec.watch_above) or (
        spec.watch_below is not None and value < spec.watch_below
    )
    if spec.asymmetry_watch is not None and left is not None and right is not None:
        watch = watch or abs(left - right) > spec.asymmetry_watch
    return "watch" if watch else "ok"


def _null(name: str, view: ViewEstimate, reason: str, *, valid: bool = True) -> MetricResult:
    spec = METRICS[name]
    return MetricResult(
        value=None,
        unit=spec.unit,
        label=spec.label,
        valid_for_view=valid,
        reference=spec.reference,
        reason=reason,
        expected_error=expected_error_text(spec),
    )
