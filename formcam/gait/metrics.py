"""Running-form metrics: per-frame signals, per-step values, per-side summaries and flags.

Every metric's view, unit, flag tiers, reference and expected error live in
one table, :data:`METRICS`.  Definitions (design notes, research note
section 1), in pixels of the upright image, ``y`` down; ``s`` is the stance
side, ``c`` the other side, ``facing`` +1 when the runner faces image-right:

=========================== ======= ===========================================================
name                        views   per-step value
=========================== ======= ===========================================================
pelvic_drop_deg             R, F    per stance: max of ``atan2(y_hip_c - y_hip_s, |dx|)``
                                    (swing-side hip below horizontal), contact to toe-off
shoulder_dip_deg            R, F    per stance: shoulder-line tilt at its largest magnitude,
                                    positive = stance-side shoulder lower
trunk_lateral_lean_deg      R, F    per stance: mid-hip to mid-shoulder angle from vertical at
                                    its largest magnitude, positive = towards the stance side
head_forward_pct            S       per step: median of ``(x_ear - x_sh) * facing / trunk``
                                    (mid-ear, mid-shoulder; trunk = mid-shoulder to mid-hip)
head_forward_deg            S       per step: median angle of mid-shoulder to mid-ear from
                                    vertical, positive forward
trunk_forward_lean_deg      S       per step: median angle of mid-hip to mid-shoulder from
                                    vertical, positive forward
vertical_oscillation_pct    S,R,F   per step (contact to next contact): peak-to-trough of the
                                    mid-hip's y / leg length (stance hip to ankle at midstance,
                                    the stance's lowest mid-hip frame; median over stances)
vertical_oscillation_cm     S,R,F   the same in cm, from ``--height-cm`` (trunk = 0.288 height)
overstride_pct              S       at contact: ``(x_heel_s - x_midhip) * facing`` / leg length
knee_flexion_contact_deg    S       at contact: 180 - angle(hip_s, knee_s, ankle_s)
shank_angle_contact_deg     S       at contact: knee-to-ankle from vertical, + = ankle ahead
arm_crossover_pct           R, F    per stride of each arm: peak of ``(x_wrist - x_midsh) *
                                    sigma / shoulder width``, sigma towards the other side
=========================== ======= ===========================================================

Values "at contact" are taken at each contact's time between frames
(:func:`formcam.gait.events.refine_contacts`): overstride at the straightest
stance knee just before it (:func:`landing_frames`), the knee and shin angles
from a fit either side of it to the unfiltered, measured samples
(:func:`value_at_corner`), since they turn sharply there, moved to the
knee's own landing where the knee shows the contact a little late or early
(:func:`knee_landing_times`).

Aggregation: per-step values are summarised by the median per side
(``left``/``right`` = the stance leg, or the arm); ``value`` is the median of
all per-step values.

Minimum steps (``MetricSpec.min_steps_per_side``, with its source in
``min_steps_source``): Dingenen et al. (2018) found 6.3 steps needed for a
stable mean of 2D running angles and recommend at least 7, so the angles they
measured (pelvic drop, lateral trunk position, tibia inclination) and their
sagittal kin need :data:`STABLE_STEPS_PER_SIDE` (7) steps on *each* side;
metrics without such a study need formcam's own minimum,
:data:`MIN_STEPS_PER_SIDE` (3) per side (unsided ones twice that in all), as a
median of fewer is one step's noise.  Below the minimum ``value`` is null and
the reason names the minimum and its source; results from fewer than 7 steps
per side carry ``confidence: 'low'``.

Expected errors: each metric's ``expected_error`` opens with the 95th
percentile of its absolute error on synthetic gaits with pose-model-like noise,
measured by :mod:`formcam.synthetic.accuracy` and stored in ``formcam/data/accuracy.json``
(``make accuracy`` regenerates it), followed by what the literature says about
real landmark errors, which synthetic gaits cannot show.

Steps taken in parts of the clip seen from a view the metric is not valid for
(``frame_views``, from :func:`formcam.gait.view.view_segments`) are left out.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from formcam.pose import landmarks as lm
from formcam.gait.clean import median_frame_interval_ms
from formcam.gait.events import GaitEvents, knee_flexion_deg, regular_steps, stances  # noqa: F401 (re-exported)
from formcam.gait.view import ViewEstimate

#: formcam's own minimum of steps per side for a sided metric without a published minimum (value null below it).
MIN_STEPS_PER_SIDE = 3
#: Steps per side for a stable mean (Dingenen et al. 2018); the minimum of the angles they studied,
#: and fewer gives confidence 'low' elsewhere.
STABLE_STEPS_PER_SIDE = 7
DINGENEN_MINIMUM = "Dingenen et al. 2018: a stable 2D mean needs at least 7 steps per side"
FORMCAM_MINIMUM = "formcam's minimum: a median of fewer steps is one step's noise (no published minimum)"
#: The noise study reports values read at contact separately below and above this frame rate.
CONTACT_RATE_SPLIT_FPS = 50.0
#: Frontal peaks (pelvic drop, shoulder dip, side lean) are taken after a running mean over this long, ms.
PEAK_SMOOTHING_MS = 60.0
#: Overstride is read at the straightest stance knee within this long before the contact, ms.
LANDING_WINDOW_MS = 40.0
#: The angles at contact are fitted over this long either side of the contact, ms ...
CONTACT_ANGLE_WINDOW_MS = 80.0
#: ... and over at least this many frame intervals either side (133 ms at 30 fps).
CONTACT_ANGLE_MIN_FRAMES = 4
#: The knee's own landing (its straightest point) is looked for within this long either side of the contact, ms.
KNEE_LANDING_REACH_MS = 40.0
#: Mid-hip to mid-shoulder length as a fraction of standing height (Winter 2009: 0.818 - 0.530).
TRUNK_TO_HEIGHT = 0.288

FRONTAL = ("rear", "front")


@dataclass(frozen=True)
class MetricSpec:
    """One row of the metric table.

    Flags: ``high`` above ``high_above``; ``watch`` above ``watch_above``,
    below ``watch_below``, or with a left-right difference above
    ``asymmetry_watch``; otherwise ``ok``.  With no thresholds at all the
    flag is null (no norm to compare with).
    """

    label: str
    unit: str
    views: tuple[str, ...]
    sided: bool
    reference: str
    literature_error: str
    watch_above: float | None = None
    high_above: float | None = None
    watch_below: float | None = None
    asymmetry_watch: float | None = None
    min_steps_per_side: int = MIN_STEPS_PER_SIDE
    min_steps_source: str = FORMCAM_MINIMUM

    @property
    def has_flags(self) -> bool:
        return any(v is not None for v in (self.watch_above, self.high_above, self.watch_below, self.asymmetry_watch))

    @property
    def expected_error(self) -> str:
        """The report's ``expected_error`` text for this row (:func:`expected_error_text`)."""
        name = next((key for key, spec in METRICS.items() if spec is self), None)
        return expected_error_text(name, self) if name else self.literature_error

    @property
    def min_steps(self) -> int:
        """Steps needed in all: per side for sided metrics, twice that for unsided ones."""
        return self.min_steps_per_side if self.sided else 2 * self.min_steps_per_side


