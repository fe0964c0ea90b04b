"""Rear, front and oblique views: each stance's edges timed where the foot meets the ground and the toe leaves it.

The stances themselves come from :mod:`formcam.gait.foot_motion` (the feet's
speed and height, the hip's bounce), whose thresholds sit at half the foot's
swing: robust for finding the steps, but a landing foot comes down slowly in
its last 60 ms (2-3 cm above the ground) and a toe lifts slowly after
toe-off, so the edges found there came about 90 ms early and 40 ms late on
an independent generator of published running curves (issue 20).  Here each
edge is moved to the foot's own contact with the ground: the ground under the
stance foot is the line its lowest point follows through the middle of the
stance (a foot on a treadmill belt drifts down or up the image as it comes
closer or goes away), and initial contact is when the lowest point (heel or
toe) comes within the tracking noise of that line, toe-off when the toe
leaves its own line, each timed between frames by extending the foot's path
to the ground.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.steps import SIDES
from formcam.pose import landmarks as lm

#: Share of a stance, either side of its middle, over which the ground line is fitted.
GROUND_SHARE = 0.25


#: A foot is off the ground when it is this many times the tracking noise above it ...
NOISE_MULTIPLE = 3.0


#: ... and never closer than this, px (a pose model's landmarks are quantised to about a pixel).
MIN_CLEARANCE_PX = 1.0


def refine_stance_edges(
    xy: np.ndarray,
    t_ms: np.ndarray,
    per_side: dict[str, tuple[np.ndarray, ...]],
) -> dict[str, tuple[np.ndarray, ...]]:
    """Each side's contacts and toe-offs moved to where its foot meets and leaves the ground.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels before the low-pass (it rounds the landing), y down.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    per_side : dict
        Side -> (contact frames, toe-off frames, contact times in ms), as
        :func:`formcam.gait.foot_motion.stances_around_midstances` gives them.

    Returns
    -------
    dict
        The same, with each stance's contact time and frame, and its toe-off
        frame (the frame nearest the toe's lift), replaced where the foot's
        path shows them; unchanged elsewhere (a stance without its toe-off,
        a foot not seen in the middle of its stance).
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    out = {}
    for side in SIDES:
        contacts, toe_offs, contact_t = (np.asarray(a) for a in per_side[side][:3])
        contacts, toe_offs = contacts.astype(int), toe_offs.astype(int)
        heel, toe = (lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX) if side == "left" else (lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX)
        lowest = np.fmax(xy[:, heel, 1], xy[:, toe, 1])  # y down: the larger is nearer the ground
        ends = _next_toe_off(contacts, toe_offs)
        paired = ends >= 0
        if not paired.any():
            out[side] = per_side[side]
            continue
        # A stance cut by the clip's start or end is given the typical stance's length to find its middle.
        typical = int(np.median(ends[paired] - contacts[paired]))
        stance_end = np.where(paired, ends, np.minimum(contacts + typical, len(t_ms) - 1))
        landed = ground_contact_times(lowest, t_ms, contacts, stance_end, landing=True)
        new_contact_t = np.where(np.isfinite(landed), landed, contact_t)
        new_frames = np.maximum(np.searchsorted(t_ms, new_contact_t, side="right") - 1, 0)
        # A landing at the clip's end, too late to time, may be a foot still coming down, which looks
        # settled there: it stands only if the foot gets as low as it was at its previous landing.
        shown = paired | np.isfinite(landed) | (contacts + typical // 2 < len(t_ms))
        shown |= _reaches_previous_landing(lowest, contacts, new_frames, np.isfinite(landed))
        contacts, ends, paired = contacts[shown], ends[shown], paired[shown]
        new_contact_t, new_frames = new_contact_t[shown], new_frames[shown]
        # Toe-offs from the middle of each stance as now timed (an early start put it in the landing);
        # a toe-off without its contact in the clip gets the typical stance's start.
        starts = np.full(len(toe_offs), -1)
        starts[np.searchsorted(toe_offs, ends[paired])] = np.minimum(new_frames[paired], ends[paired])
        starts = np.where(starts >= 0, starts, np.maximum(toe_offs - typical, 0))
        lifted = push_off_times(xy, toe, t_ms, starts, toe_offs)
        nearest = np.abs(t_ms[None, :] - np.where(np.isfinite(lifted), lifted, 0.0)[:, None]).argmin(axis=1)
        new_toe_offs = np.where(np.isfinite(lifted), nearest, toe_offs)
        out[side] = (new_frames, np.sort(new_toe_offs), new_contact_t)
    return out


def ground_contact_times(
    foot_y: np.ndarray, t_ms: np.ndarray, contacts: np.ndarray, toe_offs: np.ndarray, *, landing: bool
) -> np.ndarray:
    """When a foot point reaches the ground (``landing``) or leaves it, per stance, ms.

    Parameters
    ----------
    foot_y : ndarray, shape (T,)
        The point's image height, px, y down, not low-passed; NaN where not seen.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    contacts, toe_offs : ndarray, int, shape (n,)
        Each stance's first and last frame as found so far (toe-off -1: none).
    landing : bool
        True: the last time before the stance's middle that the point was
        off the ground; False: the first time after it.

    Returns
    -------
    ndarray, shape (n,)
        The instant, ms, between the last frame off the ground and the first
        on it, where the line through the point's last two samples off the
        ground meets the ground line; NaN where the stance has no toe-off,
        its middle shows too little of the foot, or the point stays within
        the noise of the ground.

    Notes
    -----
    The ground line is fitted to the middle :data:`GROUND_SHARE` either side
    of each stance's middle, and the tracking noise is the median absolute
    deviation from it, pooled over the stances.  The search reaches half a
    stance beyond the stance found so far.
    """
    foot_y = np.asarray(foot_y, dtype=np.float64)
    contacts, toe_offs = np.asarray(contacts, dtype=int), np.asarray(toe_offs, dtype=int)
    n, count = len(contacts), len(foot_y)
    out = np.full(n, np.nan)
    usable = toe_offs > contacts
    if not usable.any():
        return out
    length = np.where(usable, toe_offs - contacts, 0)
    middle = contacts + length // 2
    half_core = np.maximum(np.round(GROUND_SHARE * length).astype(int), 1)
    core = middle[:, None] + np.arange(-half_core.max(), half_core.max() + 1)[None, :]
    in_core = (np.abs(core - middle[:, None]) <= half_core[:, None]) & (core >= 0) & (core < count)
    core = np.clip(core, 0, count - 1)
    ground = _lines(t_ms[core], foot_y[core], in_core & np.isfinite(foot_y[core]))  # (n, 2): at middle, per ms
    residual = foot_y[core] - (ground[:, :1] + ground[:, 1:] * (t_ms[core] - t_ms[core[:, :1]]))
    residual = residual[in_core & np.isfinite(residual) & usable[:, None]]
    if residual.size < 5:
        return out
    noise = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    clearance = max(NOISE_MULTIPLE * noise, MIN_CLEARANCE_PX)
    reach = int(length[usable].max())
    steps = np.arange(reach + length.max() // 2 + 1)
    frames = middle[:, None] - steps[None, :] if landing else middle[:, None] + steps[None, :]  # away from middle
    inside = (frames >= 0) & (frames < count)
    frames = np.clip(frames, 0, count - 1)
    ground_y = ground[:, :1] + ground[:, 1:] * (t_ms[frames] - t_ms[core[:, :1]])
    height = ground_y - foot_y[frames]  # above the ground: > 0
    limit = length[:, None] >= steps[None, :]  # from the middle to half a stance beyond the edge
    off = inside & limit & np.isfinite(height) & (height > clearance)
    found = off.any(axis=1) & usable & np.isfinite(ground).all(axis=1)
    first_off = np.argmax(off, axis=1)  # steps from the middle to the first frame off the ground
    rows = np.arange(n)
    # Towards the stance from there, the first frame at or below the ground line: the foot is down by then.
    down = inside & np.isfinite(height) & (height <= 0) & (steps[None, :] < first_off[:, None])
    last_down = np.where(down.any(axis=1), steps.max() - np.argmax(down[:, ::-1], axis=1), first_off - 1)
    further = np.minimum(first_off + 1, frames.shape[1] - 1)
    h_off, h_further = height[rows, first_off], height[rows, further]
    t_off, t_further, t_down = t_ms[frames[rows, first_off]], t_ms[frames[rows, further]], t_ms[frames[rows, last_down]]
    towards_stance = 1.0 if landing else -1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (h_further - h_off) / np.abs(t_further - t_off)  # height gained per ms away from the stance
        meets = t_off + towards_stance * h_off / rate
    low, high = np.minimum(t_off, t_down), np.maximum(t_off, t_down)
    timed = np.where(np.isfinite(meets) & (rate > 0), np.clip(meets, low, high), t_off)
    out[found & (first_off > 0)] = timed[found & (first_off > 0)]
    return out


#: A foot is down as low as at its previous landing when within this share of its swing height of it.
LANDING_HEIGHT_SHARE = 0.05


def _reaches_previous_landing(
    lowest: np.ndarray, contacts: np.ndarray, landed_frames: np.ndarray, timed: np.ndarray
) -> np.ndarray:
    """bool (n,): after each contact, the foot's lowest point comes as low as at the previous timed landing.

    ``lowest`` is the foot's lowest point, px, y down; the swing height is the foot's rise between the two.
    """
    out = np.zeros(len(contacts), dtype=bool)
    for i in np.flatnonzero(~timed):  # only the few untimed contacts, at the clip's ends
        earlier = np.flatnonzero(timed[:i])
        if not earlier.size:
            continue
        landing = landed_frames[earlier[-1]]
        between, after = lowest[landing : contacts[i] + 1], lowest[contacts[i] :]
        if not (np.isfinite(between).any() and np.isfinite(after).any()):
            continue
        ground, top = lowest[min(landing + 1, len(lowest) - 1)], np.nanmin(between)
        out[i] = np.nanmax(after) >= ground - LANDING_HEIGHT_SHARE * (ground - top)
    return out


def _lines(t: np.ndarray, y: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Least-squares line per row, shape (n, 2): value at each row's first time, slope per ms; NaN rows if < 3."""
    t0 = t[:, :1]
    x = np.where(use, t - t0, 0.0)
    w = use.astype(np.float64)
    count = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = (w * x).sum(axis=1) / count
        mean_y = (w * np.where(use, y, 0.0)).sum(axis=1) / count
        dx = np.where(use, x - mean_x[:, None], 0.0)
        slope = (dx * np.where(use, y - mean_y[:, None], 0.0)).sum(axis=1) / (dx * dx).sum(axis=1)
        slope = np.where(np.isfinite(slope), slope, 0.0)
        start = mean_y - slope * mean_x
    return np.where((count >= 3)[:, None], np.column_stack([start, slope]), np.nan)


def _next_toe_off(contacts: np.ndarray, toe_offs: np.ndarray) -> np.ndarray:
    """Each contact's own toe-off: the first after it, before the next contact; -1 where none."""
    toe_offs = np.sort(toe_offs)
    if not toe_offs.size or not contacts.size:
        return np.full(len(contacts), -1, dtype=int)
    nxt = np.searchsorted(toe_offs, contacts, side="right")
    candidate = np.where(nxt < len(toe_offs), toe_offs[np.minimum(nxt, len(toe_offs) - 1)], -1)
    next_contact = np.concatenate([contacts[1:], [np.iinfo(int).max]])
    return np.where((candidate >= 0) & (candidate < next_contact), candidate, -1)


#: Half width of the parabola fitted around each push-off's peak, ms.
PUSH_OFF_FIT_MS = 50.0


def push_off_times(
    xy: np.ndarray, toe: int, t_ms: np.ndarray, contacts: np.ndarray, toe_offs: np.ndarray
) -> np.ndarray:
    """Toe-off as the leg's fullest extension: the toe lowest below the mid-hip after midstance, ms.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels, y down.
    toe : int
        The stance foot's toe landmark.
    t_ms : ndarray, shape (T,)
    contacts, toe_offs : ndarray, int, shape (n,)
        Each stance's first and last frame as found so far (toe-off -1: none).

    Returns
    -------
    ndarray, shape (n,)
        The vertex of a parabola fitted within :data:`PUSH_OFF_FIT_MS` of the
        largest toe-below-hip distance between the stance's middle and half
        a stance after its toe-off so far; NaN where there is none.

    Notes
    -----
    In running the leg pushes off until it is fully extended, then the toe
    leaves the ground and the knee flexes (peak knee extension is the best
    kinematic toe-off in running, 5 ms from the force plate: Fellin et al.
    2010, docs/metrics-research.md section 3.1).  Seen from behind or in
    front, that extension is the toe's distance below the hip; the toe's own
    height cannot time it, as it leaves the ground by only millimetres in its
    first 30-40 ms.
    """
    from formcam.gait.rhythm import median_frame_interval_ms

    t_ms = np.asarray(t_ms, dtype=np.float64)
    contacts, toe_offs = np.asarray(contacts, dtype=int), np.asarray(toe_offs, dtype=int)
    out = np.full(len(contacts), np.nan)
    usable = toe_offs > contacts
    dt_ms = median_frame_interval_ms(t_ms)
    if not usable.any() or not np.isfinite(dt_ms):
        return out
    with np.errstate(invalid="ignore"):
        extension = xy[:, toe, 1] - (xy[:, lm.LEFT_HIP, 1] + xy[:, lm.RIGHT_HIP, 1]) / 2
    length = np.where(usable, toe_offs - contacts, 0)
    start, stop = contacts + length // 2, toe_offs + length // 2
    frames = start[:, None] + np.arange(int(length.max()) + 1)[None, :]
    inside = (frames <= stop[:, None]) & (frames < len(t_ms))
    frames = np.clip(frames, 0, len(t_ms) - 1)
    values = np.where(inside & np.isfinite(extension[frames]), extension[frames], -np.inf)
    peak = frames[np.arange(len(contacts)), np.argmax(values, axis=1)]
    found = usable & np.isfinite(values.max(axis=1))
    half = max(int(np.ceil(PUSH_OFF_FIT_MS / dt_ms)), 1)
    near = np.clip(peak[:, None] + np.arange(-half, half + 1)[None, :], 0, len(t_ms) - 1)
    d = t_ms[near] - t_ms[peak][:, None]
    y = extension[near]
    use = np.isfinite(y) & (np.abs(d) <= max(PUSH_OFF_FIT_MS, dt_ms))
    design = np.stack([np.ones_like(d), d, d**2], axis=-1) * use[..., None]
    normal = np.einsum("nkp,nkq->npq", design, design) + 1e-9 * np.eye(3)
    right = np.einsum("nkp,nk->np", design, np.where(use, y, 0.0))
    a, b, c = np.moveaxis(np.linalg.solve(normal, right[..., None])[..., 0], -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex = np.where(c < 0, -b / (2 * c), 0.0)
    vertex = np.clip(vertex, -dt_ms, dt_ms)  # the fit only places the peak between frames
    ok = found & (use.sum(axis=1) >= 3)
    out[ok] = t_ms[peak][ok] + vertex[ok]
    return out
