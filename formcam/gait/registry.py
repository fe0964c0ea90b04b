"""The metric registry: every metric formcam measures, defined once.

Each :class:`MetricSpec` in :data:`METRICS` holds what the stages and outputs
need to know about one metric: its view, unit, norms and their source, flag
tiers, minimum steps, expected error, how its per-step values are taken, and
where it appears (the plots and the video's panel, the batch summary's
headline columns, the capture warnings).  The order of :data:`METRICS` is the
order of report.json and of the reports.  Adding a metric means one entry here,
its per-step function in :mod:`formcam.gait.step_values` (unless it is the
median of a per-frame signal), its plain-words text in
:data:`formcam.report.explanations.EXPLANATIONS` and its key in the report's
JSON schema; ``tests/unit/gait/test_registry.py`` checks that they agree.

Definitions (docs/design.md, docs/metrics-research.md section 1), in pixels of the upright
image, ``y`` down; ``s`` is the stance side, ``c`` the other side, ``facing``
+1 when the runner faces image-right:

=========================== ======= ===========================================================
name                        views   per-step value
=========================== ======= ===========================================================
pelvic_drop_deg             R, F    per stance, from two pelvis stickers (``m``, not hip landmarks):
                                    ``atan2(y_m_c - y_m_s, |dx|)`` at midstance (halfway from contact
                                    to toe-off, mean over ±15 ms), swing side lower = +; null
                                    without stickers (hip landmarks do not follow the pelvis)
pelvic_drop_peak_deg        R, F    the same line's largest tilt with the swing side lower, contact
                                    to toe-off
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

Minimum steps (``MetricSpec.min_steps_per_side``, with its source in
``min_steps_source``): Dingenen et al. (2018) found 6.3 steps needed for a
stable mean of 2D running angles and recommend at least 7, so the angles they
measured (pelvic drop, lateral trunk position, tibia inclination) and their
sagittal kin need :data:`STABLE_STEPS_PER_SIDE` (7) steps on *each* side;
metrics without such a study need formcam's own minimum,
:data:`MIN_STEPS_PER_SIDE` (3) per side (unsided ones twice that in all), as a
median of fewer is one step's noise.

Expected errors: each metric's ``expected_error`` opens with the 95th
percentile of its absolute error on synthetic gaits with pose-model-like noise,
measured by :mod:`formcam.synthetic.accuracy` and stored in ``formcam/data/accuracy.json``
(``make accuracy`` regenerates it), followed by what the literature says about
real landmark errors, which synthetic gaits cannot show
(``MetricSpec.landmark_error``, with its statement in ``landmark_error_text``).
:func:`expected_error` gives the number, :func:`expected_error_text` the
report's text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TypedDict

from formcam.gait import step_values as sv
from formcam.gait.steps import StepValue, Unavailable
from formcam.gait.view import CLEAR_VIEWS, FRONTAL, View

#: formcam's own minimum of steps per side for a sided metric without a published minimum (value null below it).
MIN_STEPS_PER_SIDE = 3
#: Steps per side for a stable mean (Dingenen et al. 2018); the minimum of the angles they studied,
#: and fewer gives confidence 'low' elsewhere.
STABLE_STEPS_PER_SIDE = 7
DINGENEN_MINIMUM = "Dingenen et al. 2018: a stable 2D mean needs at least 7 steps per side"
FORMCAM_MINIMUM = "formcam's minimum: a median of fewer steps is one step's noise (no published minimum)"
#: The noise study reports values read at contact separately below and above this frame rate.
CONTACT_RATE_SPLIT_FPS = 50.0

#: Expected error of the pelvic drop from two stickers, per side's median (docs/validation.md, marker table).
MARKER_ERROR_DEG = 1.5
MARKER_ERROR_TEXT = (
    "±1.5° measured from markers (rendered rear-view runners with stickers at 30-60 fps, motion blur, arm "
    "occlusion, patterned kit: per-side medians within 1.0°, docs/validation.md; a sticker off the bony "
    "landmark or skin sliding over it adds more)"
)
#: Smallest detectable difference of 2-D pelvic drop between days (Dingenen et al. 2018): the least change
#: ``formcam compare`` counts as real.
PELVIC_DROP_SDD_DEG = 2.8

_SIDE = (View.SIDE,)
_ANY = CLEAR_VIEWS


@dataclass(frozen=True)
class PlotSignal:
    """The per-frame line drawn under a metric in the HTML report.

    Attributes
    ----------
    signal : str or tuple of (str, str)
        A :func:`formcam.gait.signals.frame_signals` key, or one per side
        (left, right), each drawn as its own line.
    signs : tuple of (float, float) or None
        For a frontal signal (positive towards the runner's right): its sign
        in left and in right stance, so that the line means what the metric
        means, drawn only during stances.  None: drawn as it is.
    label : str
        The line's legend.
    """

    signal: str | tuple[str, str]
    signs: tuple[float, float] | None
    label: str


@dataclass(frozen=True)
class MetricSpec:
    """One metric: what it is, how it is measured, judged and shown.

    Flags: ``high`` above ``high_above``; ``watch`` above ``watch_above``,
    below ``watch_below``, or with a left-right difference above
    ``asymmetry_watch``; otherwise ``ok``.  With no thresholds at all the
    flag is null (no norm to compare with).

    Attributes
    ----------
    name : str
        Its key in report.json, the CSVs and everywhere else (``pelvic_drop_deg``).
    label : str
        Plain-words name for people (``"Pelvic drop"``).
    unit : str
        ``deg``, ``cm`` or a percentage (``% leg``).
    views : tuple of View
        The camera views it is valid for.
    sided : bool
        Summarised per side (stance leg, or arm) as well as overall.
    reference : str
        Its norms and their source.
    landmark_error : float
        What real landmarks add to its error per value, at most, in its unit
        (or in percent of the value when ``landmark_error_relative``).
    landmark_error_text : str
        The same as the report states it, with its source.
    per_step : callable or None
        ``per_step(ctx)`` with a :class:`formcam.gait.step_values.StepContext`:
        the per-step :class:`~formcam.gait.steps.StepValue` list, or why there is none
        (:class:`~formcam.gait.steps.Unavailable`).
        None: the median of ``step_signal`` over each regular step.
    step_signal : str or None
        The per-frame signal whose median over a step is the per-step value.
    watch_above, high_above, watch_below, asymmetry_watch : float or None
        Flag tiers, in its unit.
    min_steps_per_side : int
        Steps needed per side (in all, twice that, for unsided metrics).
    min_steps_source : str
        Where that minimum comes from.
    plot : PlotSignal or None
        The per-frame line drawn under it in the HTML report; None: dots only.
    drawn : bool
        The overlay has geometry of its own for it
        (:attr:`formcam.report.overlay.FrameAnnotation.highlight`).
    in_panel : bool
        Shown in the annotated video's panel in the views it is valid for.
    panel_hint : int or None
        Position in the panel of oblique and unknown views, which names the
        metrics a clear view would give; None: not named there.
    headline : int or None
        Position among the batch summary's headline columns; None: not a headline.
    blur_sensitive : bool
        Rests on distal landmarks (ankles, heels, wrists), which motion blur smears first.
    camera_motion_sensitive : bool
        Measured as travel in the picture, which a moving camera adds to.
    plain_name : str or None
        How the capture warnings name it; None: its name.
    explanation : str or None
        Its key in :data:`formcam.report.explanations.EXPLANATIONS`; None: its name.
    from_markers : bool
        Measured from the two pelvis stickers (:mod:`formcam.gait.pelvis`), not
        from landmarks: the landmark noise study does not apply, and without
        stickers the value is null.
    smallest_detectable_difference : float or None
        The least change between two clips that ``formcam compare`` counts as
        real (a test-retest SDD from the literature); None: the expected errors alone.
    plausible : (float, float)
        The range a per-step value can take on a human runner, in its unit:
        a step outside it is a pose failure (a leg drawn along a handrail, a
        knee read at -89°) and is excluded, counted with its reason, from the
        value, the per-step outputs and the plots.  Each range is an
        engineering bound [D] well outside every value the literature reports
        for running (docs/metrics-research.md section 1), not a norm.
    """

    name: str
    label: str
    unit: str
    views: tuple[View, ...]
    sided: bool
    reference: str
    landmark_error: float
    landmark_error_text: str
    per_step: Callable[[sv.StepContext], list[StepValue] | Unavailable] | None = None
    step_signal: str | None = None
    watch_above: float | None = None
    high_above: float | None = None
    watch_below: float | None = None
    asymmetry_watch: float | None = None
    min_steps_per_side: int = MIN_STEPS_PER_SIDE
    min_steps_source: str = FORMCAM_MINIMUM
    landmark_error_relative: bool = False
    plot: PlotSignal | None = None
    drawn: bool = False
    in_panel: bool = False
    panel_hint: int | None = None
    headline: int | None = None
    blur_sensitive: bool = False
    camera_motion_sensitive: bool = False
    plain_name: str | None = None
    explanation: str | None = None
    plausible: tuple[float, float] = (-math.inf, math.inf)
    from_markers: bool = False
    smallest_detectable_difference: float | None = None

    @property
    def has_flags(self) -> bool:
        return any(v is not None for v in (self.watch_above, self.high_above, self.watch_below, self.asymmetry_watch))

    @property
    def expected_error(self) -> str:
        """The report's ``expected_error`` text at no particular frame rate (:func:`expected_error_text`)."""
        return expected_error_text(self)

    @property
    def min_steps(self) -> int:
        """Steps needed in all: per side for sided metrics, twice that for unsided ones."""
        return self.min_steps_per_side if self.sided else 2 * self.min_steps_per_side

    @property
    def explanation_key(self) -> str:
        return self.explanation or self.name

    @property
    def warning_name(self) -> str:
        """How the capture warnings name it."""
        return self.plain_name or self.name

    def step_values(self, ctx: sv.StepContext) -> list[StepValue] | Unavailable:
        """The per-step values of one clip, or why there are none."""
        if self.per_step is not None:
            return self.per_step(ctx)
        # Every metric has exactly one of per_step and step_signal (tests/unit/gait/test_registry.py).
        assert self.step_signal is not None
        return ctx.step_medians(self.step_signal)


class _MinSteps(TypedDict):
    min_steps_per_side: int
    min_steps_source: str


_DINGENEN_MINIMUM: _MinSteps = {"min_steps_per_side": STABLE_STEPS_PER_SIDE, "min_steps_source": DINGENEN_MINIMUM}

#: Every metric, in report order.
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "pelvic_drop_deg",
            "Pelvic drop",
            "deg",
            FRONTAL,
            True,
            "Matsuzaki et al. (2D, adolescents) 6.0 ± 2.2°; watch > 8°, high > 10° (mean + 1/2 SD) and "
            "L-R > 3° (Dingenen 2018 SDD) are formcam heuristics",
            MARKER_ERROR_DEG,
            MARKER_ERROR_TEXT,
            per_step=sv.pelvic_drop,
            plot=PlotSignal("pelvis_tilt_deg", (1.0, -1.0), "swing side lower (pelvis stickers)"),
            watch_above=8.0,
            high_above=10.0,
            asymmetry_watch=3.0,
            **_DINGENEN_MINIMUM,
            in_panel=True,
            panel_hint=3,
            headline=3,
            plausible=(-25.0, 25.0),
            from_markers=True,
            smallest_detectable_difference=PELVIC_DROP_SDD_DEG,
        ),
        MetricSpec(
            "pelvic_drop_peak_deg",
            "Peak pelvic drop",
            "deg",
            FRONTAL,
            True,
            "no published norms for the peak in stance (the clinical value is the one at midstance); "
            "L-R > 3° flagged (Dingenen 2018 SDD, formcam heuristic)",
            MARKER_ERROR_DEG,
            MARKER_ERROR_TEXT,
            per_step=sv.pelvic_drop_peak,
            plot=PlotSignal("pelvis_tilt_deg", (1.0, -1.0), "swing side lower (pelvis stickers)"),
            asymmetry_watch=3.0,
            **_DINGENEN_MINIMUM,
            plausible=(-25.0, 25.0),
            from_markers=True,
            smallest_detectable_difference=PELVIC_DROP_SDD_DEG,
        ),
        MetricSpec(
            "shoulder_dip_deg",
            "Shoulder dip",
            "deg",
            FRONTAL,
            True,
            "no published norms; flagged on the left-right difference only (formcam heuristic)",
            2.0,
            "±2° per step (1 cm ≈ 1.5° at shoulder width)",
            per_step=sv.shoulder_dip,
            asymmetry_watch=3.0,
            plot=PlotSignal("shoulder_tilt_deg", (-1.0, 1.0), "stance-side shoulder lower"),
            in_panel=True,
            panel_hint=2,
            headline=2,
            plausible=(-30.0, 30.0),
        ),
        MetricSpec(
            "trunk_lateral_lean_deg",
            "Side lean",
            "deg",
            FRONTAL,
            True,
            "Dingenen 2018 (2D SDD 1.3-2.3°); watch > 5° towards the stance side or L-R > 2° (formcam heuristic)",
            2.0,
            "±2°",
            per_step=sv.trunk_lateral_lean,
            watch_above=5.0,
            high_above=8.0,
            asymmetry_watch=2.0,
            **_DINGENEN_MINIMUM,
            plot=PlotSignal("trunk_lateral_lean_deg", (-1.0, 1.0), "lean towards the stance leg"),
            in_panel=True,
            headline=4,
            plausible=(-30.0, 30.0),
        ),
        MetricSpec(
            "head_forward_pct",
            "Head forward",
            "% trunk",
            _SIDE,
            False,
            "no running norms; watch > 10 %, high > 20 % of trunk length are formcam heuristics "
            "(clinical craniovertebral-angle norms do not apply to BlazePose landmarks)",
            5.0,
            "±5 points (ear landmark not validated in running)",
            step_signal="head_forward_pct",
            watch_above=10.0,
            high_above=20.0,
            plot=PlotSignal("head_forward_pct", None, "ear ahead of the shoulder"),
            in_panel=True,
            panel_hint=1,
            headline=1,
            plausible=(-50.0, 100.0),
        ),
        MetricSpec(
            "head_forward_deg",
            "Head forward angle",
            "deg",
            _SIDE,
            False,
            "no running norms; watch > 12°, high > 24° are formcam heuristics",
            5.0,
            "±5°",
            step_signal="head_forward_deg",
            watch_above=12.0,
            high_above=24.0,
            plot=PlotSignal("head_forward_deg", None, "shoulder-to-ear angle from vertical"),
            plausible=(-45.0, 75.0),
        ),
        MetricSpec(
            "trunk_forward_lean_deg",
            "Forward lean",
            "deg",
            _SIDE,
            False,
            "Teng & Powers 2014: self-selected 7.3 ± 3.6°, cued flexed 14.1 ± 4.8°; "
            "< 3° or > 15° flagged as informational",
            4.0,
            "±2-4° (2D vs 3D 1.7° in squats; hip landmark offsets)",
            step_signal="trunk_forward_lean_deg",
            watch_below=3.0,
            watch_above=15.0,
            plot=PlotSignal("trunk_forward_lean_deg", None, "forward lean"),
            in_panel=True,
            headline=5,
            plausible=(-20.0, 50.0),
        ),
        MetricSpec(
            "vertical_oscillation_pct",
            "Bounce",
            "% leg",
            _ANY,
            True,
            "formcam heuristic: ≤ 12 % leg length (informational; no published band in % of leg length: "
            "lower vertical oscillation goes with better economy, Van Hooren et al. 2024, and falls as "
            "cadence rises, Heiderscheit et al. 2011)",
            1.0,
            "±1 point with a static camera",
            per_step=sv.vertical_oscillation_pct,
            watch_above=12.0,
            high_above=15.0,
            headline=6,
            camera_motion_sensitive=True,
            plain_name="vertical oscillation",
            plausible=(0.0, 40.0),
        ),
        MetricSpec(
            "vertical_oscillation_cm",
            "Bounce (cm)",
            "cm",
            _ANY,
            True,
            "Stryd: typical 3-15 cm; no flags",
            15.0,
            "±15 % (height scale from the trunk length)",
            landmark_error_relative=True,
            per_step=sv.vertical_oscillation_cm,
            camera_motion_sensitive=True,
            plain_name="vertical oscillation in cm",
            plausible=(0.0, 35.0),
        ),
        MetricSpec(
            "overstride_pct",
            "Overstride",
            "% leg",
            _SIDE,
            True,
            "Lieberman et al. 2015 (foot ahead of hip relates to braking); no consensus threshold (Baker et al. 2024)",
            5.0,
            "±5 points; contact timing dominates (one frame at 30 fps ≈ 3-7 points)",
            per_step=sv.overstride,
            drawn=True,
            in_panel=True,
            headline=7,
            blur_sensitive=True,
            plain_name="overstride",
            plausible=(-40.0, 80.0),
        ),
        MetricSpec(
            "knee_flexion_contact_deg",
            "Knee bend at contact",
            "deg",
            _SIDE,
            True,
            "Matsuzaki et al. (2D) 13.2 ± 3.8° at contact; watch < 5° (formcam heuristic)",
            8.0,
            "±5-8° (Van Hooren et al. 2023: markerless knee RMSE 7-8°)",
            per_step=sv.knee_flexion_at_contact,
            watch_below=5.0,
            **_DINGENEN_MINIMUM,
            plot=PlotSignal(("knee_flexion_left_deg", "knee_flexion_right_deg"), None, "knee"),
            drawn=True,
            in_panel=True,
            headline=8,
            blur_sensitive=True,
            plain_name="knee flexion at contact",
            plausible=(-10.0, 60.0),
        ),
        MetricSpec(
            "shank_angle_contact_deg",
            "Shin angle at contact",
            "deg",
            _SIDE,
            True,
            "Matsuzaki et al. (2D) 8.5 ± 3.2°; watch > 15° (mean + 2 SD, formcam heuristic)",
            5.0,
            "±3-5° (2D SDD 2.2-4.8°, Dingenen 2018)",
            per_step=sv.shank_angle_at_contact,
            watch_above=15.0,
            **_DINGENEN_MINIMUM,
            drawn=True,
            plausible=(-30.0, 45.0),
        ),
        MetricSpec(
            "arm_crossover_pct",
            "Arm crossover",
            "% shoulder width",
            FRONTAL,
            True,
            "no norms; a wrist crossing the midline (> 0) is flagged as informational (formcam heuristic)",
            10.0,
            "±10 points (wrist depth is ambiguous from behind)",
            per_step=sv.arm_crossover,
            watch_above=0.0,
            high_above=15.0,
            drawn=True,
            in_panel=True,
            blur_sensitive=True,
            plain_name="arm crossover",
            plausible=(-150.0, 150.0),
        ),
    )
}