def expected_error_text(name: str, spec: MetricSpec, fps: float | None = None) -> str:
    """``expected_error`` text of a metric: the noise study's 95th percentile, then the literature's note.

    Starts with ``±<number>`` in the metric's unit ("points" for percentages)
    so that programs can read the number (:mod:`formcam.batch.summary_compare`).
    Values read at foot contact depend on the frame rate: given ``fps``, their
    number is the study's for clips below or above 50 fps.
    """
    stored = accuracy_study()
    study = stored.get("metrics", {}).get(name, {}).get("noisy")
    where = ""
    by_rate = stored.get("contact_timed_by_frame_rate", {})
    if fps is not None and np.isfinite(fps) and by_rate:
        key = contact_rate_key(fps)
        row = by_rate.get(key, {}).get(name, {}).get("noisy")
        if row and row.get("p95") is not None:
            study, where = row, f" ({key})"
    if not study or study.get("p95") is None:
        return spec.literature_error
    unit = {"deg": "°", "cm": " cm"}.get(spec.unit, " points")
    return (f"±{study['p95']:.1f}{unit} on synthetic gaits with pose-model-like noise{where} (95 % of clips, "
            f"formcam.accuracy); real landmarks add: {spec.literature_error}")


def contact_rate_key(fps: float) -> str:
    """The noise study's frame-rate group for values read at contact: below or at/above :data:`CONTACT_RATE_SPLIT_FPS`."""
    return f"below {CONTACT_RATE_SPLIT_FPS:g} fps" if fps < CONTACT_RATE_SPLIT_FPS else f"{CONTACT_RATE_SPLIT_FPS:g} fps and above"


