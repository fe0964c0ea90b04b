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

Values "at contact" are taken at each contact's time between frames, as
:mod:`formcam.gait.contact_angles` explains.

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
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.signals import FRONTAL, frame_signals
from formcam.gait.step_values import per_step_values
from formcam.gait.steps import GaitEvents
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
        per_step = per_step_values(xy, t_ms, view, events, signals, height_cm, at_contact, measured_xy)
    if isinstance(per_step, str):
        per_step = dict.fromkeys(METRICS, per_step)
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