#: The batch summary's headline metrics, in column order.
HEADLINE_METRICS = tuple(
    name
    for _, name in sorted(
        ((s.headline, n) for n, s in METRICS.items() if s.headline is not None), key=lambda item: item[0]
    )
)
#: Metrics that motion blur makes unreliable, and those a moving camera does (quality warnings null them).
BLUR_SENSITIVE_METRICS = tuple(name for name, spec in METRICS.items() if spec.blur_sensitive)
CAMERA_MOTION_SENSITIVE_METRICS = tuple(name for name, spec in METRICS.items() if spec.camera_motion_sensitive)
#: Metrics the overlay has geometry of its own for.
DRAWN_METRICS = frozenset(name for name, spec in METRICS.items() if spec.drawn)


def panel_metrics(view: str) -> tuple[str, ...]:
    """The video panel's metrics for a view: those shown there that the view can measure (none for
    oblique and unknown views)."""
    return tuple(name for name, spec in METRICS.items() if spec.in_panel and view in spec.views)


def panel_hints() -> tuple[str, ...]:
    """The metrics the panel of an oblique or unknown view names as needing a clear view, in order."""
    return tuple(
        name
        for _, name in sorted(
            ((s.panel_hint, n) for n, s in METRICS.items() if s.panel_hint is not None), key=lambda item: item[0]
        )
    )


