"""The kinematics core: clean -> level -> view -> events -> cadence -> signals -> metrics, with quality warnings.

:func:`analyse_pose` runs every stage on a :class:`~formcam.pose.posefile.PoseSequence`
and never raises on degenerate input (no frames, no runner, too short, not
running, timestamps that do not increase): it returns NaN/empty results and
quality warnings, and the caller decides the exit code from
``detected_fraction``, ``is_running`` and the events.

Stages, each a pure function of its own module:

1. :func:`formcam.gait.clean.clean_tracks` - visibility gate, left/right swaps,
   Hampel outliers, short gaps, zero-phase low-pass (image pixels, kept in
   :attr:`Kinematics.xy` for drawing);
2. :func:`formcam.gait.roll.estimate_camera_roll` and
   :func:`formcam.gait.roll.level_landmarks` - the camera's roll, measured on the
   whole clip of a rear or front view (a side view's is only reported) or
   given with ``--level``, turned out of the landmarks every measurement
   uses (:attr:`Kinematics.xy_level`);
3. :func:`formcam.gait.view.detect_view` and :func:`formcam.gait.view.view_segments` -
   the view of the clip and of each stretch of a few seconds;
4. :mod:`formcam.gait.events` - contacts, toe-offs, cadence, phase fractions;
5. :mod:`formcam.gait.metrics` - per-frame signals and every metric;
6. :func:`running_decision` and :func:`quality_warnings`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from formcam.gait.cadence import Cadence, estimate_cadence, gait_phase_fractions
from formcam.gait.calibration import EAR_CALIBRATION, EAR_METRICS, correct_ear_bias
from formcam.gait.clean import CleanedTracks, clean_tracks
from formcam.gait.events import detect_events
from formcam.gait.geometry import knee_flexion_deg
from formcam.gait.metrics import MetricResult, compute_metrics
from formcam.gait.pelvis import MarkerLine, marker_line
from formcam.gait.registry import STABLE_STEPS_PER_SIDE
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.roll import MAX_AUTO_ROLL_DEG, RollEstimate, estimate_camera_roll, level_landmarks
from formcam.gait.signals import frame_signals
from formcam.gait.slowmo import TYPICAL_CADENCE, advised_factor, confirmed_factor, leg_stride_ms, slow_motion_guess
from formcam.gait.steps import MIN_REGULAR_STEPS, GaitEvents, regular_steps
from formcam.gait.view import FRONTAL, View, ViewEstimate, ViewSegment, detect_view, frame_view_labels, view_segments
from formcam.pose import landmarks as lm
from formcam.pose.frame_times import even_frame_times
from formcam.pose.posefile import PoseSequence
from formcam.quality.warnings import Code, QualityWarning

#: Below this share of frames with a runner: 'low_detection'.
LOW_DETECTION = 0.5
#: Flight share of the gait above which it is running.
MIN_FLIGHT_FRACTION = 0.05
#: Double-support share that makes a side view walking even when the knees fold like running.
CLEAR_DOUBLE_SUPPORT = 0.15
#: Cadence (steps/min) below which a clip with a flight phase is suspected to be slow motion.
SLOW_MOTION_CADENCE = 120.0
#: Side view: running feet sweep fore and aft relative to the hips by at least this share of the leg
#: length (about 0.8 on a treadmill); on the spot they stay under the hips.
MIN_FOOT_SWEEP = 0.3
#: Side view: running bends the swing knee to 80-130 degrees, walking to 50-70 (measured on the real
#: clips here: treadmill runs 93-131, walks 54-68); the larger leg's 95th percentile below this is walking.
MIN_RUNNING_SWING_KNEE_DEG = 75.0
#: Steps per minute above which walking is vigorous, brisk walking's upper end (about 6 METs; Tudor-Locke et
#: al. 2019, CADENCE-Adults, Int J Behav Nutr Phys Act 16:8): treadmill walks are filmed at 100-125 (the real
#: walking clip here 114), runs at 150-190.  A shallow swing knee with a faster rhythm is not walking on the
#: knee's word alone: a pose model that cannot see the legs well (a dark, blurred or noisy clip) draws the
#: folded swing leg straighter than it is, while the rhythm of the steps survives.
MAX_WALKING_CADENCE_SPM = 130.0
#: Runner (head to heels) smaller than this share of the frame height: 'subject_small' ...
SMALL_SUBJECT_FRACTION = 0.3
#: ... or smaller than this many pixels.
SMALL_SUBJECT_PX = 200.0
#: Below this frame rate one frame is longer than the best contact-timing error (about 20 ms).
MIN_FPS_CONTACT_TIMING = 50.0
#: A camera roll above this (degrees) is worth telling the user about.
NOTABLE_ROLL_DEG = 2.0


@dataclass
class Kinematics:
    """Everything the kinematics core measured on one clip.

    Attributes
    ----------
    xy : ndarray, float64, shape (T, 33, 2)
        Cleaned landmark pixels of the upright image (for drawing on it).
    view : ViewEstimate
    events : GaitEvents
    cadence : Cadence
    signals : dict of str -> ndarray (T,)
        Per-frame signals (:func:`formcam.gait.signals.frame_signals`), from the
        levelled landmarks.
    metrics : dict of str -> MetricResult
    quality : list of formcam.quality.warnings.QualityWarning
        What limits the results.
    is_running : bool
        The decision of :func:`running_decision`.
    detected_fraction : float
        Share of frames in which a runner was found.
    phase_fractions : dict
        :func:`formcam.gait.cadence.gait_phase_fractions` output.
    not_running_reason : str or None
        One sentence saying why the clip is not running (None when it is).
    roll : RollEstimate
        The camera roll: removed when ``roll.applied``; otherwise only
        measured (side views, or too large to trust).
    xy_level : ndarray, float64, shape (T, 33, 2)
        ``xy`` turned level (the roll removed): what every measurement uses.
    segments : list of ViewSegment
        The view of each stretch of the clip.
    cleaning : CleanedTracks or None
        What cleaning did (swaps undone, outliers, long gaps); its ``xy`` is ``xy``.
    markers : MarkerLine or None
        The pelvis line from two stickers, levelled like ``xy_level``; None
        without marker tracks (or with ``markers=False``); seen too rarely,
        it is not measured from (:attr:`MarkerLine.usable`).
    t_ms : ndarray, float64, shape (T,) or None
        The frame times every per-frame array here belongs to: the pose's
        own, or even ones where its frame rate changes part-way
        (:func:`formcam.pose.frame_times.even_frame_times`).
    """

    xy: np.ndarray
    view: ViewEstimate
    events: GaitEvents
    cadence: Cadence
    signals: dict[str, np.ndarray]
    metrics: dict[str, MetricResult]
    quality: list[QualityWarning] = field(default_factory=list)
    is_running: bool = False
    detected_fraction: float = 0.0
    phase_fractions: dict = field(default_factory=dict)
    not_running_reason: str | None = None
    roll: RollEstimate = field(default_factory=RollEstimate)
    xy_level: np.ndarray | None = None
    segments: list[ViewSegment] = field(default_factory=list)
    cleaning: CleanedTracks | None = None
    slow_motion_estimate: float | None = None
    slow_motion_applied: float = 1.0
    markers: MarkerLine | None = None
    t_ms: np.ndarray | None = None


def analyse_pose(
    pose: PoseSequence,
    *,
    view: str | None = None,
    height_cm: float | None = None,
    level_deg: float | None = None,
    estimate_slow_motion: bool = True,
    markers: bool = True,
) -> Kinematics:
    """Run the kinematics core on a pose sequence.

    Parameters
    ----------
    pose : PoseSequence
        Landmarks in pixels of the upright frame with real-time timestamps.
    view : {'side', 'rear', 'front'}, optional
        Force the view (the command line's ``--view``).
    height_cm : float, optional
        The runner's height, to give vertical oscillation in cm.
    level_deg : float, optional
        The camera's roll, degrees (the command line's ``--level``): a true
        horizontal slopes down to the right in the picture by this much; 0
        says the camera was level.  None: estimated from the clip
        (:mod:`formcam.gait.roll`).
    estimate_slow_motion : bool
        Whether to estimate how many times slower than life the clip plays
        (:mod:`formcam.gait.slowmo`; :attr:`Kinematics.slow_motion_estimate`).
    markers : bool
        Measure the pelvis from the pose's sticker tracks (``pose.markers_xy``)
        where it has usable ones; False: ignore them (``--markers off``).

    Returns
    -------
    Kinematics
    """
    given_t_ms = pose.t_ms
    pose = even_frame_times(pose)  # a clip whose frame rate changes: analysed on even frame times
    t_ms = np.asarray(pose.t_ms, dtype=np.float64)
    n_frames = len(t_ms)
    detected_fraction = float(np.mean(pose.detected)) if n_frames else 0.0
    cleaning = clean_tracks(pose.image_xy, pose.visibility, t_ms)
    xy = cleaning.xy
    first_view = detect_view(xy, override=view)
    if level_deg is not None:
        roll = RollEstimate(float(level_deg), "user", applied=True)
    else:
        # Unfiltered tracks: the low-pass rounds the feet's landings, which tilts the ground line.
        roll = estimate_camera_roll(xy if cleaning.unfiltered is None else cleaning.unfiltered, t_ms, first_view.label)
    centre = (pose.frame_size[0] / 2.0, pose.frame_size[1] / 2.0)
    xy_level = level_landmarks(xy, roll.roll_deg, centre) if roll.applied else xy
    unfiltered = cleaning.unfiltered if cleaning.unfiltered is not None else xy
    unfiltered_level = level_landmarks(unfiltered, roll.roll_deg, centre) if roll.applied else unfiltered
    view_estimate = detect_view(xy_level, override=view) if roll.applied else first_view
    segments = view_segments(xy_level, t_ms) if len(xy_level) else []
    frame_views = None if view is not None else frame_view_labels(segments, n_frames)
    stride_ms = cleaning.stride_ms
    events = detect_events(xy_level, t_ms, view_estimate, stride_ms=stride_ms, xy_unfiltered=unfiltered_level)
    cadence = estimate_cadence(events, t_ms, xy_level, stride_ms=stride_ms)
    phases = gait_phase_fractions(xy_level, t_ms, events)
    signals = frame_signals(xy_level, view_estimate)
    # Landmarks from the pose model carry its ear bias; a synthetic pose's are exact.
    from_model = bool(pose.extras.model) and not pose.extras.synthetic
    if from_model and view_estimate.facing:
        signals = correct_ear_bias(xy_level, view_estimate.facing, signals)
    line = None
    if markers and pose.markers_xy is not None:
        line = marker_line(pose.markers_xy, t_ms, roll_deg=roll.roll_deg if roll.applied else 0.0, centre=centre)
        if line.usable and view_estimate.label in FRONTAL:
            signals["pelvis_tilt_deg"] = line.tilt_deg
    metrics = compute_metrics(
        xy_level,
        t_ms,
        view_estimate,
        events,
        height_cm=height_cm,
        signals=signals,
        frame_views=frame_views,
        xy_unfiltered=unfiltered_level,
        measured=cleaning.measured,
        markers=line,
    )
    if from_model:
        for name in EAR_METRICS:
            if name in metrics and metrics[name].value is not None:
                metrics[name].calibration = EAR_CALIBRATION
    is_running, reason = running_decision(xy_level, t_ms, view_estimate, events, phases)
    applied = float((pose.extras.video or {}).get("slow_motion_factor") or 1.0)
    slow_motion = None
    if estimate_slow_motion:
        slow_motion = slow_motion_factor(pose, xy_level, view=view, level_deg=level_deg)
    quality = quality_warnings(
        detected_fraction=detected_fraction,
        view=view_estimate,
        events=events,
        cadence=cadence,
        phases=phases,
        is_running=is_running,
        view_forced=view is not None,
        not_running_reason=reason,
        xy=xy,
        t_ms=t_ms,
        frame_size=pose.frame_size,
        cleaning=cleaning,
        roll=roll,
        slow_motion_applied=applied,
        slow_motion_estimate=slow_motion,
    )
    if n_frames != len(given_t_ms) or not np.array_equal(t_ms, np.asarray(given_t_ms, dtype=np.float64)):
        quality.append(resampled_warning(given_t_ms, t_ms))
    return Kinematics(
        xy=xy,
        view=view_estimate,
        events=events,
        cadence=cadence,
        signals=signals,
        metrics=metrics,
        quality=quality,
        is_running=is_running,
        detected_fraction=detected_fraction,
        phase_fractions=phases,
        not_running_reason=reason,
        roll=roll,
        xy_level=xy_level,
        segments=segments,
        cleaning=cleaning,
        slow_motion_estimate=slow_motion,
        slow_motion_applied=applied,
        markers=line,
        t_ms=t_ms,
    )


def resampled_warning(given_t_ms: np.ndarray, t_ms: np.ndarray) -> QualityWarning:
    """Say that a clip whose frame rate changes was analysed on even frame times, and at what rate."""
    given = np.diff(np.asarray(given_t_ms, dtype=np.float64))
    fastest, slowest = 1000.0 / np.percentile(given, 10), 1000.0 / np.percentile(given, 90)
    return QualityWarning(
        Code.VARIABLE_FRAME_RATE,
        f"The frame rate changes in this clip (from about {fastest:.0f} to {slowest:.0f} fps): it was analysed "
        f"on even frame times at {1000.0 / float(np.median(np.diff(t_ms))):.0f} fps, and values at foot contact "
        "in the slower part rest on fewer frames.",
    )


def slow_motion_factor(
    pose: PoseSequence, xy_level: np.ndarray, *, view: str | None = None, level_deg: float | None = None
) -> float | None:
    """How many times slower than life the clip plays, or None when it does not look slow.

    The legs' stride searched at any length (:func:`formcam.gait.slowmo.leg_stride_ms`)
    gives a guess; the clip re-timed by it must then run (knee fold, flight,
    regular steps: :func:`running_decision`) at a running cadence
    (:func:`formcam.gait.slowmo.confirmed_factor`).  The factor is relative to
    the times as given (any ``--slowmo`` already applied is not in it).
    """
    t_ms = np.asarray(pose.t_ms, dtype=np.float64)
    guess = slow_motion_guess(leg_stride_ms(xy_level, t_ms))
    if guess is None:
        return None
    trial = analyse_pose(
        dataclasses.replace(pose, t_ms=t_ms / guess), view=view, level_deg=level_deg, estimate_slow_motion=False
    )
    return confirmed_factor(guess, trial.cadence.value_spm, trial.is_running)


def running_decision(
    xy: np.ndarray, t_ms: np.ndarray, view: ViewEstimate, events: GaitEvents, phases: dict
) -> tuple[bool, str | None]:
    """Whether the clip shows running, and if not, why, in one sentence.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Levelled landmark pixels.
    t_ms : ndarray, shape (T,)
    view : ViewEstimate
    events : GaitEvents
    phases : dict
        :func:`formcam.gait.cadence.gait_phase_fractions` output.

    Returns
    -------
    is_running : bool
    reason : str or None
        None when running.

    Notes
    -----
    In order:

    1. **Steps.**  At least :data:`MIN_REGULAR_STEPS` regular steps
       (alternating feet, evenly timed): gym exercises, standing and jumping
       have none.
    2. **Travel** (side view).  Running feet sweep fore and aft relative to
       the hips (treadmill or overground) by :data:`MIN_FOOT_SWEEP` of the leg
       length or more; running on the spot keeps them under the hips.  Rear
       and front views cannot see this.
    3. **Swing knee** (side view).  Running folds the swinging knee to 80-130
       degrees, walking to 50-70: below :data:`MIN_RUNNING_SWING_KNEE_DEG`
       it is walking when the steps agree, coming no faster than walking's
       (:data:`MAX_WALKING_CADENCE_SPM`).  This holds where toe-offs are
       unreliable (a far leg hidden behind the near one makes walking look as
       if it had flight).  A shallow knee at a running rhythm is left to the
       flight cue: in a dark, blurred or noisy clip the pose model draws the
       folded swing leg straighter than it is (a darkened real treadmill run
       read 68°), while the steps' timing survives such noise.
    4. **Flight.**  Running has a flight phase (no foot on the ground) and no
       double support; walking the reverse.  In side views whose knees fold
       like running, only clear double support (:data:`CLEAR_DOUBLE_SUPPORT`
       with no flight) overrules the knee, since toe-offs there are the
       least reliable events.  Likewise in rear and front views whose steps
       were timed at the hip's lowest points with one foot high in its swing
       (``events.method == 'midstance'``, a bouncing gait: walking is lowest
       in double support), where a pose model's feet can hide a short flight.

    Each cue but the rhythm of step 3 is a ratio of times or an angle, so slow
    motion does not change it (a slow-motion run gets a slow-motion warning
    instead); slow motion only lowers the rhythm, which then leaves the knee's
    word standing, as before.
    """
    steps = regular_steps(events, t_ms)
    if len(steps) < MIN_REGULAR_STEPS:
        return False, (
            f"only {len(steps)} regular alternating steps were found (at least {MIN_REGULAR_STEPS} are needed)"
        )
    if view.label == View.SIDE and view.facing:
        sweep = foot_sweep(xy, events, view.facing)
        if np.isfinite(sweep) and sweep < MIN_FOOT_SWEEP:
            return False, (
                f"the feet stay under the hips (they sweep {100 * sweep:.0f} % of the leg length, running "
                f"sweeps {100 * MIN_FOOT_SWEEP:.0f} % or more): this looks like running on the spot"
            )
        knee = swing_knee_flexion_deg(xy)
        if np.isfinite(knee) and knee < MIN_RUNNING_SWING_KNEE_DEG and not _running_rhythm(events, t_ms, steps):
            return False, (
                f"the knees bend to only {knee:.0f}° in the swing (running bends them to "
                f"{MIN_RUNNING_SWING_KNEE_DEG:.0f}° or more): this looks like walking"
            )
    flight = phases.get("flight", float("nan"))
    double = phases.get("double_support", float("nan"))
    knee_says_running = view.label == View.SIDE and swing_knee_flexion_deg(xy) >= MIN_RUNNING_SWING_KNEE_DEG
    if knee_says_running:
        # Side-view toe-offs are the least reliable events; overrule the knee only on clear double support.
        if np.isfinite(double) and double >= CLEAR_DOUBLE_SUPPORT and flight < MIN_FLIGHT_FRACTION:
            return False, (
                f"both feet are on the ground {100 * double:.0f} % of the time and neither {100 * flight:.0f} %: "
                "this looks like walking"
            )
        return True, None
    if events.method == "midstance" and not double >= CLEAR_DOUBLE_SUPPORT:
        # Rear/front steps timed at the hip's lowest points with one foot high in the air: a bouncing gait.
        # Walking is lowest in double support; a pose model's feet can blur a short flight away.
        return True, None
    if not np.isfinite(flight):
        return False, "no complete stance (contact to toe-off) was found, so running cannot be told from walking"
    if not (flight >= MIN_FLIGHT_FRACTION and flight > double):
        return False, (
            f"a foot is nearly always on the ground (flight {100 * flight:.0f} % of the time, both feet "
            f"down {100 * double:.0f} %): this looks like walking"
        )
    return True, None


def _running_rhythm(events: GaitEvents, t_ms: np.ndarray, steps: np.ndarray) -> bool:
    """True when the regular steps come faster than :data:`MAX_WALKING_CADENCE_SPM` (median step time)."""
    frames = np.asarray(events.contact_frames, dtype=int)
    times = np.asarray(t_ms, dtype=np.float64)
    step_ms = times[frames[steps + 1]] - times[frames[steps]]
    return bool(len(step_ms)) and 60000.0 / float(np.median(step_ms)) > MAX_WALKING_CADENCE_SPM


def foot_sweep(xy: np.ndarray, events: GaitEvents, facing: int) -> float:
    """Side view: fore-aft range of the heels relative to the mid-hip, as a share of the leg length.

    The 5th-95th percentile range of ``(x_heel - x_midhip) * facing`` over
    both feet, divided by the median hip-to-ankle distance.  NaN when the
    landmarks are missing.
    """
    xy = np.asarray(xy, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        mid_hip = (xy[:, lm.LEFT_HIP] + xy[:, lm.RIGHT_HIP]) / 2
        reach = np.concatenate([(xy[:, heel, 0] - mid_hip[:, 0]) * facing for heel in (lm.LEFT_HEEL, lm.RIGHT_HEEL)])
        leg = np.concatenate(
            [
                np.hypot(*(xy[:, hip] - xy[:, ankle]).T)
                for hip, ankle in ((lm.LEFT_HIP, lm.LEFT_ANKLE), (lm.RIGHT_HIP, lm.RIGHT_ANKLE))
            ]
        )
    reach, leg = reach[np.isfinite(reach)], leg[np.isfinite(leg)]
    if reach.size < 10 or leg.size < 10 or not np.median(leg) > 0:
        return float("nan")
    low, high = np.percentile(reach, [5, 95])
    return float((high - low) / np.median(leg))


def swing_knee_flexion_deg(xy: np.ndarray) -> float:
    """The larger of the two knees' 95th-percentile flexion (180 minus hip-knee-ankle), degrees; NaN if unseen."""
    peaks = []
    for side in ("left", "right"):
        flexion = knee_flexion_deg(xy, side)
        flexion = flexion[np.isfinite(flexion)]
        if flexion.size >= 10:
            peaks.append(float(np.percentile(flexion, 95)))
    return max(peaks) if peaks else float("nan")


