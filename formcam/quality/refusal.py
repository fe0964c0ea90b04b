"""When formcam refuses to analyse a clip, and what it says when it analyses only part of one.

formcam never reports a number it cannot support. After the pose stage three
questions decide whether there is anything to analyse; a "no" is a
:class:`~formcam.errors.NothingToAnalyseError` (exit code 4) with one
sentence saying why:

1. **Is anybody there?** (:func:`require_person`) A person must be seen in at
   least :data:`MIN_DETECTED_FRAMES` frames and :data:`MIN_DETECTED_FRACTION`
   of the clip. The message adds what the pictures say when they explain it
   (a very dark video).
2. **Is there enough of them?** With no running step found, a person in view
   for less than :data:`MIN_STEP_SEARCH_S` makes the clip too short.
3. **Are they running?** The kinematics core decides
   (``Kinematics.not_running_reason``: walking, an exercise in place, running
   on the spot, too few regular steps); a person in view for longer than
   :data:`MIN_STEP_SEARCH_S` without a single step is not running either.
   Too few steps from a runner who is in view for less than
   :data:`MIN_STEP_SEARCH_S` (crossing the frame) are refused too, saying so:
   nothing is measured from fewer than ``MIN_REGULAR_STEPS`` regular steps.
   Too few steps that are slower than a walk while the knees fold as in
   running are said to be slow motion (:func:`too_few_slow_steps`), and so
   is a whole clip whose steps are several times slower than any runner's
   while it runs at the speed they suggest (:func:`slow_motion`), naming
   the ``--slowmo`` to give.
4. **Does the clip keep one speed?** A phone's slow-motion clip often plays
   its middle slowly and its ends at normal speed; seen from the side, steps
   that last :data:`SPEED_CHANGE_FACTOR` times longer in one stretch than in
   another, while the feet also move :data:`FOOT_SPEED_CHANGE_FACTOR` times
   slower there, are that (or a change of pace no steady run has), and no
   single cadence or timing describes the clip (:func:`speed_change`).

``--force`` (``AnalysisOptions.force``) turns refusals 2 to 4 into a report
marked ``runner.forced: true`` with the reason (``runner.refusal``)
and a ``forced_analysis`` quality warning; nothing can force 1.

A runner seen in only part of the clip (crossing the frame) is analysed on
the part where they are, and the report says which part
(:func:`presence_notes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from formcam.errors import NothingToAnalyseError
from formcam.gait.kinematics import MIN_RUNNING_SWING_KNEE_DEG, swing_knee_flexion_deg
from formcam.gait.slowmo import MIN_REFUSED_FACTOR, advised_factor
from formcam.gait.steps import MIN_REGULAR_STEPS, regular_steps

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.
from formcam.gait.swaps import leading_foot_contacts
from formcam.gait.view import View, ViewEstimate
from formcam.pose.landmarks import LEFT_ANKLE, RIGHT_ANKLE
from formcam.quality.warnings import Code, QualityWarning

#: Fewer frames with a person than this and there is nothing to measure.
MIN_DETECTED_FRAMES = 10
#: Nor when the person is in fewer than this fraction of the frames.
MIN_DETECTED_FRACTION = 0.05
#: Seconds of a person in view in which running shows at least a few steps.
#: Without any step, a shorter view is "too short", a longer one "not running".
MIN_STEP_SEARCH_S = 3.0
#: The runner is "in only part of the clip" when out of view for longer than
#: this at the start or the end (s).
PARTIAL_MARGIN_S = 0.5
#: Fewer foot contacts than this and no step was measured.
MIN_CONTACTS = 2
#: Feet in the picture in less than this share of the frames with the runner:
#: no step can be measured (refused).
MIN_FEET_IN_VIEW = 0.5
#: A foot landmark counts as seen from this visibility on.
FOOT_VISIBILITY = 0.5
#: Steps lasting this many times longer in one stretch of a clip than in another: the clip's speed
#: changes (slow motion in part of it: phones slow clips down 2, 4 or 8 times).  A runner's own cadence
#: changes far less within a clip (a jog to a fast run is 160 to 200 steps/min, 1.25 times).
SPEED_CHANGE_FACTOR = 1.8
#: Each stretch compared is the median of this many consecutive steps (a stray or a missed contact
#: does not move it).
SPEED_CHANGE_STEPS = 5
#: The feet must also move this many times slower (median ankle speed) in the slow stretch: slow
#: motion slows every movement, while a second of stray contacts (a passer-by confusing the pose
#: model) leaves the feet's speed as it was.  Measured: the real sprint clip's slow-motion stretch
#: 2.8 times (steps 4.5 times longer); a rendered runner with a person walking past behind, whose
#: leading-foot contacts doubled for a second (steps half as long there), 1.1 times.
FOOT_SPEED_CHANGE_FACTOR = 1.5
#: Steps longer than this, s, are slower than anyone walks (a slow walk takes about 0.6 s a step);
#: with running knees that is slow motion.
SLOW_MOTION_STEP_S = 0.75


@dataclass(frozen=True)
class Presence:
    """Where in the clip the runner is in view.

    Attributes
    ----------
    first_s, last_s : float or None
        Time of the first and last frame with the runner, s from the clip's first frame.
    clip_s : float
        Time from the first to the last frame of the clip, s.
    frames_seen, n_frames : int
        Frames with the runner, frames in all.
    feet_seen : int or None
        Frames with the runner's feet in the picture (None: not known).
    """

    first_s: float | None
    last_s: float | None
    clip_s: float
    frames_seen: int
    n_frames: int
    feet_seen: int | None = None

    @property
    def visible_s(self) -> float:
        """Seconds from the first to the last sighting (0 when never seen)."""
        return 0.0 if self.first_s is None or self.last_s is None else self.last_s - self.first_s

    @property
    def partial(self) -> bool:
        """True when the runner is out of view for a while at the start or the end."""
        if self.first_s is None or self.last_s is None:
            return False
        return self.first_s > PARTIAL_MARGIN_S or self.clip_s - self.last_s > PARTIAL_MARGIN_S


def presence(detected: np.ndarray, t_ms: np.ndarray, feet: np.ndarray | None = None) -> Presence:
    """Where the runner is in view.

    Parameters
    ----------
    detected : ndarray, bool, shape (T,)
        Frames with a pose (:attr:`formcam.pose.posefile.PoseSequence.detected`).
    t_ms : ndarray, float, shape (T,)
        Frame times, ms.
    feet : ndarray, bool, shape (T,), optional
        Frames with the feet in the picture (:func:`feet_in_picture`).

    Returns
    -------
    Presence
    """
    detected = np.asarray(detected, dtype=bool)
    t_s = (np.asarray(t_ms, dtype=np.float64) - (t_ms[0] if len(t_ms) else 0.0)) / 1000.0
    clip_s = float(t_s[-1]) if len(t_s) else 0.0
    feet_seen = None if feet is None else int(np.sum(np.asarray(feet, dtype=bool) & detected))
    seen = np.flatnonzero(detected)
    if len(seen) == 0:
        return Presence(None, None, clip_s, 0, len(t_s), feet_seen)
    return Presence(float(t_s[seen[0]]), float(t_s[seen[-1]]), clip_s, len(seen), len(t_s), feet_seen)


def feet_in_picture(image_xy: np.ndarray, visibility: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """Frames in which at least one ankle is inside the picture and visible.

    MediaPipe places landmarks it cannot see, even outside the frame; a
    runner filmed from the hips up has ankles below the picture.

    Parameters
    ----------
    image_xy : ndarray, shape (T, 33, 2)
    visibility : ndarray, shape (T, 33)
    frame_size : tuple of int
        ``(width, height)``.

    Returns
    -------
    ndarray, bool, shape (T,)
    """
    ankles = np.asarray(image_xy, dtype=np.float64)[:, [LEFT_ANKLE, RIGHT_ANKLE]]
    width, height = frame_size
    with np.errstate(invalid="ignore"):
        inside = (
            (ankles[..., 0] >= 0)
            & (ankles[..., 0] < width)
            & (ankles[..., 1] >= 0)
            & (ankles[..., 1] < height)
            & (np.asarray(visibility)[:, [LEFT_ANKLE, RIGHT_ANKLE]] >= FOOT_VISIBILITY)
        )
    return np.asarray(inside.any(axis=1))


def require_person(where: Presence, name: str, hints: Sequence[str] = (), person: str | None = None) -> None:
    """Raise :class:`NothingToAnalyseError` unless a person is seen often enough.

    Parameters
    ----------
    where : Presence
    name : str
        The input's file name, for the message.
    hints : list of str
        Clauses that may explain why nobody was found (``"the video is very dark"``).
    person : str, optional
        ``--person`` as given, when the user chose whom to analyse.
    """
    seen, total = where.frames_seen, where.n_frames
    if seen >= MIN_DETECTED_FRAMES and seen >= MIN_DETECTED_FRACTION * total:
        return
    if total < MIN_DETECTED_FRAMES:  # whoever is in it, a clip this short holds no step
        raise NothingToAnalyseError(
            f"{name} is too short to analyse: it has only {total} frames ({where.clip_s:.2f} s), and formcam "
            f"needs the runner in at least {MIN_DETECTED_FRAMES} frames, over a few running steps."
        )
    if person is not None:
        raise NothingToAnalyseError(
            f"The person chosen with --person {person} is in only {seen} of the {total} frames of {name}, too few "
            "to analyse; run without --person to see everyone formcam followed (report.json, people.jpg)."
        )
    because = f"; {' and '.join(hints)}" if hints else ""
    raise NothingToAnalyseError(
        f"No runner was found in {name} (a person was seen in {seen} of {total} frames){because}."
    )


def refusal(kinematics, where: Presence, t_ms: np.ndarray) -> str | None:
    """The sentence refusing this analysis, or None when it can go ahead.

    Parameters
    ----------
    kinematics : formcam.gait.kinematics.Kinematics
    where : Presence
    t_ms : ndarray, shape (T,)
        Frame times, ms.

    Returns
    -------
    str or None
        Why not, as a clause (no capital, no full stop).
    """
    # Contacts found on feet mostly out of the picture rest on the pose model's guesses of where they are.
    if where.feet_seen is not None and where.feet_seen < MIN_FEET_IN_VIEW * where.frames_seen:
        hidden = 100 * (1 - where.feet_seen / max(where.frames_seen, 1))
        return (
            f"the runner's feet are out of the picture in {hidden:.0f}% of the frames they are in, so no "
            "step could be measured: film the whole runner, head to feet"
        )
    if kinematics.events.n_contacts < MIN_CONTACTS:
        if where.visible_s < MIN_STEP_SEARCH_S:
            return (
                f"the runner is in view for only {where.visible_s:.1f} s"
                f"{_span(where)}, too short to measure a running step "
                f"(formcam needs about {MIN_STEP_SEARCH_S:.0f} s of running)"
            )
        return (
            f"no running step was found in the {where.visible_s:.0f} s a person is "
            "in view (standing, or an exercise in place?)"
        )
    slow = slow_motion(kinematics)
    if slow is not None:
        # A clip slow in only part of it is slow overall too: the change of speed is what to say then.
        return speed_change(kinematics.xy_level, t_ms, kinematics.view) or slow
    reason = not_running_reason(kinematics)
    if reason is None:
        return speed_change(kinematics.xy_level, t_ms, kinematics.view)
    n_steps = len(regular_steps(kinematics.events, t_ms))
    if where.visible_s < MIN_STEP_SEARCH_S and n_steps < MIN_REGULAR_STEPS:
        # Too few steps because the runner crosses the frame: say so, rather than that they do not run.
        return (
            f"the runner is in view for only {where.visible_s:.1f} s{_span(where)}, with {n_steps} regular "
            f"steps: too few to tell running from anything else or to rest a number on (formcam needs at "
            f"least {MIN_REGULAR_STEPS})"
        )
    if n_steps < MIN_REGULAR_STEPS:
        return too_few_slow_steps(kinematics, t_ms, n_steps) or reason
    return reason


def speed_change(xy: np.ndarray | None, t_ms: np.ndarray, view: ViewEstimate) -> str | None:
    """Why a side view's timing cannot be measured when its steps change length several-fold, or None.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2) or None
        Cleaned, levelled landmark pixels (``Kinematics.xy_level``).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view : ViewEstimate
        Only side views with a known facing are judged.

    Returns
    -------
    str or None
        A clause (no capital, no full stop) when the median of
        :data:`SPEED_CHANGE_STEPS` consecutive steps is
        :data:`SPEED_CHANGE_FACTOR` times longer somewhere in the clip than
        somewhere else, and the ankles' median speed over those steps
        :data:`FOOT_SPEED_CHANGE_FACTOR` times lower.

    Notes
    -----
    The steps are timed from the leading foot's reach
    (:func:`formcam.gait.swaps.leading_foot_contacts`), which does not depend on
    which leg the pose model calls left: in a clip whose speed changes, the
    legs' rhythm (and so the gaps the contact detector keeps between a
    foot's contacts) is a blend of two speeds, and the contacts themselves
    cannot be trusted to tell.  The real treadmill sprint clip
    (``treadmill_sprint_side_two_people.mp4``, 30 fps) plays at normal speed
    to 3.7 s and from 9.9 s, four times slower between: its steps last
    0.20 s and 0.90 s, and analysed whole it had been given 135 steps/min,
    which is neither.
    """
    from scipy import ndimage

    contacts, steps = _leading_steps(xy, t_ms, view)
    if xy is None or len(steps) < 2 * SPEED_CHANGE_STEPS:
        return None
    half = SPEED_CHANGE_STEPS // 2
    # Medians of whole windows only: at the clip's ends a window would repeat its last step.
    stretch = ndimage.median_filter(steps, size=SPEED_CHANGE_STEPS)[half : len(steps) - half]
    # A stretch of real steps at another speed is regular, all but one of its steps within a quarter of their
    # median (one contact missed merges two steps); the pieces a pose glitch or two cut a step into are not (a
    # clip ten times slow had two glitches early on read as a stretch at normal speed).
    windows = np.lib.stride_tricks.sliding_window_view(steps, SPEED_CHANGE_STEPS)
    typical = np.median(windows, axis=1, keepdims=True)
    regular = (np.abs(windows - typical) <= 0.25 * typical).sum(axis=1) >= SPEED_CHANGE_STEPS - 1
    if not regular.any():
        return None
    fast, slow = int(np.argmin(np.where(regular, stretch, np.inf))), int(np.argmax(stretch))
    if not stretch[slow] >= SPEED_CHANGE_FACTOR * stretch[fast]:
        return None
    feet = [_ankle_speed(xy, t_ms, contacts[i], contacts[i + SPEED_CHANGE_STEPS]) for i in (fast, slow)]
    if feet[0] < FOOT_SPEED_CHANGE_FACTOR * feet[1]:  # an unmeasured speed (NaN) leaves the refusal standing
        return None
    # Each stretch's time: its middle step's, from the clip's first frame.
    at_s = (np.asarray(t_ms, dtype=np.float64)[contacts[[fast + half, slow + half]]] - t_ms[0]) / 1000.0
    return (
        f"the steps last {stretch[fast] / 1000:.2f} s around {at_s[0]:.1f} s but {stretch[slow] / 1000:.2f} s "
        f"around {at_s[1]:.1f} s, {stretch[slow] / stretch[fast]:.1f} times longer: the clip's speed changes "
        "(slow motion in part of it?), so no one cadence fits it; cut it to a stretch of one speed, "
        "and give --slowmo for a slow-motion one"
    )


def slow_motion(kinematics) -> str | None:
    """The advice for a clip that plays uniformly slower than life with nothing saying so, or None.

    Parameters
    ----------
    kinematics : formcam.gait.kinematics.Kinematics
        Its ``slow_motion_estimate`` (:func:`formcam.gait.kinematics.slow_motion_factor`:
        the legs' stride, confirmed by the knee fold and the flight phase of the
        clip re-timed) and ``slow_motion_applied`` (``--slowmo`` or metadata).

    Returns
    -------
    str or None
        A clause naming the whole factor to give, when the estimate is
        :data:`formcam.gait.slowmo.MIN_REFUSED_FACTOR` or more: no number of
        this clip as timed could be right, and the factor is known well
        enough to say.
    """
    estimate = getattr(kinematics, "slow_motion_estimate", None)
    if estimate is None or estimate < MIN_REFUSED_FACTOR:
        return None
    applied = float(getattr(kinematics, "slow_motion_applied", 1.0) or 1.0)
    factor = advised_factor(estimate, applied)
    already = f" (its times were divided by only {applied:g})" if applied != 1 else ""
    return (
        f"its steps are {estimate:.1f} times slower than a runner's although the knees fold and the feet leave "
        f"the ground as in running: this looks like about {factor}x slow motion{already}: run again with "
        f"--slowmo {factor}"
    )


def too_few_slow_steps(kinematics, t_ms: np.ndarray, n_steps: int) -> str | None:
    """Too few regular steps, said as slow motion when the steps are slower than a walk and the knees run.

    Parameters
    ----------
    kinematics : formcam.gait.kinematics.Kinematics
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    n_steps : int
        Regular steps found (fewer than ``MIN_REGULAR_STEPS``).

    Returns
    -------
    str or None
        A clause (no capital, no full stop) when, in a side view, the
        steps the leading foot marks (:func:`formcam.gait.swaps.leading_foot_contacts`)
        last :data:`SLOW_MOTION_STEP_S` or longer (median) while the swinging
        knee folds as in running
        (:data:`formcam.gait.kinematics.MIN_RUNNING_SWING_KNEE_DEG`): a slow-motion
        clip too short to hold enough steps, not a clip that "does not look
        like running".  None otherwise: the kinematics core's reason stands.
    """
    _, steps = _leading_steps(kinematics.xy_level, t_ms, kinematics.view)
    if len(steps) < 2:
        return None
    step_s = float(np.median(steps)) / 1000.0
    if step_s < SLOW_MOTION_STEP_S or not swing_knee_flexion_deg(kinematics.xy_level) >= MIN_RUNNING_SWING_KNEE_DEG:
        return None
    return (
        f"only {n_steps} regular alternating steps were found (at least {MIN_REGULAR_STEPS} are needed), and "
        f"the steps found take about {step_s:.1f} s each, slower than a walk although the knees fold as in "
        "running: this looks like slow motion with too few steps in it, so film a longer stretch (and give "
        "--slowmo)"
    )


def _leading_steps(xy: np.ndarray | None, t_ms: np.ndarray, view: ViewEstimate) -> tuple[np.ndarray, np.ndarray]:
    """Side view: (leading-foot contact frames (n,), the n-1 step times between them, ms); empty otherwise."""
    if xy is None or view.label != View.SIDE or not view.facing:
        return np.zeros(0, dtype=int), np.zeros(0)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    contacts = leading_foot_contacts(np.asarray(xy, dtype=np.float64), t_ms, view.facing)
    return contacts, np.diff(t_ms[contacts])


def _ankle_speed(xy: np.ndarray, t_ms: np.ndarray, first: int, last: int) -> float:
    """Median speed of both ankles from frame ``first`` to ``last``, px/ms (NaN where never seen)."""
    ankles = np.asarray(xy, dtype=np.float64)[first : last + 1, [LEFT_ANKLE, RIGHT_ANKLE]]
    step_ms = np.diff(np.asarray(t_ms, dtype=np.float64)[first : last + 1])
    speed = np.linalg.norm(np.diff(ankles, axis=0), axis=-1) / step_ms[:, None]
    return float(np.nanmedian(speed)) if np.isfinite(speed).any() else float("nan")


def _span(where: Presence) -> str:
    return f" (from {where.first_s:.1f} s to {where.last_s:.1f} s of {where.clip_s:.1f} s)" if where.partial else ""


def not_running_reason(kinematics) -> str | None:
    """The kinematics core's reason to think this is not running, or None.

    The decision belongs to :mod:`formcam.gait.kinematics` (``not_running_reason``).
    """
    reason = kinematics.not_running_reason
    if not reason:
        return None
    reason = reason.strip().rstrip(".")
    return reason[0].lower() + reason[1:]


def check_analysable(kinematics, where: Presence, t_ms: np.ndarray, name: str, *, force: bool) -> str | None:
    """Raise the refusal unless ``force``.

    Returns
    -------
    str or None
        The refusal ``force`` overrode.

    Raises
    ------
    NothingToAnalyseError
        With the refusal and a hint at ``--force``.
    """
    why = refusal(kinematics, where, t_ms)
    if why and not force:
        raise NothingToAnalyseError(f"{name} was not analysed: {why}. Pass --force to analyse it anyway.")
    return why


def presence_notes(where: Presence) -> tuple[dict, list[QualityWarning]]:
    """report.json ``runner`` keys and ``quality`` warnings about where the runner is in view.

    Returns
    -------
    runner : dict
        ``visible_from_s``, ``visible_to_s`` (s from the first frame; None when never seen).
    warnings : list of QualityWarning
        A ``partial_presence`` warning when the runner is in only part of the clip.
    """
    runner = {
        "visible_from_s": None if where.first_s is None else round(where.first_s, 3),
        "visible_to_s": None if where.last_s is None else round(where.last_s, 3),
    }
    warnings = []
    if where.partial:
        warnings.append(
            QualityWarning(
                Code.PARTIAL_PRESENCE,
                f"The runner is in view only from {where.first_s:.1f} s to {where.last_s:.1f} s of this "
                f"{where.clip_s:.1f} s clip; formcam analysed that part.",
            )
        )
    return runner, warnings


def forced_notes(why: str | None) -> tuple[dict, list[QualityWarning]]:
    """report.json ``runner`` keys and ``quality`` warnings for a refusal overridden with ``--force``."""
    if not why:
        return {"forced": False}, []
    return (
        {"forced": True, "refusal": why},
        [
            QualityWarning(
                Code.FORCED_ANALYSIS,
                f"Analysed only because --force was given; otherwise refused: {why}. "
                "The running norms may not apply to these numbers.",
            )
        ],
    )