# ----------------------------------------------------------------------------------- expected errors
def expected_error(spec: MetricSpec, fps: float | None = None, value: float | None = None) -> float | None:
    """A metric's whole expected error as a number in its unit: the noise study's part and the real landmarks' part.

    Parameters
    ----------
    spec : MetricSpec
    fps : float, optional
        The clip's frame rate; values read at foot contact have the noise
        study's number for their frame-rate group (:func:`contact_rate_key`).
    value : float, optional
        The measured value, for a literature error relative to it
        (``landmark_error_relative``).

    Returns
    -------
    float or None
        The noise study's 95th percentile as the report states it (one
        decimal) and ``landmark_error`` combined as independent errors
        (``sqrt(a**2 + b**2)``), as :func:`formcam.compare.expected_error_value`
        reads them from report.json's text; ``landmark_error`` alone where the
        study has no number; None for a relative error without ``value``.
    """
    if spec.landmark_error_relative:
        landmarks = None if value is None else abs(value) * spec.landmark_error / 100
    else:
        landmarks = spec.landmark_error
    study = None if spec.from_markers else _study_row(spec.name, fps)
    if landmarks is None:
        return None
    return landmarks if study is None else math.hypot(round(study[0], 1), landmarks)


def expected_error_text(spec: MetricSpec, fps: float | None = None) -> str:
    """``expected_error`` text of a metric: the noise study's 95th percentile, then the literature's note.

    Starts with ``±<number>`` in the metric's unit ("points" for percentages)
    so that programs reading report.json can read the number
    (:func:`formcam.compare.expected_error_value`).  Values read at foot
    contact depend on the frame rate: given ``fps``, their number is the
    study's for clips below or above 50 fps.
    """
    study = None if spec.from_markers else _study_row(spec.name, fps)
    if study is None:
        return spec.landmark_error_text
    p95, where = study
    unit = {"deg": "°", "cm": " cm"}.get(spec.unit, " points")
    return (
        f"±{p95:.1f}{unit} on synthetic gaits with pose-model-like noise{where} (95 % of clips, "
        f"formcam.synthetic.accuracy); real landmarks add: {spec.landmark_error_text}"
    )