@lru_cache(maxsize=1)
def accuracy_study() -> dict:
    """The stored noise study (``formcam/data/accuracy.json``, written by ``python -m formcam.synthetic.accuracy --write``)."""
    try:
        text = resources.files("formcam").joinpath("data/accuracy.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


METRICS: dict[str, MetricSpec] = {
    "pelvic_drop_deg": MetricSpec(
        "Pelvic drop", "deg", FRONTAL, True,
        "Matsuzaki et al. (2D, adolescents) 6.0 ± 2.2°; watch > 8°, high > 10° (mean + 1/2 SD) and "
        "L-R > 3° (Dingenen 2018 SDD) are formcam heuristics",
        "±3° per step (hip landmarks are estimated joint centres; 1 cm ≈ 3°)",
        watch_above=8.0, high_above=10.0, asymmetry_watch=3.0,
        min_steps_per_side=STABLE_STEPS_PER_SIDE, min_steps_source=DINGENEN_MINIMUM),
    "shoulder_dip_deg": MetricSpec(
        "Shoulder dip", "deg", FRONTAL, True,
        "no published norms; flagged on the left-right difference only (formcam heuristic)",
        "±2° per step (1 cm ≈ 1.5° at shoulder width)",
        asymmetry_watch=3.0),
    "trunk_lateral_lean_deg": MetricSpec(
        "Side lean", "deg", FRONTAL, True,
        "Dingenen 2018 (2D SDD 1.3-2.3°); watch > 5° towards the stance side or L-R > 2° (formcam heuristic)",
        "±2°",
        watch_above=5.0, high_above=8.0, asymmetry_watch=2.0,
        min_steps_per_side=STABLE_STEPS_PER_SIDE, min_steps_source=DINGENEN_MINIMUM),
    "head_forward_pct": MetricSpec(
        "Head forward", "% trunk", ("side",), False,
        "no running norms; watch > 10 %, high > 20 % of trunk length are formcam heuristics "
        "(clinical craniovertebral-angle norms do not apply to BlazePose landmarks)",
        "±5 points (ear landmark not validated in running)",
        watch_above=10.0, high_above=20.0),
    "head_forward_deg": MetricSpec(
        "Head forward angle", "deg", ("side",), False,
        "no running norms; watch > 12°, high > 24° are formcam heuristics",
        "±5°",
        watch_above=12.0, high_above=24.0),
    "trunk_forward_lean_deg": MetricSpec(
        "Forward lean", "deg", ("side",), False,
        "Teng & Powers 2014: self-selected 7.3 ± 3.6°, cued flexed 14.1 ± 4.8°; "
        "< 3° or > 15° flagged as informational",
        "±2-4° (2D vs 3D 1.7° in squats; hip landmark offsets)",
        watch_below=3.0, watch_above=15.0),
    "vertical_oscillation_pct": MetricSpec(
        "Bounce", "% leg", ("side", "rear", "front"), True,
        "zzzhushi/running-gait-analysis heuristic band ≤ 12 % leg length (informational)",
        "±1 point with a static camera",
        watch_above=12.0, high_above=15.0),
    "vertical_oscillation_cm": MetricSpec(
        "Bounce (cm)", "cm", ("side", "rear", "front"), True,
        "Stryd: typical 3-15 cm; no flags",
        "±15 % (height scale from the trunk length)"),
    "overstride_pct": MetricSpec(
        "Overstride", "% leg", ("side",), True,
        "Lieberman et al. 2015 (foot ahead of hip relates to braking); no consensus threshold (Baker et al. 2024)",
        "±5 points; contact timing dominates (one frame at 30 fps ≈ 3-7 points)"),
    "knee_flexion_contact_deg": MetricSpec(
        "Knee bend at contact", "deg", ("side",), True,
        "Matsuzaki et al. (2D) 13.2 ± 3.8° at contact; watch < 5° (formcam heuristic)",
        "±5-8° (Van Hooren et al. 2023: markerless knee RMSE 7-8°)",
        watch_below=5.0, min_steps_per_side=STABLE_STEPS_PER_SIDE, min_steps_source=DINGENEN_MINIMUM),
    "shank_angle_contact_deg": MetricSpec(
        "Shin angle at contact", "deg", ("side",), True,
        "Matsuzaki et al. (2D) 8.5 ± 3.2°; watch > 15° (mean + 2 SD, formcam heuristic)",
        "±3-5° (2D SDD 2.2-4.8°, Dingenen 2018)",
        watch_above=15.0, min_steps_per_side=STABLE_STEPS_PER_SIDE, min_steps_source=DINGENEN_MINIMUM),
    "arm_crossover_pct": MetricSpec(
        "Arm crossover", "% shoulder width", FRONTAL, True,
        "no norms; a wrist crossing the midline (> 0) is flagged as informational (formcam heuristic)",
        "±10 points (wrist depth is ambiguous from behind)",
        watch_above=0.0, high_above=15.0),
}


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
        ``{side, frame, t_ms, value}`` per step.
    expected_error : str or None
    confidence : {'normal', 'low'} or None
        'low' when fewer than 7 steps per side were used.
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

    def to_json(self) -> dict:
        """The report.json form (NaN becomes null)."""
        return {
            "label": self.label, "value": _num(self.value), "unit": self.unit, "left": _num(self.left), "right": _num(self.right),
            "n": int(self.n), "valid_for_view": bool(self.valid_for_view), "flag": self.flag,
            "reference": self.reference, "reason": self.reason, "expected_error": self.expected_error,
            "confidence": self.confidence,
            "per_step": [{k: (_num(v) if k in ("value", "t_ms") else v) for k, v in step.items()} for step in self.per_step],
        }


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------------------------- signals
def frame_signals(xy: np.ndarray, view: ViewEstimate) -> dict[str, np.ndarray]:
    """Per-frame posture signals for plotting and drawing.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    view : ViewEstimate

    Returns
    -------
    dict of str -> ndarray, float64, shape (T,)
        * ``shoulder_tilt_deg``, ``hip_tilt_deg``: line tilt from horizontal,
          positive = the runner's **right** shoulder/hip lower (either view);
        * ``trunk_lateral_lean_deg``: mid-hip to mid-shoulder from vertical,
          positive = towards the runner's right;
        * ``trunk_forward_lean_deg``, ``head_forward_deg``: from vertical,
          positive = forward (in the running direction, so left- and
          right-facing runners give the same sign);
        * ``head_forward_pct``: mid-ear ahead of mid-shoulder, % of trunk;
        * ``knee_flexion_left_deg``, ``knee_flexion_right_deg``: 180 minus the
          hip-knee-ankle angle;
        * ``mid_hip_y_px``: mid-hip height in the image (y down).

        Frontal-plane signals are NaN in side views, sagittal ones NaN in rear
        and front views or when the facing direction is unknown.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0] if xy.ndim == 3 else 0
    names = ("shoulder_tilt_deg", "hip_tilt_deg", "trunk_lateral_lean_deg", "trunk_forward_lean_deg",
             "head_forward_deg", "head_forward_pct", "knee_flexion_left_deg", "knee_flexion_right_deg", "mid_hip_y_px")
    out = {name: np.full(n, np.nan) for name in names}
    if n == 0 or xy.shape[1:] != (lm.N_LANDMARKS, 2):
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        mid_sh, mid_hip, mid_ear = _mid(xy, lm.LEFT_SHOULDER), _mid(xy, lm.LEFT_HIP), _mid(xy, lm.LEFT_EAR)
        trunk_len = np.hypot(*(mid_sh - mid_hip).T)
        out["mid_hip_y_px"] = mid_hip[:, 1]
        out["knee_flexion_left_deg"] = knee_flexion_deg(xy, "left")
        out["knee_flexion_right_deg"] = knee_flexion_deg(xy, "right")
        if view.label != "side":
            out["shoulder_tilt_deg"] = _line_tilt(xy, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)
            out["hip_tilt_deg"] = _line_tilt(xy, lm.LEFT_HIP, lm.RIGHT_HIP)
            lean_image_right = np.degrees(np.arctan2(mid_sh[:, 0] - mid_hip[:, 0], mid_hip[:, 1] - mid_sh[:, 1]))
            out["trunk_lateral_lean_deg"] = lean_image_right * _runner_right_sign(xy, view)
        facing = view.facing
        if facing and view.label not in FRONTAL:
            out["trunk_forward_lean_deg"] = np.degrees(np.arctan2((mid_sh[:, 0] - mid_hip[:, 0]) * facing, mid_hip[:, 1] - mid_sh[:, 1]))
            out["head_forward_deg"] = np.degrees(np.arctan2((mid_ear[:, 0] - mid_sh[:, 0]) * facing, mid_sh[:, 1] - mid_ear[:, 1]))
            out["head_forward_pct"] = 100.0 * (mid_ear[:, 0] - mid_sh[:, 0]) * facing / np.where(trunk_len > 0, trunk_len, np.nan)
    return out


def _mid(xy: np.ndarray, left_index: int) -> np.ndarray:
    """Midpoint of a left landmark and its right twin, (T, 2)."""
    return (xy[:, left_index] + xy[:, left_index + 1]) / 2


def _line_tilt(xy: np.ndarray, left: int, right: int) -> np.ndarray:
    """Tilt of the left-right line from horizontal, degrees, positive = right point lower."""
    d = xy[:, right] - xy[:, left]
    return np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))


def _runner_right_sign(xy: np.ndarray, view: ViewEstimate) -> float:
    """+1 where the runner's right is image-right (rear view), -1 where it is image-left (front)."""
    if view.label == "rear":
        return 1.0
    if view.label == "front":
        return -1.0
    order = np.sign(xy[:, lm.RIGHT_SHOULDER, 0] - xy[:, lm.LEFT_SHOULDER, 0])
    order = order[np.isfinite(order)]
    return float(np.sign(np.median(order))) if order.size and np.median(order) != 0 else float("nan")


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
) -> dict[str, MetricResult]:
    """Every metric of :data:`METRICS` for one clip.

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
        (:func:`value_at_corner`).  None: every finite sample.

    Returns
    -------
    dict of str -> MetricResult
        One entry per row of :data:`METRICS`, in table order; a metric that
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
        at_contact = xy if xy_unfiltered is None or np.shape(xy_unfiltered) != xy.shape else np.asarray(xy_unfiltered, float)
        if measured is not None and np.shape(measured) == at_contact.shape[:2]:
            measured_xy = np.where(np.asarray(measured, bool)[..., None], at_contact, np.nan)
        else:
            measured_xy = at_contact
        per_step = _per_step_values(xy, t_ms, view, events, signals, height_cm, at_contact, measured_xy)
    results = {}
    for name, spec in METRICS.items():
        if view.label not in spec.views:
            results[name] = _null(name, view, f"needs a {' or '.join(spec.views)} view; this clip's view is {view.label}", valid=False)
        elif isinstance(per_step.get(name), str):
            results[name] = _null(name, view, per_step[name])
        else:
            steps, note = _in_valid_views(per_step.get(name, []), frame_views, spec.views)
            results[name] = summarise(name, steps, t_ms, note=note)
    return results


def _in_valid_views(steps: list, frame_views: np.ndarray | None, views: tuple[str, ...]) -> tuple[list, str]:
    """Steps whose frame lies in a part of the clip seen from one of ``views`` (or of unknown view), and a note."""
    if frame_views is None or not len(steps):
        return steps, ""
    frame_views = np.asarray(frame_views)
    frames = np.clip(np.array([frame for _, frame, _ in steps], dtype=int), 0, len(frame_views) - 1)
    step_views = frame_views[frames]
    keep = np.isin(step_views, views + ("unknown",))
    if keep.all():
        return steps, ""
    others = sorted(set(step_views[~keep].tolist()))
    note = f" ({int((~keep).sum())} steps in {' or '.join(others)}-view parts of the clip were left out)"
    return [step for step, k in zip(steps, keep) if k], note


def summarise(name: str, steps: list[tuple[str, int, float]], t_ms: np.ndarray, *, note: str = "") -> MetricResult:
    """Aggregate per-step ``(side, frame, value)`` into a :class:`MetricResult` with its flag.

    ``value`` is None, with a reason naming the minimum and its source, when
    fewer steps than the metric's minimum (:attr:`MetricSpec.min_steps`) have
    a value; ``note`` is appended to that reason.
    """
    spec = METRICS[name]
    minimum = spec.min_steps_per_side
    steps = [(side, int(frame), float(value)) for side, frame, value in steps if np.isfinite(value)]
    per_step = [{"side": side, "frame": frame, "t_ms": float(t_ms[frame]), "value": value} for side, frame, value in steps]
    values = np.array([v for _, _, v in steps])
    sides = np.array([s for s, _, _ in steps])
    counts = {side: int(np.sum(sides == side)) for side in ("left", "right")}
    dt_ms = median_frame_interval_ms(t_ms)
    fps = 1000.0 / dt_ms if np.isfinite(dt_ms) else None
    base = dict(unit=spec.unit, label=spec.label, reference=spec.reference,
                expected_error=expected_error_text(name, spec, fps), per_step=per_step, n=len(steps))
    if spec.sided:
        short = [side for side in ("left", "right") if counts[side] < minimum]
        if short:
            reason = (f"only {counts['left']} left and {counts['right']} right steps could be measured{note}; "
                      f"at least {minimum} per side are needed ({spec.min_steps_source})")
            left = float(np.median(values[sides == "left"])) if counts["left"] >= minimum else None
            right = float(np.median(values[sides == "right"])) if counts["right"] >= minimum else None
            return MetricResult(value=None, left=left, right=right, reason=reason, **base)
        left, right = float(np.median(values[sides == "left"])), float(np.median(values[sides == "right"]))
        low = min(counts.values()) < STABLE_STEPS_PER_SIDE
    else:
        if len(steps) < spec.min_steps:
            return MetricResult(value=None, reason=f"only {len(steps)} steps could be measured{note}; at least "
                                f"{spec.min_steps} are needed ({spec.min_steps_source})", **base)
        left = right = None
        low = len(steps) < 2 * STABLE_STEPS_PER_SIDE
    value = float(np.median(values))
    return MetricResult(value=value, left=left, right=right, flag=flag_for(spec, value, left, right),
                        confidence="low" if low else "normal", **base)


def flag_for(spec: MetricSpec, value: float, left: float | None, right: float | None) -> str | None:
    """'ok', 'watch' or 'high' from the spec's tiers; None when the metric has no tiers."""
    if not spec.has_flags or value is None or not np.isfinite(value):
        return None
    if spec.high_above is not None and value > spec.high_above:
        return "high"
    watch = (spec.watch_above is not None and value > spec.watch_above) or (
        spec.watch_below is not None and value < spec.watch_below)
    if spec.asymmetry_watch is not None and left is not None and right is not None:
        watch = watch or abs(left - right) > spec.asymmetry_watch
    return "watch" if watch else "ok"


