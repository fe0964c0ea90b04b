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
   :data:`MIN_STEP_SEARCH_S` (crossing the frame) is not a refusal: the part
   where they are is analysed, with a ``too_short_to_confirm_running`` warning.

``--force`` (``AnalysisOptions.force``) turns refusals 2 and 3 into a report
marked ``runner.forced: true`` with the reason (``runner.refusal``)
and a ``forced_analysis`` quality warning; nothing can force 1.

A runner seen in only part of the clip (crossing the frame) is analysed on
the part where they are, and the report says which part
(:func:`presence_notes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NothingToAnalyseError
from .events import regular_steps
from .kinematics import MIN_RUNNING_STEPS
from .landmarks import LEFT_ANKLE, RIGHT_ANKLE

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
#: A runner in view too briefly to confirm running is analysed with at least this many regular steps
#: (one regular step among stray contacts is what a walker half out of the picture gives).
MIN_STEPS_IN_BRIEF_VIEW = 2
#: Feet in the picture in less than this share of the frames with the runner:
#: no step can be measured (refused).
MIN_FEET_IN_VIEW = 0.5
#: A foot landmark counts as seen from this visibility on.
FOOT_VISIBILITY = 0.5


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
        return 0.0 if self.first_s is None else self.last_s - self.first_s

    @property
    def partial(self) -> bool:
        """True when the runner is out of view for a while at the start or the end."""
        if self.first_s is None:
            return False
        return self.first_s > PARTIAL_MARGIN_S or self.clip_s - self.last_s > PARTIAL_MARGIN_S


def presence(detected: np.ndarray, t_ms: np.ndarray, feet: np.ndarray | None = None) -> Presence:
    """Where the runner is in view.

    Parameters
    ----------
    detected : ndarray, bool, shape (T,)
        Frames with a pose (:attr:`formcam.posefile.PoseSequence.detected`).
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
        inside = ((ankles[..., 0] >= 0) & (ankles[..., 0] < width) & (ankles[..., 1] >= 0) & (ankles[..., 1] < height)
                  & (np.asarray(visibility)[:, [LEFT_ANKLE, RIGHT_ANKLE]] >= FOOT_VISIBILITY))
    return inside.any(axis=1)


def require_person(where: Presence, name: str, hints: list[str] = (), person: str | None = None) -> None:
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
    if person is not None:
        raise NothingToAnalyseError(
            f"The person chosen with --person {person} is in only {seen} of the {total} frames of {name}, too few "
            "to analyse; run without --person to see everyone formcam followed (report.json, people.jpg).")
    because = f"; {' and '.join(hints)}" if hints else ""
    raise NothingToAnalyseError(f"No runner was found in {name} (a person was seen in {seen} of {total} frames){because}.")


def refusal(kinematics, where: Presence, t_ms: np.ndarray) -> tuple[str | None, list[dict]]:
    """The sentence refusing this analysis (or None), and warnings for an analysis that goes ahead.

    Parameters
    ----------
    kinematics : formcam.kinematics.Kinematics
    where : Presence
    t_ms : ndarray, shape (T,)
        Frame times, ms.

    Returns
    -------
    refusal : str or None
        Why not, as a clause (no capital, no full stop); None when the analysis can go ahead.
    warnings : list of dict
        ``too_short_to_confirm_running`` when the runner is in view too briefly
        for the kinematics core to confirm running from the number of steps,
        but at least one step was measured: the part where they are is analysed.
    """
    # Contacts found on feet mostly out of the picture rest on the pose model's guesses of where they are.
    if where.feet_seen is not None and where.feet_seen < MIN_FEET_IN_VIEW * where.frames_seen:
        hidden = 100 * (1 - where.feet_seen / max(where.frames_seen, 1))
        return (f"the runner's feet are out of the picture in {hidden:.0f}% of the frames they are in, so no "
                "step could be measured: film the whole runner, head to feet"), []
    if kinematics.events.n_contacts < MIN_CONTACTS:
        if where.visible_s < MIN_STEP_SEARCH_S:
            return (f"the runner is in view for only {where.visible_s:.1f} s"
                    f"{_span(where)}, too short to measure a running step "
                    f"(formcam needs about {MIN_STEP_SEARCH_S:.0f} s of running)"), []
        return (f"no running step was found in the {where.visible_s:.0f} s a person is "
                "in view (standing, or an exercise in place?)"), []
    reason = not_running_reason(kinematics)
    if reason is None:
        return None, []
    n_steps = len(regular_steps(kinematics.events, t_ms))
    if where.visible_s < MIN_STEP_SEARCH_S and MIN_STEPS_IN_BRIEF_VIEW <= n_steps < MIN_RUNNING_STEPS:
        # Too few steps because the runner crosses the frame, not because they do not run.
        return None, [{
            "code": "too_short_to_confirm_running",
            "message": f"The runner is in view for only {where.visible_s:.1f} s{_span(where)}, with {n_steps} "
                       "regular steps: too short to confirm this is running, and every number rests on those steps.",
        }]
    return reason, []


def _span(where: Presence) -> str:
    return f" (from {where.first_s:.1f} s to {where.last_s:.1f} s of {where.clip_s:.1f} s)" if where.partial else ""


def not_running_reason(kinematics) -> str | None:
    """The kinematics core's reason to think this is not running, or None.

    The decision belongs to :mod:`formcam.kinematics` (``not_running_reason``).
    """
    reason = kinematics.not_running_reason
    if not reason:
        return None
    reason = reason.strip().rstrip(".")
    return reason[0].lower() + reason[1:]


def check_analysable(kinematics, where: Presence, t_ms: np.ndarray, name: str, *,
                     force: bool) -> tuple[str | None, list[dict]]:
    """Raise the refusal unless ``force``.

    Returns
    -------
    forced_over : str or None
        The refusal ``force`` overrode.
    warnings : list of dict
        As :func:`refusal`.

    Raises
    ------
    NothingToAnalyseError
        With the refusal and a hint at ``--force``.
    """
    why, warnings = refusal(kinematics, where, t_ms)
    if why and not force:
        raise NothingToAnalyseError(f"{name} was not analysed: {why}. Pass --force to analyse it anyway.")
    return why, warnings


def presence_notes(where: Presence) -> tuple[dict, list[dict]]:
    """report.json ``runner`` keys and ``quality`` warnings about where the runner is in view.

    Returns
    -------
    runner : dict
        ``visible_from_s``, ``visible_to_s`` (s from the first frame; None when never seen).
    warnings : list of dict
        A ``partial_presence`` warning when the runner is in only part of the clip.
    """
    runner = {
        "visible_from_s": None if where.first_s is None else round(where.first_s, 3),
        "visible_to_s": None if where.last_s is None else round(where.last_s, 3),
    }
    warnings = []
    if where.partial:
        warnings.append({
            "code": "partial_presence",
            "message": f"The runner is in view only from {where.first_s:.1f} s to {where.last_s:.1f} s of this "
                       f"{where.clip_s:.1f} s clip; formcam analysed that part.",
        })
    return runner, warnings


def forced_notes(why: str | None) -> tuple[dict, list[dict]]:
    """report.json ``runner`` keys and ``quality`` warnings for a refusal overridden with ``--force``."""
    if not why:
        return {"forced": False}, []
    return (
        {"forced": True, "refusal": why},
        [{"code": "forced_analysis", "message": f"Analysed only because --force was given; otherwise refused: {why}. "
                                                "The running norms may not apply to these numbers."}],
    )