def runner_height_px(xy: np.ndarray) -> float:
    """Median over frames of the runner's height in the image (top landmark to lowest), px; NaN if unseen."""
    xy = np.asarray(xy, dtype=np.float64)
    y = xy[..., 1] if xy.ndim == 3 else np.zeros((0, 0))
    seen = np.isfinite(y).any(axis=1) if y.size else np.zeros(0, dtype=bool)
    if not seen.any():
        return float("nan")
    y = y[seen]
    with np.errstate(invalid="ignore"):
        extent = np.nanmax(y, axis=1) - np.nanmin(y, axis=1)
    return float(np.median(extent))


def quality_warnings(
    *,
    detected_fraction: float,
    view: ViewEstimate,
    events: GaitEvents,
    cadence: Cadence,
    phases: dict,
    is_running: bool,
    view_forced: bool = False,
    not_running_reason: str | None = None,
    xy: np.ndarray | None = None,
    t_ms: np.ndarray | None = None,
    frame_size: tuple[int, int] | None = None,
    cleaning: CleanedTracks | None = None,
    roll: RollEstimate | None = None,
    slow_motion_applied: float = 1.0,
    slow_motion_estimate: float | None = None,
) -> list[QualityWarning]:
    """Warnings about how far the results can be trusted.

    Codes: ``low_detection``, ``view_uncertain``, ``few_steps``,
    ``not_running``, ``slow_motion_suspected``, ``subject_small`` (runner
    smaller than :data:`SMALL_SUBJECT_FRACTION` of the frame height or
    :data:`SMALL_SUBJECT_PX`), ``low_frame_rate`` (below
    :data:`MIN_FPS_CONTACT_TIMING`), ``long_gaps`` (landmarks missing for
    longer than the longest filled gap; reported, not filled),
    ``camera_rolled`` (a roll above :data:`NOTABLE_ROLL_DEG` was removed) and
    ``camera_tilted`` (a roll too large to trust was left).  A moving camera
    is found from the pictures, by :mod:`formcam.quality.capture`.

    ``slow_motion_applied`` is the slow-motion factor the times were already
    divided by (``--slowmo`` or the file's metadata): a slow-motion advice
    names the whole factor to give, not the part still missing; it is
    ``slow_motion_estimate`` (:func:`slow_motion_factor`) where there is one.
    """
    warnings: list[QualityWarning] = []

    def warn(code: str, message: str) -> None:
        warnings.append(QualityWarning(code, message))

    if detected_fraction < LOW_DETECTION:
        warn(
            Code.LOW_DETECTION,
            f"A runner was found in only {100 * detected_fraction:.0f}% of the frames; "
            "results rest on the frames where they were seen.",
        )
    if not view_forced and view.label in (View.OBLIQUE, View.UNKNOWN):
        warn(
            Code.VIEW_UNCERTAIN,
            f"The camera view looks {view.label}; film from the side, behind or in front, or set it with --view.",
        )
    elif not view_forced and view.confidence < 0.6:
        warn(
            Code.VIEW_UNCERTAIN,
            f"The {view.label} view was detected with low confidence ({view.confidence:.2f}); "
            "set it with --view if it is wrong.",
        )
    left, right = events.count("left"), events.count("right")
    if min(left, right) < STABLE_STEPS_PER_SIDE:
        warn(
            Code.FEW_STEPS,
            f"Only {left} left and {right} right foot contacts were found; at least "
            f"{STABLE_STEPS_PER_SIDE} per side give stable values (Dingenen et al. 2018), so some "
            "metrics are left out and the others are rough.",
        )
    if not is_running and not_running_reason:
        warn(
            Code.NOT_RUNNING, f"This does not look like running: {not_running_reason}. The running norms do not apply."
        )
    spm = cadence.value_spm
    if is_running and np.isfinite(spm) and spm < SLOW_MOTION_CADENCE:
        # The times are already divided by any factor applied: the advice is the whole factor, not what is left.
        estimate = slow_motion_estimate if slow_motion_estimate is not None else TYPICAL_CADENCE / spm
        factor = advised_factor(estimate, slow_motion_applied)
        applied = f" (times already divided by {slow_motion_applied:g})" if slow_motion_applied != 1 else ""
        warn(
            Code.SLOW_MOTION_SUSPECTED,
            f"Cadence of {spm:.0f} steps/min{applied} with a flight phase is too slow for running; "
            f"if this clip is slow motion, re-run with --slowmo {factor}.",
        )
    if xy is not None and frame_size is not None:
        height = runner_height_px(xy)
        if np.isfinite(height) and (height < SMALL_SUBJECT_FRACTION * frame_size[1] or height < SMALL_SUBJECT_PX):
            warn(
                Code.SUBJECT_SMALL,
                f"The runner is only {height:.0f} px tall ({100 * height / frame_size[1]:.0f}% of the "
                "frame height); landmarks are less precise on a small figure, so film closer.",
            )
    if t_ms is not None and len(t_ms) > 1:
        dt_ms = median_frame_interval_ms(t_ms)
        fps = 1000.0 / dt_ms if np.isfinite(dt_ms) and dt_ms > 0 else float("nan")
        if np.isfinite(fps) and fps < MIN_FPS_CONTACT_TIMING:
            warn(
                Code.LOW_FRAME_RATE,
                f"At {fps:.0f} frames/s one frame lasts {dt_ms:.0f} ms, longer than the best "
                "contact-timing error (about 20 ms, Fellin et al. 2010): values at foot contact "
                "(overstride, knee and shin angles) are rough; film at 60 frames/s or more.",
            )
    if cleaning is not None and cleaning.long_gaps and t_ms is not None and len(t_ms):
        durations = [
            float(t_ms[min(stop, len(t_ms) - 1)] - t_ms[max(start - 1, 0)]) for start, stop in cleaning.long_gaps
        ]
        warn(
            Code.LONG_GAPS,
            f"The runner's hips, shoulders or ankles were lost {len(durations)} times for longer than "
            f"can be filled (longest {max(durations) / 1000:.1f} s); those stretches are left out, "
            "not guessed.",
        )
    if roll is not None and roll.source != "user" and np.isfinite(roll.roll_deg):
        if roll.source == "ground_line" and not roll.applied:
            if abs(roll.roll_deg) > NOTABLE_ROLL_DEG:
                warn(
                    Code.CAMERA_TILTED,
                    f"The ground under the runner slopes by {roll.roll_deg:.1f}° in the picture: "
                    "the camera is tilted or not square to the running direction. Side-view "
                    "angles are measured as filmed; if the camera was tilted, give the tilt "
                    "with --level.",
                )
        elif not roll.applied:
            warn(
                Code.CAMERA_TILTED,
                f"The picture looks tilted by {roll.roll_deg:.0f}°, more than formcam corrects "
                f"by itself ({MAX_AUTO_ROLL_DEG:.0f}°); angles are as filmed. If the camera was "
                "tilted, give the tilt with --level.",
            )
        elif abs(roll.roll_deg) > NOTABLE_ROLL_DEG:
            warn(
                Code.CAMERA_ROLLED,
                f"The camera was tilted by about {roll.roll_deg:.1f}° ({roll.source.replace('_', ' ')}); "
                "angles were corrected for it. Give --level 0 if the camera was level.",
            )
    return warnings
