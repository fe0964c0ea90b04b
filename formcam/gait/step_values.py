"""Per-step values of the metrics: one value per stance, step or stride, with its side and frame.

Definitions are in :mod:`formcam.gait.registry`; the per-frame signals they
are taken from in :mod:`formcam.gait.signals`, values at foot contact in
:mod:`formcam.gait.contact_angles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from formcam.gait.contact_angles import CONTACT_ANGLE_MIN_FRAMES, CONTACT_ANGLE_WINDOW_MS, value_at_event
from formcam.gait.geometry import forward_reach, knee_flexion_deg, midpoint
from formcam.gait.pelvis import MIN_SEEN_FRACTION, MarkerLine, values_at
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.signals import runner_right_sign
from formcam.gait.steps import GaitEvents, Stances, StepValue, Unavailable, regular_steps, stances, step_rows
from formcam.gait.view import ViewEstimate
from formcam.gait.windows import (
    peak_half_window,
    peak_rows,
    refined_extrema,
    running_mean,
    running_mean_gain,
    window_matrix,
)
from formcam.pose import landmarks as lm

#: Mid-hip to mid-shoulder length as a fraction of standing height (Winter 2009: 0.818 - 0.530).
TRUNK_TO_HEIGHT = 0.288

#: Why no metric has per-step values when fewer than two contacts were found.
NO_EVENTS = Unavailable("no gait events (foot contacts) were found")
#: Why a metric has no per-step values.
NO_STANCE = Unavailable("no complete stance (contact to toe-off) was found")
NO_STEPS = Unavailable("no regular steps (alternating contacts) were found")
NO_LEG = Unavailable("the leg length could not be measured at midstance")
NO_TRUNK = Unavailable("the trunk length could not be measured")
NO_HEIGHT = Unavailable("needs the runner's height (--height-cm)")
NO_DIRECTION = Unavailable("no contacts or running direction found")
#: Why there is no pelvic drop without pelvis markers (docs/validation.md: the hip landmarks' gain is about 0).
NO_MARKERS = Unavailable(
    "the pose model's hip points do not follow the pelvis; put two stickers on the pelvis dimples and film from behind"
)
#: A running pelvis sinks in stance by about a fifth of the stickers' separation; a fitted trough under this
#: share of it is not that sinking (the middle of the stance is midstance then).
MIN_TROUGH_SEPARATIONS = 0.05
#: The marker line's tilt at midstance is averaged over this many ms either side of it (against pixel noise).
MIDSTANCE_HALF_WINDOW_MS = 15.0


@dataclass
class StepContext:
    """What the per-step functions share for one clip: the stances, the regular steps and the leg length.

    Each is computed on first use and kept, so a metric pays only for what it
    reads, and metrics read from the same windows (the three at contact)
    compute them once.

    Attributes
    ----------
    xy : ndarray, shape (T, 33, 2)
        Cleaned landmark pixels.
    t_ms : ndarray, shape (T,)
        Frame times, ms.
    view : ViewEstimate
    events : GaitEvents
        With at least two contacts.
    signals : dict of str -> ndarray, shape (T,)
        :func:`formcam.gait.signals.frame_signals` output.
    height_cm : float or None
        The runner's height, for ``vertical_oscillation_cm``.
    xy_at_contact : ndarray, shape (T, 33, 2)
        The landmarks the values at contact are read from (before the low-pass).
    xy_measured : ndarray, shape (T, 33, 2)
        The same, NaN where not measured (filled gaps, replaced outliers).
    markers : MarkerLine or None
        The pelvis line from two stickers (:mod:`formcam.gait.pelvis`); None without them.
    """

    xy: np.ndarray
    t_ms: np.ndarray
    view: ViewEstimate
    events: GaitEvents
    signals: dict[str, np.ndarray]
    height_cm: float | None
    xy_at_contact: np.ndarray
    xy_measured: np.ndarray
    markers: MarkerLine | None = None

    @cached_property
    def paired(self) -> Stances:
        return stances(self.events)

    @cached_property
    def steps(self) -> np.ndarray:
        """Indices of the contacts that start a regular step (:func:`formcam.gait.steps.regular_steps`)."""
        return regular_steps(self.events, self.t_ms)

    @cached_property
    def stance_index(self) -> np.ndarray:
        """Indices of the usable stances (:func:`_usable_stances`)."""
        return np.flatnonzero(_usable_stances(self.paired, self.t_ms, self.steps, self.events))

    @cached_property
    def stance_windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(side, first frame, stop frame) of each usable stance, contact to toe-off."""
        st, index = self.paired, self.stance_index
        return st.sides[index], st.contact_frames[index], st.toe_off_frames[index] + 1

    @cached_property
    def step_windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(side, first frame, stop frame) of each regular step, contact to the next contact (inclusive)."""
        st, steps = self.paired, self.steps
        return st.sides[steps], st.contact_frames[steps], st.contact_frames[steps + 1] + 1

    @cached_property
    def leg_px(self) -> float:
        """Leg length: stance-side hip to ankle at midstance (the stance's lowest mid-hip frame), px; NaN if unseen."""
        if not self.stance_index.size:
            return float("nan")
        sides, start, stop = self.stance_windows
        frames_w, y_w = window_matrix(self.signals["mid_hip_y_px"], start, stop)
        has = np.isfinite(y_w).any(axis=1)
        mid_frames = frames_w[np.arange(len(frames_w)), np.argmax(np.where(np.isfinite(y_w), y_w, -np.inf), axis=1)]
        hip_i = np.where(sides == "left", lm.LEFT_HIP, lm.RIGHT_HIP)
        ankle_i = np.where(sides == "left", lm.LEFT_ANKLE, lm.RIGHT_ANKLE)
        legs = np.hypot(*(self.xy[mid_frames, hip_i] - self.xy[mid_frames, ankle_i]).T)[has]
        legs = legs[np.isfinite(legs)]
        return float(np.median(legs)) if legs.size else float("nan")

    @cached_property
    def _peak_smoothing(self) -> tuple[int, float]:
        """(half-width of the running mean taken before frontal peaks, frames; its gain at the stride)."""
        t_ms, steps = self.t_ms, self.steps
        half = peak_half_window(t_ms)
        contacts_ms = t_ms[self.paired.contact_frames]
        stride_ms = 2 * float(np.median(np.diff(contacts_ms)[steps])) if steps.size else float("nan")
        return half, running_mean_gain(half, median_frame_interval_ms(t_ms), stride_ms)

    def stance_peaks(self, signal: str, sign: float, how: str) -> list[StepValue] | Unavailable:
        """Per usable stance: the peak of a frontal signal turned into the stance side's sign.

        ``signal`` is positive towards the runner's right; times ``sign`` and
        +1 in left stance (-1 in right stance) it is the metric's own sign.
        ``how``: 'max' or 'absmax' (:func:`formcam.gait.windows.peak_rows`).
        """
        return self.stance_peaks_of(self.signals[signal], sign, how)

    def stance_peaks_of(self, values: np.ndarray, sign: float, how: str) -> list[StepValue] | Unavailable:
        """:meth:`stance_peaks` of a per-frame series ``values`` (T,) rather than a named signal."""
        if not self.stance_index.size:
            return NO_STANCE
        half, gain = self._peak_smoothing
        # Averaged against noise, given back its height, and each extremum refined between frames.
        peaks = refined_extrema(running_mean(values, half) / gain)
        sides, start, stop = self.stance_windows
        frames_w, w = window_matrix(peaks, start, stop)
        return peak_rows(sides, frames_w, sign * w * np.where(sides == "left", 1.0, -1.0)[:, None], how)

    def step_medians(self, signal: str) -> list[StepValue] | Unavailable:
        """Per regular step: the median of a per-frame signal from its contact to the frame before the next."""
        if not self.steps.size:
            return NO_STEPS
        sides, start, stop = self.step_windows
        frames_w, w = window_matrix(self.signals[signal], start, stop - 1)
        return step_rows(sides, start, np.nanmedian(w, axis=1))

    @cached_property
    def hip_travel_px(self) -> np.ndarray:
        """Per regular step: the mid-hip's peak-to-trough travel, px."""
        sides, start, stop = self.step_windows
        frames_w, w = window_matrix(refined_extrema(self.signals["mid_hip_y_px"]), start, stop)
        return np.nanmax(w, axis=1) - np.nanmin(w, axis=1)

    @cached_property
    def at_contact(self) -> dict[str, list[StepValue] | Unavailable]:
        """Overstride, knee flexion and shank angle at each contact (:func:`_at_contact`)."""
        st = self.paired
        return _at_contact(
            self.xy_at_contact,
            self.xy_measured,
            self.view,
            st,
            self.leg_px,
            self.t_ms,
            _stance_contact_times(self.events, st),
        )


# The per-step functions of the metric registry (formcam.gait.registry): each takes the clip's StepContext
# and gives a list of StepValue or why there are none (Unavailable).
def lowest_pelvis_ms(
    pelvis_y: np.ndarray, t_ms: np.ndarray, start: np.ndarray, stop: np.ndarray, min_depth_px: float = 0.0
) -> np.ndarray:
    """Midstance of each stance: when the pelvis is lowest, from a parabola fitted to its height over the stance.

    The pelvis sinks through the first half of the stance and rises through
    the second (the knee's greatest bend), so the vertex of a least-squares
    parabola through its height is midstance to a few ms, however the
    contact and toe-off times are off; the stance's middle where the fit fails.

    Parameters
    ----------
    pelvis_y : ndarray, shape (T,)
        The pelvis's image y (down), px; NaN where unknown.
    t_ms : ndarray, shape (T,)
    start, stop : ndarray of int, shape (n,)
        Each stance's first frame and the frame after its last.
    min_depth_px : float
        A fitted trough shallower than this (from the stance's middle to its
        ends) is noise, not the pelvis sinking: the stance's middle is taken.

    Returns
    -------
    ndarray, shape (n,)
        Midstance times, ms.
    """
    middle = (t_ms[start] + t_ms[stop - 1]) / 2
    frames_w, y_w = window_matrix(pelvis_y, start, stop)
    inside = (frames_w >= start[:, None]) & (frames_w < stop[:, None]) & np.isfinite(y_w)
    # Time from each stance's middle, in units of its half-length: well-conditioned normal equations.
    half = np.maximum((t_ms[stop - 1] - t_ms[start]) / 2, 1e-9)
    u = np.where(inside, (t_ms[frames_w] - middle[:, None]) / half[:, None], 0.0)
    y = np.where(inside, y_w, 0.0)
    w = inside.astype(float)
    powers = np.stack([w * u**k for k in range(5)], axis=1).sum(axis=2)  # (n, 5): sums of w u^k
    normal = np.stack([powers[:, i : i + 3] for i in range(3)], axis=1)  # (n, 3, 3)
    rhs = np.stack([(w * u**k * y).sum(axis=1) for k in range(3)], axis=1)
    ok = inside.sum(axis=1) >= 5
    ok &= np.abs(np.linalg.det(np.where(ok[:, None, None], normal, np.eye(3)))) > 1e-9
    coef = np.linalg.solve(np.where(ok[:, None, None], normal, np.eye(3)), np.where(ok[:, None], rhs, 0.0)[..., None])[
        ..., 0
    ]
    a, b = coef[:, 2], coef[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = -b / (2 * a)
    # Lowest means largest y: a parabola opening downwards in y, its vertex inside the stance.
    ok &= (a < -min_depth_px) & (np.abs(vertex) <= 1.0)
    return np.where(ok, middle + vertex * half, middle)


def pelvic_drop(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per stance: the marker line's tilt at midstance (the pelvis lowest), swing side lower = +."""
    if (why := _markers_unusable(ctx.markers)) is not None or ctx.markers is None:
        return why or NO_MARKERS
    if not ctx.stance_index.size:
        return NO_STANCE
    sides, start, stop = ctx.stance_windows
    separation = float(np.nanmedian(np.hypot(*(ctx.markers.xy[:, 1] - ctx.markers.xy[:, 0]).T)))
    pelvis_y = ctx.markers.xy[:, :, 1].mean(axis=1)
    middle_ms = lowest_pelvis_ms(pelvis_y, ctx.t_ms, start, stop, MIN_TROUGH_SEPARATIONS * separation)
    tilt = values_at(ctx.markers.tilt_deg, ctx.t_ms, middle_ms, MIDSTANCE_HALF_WINDOW_MS)
    frames = np.clip(np.searchsorted(ctx.t_ms, middle_ms), 0, len(ctx.t_ms) - 1)
    # + right marker lower = swing-side drop in left stance
    return step_rows(sides, frames, tilt * np.where(sides == "left", 1.0, -1.0))


def pelvic_drop_peak(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per stance: the marker line's largest tilt with the swing side lower, contact to toe-off."""
    if (why := _markers_unusable(ctx.markers)) is not None or ctx.markers is None:
        return why or NO_MARKERS
    return ctx.stance_peaks_of(ctx.markers.tilt_deg, 1.0, "max")


def _markers_unusable(markers: MarkerLine | None) -> Unavailable | None:
    """Why the stickers cannot be measured from (none, or seen together too rarely), or None."""
    if markers is None:
        return NO_MARKERS
    if not markers.usable:
        return Unavailable(
            f"the two pelvis stickers were seen together in only {int(markers.seen.sum())} of {len(markers.seen)} "
            f"frames (at least {MIN_SEEN_FRACTION:.0%} are needed): keep them uncovered and in the picture, "
            "from behind"
        )
    return None


def shoulder_dip(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per stance: the shoulder line's tilt at its largest, + = stance-side shoulder lower."""
    return ctx.stance_peaks("shoulder_tilt_deg", -1.0, "absmax")


def trunk_lateral_lean(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per stance: the trunk's sideways lean at its largest, + = towards the stance side."""
    return ctx.stance_peaks("trunk_lateral_lean_deg", -1.0, "absmax")


def arm_crossover(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per stride of each arm: the wrist's largest crossing of the midline."""
    if not ctx.stance_index.size:
        return NO_STANCE
    return _arm_crossover(ctx.xy, ctx.view, ctx.paired, ctx.t_ms, ctx.steps)


def vertical_oscillation_pct(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per regular step: the mid-hip's travel, % of the leg length."""
    if not ctx.steps.size:
        return NO_STEPS
    if not (np.isfinite(ctx.leg_px) and ctx.leg_px > 0):
        return NO_LEG
    sides, start, _ = ctx.step_windows
    return step_rows(sides, start, 100.0 * ctx.hip_travel_px / ctx.leg_px)


def vertical_oscillation_cm(ctx: StepContext) -> list[StepValue] | Unavailable:
    """Per regular step: the mid-hip's travel in cm, scaled by the runner's height through the trunk's length."""
    if not ctx.steps.size:
        return NO_STEPS
    if not ctx.height_cm:
        return NO_HEIGHT
    trunk = np.hypot(*(midpoint(ctx.xy, lm.LEFT_SHOULDER) - midpoint(ctx.xy, lm.LEFT_HIP)).T)
    trunk = trunk[np.isfinite(trunk)]
    if not (trunk.size and np.median(trunk) > 0):
        return NO_TRUNK
    cm_per_px = ctx.height_cm * TRUNK_TO_HEIGHT / float(np.median(trunk))
    sides, start, _ = ctx.step_windows
    return step_rows(sides, start, ctx.hip_travel_px * cm_per_px)


def overstride(ctx: StepContext) -> list[StepValue] | Unavailable:
    """At each contact: the heel's forward distance from the mid-hip, % of the leg length."""
    return ctx.at_contact["overstride_pct"]


def knee_flexion_at_contact(ctx: StepContext) -> list[StepValue] | Unavailable:
    """At each contact: the stance knee's flexion."""
    return ctx.at_contact["knee_flexion_contact_deg"]


def shank_angle_at_contact(ctx: StepContext) -> list[StepValue] | Unavailable:
    """At each contact: the shin's angle from vertical, + = ankle ahead of the knee."""
    return ctx.at_contact["shank_angle_contact_deg"]


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


def _at_contact(xy, xy_measured, view, st, leg, t_ms, contact_t_ms=None) -> dict[str, list[StepValue] | Unavailable]:
    """Overstride, knee flexion and shank angle, each read at the contact's time (:func:`value_at_event`)."""
    facing = view.facing
    if not st.contact_frames.size or not facing:
        return dict.fromkeys(("overstride_pct", "knee_flexion_contact_deg", "shank_angle_contact_deg"), NO_DIRECTION)
    when = (
        t_ms[st.contact_frames]
        if contact_t_ms is None
        else np.where(np.isfinite(contact_t_ms), contact_t_ms, t_ms[st.contact_frames])
    )
    dt_ms = median_frame_interval_ms(t_ms)
    half_width = (
        max(CONTACT_ANGLE_WINDOW_MS, CONTACT_ANGLE_MIN_FRAMES * dt_ms)
        if np.isfinite(dt_ms)
        else CONTACT_ANGLE_WINDOW_MS
    )
    reach, flex, shank = (np.full(len(when), np.nan) for _ in range(3))
    for side, knee, ankle, heel in (
        ("left", lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL),
        ("right", lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_HEEL),
    ):
        mine = st.sides == side
        shin = xy_measured[:, ankle] - xy_measured[:, knee]
        # The mid-hip moves smoothly through a landing: its low-passed track only sheds jitter.
        reach[mine] = value_at_event(
            forward_reach(xy_measured, [heel], [ankle], facing, hips=xy)[:, 0], t_ms, when[mine], half_width
        )
        flex[mine] = value_at_event(knee_flexion_deg(xy_measured, side), t_ms, when[mine], half_width)
        shank[mine] = value_at_event(
            np.degrees(np.arctan2(shin[:, 0] * facing, shin[:, 1])), t_ms, when[mine], half_width
        )
    out: dict[str, list[StepValue] | Unavailable] = {}
    out["overstride_pct"] = (
        step_rows(st.sides, st.contact_frames, 100.0 * reach / leg) if np.isfinite(leg) and leg > 0 else NO_LEG
    )
    out["knee_flexion_contact_deg"] = step_rows(st.sides, st.contact_frames, flex)
    out["shank_angle_contact_deg"] = step_rows(st.sides, st.contact_frames, shank)
    return out


def _arm_crossover(xy, view, st, t_ms, steps) -> list[StepValue] | Unavailable:
    """Per stride of each arm (that side's contact to its next contact): peak crossing of the midline."""
    right_sign = runner_right_sign(xy, view)
    mid_sh_x = midpoint(xy, lm.LEFT_SHOULDER)[:, 0]
    width = np.abs(xy[:, lm.RIGHT_SHOULDER, 0] - xy[:, lm.LEFT_SHOULDER, 0])
    if not steps.size:
        return NO_STEPS
    typical_stride = 2 * float(np.median(np.diff(t_ms[st.contact_frames])[steps]))
    rows: list[StepValue] = []
    for side, wrist, sigma in (("left", lm.LEFT_WRIST, right_sign), ("right", lm.RIGHT_WRIST, -right_sign)):
        mine = st.contact_frames[st.sides == side]
        if len(mine) < 2:
            continue
        start, stop = mine[:-1], mine[1:]
        duration = t_ms[stop] - t_ms[start]
        keep = np.abs(duration - typical_stride) <= 0.3 * typical_stride
        crossing = 100.0 * (xy[:, wrist, 0] - mid_sh_x) * sigma / np.where(width > 0, width, np.nan)
        frames_w, w = window_matrix(crossing, start[keep], stop[keep])
        rows += peak_rows(np.full(int(keep.sum()), side), frames_w, w, "max")
    return rows