def _null(name: str, view: ViewEstimate, reason: str, *, valid: bool = True) -> MetricResult:
    spec = METRICS[name]
    return MetricResult(value=None, unit=spec.unit, label=spec.label, valid_for_view=valid, reference=spec.reference,
                        reason=reason, expected_error=expected_error_text(name, spec))


# ----------------------------------------------------------------------------------- per step
def _per_step_values(xy, t_ms, view, events, signals, height_cm, xy_at_contact,
                     xy_measured) -> dict[str, list | str]:
    """name -> list of (side, frame, value), or a reason string when it cannot be computed."""
    out: dict[str, list | str] = {}
    if events.n_contacts < 2:
        reason = "no gait events (foot contacts) were found"
        return {name: reason for name in METRICS}
    st = stances(events)
    steps = regular_steps(events, t_ms)
    stance_ok = _usable_stances(st, t_ms, steps, events)
    stance_idx = np.flatnonzero(stance_ok)
    stance_sides = st.sides[stance_idx]
    stance_start = st.contact_frames[stance_idx]
    stance_stop = st.toe_off_frames[stance_idx] + 1
    sign_left = np.where(stance_sides == "left", 1.0, -1.0)  # +1 in left stance

    # Leg length: stance-side hip to ankle at midstance (the stance's lowest mid-hip frame).
    mid_y = signals["mid_hip_y_px"]
    leg = float("nan")
    if stance_idx.size:
        frames_w, y_w = _windows(mid_y, stance_start, stance_stop)
        has = np.isfinite(y_w).any(axis=1)
        mid_frames = frames_w[np.arange(len(frames_w)), np.argmax(np.where(np.isfinite(y_w), y_w, -np.inf), axis=1)]
        hip_i = np.where(stance_sides == "left", lm.LEFT_HIP, lm.RIGHT_HIP)
        ankle_i = np.where(stance_sides == "left", lm.LEFT_ANKLE, lm.RIGHT_ANKLE)
        legs = np.hypot(*(xy[mid_frames, hip_i] - xy[mid_frames, ankle_i]).T)[has]
        legs = legs[np.isfinite(legs)]
        leg = float(np.median(legs)) if legs.size else float("nan")

    # Frontal plane, per stance.
    if view.label in FRONTAL and stance_idx.size:
        half = _peak_half_window(t_ms)
        stride_ms = 2 * float(np.median(np.diff(t_ms[st.contact_frames])[steps])) if steps.size else float("nan")
        gain = running_mean_gain(half, median_frame_interval_ms(t_ms), stride_ms)
        # Averaged against noise, given back its height, and each extremum refined between frames.
        def peaks_of(name: str) -> np.ndarray:
            return _refined_extrema(running_mean(signals[name], half) / gain)

        cpd = peaks_of("hip_tilt_deg")  # + right hip lower = swing-side drop in left stance
        frames_w, w = _windows(cpd, stance_start, stance_stop)
        w = w * sign_left[:, None]
        out["pelvic_drop_deg"] = _peak_rows(stance_sides, frames_w, w, "max")
        frames_w, w = _windows(peaks_of("shoulder_tilt_deg"), stance_start, stance_stop)
        out["shoulder_dip_deg"] = _peak_rows(stance_sides, frames_w, -w * sign_left[:, None], "absmax")
        frames_w, w = _windows(peaks_of("trunk_lateral_lean_deg"), stance_start, stance_stop)
        out["trunk_lateral_lean_deg"] = _peak_rows(stance_sides, frames_w, -w * sign_left[:, None], "absmax")
        out["arm_crossover_pct"] = _arm_crossover(xy, view, st, t_ms, steps)
    elif view.label in FRONTAL:
        for name in ("pelvic_drop_deg", "shoulder_dip_deg", "trunk_lateral_lean_deg", "arm_crossover_pct"):
            out[name] = "no complete stance (contact to toe-off) was found"

    # Per step (contact to the next contact): vertical oscillation and the side-view postures.
    if steps.size:
        step_sides = st.sides[steps]
        step_start = st.contact_frames[steps]
        step_stop = st.contact_frames[steps + 1] + 1
        frames_w, w = _windows(_refined_extrema(mid_y), step_start, step_stop)
        travel = np.nanmax(w, axis=1) - np.nanmin(w, axis=1)
        if np.isfinite(leg) and leg > 0:
            out["vertical_oscillation_pct"] = list(zip(step_sides, step_start, 100.0 * travel / leg))
        else:
            out["vertical_oscillation_pct"] = "the leg length could not be measured at midstance"
        if height_cm:
            trunk = np.hypot(*(_mid(xy, lm.LEFT_SHOULDER) - _mid(xy, lm.LEFT_HIP)).T)
            trunk = trunk[np.isfinite(trunk)]
            if trunk.size and np.median(trunk) > 0:
                cm_per_px = height_cm * TRUNK_TO_HEIGHT / float(np.median(trunk))
                out["vertical_oscillation_cm"] = list(zip(step_sides, step_start, travel * cm_per_px))
            else:
                out["vertical_oscillation_cm"] = "the trunk length could not be measured"
        else:
            out["vertical_oscillation_cm"] = "needs the runner's height (--height-cm)"
        if view.label == "side":
            for name in ("head_forward_pct", "head_forward_deg", "trunk_forward_lean_deg"):
                frames_w, w = _windows(signals[name], step_start, step_stop - 1)
                out[name] = list(zip(step_sides, step_start, np.nanmedian(w, axis=1)))
    else:
        for name in ("vertical_oscillation_pct", "vertical_oscillation_cm", "head_forward_pct", "head_forward_deg",
                     "trunk_forward_lean_deg"):
            out[name] = "no regular steps (alternating contacts) were found"

    # Side view, at contact.
    if view.label == "side":
        out.update(_at_contact(xy_at_contact, xy_measured, view, st, leg, t_ms, _stance_contact_times(events, st)))
    return out


