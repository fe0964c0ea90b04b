"""The kinematics core: clean -> view -> events -> cadence -> signals -> metrics, with quality warnings.

:func:`analyse_pose` runs every stage on a :class:`~formcam.posefile.PoseSequence`
and never raises on degenerate input (no frames, no runner, too short, not
running): it returns NaN/empty results and quality warnings, and the caller
decides the exit code from ``detected_fraction`` and the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clean import clean_landmarks
from .events import Cadence, GaitEvents, detect_events, estimate_cadence, gait_phase_fractions
from .metrics import STABLE_STEPS_PER_SIDE, MetricResult, compute_metrics, frame_signals
from .posefile import PoseSequence
from .view import ViewEstimate, detect_view

#: Below this share of frames with a runner: 'low_detection'.
LOW_DETECTION = 0.5
#: Flight share of the gait above which it is running.
MIN_FLIGHT_FRACTION = 0.05
#: Cadence (steps/min) below which a clip with a flight phase is suspected to be slow motion.
SLOW_MOTION_CADENCE = 120.0
#: Typical running cadence used to suggest a slow-motion factor.
TYPICAL_CADENCE = 170.0


@dataclass
class Kinematics:
    """Everything the kinematics core measured on one clip.

    Attributes
    ----------
    xy : ndarray, float64, shape (T, 33, 2)
        Cleaned landmark pixels.
    view : ViewEstimate
    events : GaitEvents
    cadence : Cadence
    signals : dict of str -> ndarray (T,)
        Per-frame signals (:func:`formcam.metrics.frame_signals`).
    metrics : dict of str -> MetricResult
    quality : list of dict
        Warnings ``{code, message}``.
    is_running : bool
        A flight phase (no foot on the ground) was found.
    detected_fraction : float
        Share of frames in which a runner was found.
    phase_fractions : dict
        :func:`formcam.events.gait_phase_fractions` output.
    """

    xy: np.ndarray
    view: ViewEstimate
    events: GaitEvents
    cadence: Cadence
    signals: dict[str, np.ndarray]
    metrics: dict[str, MetricResult]
    quality: list[dict] = field(default_factory=list)
    is_running: bool = False
    detected_fraction: float = 0.0
    phase_fractions: dict = field(default_factory=dict)


def analyse_pose(pose: PoseSequence, *, view: str | None = None, height_cm: float | None = None) -> Kinematics:
    """Run the kinematics core on a pose sequence.

    Parameters
    ----------
    pose : PoseSequence
        Landmarks in pixels of the upright frame with real-time timestamps.
    view : {'side', 'rear', 'front'}, optional
        Force the view (the command line's ``--view``).
    height_cm : float, optional
        The runner's height, to give vertical oscillation in cm.

    Returns
    -------
    Kinematics
    """
    t_ms = np.asarray(pose.t_ms, dtype=np.float64)
    n_frames = len(t_ms)
    detected_fraction = float(np.mean(pose.detected)) if n_frames else 0.0
    xy = clean_landmarks(pose.image_xy, pose.visibility, t_ms)
    view_estimate = detect_view(xy, override=view)
    events = detect_events(xy, t_ms, view_estimate)
    cadence = estimate_cadence(events, t_ms, xy)
    phases = gait_phase_fractions(xy, t_ms, events)
    signals = frame_signals(xy, view_estimate)
    metrics = compute_metrics(xy, t_ms, view_estimate, events, height_cm=height_cm, signals=signals)
    flight = phases.get("flight", float("nan"))
    double = phases.get("double_support", float("nan"))
    is_running = bool(np.isfinite(flight) and flight >= MIN_FLIGHT_FRACTION and flight > double)
    quality = quality_warnings(
        detected_fraction=detected_fraction, view=view_estimate, events=events, cadence=cadence,
        phases=phases, is_running=is_running, view_forced=view is not None,
    )
    return Kinematics(xy=xy, view=view_estimate, events=events, cadence=cadence, signals=signals, metrics=metrics,
                      quality=quality, is_running=is_running, detected_fraction=detected_fraction, phase_fractions=phases)


def quality_warnings(*, detected_fraction: float, view: ViewEstimate, events: GaitEvents, cadence: Cadence,
                     phases: dict, is_running: bool, view_forced: bool = False) -> list[dict]:
    """Warnings about how far the results can be trusted, as ``{code, message}`` dicts."""
    warnings: list[dict] = []

    def warn(code: str, message: str) -> None:
        warnings.append({"code": code, "message": message})

    if detected_fraction < LOW_DETECTION:
        warn("low_detection", f"A runner was found in only {100 * detected_fraction:.0f}% of the frames; "
                              "results rest on the frames where they were seen.")
    if not view_forced and view.label in ("oblique", "unknown"):
        warn("view_uncertain", f"The camera view looks {view.label}; film from the side, behind or in front, "
                               "or set it with --view.")
    elif not view_forced and view.confidence < 0.6:
        warn("view_uncertain", f"The {view.label} view was detected with low confidence ({view.confidence:.2f}); "
                               "set it with --view if it is wrong.")
    left, right = events.count("left"), events.count("right")
    if min(left, right) < STABLE_STEPS_PER_SIDE:
        warn("few_steps", f"Only {left} left and {right} right foot contacts were found; at least "
                          f"{STABLE_STEPS_PER_SIDE} per side give stable values, so treat the numbers as rough.")
    flight = phases.get("flight", float("nan"))
    if np.isfinite(flight) and not is_running:
        warn("not_running", "No flight phase was found (a foot is always on the ground): this looks like walking, "
                            "and the running norms do not apply.")
    spm = cadence.value_spm
    if is_running and np.isfinite(spm) and spm < SLOW_MOTION_CADENCE:
        factor = max(2, int(round(TYPICAL_CADENCE / spm)))
        warn("slow_motion_suspected", f"Cadence of {spm:.0f} steps/min with a flight phase is too slow for running; "
                                      f"if this clip is slow motion, re-run with --slowmo {factor}.")
    return warnings
