"""Gait events (initial contacts, toe-offs), cadence and the gait's phase fractions.

Side view - Zeni et al. 2008, as adapted to pose tracks by Stenum et al. 2021:
a foot's contact is a peak of its heel's forward distance from the mid-hip,
``(x_heel - x_midhip) * facing``, and its toe-off a trough of the toe's,
``(x_toe - x_midhip) * facing``, moved back to the knee's peak extension
(Fellin et al. 2010) because in running the toe's rearmost point comes after
the foot has left the ground.  Zeni's method was the most accurate of seven
kinematic methods in a 588-subject comparison (research note section 3.1).

Rear, front and other views - each foot's image height: the foot is on the
ground while it is in the lower half of its local range of height and moving
slower than a share of its fastest swing, which holds in perspective too, where
a stance foot sliding back with a treadmill's belt drifts down (rear) or up
(front) the image; each contact is then timed where the foot's speed has
settled to its stance's level (see :func:`_stance_from_foot_motion`).  In
running the steps themselves come from the hip's bounce, lowest once per step
at midstance, with the lower foot there on the ground, so that a misread foot
can move a contact within its step but not add or drop one
(:func:`_stances_around_midstances`).

Quality gates: contacts of the same foot at least 0.22 s apart, and at least
:data:`MIN_STRIDE_SHARE` of the gait's stride apart when the stride is known
(:func:`formcam.gait.clean.stride_period_ms`, from the legs' own rhythm: a
shaky far leg in a side view otherwise gives a contact every few frames);
peaks must stand out by at least 30 % of the signal's range; events next to
missing data are dropped.

Cadence is the number of steps per minute from contact times, cross-checked
against the legs' rhythm and the hip's bounce; see :func:`estimate_cadence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# scipy is imported inside the functions that use it: importing it takes about a second, which
# formcam spends while the pose model runs (pipeline.preload_analysis_libraries), not before.

from formcam.pose import landmarks as lm
from formcam.gait.clean import forward_reach, median_frame_interval_ms, sample_interval_ms, stride_period_ms
from formcam.gait.view import ViewEstimate, estimate_facing

#: Shortest time between two contacts of the same foot, s (zzzhushi uses fps * 0.22).
MIN_SAME_FOOT_INTERVAL_S = 0.22
#: A peak must stand out by this fraction of the signal's 5-95 percentile range.
MIN_RELATIVE_PROMINENCE = 0.3
#: Rear/front: a foot on the ground moves slower than this share of its fastest swing speed ...
STANCE_SPEED_SHARE = 0.3
#: ... and is lower in the image than this share of its swing height above its highest point.
STANCE_HEIGHT_SHARE = 0.5
#: Rear/front: a foot that rises less than this, px, is still (a pose model jitters by 1-2 px).
MIN_SWING_PX = 2.0
#: Rear/front: on-ground runs and gaps this short are threshold jitter, ms.
FLICKER_MS = 25.0
#: Rear/front: a contact is where the foot's speed above its stance's speed falls to this share of its swing speed.
SETTLED_SPEED_SHARE = 0.1
#: Rear/front: at the hip's lowest point the feet are at least this share of their swing height apart in a
#: running step (one foot down, the other high in its swing); the lower one is then the stance foot.
MIDSTANCE_FEET_APART_SHARE = 0.3
#: Rear/front: a stance's contact is searched at most this many steps before its midstance.
MIDSTANCE_SEARCH_STEPS = 1.5
#: Early stance fitted to time a side-view contact between frames, ms (:func:`refine_contacts`).
CONTACT_FIT_MS = 100.0
#: Largest shift of a refined contact from the low-passed peak, ms (the filter moves it by up to about 20 ms).
MAX_CONTACT_SHIFT_MS = 30.0
#: Same-foot contacts at least this share of the stride apart (a stride varies by a few percent).
MIN_STRIDE_SHARE = 0.6
#: Contacts whose cadence differs from the legs' rhythm by more than this fraction are not trusted.
RHYTHM_TOLERANCE = 0.08
#: The hip's bounce confirms the legs' rhythm within this fraction (see :func:`estimate_cadence`).
CONFIRMED_RHYTHM_TOLERANCE = 0.015
#: Steps whose duration differs from the median step by more than this fraction are not used.
STEP_TIME_TOLERANCE = 0.30

SIDES = ("left", "right")
#: Knee flexion gained from contact to midstance above which a stance is treated as running's.
RUNNING_STANCE_FLEXION_DEG = 15.0


@dataclass
class GaitEvents:
    """Initial contacts and toe-offs, each sorted by frame.

    Attributes
    ----------
    contact_frames : ndarray, int, shape (n,)
    contact_sides : ndarray, str, shape (n,)
        'left' or 'right'.
    toe_off_frames : ndarray, int, shape (m,)
    toe_off_sides : ndarray, str, shape (m,)
    method : str
        How they were found: 'zeni' (side views), 'midstance' (rear, front
        and oblique views of running, steps from the hip's bounce),
        'foot_motion' (other rear, front and oblique views), or 'none'.
    contact_t_ms : ndarray, float, shape (n,) or None
        Contact times between frames where they were refined (side views:
        :func:`refine_contacts`); ``contact_frames`` is then the last frame at
        or before each.  None: the frames' times.
    """

    contact_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    contact_sides: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U5"))
    toe_off_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    toe_off_sides: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U5"))
    method: str = "none"
    contact_t_ms: np.ndarray | None = None

    def contact_times(self, t_ms: np.ndarray) -> np.ndarray:
        """Contact times, ms: the refined ones where known, else the frames' times."""
        frames_t = np.asarray(t_ms, dtype=np.float64)[np.asarray(self.contact_frames, dtype=int)]
        if self.contact_t_ms is None or len(self.contact_t_ms) != len(frames_t):
            return frames_t
        return np.where(np.isfinite(self.contact_t_ms), self.contact_t_ms, frames_t)

    @property
    def n_contacts(self) -> int:
        return int(len(self.contact_frames))

    def count(self, side: str) -> int:
        """Number of contacts of one side."""
        return int(np.sum(self.contact_sides == side))

    def to_json(self, t_ms: np.ndarray) -> list[dict]:
        """Events as report.json's ``events`` list, sorted by frame."""
        t_ms = np.asarray(t_ms, dtype=np.float64)
        rows = [
            {"side": str(side), "kind": kind, "frame": int(frame), "t_ms": float(t_ms[frame])}
            for kind, frames, sides in (("contact", self.contact_frames, self.contact_sides),
                                        ("toe_off", self.toe_off_frames, self.toe_off_sides))
            for frame, side in zip(frames, sides)
        ]
        return sorted(rows, key=lambda row: (row["frame"], row["kind"]))


@dataclass(frozen=True)
class Cadence:
    """Steps per minute.

    Attributes
    ----------
    value_spm : float
        Steps (both feet) per minute; NaN when fewer than 3 contacts.
    n_steps : int
        Step intervals used.
    confidence : float
        0-1: share of regular, alternating steps, agreement with the hip's
        bounce frequency, and number of steps.
    spectral_spm : float
        The mid-hip's vertical oscillation frequency in per minute (one
        oscillation per step), a cross-check; NaN if it has no clear peak.
    rhythm_spm : float
        Twice the legs' stride frequency in per minute
        (:func:`formcam.gait.clean.stride_period_ms`), the main cross-check; NaN
        without a clear stride.
    source : {'contacts', 'rhythm', 'none'}
        Where ``value_spm`` came from: the contact times, or the legs'
        rhythm when the contacts disagree with it.
    """

    value_spm: float = float("nan")
    n_steps: int = 0
    confidence: float = 0.0
    spectral_spm: float = float("nan")
    rhythm_spm: float = float("nan")
    source: str = "none"


@dataclass(frozen=True)
class Stances:
    """Each contact with its own foot's next toe-off (-1 where none), in contact order."""

    sides: np.ndarray
    contact_frames: np.ndarray
    toe_off_frames: np.ndarray

    @property
    def complete(self) -> np.ndarray:
        """bool (n,): the stance has a toe-off."""
        return self.toe_off_frames >= 0


def detect_events(xy: np.ndarray, t_ms: np.ndarray, view: ViewEstimate, *, stride_ms: float | None = None,
                  xy_unfiltered: np.ndarray | None = None) -> GaitEvents:
    """Find initial contacts and toe-offs of both feet.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels (see :func:`formcam.gait.clean.clean_landmarks`).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view : ViewEstimate
        Side views use Zeni's method with ``view.facing``; other views the
        feet's vertical positions.
    stride_ms : float, optional
        The gait's stride period, ms; default measured
        (:func:`formcam.gait.clean.stride_period_ms`); NaN: unknown.
    xy_unfiltered : ndarray, shape (T, 33, 2), optional
        The landmarks before the low-pass; side-view contacts are then
        refined between frames (:func:`refine_contacts`).

    Returns
    -------
    GaitEvents
        Empty when the input is too short or has no usable feet.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[0] < 5 or xy.shape[1:] != (lm.N_LANDMARKS, 2) or len(t_ms) != xy.shape[0]:
        return GaitEvents()
    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return GaitEvents()
    if stride_ms is None:
        stride_ms = stride_period_ms(xy, t_ms)
    shortest_ms = max(MIN_SAME_FOOT_INTERVAL_S * 1000.0, MIN_STRIDE_SHARE * stride_ms if np.isfinite(stride_ms) else 0.0)
    min_gap = int(np.clip(np.ceil(shortest_ms / dt_ms), 1, len(t_ms)))

    per_side: dict[str, tuple[np.ndarray, ...]] = {}
    if view.label == "side":
        facing = view.facing or estimate_facing(xy)[0]
        if facing == 0:
            return GaitEvents()
        raw = xy if xy_unfiltered is None or np.shape(xy_unfiltered) != xy.shape else np.asarray(xy_unfiltered, float)
        for side, heel, ankle, toe in (("left", lm.LEFT_HEEL, lm.LEFT_ANKLE, lm.LEFT_FOOT_INDEX),
                                       ("right", lm.RIGHT_HEEL, lm.RIGHT_ANKLE, lm.RIGHT_FOOT_INDEX)):
            reach = _reach(xy, heel, ankle, facing)
            contacts = find_peaks_robust(reach, min_gap)
            toe_offs = find_peaks_robust(-_reach(xy, toe, ankle, facing), min_gap)
            toe_offs = _toe_off_at_knee_extension(knee_flexion_deg(xy, side), contacts, toe_offs)
            # The mid-hip moves smoothly through a landing, so its low-passed track only sheds jitter.
            contact_t = refine_contacts(reach, _reach(raw, heel, ankle, facing, hips=xy), contacts, t_ms)
            contacts = _frame_at_or_before(t_ms, contact_t)
            per_side[side] = (contacts, toe_offs, contact_t)
        method = "zeni"
    else:
        window = min(max(int(round(2000.0 / dt_ms)), 3), len(t_ms))
        feet_y = {side: _nanmean_rows(xy[:, points, 1])
                  for side, points in (("left", (lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX)),
                                       ("right", (lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX)))}
        per_side = _stances_around_midstances(xy, feet_y, t_ms, stride_ms, window, min_gap)
        method = "midstance"
        if per_side is None:  # no clear running bounce: each foot on its own
            per_side = {side: _stance_from_foot_motion(feet_y[side], t_ms, window, min_gap) for side in SIDES}
            method = "foot_motion"

    def merge(index: int) -> tuple[np.ndarray, np.ndarray]:
        frames = np.concatenate([per_side[s][index] for s in SIDES]).astype(int)
        sides = np.concatenate([np.full(len(per_side[s][index]), s, dtype="<U5") for s in SIDES])
        order = np.argsort(frames, kind="stable")
        return frames[order], sides[order]

    contact_frames, contact_sides = merge(0)
    toe_off_frames, toe_off_sides = merge(1)
    contact_t_ms = None
    if all(len(per_side[s]) > 2 for s in SIDES):
        times = np.concatenate([per_side[s][2] for s in SIDES])
        frames = np.concatenate([per_side[s][0] for s in SIDES]).astype(int)
        contact_t_ms = times[np.argsort(frames, kind="stable")]
    return GaitEvents(contact_frames, contact_sides, toe_off_frames, toe_off_sides, method, contact_t_ms)


def _reach(xy: np.ndarray, point: int, fallback: int, facing: int, *, hips: np.ndarray | None = None) -> np.ndarray:
    """One foot point's :func:`formcam.gait.clean.forward_reach` (the ankle where it is missing), px, shape (T,)."""
    return forward_reach(xy, [point], [fallback], facing, hips=hips)[:, 0]


def refine_contacts(reach: np.ndarray, reach_unfiltered: np.ndarray, contacts: np.ndarray, t_ms: np.ndarray,
                    *, fit_ms: float = CONTACT_FIT_MS) -> np.ndarray:
    """Zeni contacts timed between frames, where the foot starts moving back with the ground.

    Parameters
    ----------
    reach : ndarray, shape (T,)
        The heel's forward distance from the mid-hip, low-passed (its peaks
        are the coarse contacts).
    reach_unfiltered : ndarray, shape (T,)
        The same with the heel before the low-pass (the mid-hip may be
        low-passed: it has no corner at landing, only jitter).
    contacts : ndarray, int, shape (n,)
        Coarse contact frames (peaks of ``reach``).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    fit_ms : float
        Length of early stance fitted, ms (at least three frames).

    Returns
    -------
    ndarray, float, shape (n,)
        Contact times, ms; the coarse frame's time where no refinement is
        possible.

    Notes
    -----
    The low-pass rounds the corner where the foot, having reached forward,
    lands and starts sliding back, which moves the peak a few frames early
    (18 ms at 240 fps), and the knee is still extending there.  The foot's
    backward slide in early stance is straight, so a line fitted to the
    unfiltered reach over the first :data:`CONTACT_FIT_MS` of stance, and
    extended back to the peak's height, crosses it at the corner: the fit is
    done twice, the second time starting at the first estimate.  The shift
    is limited to two frames or :data:`MAX_CONTACT_SHIFT_MS`, whichever is
    longer, either way.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    contacts = np.asarray(contacts, dtype=int)
    times = t_ms[contacts] if contacts.size else np.zeros(0)
    n = len(reach)
    dt_ms = median_frame_interval_ms(t_ms)
    if not contacts.size or not np.isfinite(dt_ms):
        return times
    length = max(int(np.ceil(fit_ms / dt_ms)), 3)
    max_shift = max(2 * dt_ms, MAX_CONTACT_SHIFT_MS)
    top = reach[contacts]
    start = contacts.copy()
    refined = times.copy()
    for _ in range(2):  # two passes over all contacts at once
        frames = np.clip(start[:, None] + 1 + np.arange(length)[None, :], 0, n - 1)
        x, y = t_ms[frames], reach_unfiltered[frames]
        ok = np.isfinite(x) & np.isfinite(y) & (frames > start[:, None])
        count = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_x = np.where(ok, x, 0).sum(axis=1) / count
            mean_y = np.where(ok, y, 0).sum(axis=1) / count
            dx, dy = np.where(ok, x - mean_x[:, None], 0), np.where(ok, y - mean_y[:, None], 0)
            slope = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
            crossing = mean_x + (top - mean_y) / slope
        usable = (count >= 3) & (slope < 0) & np.isfinite(crossing) & np.isfinite(top)
        crossing = np.clip(crossing, times - max_shift, times + max_shift)
        refined = np.where(usable, crossing, refined)
        start = np.maximum(np.searchsorted(t_ms, refined, side="right") - 1, 0)
    return refined


def knee_flexion_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """180 minus the hip-knee-ankle angle of one leg, degrees, shape (T,); 0 = straight."""
    hip, knee, ankle = (lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE) if side == "left" else (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE)
    a, b = xy[:, hip] - xy[:, knee], xy[:, ankle] - xy[:, knee]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(a * b, axis=1) / (np.hypot(a[:, 0], a[:, 1]) * np.hypot(b[:, 0], b[:, 1]))
        return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _toe_off_at_knee_extension(flexion: np.ndarray, contacts: np.ndarray, troughs: np.ndarray) -> np.ndarray:
    """Move each Zeni toe-off back to the knee's peak extension after midstance (Fellin et al. 2010).

    In running the foot keeps moving backwards for a few frames after it
    leaves the ground, so the toe's rearmost point (Zeni) comes late; on a
    real treadmill clip it fell after the other foot's contact and hid every
    flight phase.  Fellin's best running toe-off is peak knee extension (error
    about 5 ms): here the least flexion between midstance (the largest
    flexion in the first half of the stance) and the Zeni trough.

    Only stances whose knee flexes by at least
    :data:`RUNNING_STANCE_FLEXION_DEG` from contact to midstance are moved:
    running stances do (2D norms 13° at contact, 45° peak; Matsuzaki et al.),
    walking stances flex far less and their knee extends in mid-stance, long
    before toe-off, where peak extension would invent a flight phase.
    """
    refined = np.asarray(troughs, dtype=int).copy()
    contacts = np.sort(np.asarray(contacts, dtype=int))
    flexion = np.asarray(flexion, dtype=np.float64)
    if not refined.size or not contacts.size:
        return refined
    previous = np.searchsorted(contacts, refined, side="left") - 1  # the last contact before each trough
    has = previous >= 0
    contact = contacts[np.maximum(previous, 0)]
    # All stances at once: windows from each contact to its trough, NaN-padded (see _gather).
    first_half = _gather(flexion, contact, contact + (refined - contact) // 2 + 1)
    usable = has & np.isfinite(first_half).any(axis=1)
    midstance = contact + np.argmax(np.where(np.isfinite(first_half), first_half, -np.inf), axis=1)
    rows = np.arange(len(refined))
    with np.errstate(invalid="ignore"):
        loading = first_half[rows, np.minimum(midstance - contact, first_half.shape[1] - 1)] - flexion[contact]
    # Walking-like stances (little loading flexion) keep Zeni's toe-off: their knee extends in mid-stance.
    running = usable & (loading >= RUNNING_STANCE_FLEXION_DEG)
    late = _gather(flexion, midstance, refined + 1)
    found = running & np.isfinite(late).any(axis=1)
    least = midstance + np.argmin(np.where(np.isfinite(late), late, np.inf), axis=1)
    return np.where(found, least, refined)


def _gather(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``values[start:stop]`` for each pair as rows of a NaN-padded (n, longest) matrix."""
    length = int(max((stops - starts).max(), 1)) if len(starts) else 1
    frames = starts[:, None] + np.arange(length)[None, :]
    inside = (frames < stops[:, None]) & (frames >= 0) & (frames < len(values))
    return np.where(inside, values[np.clip(frames, 0, len(values) - 1)], np.nan)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean over axis 1 ignoring NaN; NaN (without a warning) where a row has no finite value."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def find_peaks_robust(values: np.ndarray, min_distance: int) -> np.ndarray:
    """Frames of clear local maxima of a 1-D signal with gaps.

    Parameters
    ----------
    values : ndarray, shape (T,)
        NaN where missing.
    min_distance : int
        Smallest distance between peaks, frames.

    Returns
    -------
    ndarray, int
        Peak frames whose prominence is at least
        :data:`MIN_RELATIVE_PROMINENCE` of the 5-95 percentile range, and
        whose neighbours are not missing.
    """
    from scipy import signal
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.sum() < 5:
        return np.zeros(0, dtype=int)
    low, high = np.percentile(values[finite], [5, 95])
    if not high > low:
        return np.zeros(0, dtype=int)
    frames = np.arange(len(values))
    filled = np.interp(frames, frames[finite], values[finite])
    peaks, _ = signal.find_peaks(filled, distance=min_distance, prominence=MIN_RELATIVE_PROMINENCE * (high - low))
    near_gap = ~finite | ~np.concatenate([[True], finite[:-1]]) | ~np.concatenate([finite[1:], [True]])
    return peaks[~near_gap[peaks]]