def _stance_contact_times(events: GaitEvents, st) -> np.ndarray | None:
    """Refined contact times in the order of ``st`` (the events' contact order), or None."""
    if events.contact_t_ms is None or len(events.contact_t_ms) != len(st.contact_frames):
        return None
    return np.asarray(events.contact_t_ms, dtype=np.float64)


def _usable_stances(st, t_ms: np.ndarray, steps: np.ndarray, events: GaitEvents) -> np.ndarray:
    """bool (n_contacts,): complete stances no longer than one and a half typical steps."""
    ok = st.complete.copy()
    if not ok.any():
        return ok
    if steps.size:
        typical_step = float(np.median(np.diff(t_ms[st.contact_frames])[steps]))
    else:
        typical_step = float("inf")
    duration = np.where(ok, t_ms[np.maximum(st.toe_off_frames, 0)] - t_ms[st.contact_frames], np.nan)
    with np.errstate(invalid="ignore"):
        return ok & (duration > 0) & (duration <= 1.5 * typical_step)


def landing_frames(xy: np.ndarray, t_ms: np.ndarray, frames: np.ndarray, sides: np.ndarray,
                   contact_t_ms: np.ndarray | None = None) -> np.ndarray:
    """The frame at which to read each contact's overstride: the straightest stance knee just before contact.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    t_ms : ndarray, shape (T,)
    frames : ndarray, int, shape (n,)
        Contact frames (the last frame at or before each contact).
    sides : ndarray, str, shape (n,)
        Stance side of each contact.
    contact_t_ms : ndarray, shape (n,), optional
        Contact times between frames.

    Returns
    -------
    ndarray, int, shape (n,)
        Of the frames within :data:`LANDING_WINDOW_MS` (at least one frame)
        before each contact, the one where the stance knee is straightest.

    Notes
    -----
    The knee is still (slightly extending) just before landing and flexes
    fast after it, so a contact timed a little late reads several degrees
    too much flexion, one timed early hardly any.  Within the timing
    uncertainty of a frame or two the straightest knee marks the landing.
    """
    frames = np.asarray(frames, dtype=int)
    if not frames.size:
        return frames
    t_ms = np.asarray(t_ms, dtype=np.float64)
    dt_ms = median_frame_interval_ms(t_ms)
    reach = max(int(np.ceil(LANDING_WINDOW_MS / dt_ms)), 1) if np.isfinite(dt_ms) else 1
    candidates = np.clip(frames[:, None] - np.arange(reach + 1)[None, :], 0, len(t_ms) - 1)  # (n, reach+1)
    anchor = t_ms[frames] if contact_t_ms is None else np.where(np.isfinite(contact_t_ms), contact_t_ms, t_ms[frames])
    inside = t_ms[candidates] >= anchor[:, None] - max(LANDING_WINDOW_MS, dt_ms if np.isfinite(dt_ms) else 0) - 1e-6
    inside[:, 0] = True
    flex = np.where(np.asarray(sides)[:, None] == "left",
                    knee_flexion_deg(xy[candidates.ravel()], "left").reshape(candidates.shape),
                    knee_flexion_deg(xy[candidates.ravel()], "right").reshape(candidates.shape))
    flex = np.where(inside & np.isfinite(flex), flex, np.inf)
    best = np.argmin(flex, axis=1)
    return np.where(np.isfinite(flex[np.arange(len(frames)), best]), candidates[np.arange(len(frames)), best], frames)