def _study_row(name: str, fps: float | None) -> tuple[float, str] | None:
    """(the noise study's 95th percentile, its frame-rate group in brackets or ''), or None without one."""
    stored = accuracy_study()
    study = stored.get("metrics", {}).get(name, {}).get("noisy")
    where = ""
    by_rate = stored.get("contact_timed_by_frame_rate", {})
    if fps is not None and math.isfinite(fps) and by_rate:
        key = contact_rate_key(fps)
        row = by_rate.get(key, {}).get(name, {}).get("noisy")
        if row and row.get("p95") is not None:
            study, where = row, f" ({key})"
    if not study or study.get("p95") is None:
        return None
    return float(study["p95"]), where


def contact_rate_key(fps: float) -> str:
    """The noise study's frame-rate group for values read at contact.

    Below, or at or above, :data:`CONTACT_RATE_SPLIT_FPS`.
    """
    return (
        f"below {CONTACT_RATE_SPLIT_FPS:g} fps"
        if fps < CONTACT_RATE_SPLIT_FPS
        else f"{CONTACT_RATE_SPLIT_FPS:g} fps and above"
    )


@lru_cache(maxsize=1)
def accuracy_study() -> dict:
    """The stored noise study (``formcam/data/accuracy.json``).

    Written by ``python -m formcam.synthetic.accuracy --write``.
    """
    try:
        text = resources.files("formcam").joinpath("data/accuracy.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)