def _stance_from_foot_motion(foot_y: np.ndarray, t_ms: np.ndarray, window: int,
                             min_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contacts and toe-offs of one foot from its image height (rear, front and oblique views).

    Parameters
    ----------
    foot_y : ndarray, shape (T,)
        The foot's image height (mean of ankle, heel and toe), px, low-passed;
        NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    window : int
        Frames over which the foot's range of height and its fastest swing are
        taken (about 2 s: at least one stride, short enough to follow a
        runner coming closer).
    min_gap : int
        Fewest frames between two contacts (or toe-offs) of this foot.

    Returns
    -------
    contacts, toe_offs : ndarray, int
        Frames: the contact's frame (at or before its time), and the first
        frame off the ground.
    contact_t_ms : ndarray, float
        Contact times between frames.

    Notes
    -----
    A foot on the ground is still in the world; on a treadmill it slides
    back with the belt, and in perspective that slide moves it down the
    image (towards a camera behind) or up it (away from a camera in front),
    by as much as a fifth of its swing height.  So the ground is not one
    image height: a foot is taken as on the ground while it is both in the
    lower half of its local range of height (:data:`STANCE_HEIGHT_SHARE`,
    which excludes the top of the swing, the other slow moment) and moving
    slower than :data:`STANCE_SPEED_SHARE` of its fastest local swing speed
    (the belt's slide is several times slower than the swing).  That
    threshold is crossed while the foot is still slowing down to land, so
    each contact is then moved to where the foot's speed has settled to
    within :data:`SETTLED_SPEED_SHARE` of the swing speed above its stance's
    median speed (the belt's slide), interpolated between frames.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    motion = _foot_motion(foot_y, t_ms, window)
    if motion is None:
        return (np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0))
    dt_ms = median_frame_interval_ms(t_ms)
    on_ground = _without_flicker(motion.on_ground, max(int(round(FLICKER_MS / dt_ms)), 1))
    change = np.diff(on_ground.astype(np.int8))
    contacts = np.flatnonzero(change == 1) + 1
    toe_offs = np.flatnonzero(change == -1) + 1
    # Edges next to missing data are not events.
    contacts = _thin(contacts[motion.valid_edge[contacts]], min_gap)
    toe_offs = _thin(toe_offs[motion.valid_edge[toe_offs]], min_gap)
    contact_t = _settled_ms(motion.speed, motion.fastest, on_ground, contacts, t_ms)
    return _frame_at_or_before(t_ms, contact_t), toe_offs, contact_t


@dataclass(frozen=True)
class _FootMotion:
    """One foot's image height and speed, and where it looks on the ground (rear, front and oblique views).

    Attributes
    ----------
    speed, fastest : ndarray, shape (T,)
        The foot's vertical image speed and its fastest speed over the
        surrounding window (its swing), px/ms.
    swing_height : ndarray, shape (T,)
        The foot's range of image height over the surrounding window, px.
    on_ground : ndarray, bool, shape (T,)
        Frame by frame, before any smoothing: low in its local range and
        slow (see :func:`_stance_from_foot_motion`).
    valid_edge : ndarray, bool, shape (T,)
        The foot is seen in this frame and the one before (an edge there can
        be an event).
    """

    speed: np.ndarray
    fastest: np.ndarray
    swing_height: np.ndarray
    on_ground: np.ndarray
    valid_edge: np.ndarray


def _foot_motion(foot_y: np.ndarray, t_ms: np.ndarray, window: int) -> _FootMotion | None:
    """Speed and on-ground frames of one foot from its image height (see :func:`_stance_from_foot_motion`).

    Parameters
    ----------
    foot_y : ndarray, shape (T,)
        Image height, px, NaN where missing.
    t_ms : ndarray, shape (T,)
    window : int
        Frames over which the range of height and the fastest swing are taken.

    Returns
    -------
    _FootMotion or None
        None when the foot is seen in fewer than 5 frames or hardly rises
        (:data:`MIN_SWING_PX`).
    """
    from scipy import ndimage
    finite = np.isfinite(foot_y)
    dt_ms = median_frame_interval_ms(t_ms)
    if finite.sum() < 5 or not np.isfinite(dt_ms):
        return None
    frames = np.arange(len(foot_y))
    filled = np.interp(frames, frames[finite], foot_y[finite])
    speed = np.abs(np.gradient(filled)) / dt_ms  # per frame: repeated timestamps must not divide by zero
    fastest = ndimage.maximum_filter1d(speed, size=window, mode="nearest")
    lowest = ndimage.maximum_filter1d(filled, size=window, mode="nearest")
    highest = ndimage.minimum_filter1d(filled, size=window, mode="nearest")
    swing_height = lowest - highest
    if not np.median(swing_height) > MIN_SWING_PX:
        return None
    on_ground = ((filled >= highest + STANCE_HEIGHT_SHARE * swing_height) & (speed <= STANCE_SPEED_SHARE * fastest)
                 & (swing_height > 0.3 * np.median(swing_height)))
    return _FootMotion(speed, fastest, swing_height, on_ground, finite & np.concatenate([[False], finite[:-1]]))


def _frame_at_or_before(t_ms: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
    """The last frame at or before each time (the first frame for earlier times), int, shape (n,)."""
    return np.maximum(np.searchsorted(t_ms, times_ms, side="right") - 1, 0)


def midstance_frames(xy: np.ndarray, t_ms: np.ndarray, step_ms: float) -> np.ndarray:
    """Frames where the mid-hip is lowest in the image, once per running step (midstances).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels (y down).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    step_ms : float
        The step period, ms (half the stride, :func:`formcam.gait.clean.stride_period_ms`).

    Returns
    -------
    ndarray, int, shape (m,)
        Sorted frames: peaks of the mid-hip's image height less its running
        mean over one step (which takes out a runner coming closer or a
        drifting camera, not the bounce), at least 0.6 of a step apart and
        standing out as :func:`find_peaks_robust` requires; empty without a
        step period.

    Notes
    -----
    A running body bounces on its stance leg like a spring: it is lowest at
    midstance, with the stance leg most compressed under it, and highest in
    flight, once per step.  The hip moves little and smoothly, and a pose
    model tracks it far better than the feet (docs/validation.md), so this
    clock does not suffer from the feet's errors.
    """
    from scipy import ndimage
    xy = np.asarray(xy, dtype=np.float64)
    dt_ms = median_frame_interval_ms(t_ms)
    if xy.ndim != 3 or not (np.isfinite(step_ms) and step_ms > 0 and np.isfinite(dt_ms)):
        return np.zeros(0, dtype=int)
    with np.errstate(invalid="ignore"):
        hip_y = (xy[:, lm.LEFT_HIP, 1] + xy[:, lm.RIGHT_HIP, 1]) / 2
    finite = np.isfinite(hip_y)
    if finite.sum() < 5:
        return np.zeros(0, dtype=int)
    step = max(int(round(step_ms / dt_ms)), 1)
    frames = np.arange(len(hip_y))
    trend = ndimage.uniform_filter1d(np.interp(frames, frames[finite], hip_y[finite]), size=step, mode="nearest")
    return find_peaks_robust(hip_y - trend, max(int(0.6 * step), 1))


def _stances_around_midstances(xy: np.ndarray, feet_y: dict[str, np.ndarray], t_ms: np.ndarray, stride_ms: float,
                               window: int, min_gap: int) -> dict[str, tuple[np.ndarray, ...]] | None:
    """Contacts and toe-offs of both feet, one stance per bounce of the hip (rear, front and oblique views).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    feet_y : dict
        ``'left'`` and ``'right'``: each foot's image height (mean of ankle,
        heel and toe), px, shape (T,), NaN where missing.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    stride_ms : float
        The legs' stride period, ms (NaN: unknown).
    window : int
        Frames over which each foot's range of height and fastest swing are
        taken (:func:`_foot_motion`).
    min_gap : int
        Fewest frames between two contacts (or toe-offs) of one foot.

    Returns
    -------
    dict or None
        Side -> (contact frames, toe-off frames, contact times in ms), as
        :func:`_stance_from_foot_motion` gives them.  None when the hip does
        not bounce once per step with one foot high at its lowest point
        (walking, no clear stride, hips or feet missing): then each foot is
        taken on its own.

    Notes
    -----
    Each foot's own motion (:func:`_stance_from_foot_motion`) is exact on
    exact tracks, but one misread foot there adds or moves a step.  In a
    portrait rear render from a low, close camera, MediaPipe swaps the feet
    for about 80 ms after each landing (the landed foot jumps to the
    swinging one's place and back), so a stance looks broken in two and the
    second part's start was read as a contact 130 ms late.

    Here the steps come from the mid-hip's bounce instead
    (:func:`midstance_frames`), used only where it confirms the legs' rhythm
    (within :data:`CONFIRMED_RHYTHM_TOLERANCE`, as in
    :func:`estimate_cadence`).  At each midstance the stance foot is on the
    ground and the other high in its swing, so the lower foot in the image is
    the stance foot (a camera in front or behind sees the raised foot higher
    in both cases) where the two are at least
    :data:`MIDSTANCE_FEET_APART_SHARE` of the swing height apart.  As the
    feet alternate, every other midstance of a run of them about a step
    apart is the same foot's, and the run's clear midstances vote which, so
    feet misread at a few midstances change no side.  The stance foot's
    contact is then the first frame it lands (its on-ground flag rises,
    :func:`_foot_motion`) after the previous midstance (at most
    :data:`MIDSTANCE_SEARCH_STEPS` steps back), timed where its speed settles
    (:func:`_settled_ms`); its toe-off is the first frame it lifts after this
    midstance, before the next one.  A misread foot can then move a contact
    within its own step, but cannot add or drop a step.

    Walking is lowest in double support, with both feet down: it fails the
    feet-apart test (most midstances must pass it) and is left to each
    foot's own motion.
    """
    if not (np.isfinite(stride_ms) and stride_ms > 0):
        return None
    if not _bounce_confirms_rhythm(_spectral_cadence(xy, t_ms), 120000.0 / stride_ms):
        return None
    motions = {side: _foot_motion(feet_y[side], t_ms, window) for side in SIDES}
    midstances = midstance_frames(xy, t_ms, stride_ms / 2.0)
    if any(motion is None for motion in motions.values()) or midstances.size < 3:
        return None
    swing_px = float(np.median(np.concatenate([motions[side].swing_height for side in SIDES])))
    with np.errstate(invalid="ignore"):
        left_lower_px = feet_y["left"][midstances] - feet_y["right"][midstances]  # y grows downwards
        clear = np.abs(left_lower_px) >= MIDSTANCE_FEET_APART_SHARE * swing_px
    if not clear.mean() > 0.5:
        return None
    n = len(t_ms)
    step = int(round(stride_ms / 2.0 / median_frame_interval_ms(t_ms)))
    reach = int(round(MIDSTANCE_SEARCH_STEPS * step))
    # A step cut by the clip's start or end has its midstance outside the clip (or too near its edge to
    # be a peak): the step before the first and the one after the last are searched too.
    midstances = np.concatenate([[midstances[0] - step], midstances, [min(midstances[-1] + step, n - 1)]])
    votes = np.concatenate([[0.0], np.where(clear, np.sign(left_lower_px), 0.0), [0.0]])
    # The feet alternate: along each run of midstances about a step apart, every other one is the left
    # foot's, and the run's clear midstances vote which, so feet misread at one midstance change nothing.
    run = np.concatenate([[0], np.cumsum(np.diff(midstances) > reach)])
    parity = np.where(np.arange(len(midstances)) % 2 == 0, 1.0, -1.0)
    left_at_even = np.bincount(run, weights=votes * parity)[run]
    left_stance = left_at_even * parity > 0
    search_from = np.maximum(np.concatenate([[-1], midstances[:-1]]), midstances - reach)
    search_to = np.minimum(np.concatenate([midstances[1:], [n - 1]]), midstances + reach)
    per_side = {}
    for side in SIDES:  # the two feet, each over all its stances at once
        motion = motions[side]
        mine = (left_at_even != 0) & (left_stance == (side == "left"))
        midstance = midstances[mine]
        on = motion.on_ground
        landings = np.flatnonzero(on[1:] & ~on[:-1]) + 1
        lifts = np.flatnonzero(~on[1:] & on[:-1]) + 1
        contacts = _first_edge_within(landings, search_from[mine], midstance)
        toe_offs = _first_edge_within(lifts, midstance, search_to[mine])
        found = (contacts >= 0) & motion.valid_edge[np.maximum(contacts, 0)]
        ends = np.where(toe_offs >= 0, toe_offs, midstance + 1)[found]
        contacts = contacts[found]
        kept = np.isin(contacts, _thin(contacts, min_gap))
        contacts, ends = contacts[kept], ends[kept]
        stance = np.cumsum(np.bincount(contacts, minlength=n + 1) - np.bincount(ends, minlength=n + 1))[:n] > 0
        contact_t = _settled_ms(motion.speed, motion.fastest, stance, contacts, t_ms)
        toe_offs = _thin(toe_offs[(toe_offs >= 0) & motion.valid_edge[np.maximum(toe_offs, 0)]], min_gap)
        per_side[side] = (_frame_at_or_before(t_ms, contact_t), toe_offs, contact_t)
    return per_side


def _bounce_confirms_rhythm(spectral_spm: float, rhythm_spm: float) -> bool:
    """Whether the hip's bounce (:func:`_spectral_cadence`) and the legs' rhythm agree within
    :data:`CONFIRMED_RHYTHM_TOLERANCE`, both in steps/min (NaN: they do not)."""
    return bool(abs(spectral_spm / rhythm_spm - 1.0) <= CONFIRMED_RHYTHM_TOLERANCE)


def _first_edge_within(edges: np.ndarray, after: np.ndarray, until: np.ndarray) -> np.ndarray:
    """For each window ``(after, until]``, the first of the sorted frames ``edges`` in it, or -1; int, shape (n,)."""
    index = np.searchsorted(edges, after, side="right")
    first = edges[np.minimum(index, len(edges) - 1)] if len(edges) else np.full(len(after), -1)
    return np.where((index < len(edges)) & (first <= until), first, -1)


def _settled_ms(speed: np.ndarray, fastest: np.ndarray, on_ground: np.ndarray, starts: np.ndarray,
                t_ms: np.ndarray) -> np.ndarray:
    """When the foot's speed settles to its stance's level after each stance start, ms (see above).

    Parameters
    ----------
    speed, fastest : ndarray, shape (T,)
        The foot's image speed and its fastest local swing speed, px/ms.
    on_ground : ndarray, bool, shape (T,)
    starts : ndarray, int, shape (n,)
        First frames of stances.
    t_ms : ndarray, shape (T,)

    Returns
    -------
    ndarray, float, shape (n,)
        Interpolated between the last unsettled and the first settled
        frame; the start's own time where the speed never settles.
    """
    from scipy import ndimage
    starts = np.asarray(starts, dtype=int)
    if not starts.size:
        return np.zeros(0)
    labels, n_stances = ndimage.label(on_ground)
    stance_speed = np.zeros(n_stances + 1)
    stance_speed[1:] = ndimage.median(speed, labels, np.arange(1, n_stances + 1))
    level = stance_speed[labels]
    excess = speed - level - SETTLED_SPEED_SHARE * (fastest - level)
    settled = np.flatnonzero((excess <= 0) & (labels > 0))
    if not settled.size:
        return t_ms[starts].astype(np.float64)
    first = settled[np.minimum(np.searchsorted(settled, starts), len(settled) - 1)]
    frame = np.where(labels[first] == labels[starts], first, starts)
    before = np.maximum(frame - 1, 0)
    falls = (frame > 0) & (excess[before] > 0) & (excess[frame] <= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = t_ms[before] + excess[before] / (excess[before] - excess[frame]) * (t_ms[frame] - t_ms[before])
    return np.where(falls & np.isfinite(crossing), crossing, t_ms[frame].astype(np.float64))


def _without_flicker(flags: np.ndarray, frames: int) -> np.ndarray:
    """A boolean series with runs and gaps of at most ``frames`` removed (jitter at a threshold)."""
    from scipy import ndimage
    structure = np.ones(2 * frames + 1, dtype=bool)
    pad = len(structure)
    padded = np.pad(flags, pad, mode="edge")  # so the clip's ends do not look like edges
    padded = ndimage.binary_opening(ndimage.binary_closing(padded, structure), structure)
    return padded[pad:-pad]


def _thin(frames: np.ndarray, min_gap: int) -> np.ndarray:
    """Drop events closer than ``min_gap`` frames to the previous kept one."""
    kept: list[int] = []
    for frame in frames.tolist():  # loop over events, not frames
        if not kept or frame - kept[-1] >= min_gap:
            kept.append(frame)
    return np.asarray(kept, dtype=int)


def stances(events: GaitEvents) -> Stances:
    """Pair each contact with its own foot's next toe-off before that foot's next contact.

    Returns
    -------
    Stances
        In contact order; ``toe_off_frames`` is -1 where no toe-off was found.
    """
    frames = np.asarray(events.contact_frames, dtype=int)
    sides = np.asarray(events.contact_sides)
    toe_offs = np.full(len(frames), -1, dtype=int)
    for side in SIDES:
        mine = np.flatnonzero(sides == side)
        offs = np.sort(np.asarray(events.toe_off_frames)[np.asarray(events.toe_off_sides) == side])
        if not mine.size or not offs.size:
            continue
        contact = frames[mine]
        nxt = np.searchsorted(offs, contact, side="right")
        has = nxt < len(offs)
        candidate = np.where(has, offs[np.minimum(nxt, len(offs) - 1)], -1)
        next_contact = np.concatenate([contact[1:], [np.iinfo(int).max]])
        ok = has & (candidate < next_contact)
        toe_offs[mine[ok]] = candidate[ok]
    return Stances(sides=sides, contact_frames=frames, toe_off_frames=toe_offs)


def regular_steps(events: GaitEvents, t_ms: np.ndarray) -> np.ndarray:
    """Indices i of contacts that start a regular step (contact i to contact i+1).

    A regular step alternates feet and lasts within :data:`STEP_TIME_TOLERANCE`
    of the median alternating step.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    frames = np.asarray(events.contact_frames, dtype=int)
    if len(frames) < 2:
        return np.zeros(0, dtype=int)
    sides = np.asarray(events.contact_sides)
    duration = np.diff(t_ms[frames])
    alternating = sides[1:] != sides[:-1]
    if not alternating.any():
        return np.zeros(0, dtype=int)
    typical = np.median(duration[alternating])
    regular = alternating & (np.abs(duration - typical) <= STEP_TIME_TOLERANCE * typical)
    return np.flatnonzero(regular)


def estimate_cadence(events: GaitEvents, t_ms: np.ndarray, xy: np.ndarray | None = None, *,
                     stride_ms: float | None = None) -> Cadence:
    """Steps per minute from contact times, cross-checked with the legs' rhythm and the hip's bounce.

    Parameters
    ----------
    events : GaitEvents
    t_ms : ndarray, shape (T,)
        Frame times, ms (real time).
    xy : ndarray, shape (T, 33, 2), optional
        Cleaned landmarks, for the cross-checks.
    stride_ms : float, optional
        The stride period (default measured from ``xy``).

    Returns
    -------
    Cadence

    Notes
    -----
    The step time is the slope of a least-squares line through the contact
    times against their step numbers, the step numbers counted in units of
    the median step time (so a missed contact does not halve a step, and the
    estimate is not limited to whole frames as a median of frame-quantised
    intervals would be: at 24 fps a 170 steps/min step is 8.5 frames).
    If the contacts do not alternate (one foot missed) while the mid-hip
    bounces at twice their rate, strides were taken for steps and the value
    is doubled.  The legs' rhythm (twice the stride frequency of the
    right-minus-left autocorrelation) is the stronger check, as it cannot
    mistake a stride for a step: contacts whose cadence is within
    :data:`RHYTHM_TOLERANCE` of it, or of half or twice it (a foot missed,
    or extra contacts), are corrected to it; contacts that match none give
    way to the rhythm itself, with half the confidence (``source:
    'rhythm'``).  Where the hip's bounce confirms the rhythm (within
    :data:`CONFIRMED_RHYTHM_TOLERANCE`), contacts more than twice that away
    from both give way too: two independent whole-body signals outvote
    contacts of which a few are misplaced.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    spectral = _spectral_cadence(xy, t_ms) if xy is not None else float("nan")
    if stride_ms is None:
        stride_ms = stride_period_ms(xy, t_ms) if xy is not None else float("nan")
    rhythm = 120000.0 / stride_ms if np.isfinite(stride_ms) and stride_ms > 0 else float("nan")
    from_contacts = _contact_cadence(events, t_ms, spectral)
    value, n_steps, confidence = from_contacts
    source = "contacts" if np.isfinite(value) else "none"
    if np.isfinite(rhythm):
        ratio = value / rhythm if np.isfinite(value) else float("nan")
        rhythm_confirmed = _bounce_confirms_rhythm(spectral, rhythm)
        if np.isfinite(ratio) and abs(ratio - 1) > 2 * CONFIRMED_RHYTHM_TOLERANCE and rhythm_confirmed:
            value, confidence, source = rhythm, 0.7 * confidence, "rhythm"
        elif np.isfinite(ratio) and abs(ratio - 1) <= RHYTHM_TOLERANCE:
            pass
        elif np.isfinite(ratio) and min(abs(ratio - 0.5), abs(ratio - 2.0)) <= 2 * RHYTHM_TOLERANCE:
            value, confidence = rhythm, 0.7 * confidence
        else:
            value, confidence, source = rhythm, 0.5 * max(confidence, min(1.0, np.sqrt(n_steps / 14.0))), "rhythm"
    return Cadence(value_spm=float(value), n_steps=n_steps, confidence=float(confidence), spectral_spm=spectral,
                   rhythm_spm=float(rhythm), source=source)


def _contact_cadence(events: GaitEvents, t_ms: np.ndarray, spectral: float) -> tuple[float, int, float]:
    """Cadence from the contact times alone: (steps/min, regular steps, confidence); NaN when too few."""
    nothing = (float("nan"), 0, 0.0)
    frames = np.asarray(events.contact_frames, dtype=int)
    if len(frames) < 3:
        return nothing
    times = t_ms[frames]
    intervals = np.diff(times)
    if not (intervals > 0).any():
        return nothing
    sides = np.asarray(events.contact_sides)
    alternation = float(np.mean(sides[1:] != sides[:-1]))
    step = float(np.median(intervals[intervals > 0]))
    # Number each contact's step by rounding each interval on its own (no drift from a
    # frame-quantised median); a contact within half a step of the previous one is a duplicate.
    increments = np.round(intervals / step)
    keep = np.concatenate([[True], increments > 0])
    times = times[keep]
    step_index = np.concatenate([[0.0], np.cumsum(increments[increments > 0])])
    if len(times) < 3:
        return nothing
    for _ in range(2):  # fit, drop contacts far off the line, refit
        slope, intercept = np.polyfit(step_index, times, 1) if np.ptp(step_index) > 0 else (step, times[0])
        residual = np.abs(times - (intercept + slope * step_index))
        keep = residual <= 0.25 * slope
        if keep.sum() < 3 or keep.all():
            break
        times, step_index = times[keep], step_index[keep]
    step = float(slope)
    value = 60000.0 / step if step > 0 else float("nan")
    regular = intervals[np.abs(intervals - step) <= STEP_TIME_TOLERANCE * step]
    n_steps = int(len(regular))

    if alternation < 0.5 and np.isfinite(spectral) and abs(2 * value - spectral) <= 0.1 * spectral:
        value, alternation = 2 * value, 0.5
    if np.isfinite(spectral):
        agreement = 1.0 if abs(value - spectral) <= 0.05 * spectral else 0.6
    else:
        agreement = 0.8
    regularity = n_steps / max(len(intervals), 1)
    amount = min(1.0, np.sqrt(n_steps / 14.0))
    confidence = float(np.clip(regularity * alternation * agreement * amount, 0.0, 1.0))
    return float(value), n_steps, confidence


def _spectral_cadence(xy: np.ndarray, t_ms: np.ndarray) -> float:
    """Dominant frequency of the mid-hip's vertical motion in 0.7-4.5 Hz, per minute; NaN if unclear."""
    from scipy import signal
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[0] < 16:
        return float("nan")
    dt_ms = median_frame_interval_ms(t_ms)
    if not np.isfinite(dt_ms):
        return float("nan")
    with np.errstate(invalid="ignore"):
        y = (xy[:, lm.LEFT_HIP, 1] + xy[:, lm.RIGHT_HIP, 1]) / 2
    finite = np.isfinite(y)
    if finite.sum() < 16:
        return float("nan")
    frames = np.arange(len(y))
    y = np.interp(frames, frames[finite], y[finite])
    y = signal.detrend(y)
    if not np.any(y):
        return float("nan")
    n_fft = int(2 ** np.ceil(np.log2(len(y) * 8)))
    power = np.abs(np.fft.rfft(y * np.hanning(len(y)), n_fft)) ** 2
    freq = np.fft.rfftfreq(n_fft, sample_interval_ms(t_ms) / 1000.0)
    band = (freq >= 0.7) & (freq <= 4.5)
    if not band.any() or not power[band].any():
        return float("nan")
    peak = np.flatnonzero(band)[np.argmax(power[band])]
    # A clear peak holds a fair share of the band's power.
    if power[peak] < 5 * np.median(power[band]):
        return float("nan")
    return float(freq[peak] * 60.0)


def gait_phase_fractions(xy: np.ndarray | None, t_ms: np.ndarray, events: GaitEvents) -> dict:
    """Share of the gait with no foot on the ground (flight) and with both (double support).

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2) or None
        Unused for now (kept for foot-height based refinements).
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    events : GaitEvents

    Returns
    -------
    dict
        ``flight``, ``double_support``, ``single_support`` (fractions of the
        time of the regular steps used, NaN when none) and ``n_steps``.

    Notes
    -----
    Per regular step from contact ``c_i`` to the other foot's contact
    ``c_i+1``: flight is ``max(0, c_i+1 - toe_off_i)`` and double support
    ``max(0, toe_off_i-1 - c_i)`` (the previous foot still down after this
    contact).  Running has flight and no double support; walking the reverse.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    nan = {"flight": float("nan"), "double_support": float("nan"), "single_support": float("nan"), "n_steps": 0}
    steps = regular_steps(events, t_ms)
    if not steps.size:
        return nan
    st = stances(events)
    steps = steps[(steps >= 1) & (steps + 1 < len(st.contact_frames))]
    steps = steps[st.complete[steps] & st.complete[steps - 1] & (st.sides[steps - 1] != st.sides[steps])]
    if not steps.size:
        return nan
    contact = t_ms[st.contact_frames[steps]]
    next_contact = t_ms[st.contact_frames[steps + 1]]
    toe_off = t_ms[st.toe_off_frames[steps]]
    previous_toe_off = t_ms[st.toe_off_frames[steps - 1]]
    duration = next_contact - contact
    flight = np.clip(next_contact - toe_off, 0, duration)
    double = np.clip(previous_toe_off - contact, 0, duration)
    total = duration.sum()
    if not total > 0:
        return nan
    flight_f, double_f = float(flight.sum() / total), float(double.sum() / total)
    return {"flight": flight_f, "double_support": double_f,
            "single_support": float(max(0.0, 1 - flight_f - double_f)), "n_steps": int(steps.size)}