def _at_contact(xy, xy_measured, view, st, leg, t_ms, contact_t_ms=None) -> dict[str, list | str]:
    facing = view.facing
    if not st.contact_frames.size or not facing:
        reason = "no contacts or running direction found"
        return {name: reason for name in ("overstride_pct", "knee_flexion_contact_deg", "shank_angle_contact_deg")}
    frames = landing_frames(xy, t_ms, st.contact_frames, st.sides, contact_t_ms)
    left = st.sides == "left"
    heel = np.where(left, lm.LEFT_HEEL, lm.RIGHT_HEEL)
    mid_hip_x = _mid(xy, lm.LEFT_HIP)[frames, 0]
    out: dict[str, list | str] = {}
    if np.isfinite(leg) and leg > 0:
        overstride = 100.0 * (xy[frames, heel, 0] - mid_hip_x) * facing / leg
        out["overstride_pct"] = list(zip(st.sides, frames, overstride))
    else:
        out["overstride_pct"] = "the leg length could not be measured at midstance"
    when = t_ms[st.contact_frames] if contact_t_ms is None else np.where(np.isfinite(contact_t_ms), contact_t_ms,
                                                                          t_ms[st.contact_frames])
    dt_ms = median_frame_interval_ms(t_ms)
    half_width = max(CONTACT_ANGLE_WINDOW_MS, CONTACT_ANGLE_MIN_FRAMES * dt_ms) if np.isfinite(dt_ms) else CONTACT_ANGLE_WINDOW_MS
    flex, shank = np.full(len(when), np.nan), np.full(len(when), np.nan)
    for side, knee, ankle in (("left", lm.LEFT_KNEE, lm.LEFT_ANKLE), ("right", lm.RIGHT_KNEE, lm.RIGHT_ANKLE)):
        mine = st.sides == side
        shin = xy_measured[:, ankle] - xy_measured[:, knee]
        knee_flexion = knee_flexion_deg(xy_measured, side)
        landing = knee_landing_times(knee_flexion, t_ms, when[mine], half_width)
        flex[mine] = value_at_corner(knee_flexion, t_ms, landing, half_width)
        shank[mine] = value_at_corner(np.degrees(np.arctan2(shin[:, 0] * facing, shin[:, 1])), t_ms, landing,
                                      half_width)
    out["knee_flexion_contact_deg"] = list(zip(st.sides, st.contact_frames, flex))
    out["shank_angle_contact_deg"] = list(zip(st.sides, st.contact_frames, shank))
    return out


def value_at_corner(values: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, half_width_ms: float) -> np.ndarray:
    """The value of a signal at instants where its rate changes abruptly, from a curve fitted either side.

    ``a`` of :func:`corner_fit` (see there).
    """
    return corner_fit(values, t_ms, at_ms, half_width_ms)[:, 0]


def corner_fit(values: np.ndarray, t_ms: np.ndarray, at_ms: np.ndarray, half_width_ms: float) -> np.ndarray:
    """Two parabolas meeting at each instant, fitted to the samples either side (a signal's value at a corner).

    Parameters
    ----------
    values : ndarray, shape (T,)
        The signal (e.g. a joint angle, degrees), not low-passed; NaN where
        not measured.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    at_ms : ndarray, shape (n,)
        The instants (between frames), ms, e.g. refined foot contacts.
    half_width_ms : float
        The fit uses the samples within this long either side, ms.

    Returns
    -------
    ndarray, shape (n, 5)
        ``a, b1, c1, b2, c2`` of the least-squares fit, with
        ``d = (t - at) / half_width_ms``, ``a + b1 d + c1 d**2`` before and
        ``a + b2 d + c2 d**2`` after the instant (two parabolas that meet
        there, each with its own slope and curvature; ``a`` is the value
        there); NaN rows where fewer than five samples, or fewer than two on
        one side, are available.

    Notes
    -----
    At a foot's landing the leg's angles turn sharply: the knee, extending
    in late swing, flexes fast from contact on (research note section 3.1:
    Zeni's and Fellin's contacts are corners of the foot's own path).  The
    value at the corner is therefore read from neither a single frame nor a
    smoothed curve: the nearest frame lies up to half a frame along the
    steep side (at 60 fps up to 4-7° of knee flexion in one step), linear
    interpolation between the frames either side cuts the corner by as
    much, and the low-pass rounds it (+3° on the synthetic gaits; research
    note section 4 on filtering fast foot events).  A fit either side that meets at the
    corner (a quadratic regression spline whose knot lets the slope jump)
    uses every sample near it; the curvature terms follow a knee whose
    extension slows before landing as well as a sharp corner, over windows
    long enough (:data:`CONTACT_ANGLE_WINDOW_MS`) to average the jitter.
    Filled gaps and replaced outliers must be NaN here: their straight lines
    cut the very corner (the Hampel filter takes the knee's landing turn for
    a spike).
    """
    values = np.asarray(values, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    at_ms = np.asarray(at_ms, dtype=np.float64)
    out = np.full((at_ms.size, 5), np.nan)
    dt_ms = median_frame_interval_ms(t_ms)
    if not at_ms.size or not np.isfinite(dt_ms) or not np.isfinite(half_width_ms):
        return out
    reach = int(np.ceil(half_width_ms / dt_ms)) + 2  # frames either side to look at (skipped frames only shorten it)
    centre = np.searchsorted(t_ms, np.where(np.isfinite(at_ms), at_ms, t_ms[0]))
    frames = centre[:, None] + np.arange(-reach, reach + 1)[None, :]  # (n, 2 reach + 1)
    inside = (frames >= 0) & (frames < len(t_ms))
    frames = np.clip(frames, 0, len(t_ms) - 1)
    offset = (t_ms[frames] - at_ms[:, None]) / half_width_ms  # scaled to -1..1 for a well-conditioned fit
    y = values[frames]
    use = inside & np.isfinite(y) & (np.abs(offset) <= 1.0) & np.isfinite(at_ms)[:, None]
    design = _two_parabolas(offset) * use[..., None]
    normal = np.einsum("nkp,nkq->npq", design, design)
    right = np.einsum("nkp,nk->np", design, np.where(use, y, 0.0))
    solvable = ((use.sum(axis=1) >= 5) & ((use & (offset < 0)).sum(axis=1) >= 2)
                & ((use & (offset > 0)).sum(axis=1) >= 2))
    normal[~solvable] = np.eye(5)  # placeholders; their rows stay NaN
    eigenvalues = np.linalg.eigvalsh(normal)  # ascending; repeated timestamps can leave too few distinct times
    solvable &= eigenvalues[:, 0] > 1e-10 * eigenvalues[:, -1]
    normal[~solvable] = np.eye(5)
    out[solvable] = np.linalg.solve(normal[solvable], right[solvable][..., None])[..., 0]
    return out


def _two_parabolas(d: np.ndarray) -> np.ndarray:
    """The terms ``1, d, d**2`` before and ``d, d**2`` after ``d = 0`` of :func:`corner_fit`'s curve, shape ``d.shape + (5,)``."""
    before, after = np.minimum(d, 0.0), np.maximum(d, 0.0)
    return np.stack([np.ones_like(d), before, before**2, after, after**2], axis=-1)


def knee_landing_times(knee_flexion: np.ndarray, t_ms: np.ndarray, contact_t_ms: np.ndarray, half_width_ms: float,
                       reach_ms: float = KNEE_LANDING_REACH_MS) -> np.ndarray:
    """The knee's own landing near each contact: the straightest point of the corner fit there.

    Parameters
    ----------
    knee_flexion : ndarray, shape (T,)
        Knee flexion of the stance leg, degrees, not low-passed; NaN where
        not measured.
    t_ms : ndarray, shape (T,)
        Frame times, ms, increasing.
    contact_t_ms : ndarray, shape (n,)
        The detected contacts, ms.
    half_width_ms : float
        The corner fit's half width (:func:`corner_fit`), ms.
    reach_ms : float
        How far either side of a contact the landing may lie, ms.

    Returns
    -------
    ndarray, shape (n,)
        Per contact, ms: the contact itself where the knee is straightest
        there; where the fit at the contact (:func:`corner_fit`) still
        flexes before it (the contact looks late) or still extends after it
        (early), the lowest point of that side's parabola within
        ``reach_ms``, if a fit there has a value.

    Notes
    -----
    The knee extends until the foot lands and flexes from then on, so its
    straightest point marks the landing as well as the foot's path does
    (:func:`landing_frames` reads overstride there for the same reason), and
    the angles at contact must not depend on the contact's timing: on
    MediaPipe's landmarks of rendered runners one leg's contacts came a
    median 9-28 ms late (up to 40 ms) and the other's 4-9 ms early, and read
    at the contacts found the knee was 1.3-2.1° more flexed than at the true
    ones (docs/validation.md).  Where the contact is right, as on exact
    landmarks, nothing moves.  MediaPipe's knee, though, is straightest
    12-38 ms before the true landing, so there it reads 1.0-2.4° less flexed
    than its value at the true contact.
    """
    contact_t_ms = np.asarray(contact_t_ms, dtype=np.float64)
    a, b1, c1, b2, c2 = np.moveaxis(corner_fit(knee_flexion, t_ms, contact_t_ms, half_width_ms), -1, 0)
    reach = min(reach_ms / half_width_ms, 1.0) if half_width_ms > 0 else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex_before = np.clip(np.where(c1 != 0, -b1 / (2 * c1), 0.0), -reach, 0.0)
        vertex_after = np.clip(np.where(c2 != 0, -b2 / (2 * c2), 0.0), 0.0, reach)
    # Scaled times to try: the contact (first, so that it wins ties), each parabola's far end and lowest point;
    # a side only where the knee still turns the wrong way at the contact.
    candidates = np.stack([np.zeros_like(a), np.full_like(a, -reach), vertex_before, np.full_like(a, reach),
                           vertex_after], axis=-1)
    curve = np.einsum("nkp,np->nk", _two_parabolas(candidates), np.stack([a, b1, c1, b2, c2], axis=-1))
    wrong_way = np.stack([np.ones_like(a, dtype=bool), b1 > 0, b1 > 0, b2 < 0, b2 < 0], axis=-1)
    best = np.argmin(np.where(wrong_way & np.isfinite(curve), curve, np.inf), axis=1)
    landing = contact_t_ms + candidates[np.arange(len(contact_t_ms)), best] * half_width_ms
    moved = np.isfinite(landing) & (landing != contact_t_ms)
    landing[moved] = np.where(np.isfinite(value_at_corner(knee_flexion, t_ms, landing[moved], half_width_ms)),
                              landing[moved], contact_t_ms[moved])
    return np.where(np.isfinite(landing), landing, contact_t_ms)


def _arm_crossover(xy, view, st, t_ms, steps) -> list | str:
    """Per stride of each arm (that side's contact to its next contact): peak crossing of the midline."""
    right_sign = _runner_right_sign(xy, view)
    mid_sh_x = _mid(xy, lm.LEFT_SHOULDER)[:, 0]
    width = np.abs(xy[:, lm.RIGHT_SHOULDER, 0] - xy[:, lm.LEFT_SHOULDER, 0])
    if not steps.size:
        return "no regular steps (alternating contacts) were found"
    typical_stride = 2 * float(np.median(np.diff(t_ms[st.contact_frames])[steps]))
    rows = []
    for side, wrist, sigma in (("left", lm.LEFT_WRIST, right_sign), ("right", lm.RIGHT_WRIST, -right_sign)):
        mine = st.contact_frames[st.sides == side]
        if len(mine) < 2:
            continue
        start, stop = mine[:-1], mine[1:]
        duration = t_ms[stop] - t_ms[start]
        keep = np.abs(duration - typical_stride) <= 0.3 * typical_stride
        crossing = 100.0 * (xy[:, wrist, 0] - mid_sh_x) * sigma / np.where(width > 0, width, np.nan)
        frames_w, w = _windows(crossing, start[keep], stop[keep])
        rows += _peak_rows(np.full(int(keep.sum()), side), frames_w, w, "max")
    return rows


def _peak_half_window(t_ms: np.ndarray) -> int:
    """Half-width in frames of the running mean taken before peaks (:data:`PEAK_SMOOTHING_MS`)."""
    dt_ms = median_frame_interval_ms(t_ms)
    return int(round(PEAK_SMOOTHING_MS / 2 / dt_ms)) if np.isfinite(dt_ms) else 0


def running_mean(values: np.ndarray, half: int) -> np.ndarray:
    """Centred mean over ``2 * half + 1`` samples, ignoring NaN (NaN where the sample itself is NaN).

    The peak of a noisy signal overestimates the peak of the signal by about
    one noise standard deviation; averaging the frames within
    +-:data:`PEAK_SMOOTHING_MS` / 2 of each first halves that bias, while a
    stride-long peak loses a few percent of its height, which
    :func:`running_mean_gain` gives back.
    """
    values = np.asarray(values, dtype=np.float64)
    if half < 1 or values.size == 0:
        return values.copy()
    finite = np.isfinite(values)
    kernel = np.ones(2 * half + 1)
    # 'full' then a centred slice: 'same' returns the kernel's length when the kernel is the longer.
    centred = slice(half, half + values.size)
    total = np.convolve(np.where(finite, values, 0.0), kernel, mode="full")[centred]
    count = np.convolve(finite.astype(float), kernel, mode="full")[centred]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, total / count, np.nan)


def running_mean_gain(half: int, dt_ms: float, period_ms: float) -> float:
    """Gain of :func:`running_mean` (``2 * half + 1`` samples) on a sinusoid of the given period.

    The frontal tilts swing once per stride; dividing the averaged signal by
    this gain (at most a few percent below 1) gives their peaks back at full
    height.  1 when ``half`` is 0 or the period is unknown.
    """
    width = 2 * half + 1
    if half < 1 or not (np.isfinite(dt_ms) and np.isfinite(period_ms) and period_ms > 0):
        return 1.0
    phase = np.pi * dt_ms / period_ms
    gain = np.sin(width * phase) / (width * np.sin(phase))
    return float(gain) if 0.5 < gain <= 1.0 else 1.0


def _windows(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gather ``values[start:stop]`` for each window into a NaN-padded matrix.

    Returns
    -------
    frames : ndarray, int, shape (n, L)
        Frame of each cell (clipped into range for padding cells).
    window_values : ndarray, float64, shape (n, L)
        NaN beyond each window's end.
    """
    starts, stops = np.asarray(starts, dtype=int), np.asarray(stops, dtype=int)
    n_frames = len(values)
    stops = np.minimum(stops, n_frames)
    length = int(max((stops - starts).max(), 1)) if starts.size else 1
    frames = starts[:, None] + np.arange(length)[None, :]
    inside = frames < stops[:, None]
    frames = np.minimum(frames, n_frames - 1)
    return frames, np.where(inside, values[frames], np.nan)


def _peak_rows(sides, frames_w, w, how: str) -> list[tuple[str, int, float]]:
    """Per window: (side, frame of the peak, peak value); 'max' or 'absmax' (signed value of largest magnitude)."""
    if not len(w):
        return []
    key = w if how == "max" else np.abs(w)
    finite = np.isfinite(key).any(axis=1)
    col = np.argmax(np.where(np.isfinite(key), key, -np.inf), axis=1)
    rows = np.arange(len(w))
    values = np.where(finite, w[rows, col], np.nan)
    return list(zip(np.asarray(sides).tolist(), frames_w[rows, col].tolist(), values.tolist()))


def _refined_extrema(y: np.ndarray) -> np.ndarray:
    """``y`` with each local extremum replaced by its parabola-interpolated value.

    Peak-to-trough travel from sampled frames underestimates the true travel
    by up to ``1 - cos(pi f / fps)`` of it (7 % for 2.8 Hz at 24 fps); the
    three-point parabola through each extremum removes most of that.
    """
    y = np.asarray(y, dtype=np.float64)
    out = y.copy()
    if len(y) < 3:
        return out
    a, b, c = y[:-2], y[1:-1], y[2:]
    with np.errstate(invalid="ignore", divide="ignore"):
        curvature = a - 2 * b + c
        extremum = ((b >= a) & (b >= c)) | ((b <= a) & (b <= c))
        vertex = b - (c - a) ** 2 / (8 * curvature)
        use = extremum & np.isfinite(vertex) & (curvature != 0)
    out[1:-1] = np.where(use, vertex, b)
    return out
