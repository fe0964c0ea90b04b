"""Per-step values of the metrics: one value per stance, step or stride, with its side and frame.

Definitions are in :mod:`formcam.gait.metrics`; the per-frame signals they
are taken from in :mod:`formcam.gait.signals`, values at foot contact in
:mod:`formcam.gait.contact_angles`.
"""

from __future__ import annotations

import numpy as np

from formcam.pose import landmarks as lm
from formcam.gait.contact_angles import (CONTACT_ANGLE_MIN_FRAMES, CONTACT_ANGLE_WINDOW_MS, knee_landing_times,
                                         landing_frames, value_at_corner)
from formcam.gait.geometry import knee_flexion_deg, midpoint
from formcam.gait.rhythm import median_frame_interval_ms
from formcam.gait.signals import FRONTAL, runner_right_sign
from formcam.gait.steps import GaitEvents, regular_steps, stances
from formcam.gait.windows import peak_half_window, peak_rows, refined_extrema, running_mean, running_mean_gain, window_matrix

#: Why no metric has a per-step value when fewer than two contacts were found.
NO_EVENTS = "no gait events (foot contacts) were found"
#: Mid-hip to mid-shoulder length as a fraction of standing height (Winter 2009: 0.818 - 0.530).
TRUNK_TO_HEIGHT = 0.288


def per_step_values(xy, t_ms, view, events, signals, height_cm, xy_at_contact,
                     xy_measured) -> dict[str, list | str] | str:
    """name -> list of (side, frame, value), or a reason string when it cannot be computed;
    :data:`NO_EVENTS` for all of them without events."""
    out: dict[str, list | str] = {}
    if events.n_contacts < 2:
        return NO_EVENTS
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
        frames_w, y_w = window_matrix(mid_y, stance_start, stance_stop)
        has = np.isfinite(y_w).any(axis=1)
        mid_frames = frames_w[np.arange(len(frames_w)), np.argmax(np.where(np.isfinite(y_w), y_w, -np.inf), axis=1)]
        hip_i = np.where(stance_sides == "left", lm.LEFT_HIP, lm.RIGHT_HIP)
        ankle_i = np.where(stance_sides == "left", lm.LEFT_ANKLE, lm.RIGHT_ANKLE)
        legs = np.hypot(*(xy[mid_frames, hip_i] - xy[mid_frames, ankle_i]).T)[has]
        legs = legs[np.isfinite(legs)]
        leg = float(np.median(legs)) if legs.size else float("nan")

    # Frontal plane, per stance.
    if view.label in FRONTAL and stance_idx.size:
        half = peak_half_window(t_ms)
        stride_ms = 2 * float(np.median(np.diff(t_ms[st.contact_frames])[steps])) if steps.size else float("nan")
        gain = running_mean_gain(half, median_frame_interval_ms(t_ms), stride_ms)
        # Averaged against noise, given back its height, and each extremum refined between frames.
        def peaks_of(name: str) -> np.ndarray:
            return refined_extrema(running_mean(signals[name], half) / gain)

        cpd = peaks_of("hip_tilt_deg")  # + right hip lower = swing-side drop in left stance
        frames_w, w = window_matrix(cpd, stance_start, stance_stop)
        w = w * sign_left[:, None]
        out["pelvic_drop_deg"] = peak_rows(stance_sides, frames_w, w, "max")
        frames_w, w = window_matrix(peaks_of("shoulder_tilt_deg"), stance_start, stance_stop)
        out["shoulder_dip_deg"] = peak_rows(stance_sides, frames_w, -w * sign_left[:, None], "absmax")
        frames_w, w = window_matrix(peaks_of("trunk_lateral_lean_deg"), stance_start, stance_stop)
        out["trunk_lateral_lean_deg"] = peak_rows(stance_sides, frames_w, -w * sign_left[:, None], "absmax")
        out["arm_crossover_pct"] = _arm_crossover(xy, view, st, t_ms, steps)
    elif view.label in FRONTAL:
        for name in ("pelvic_drop_deg", "shoulder_dip_deg", "trunk_lateral_lean_deg", "arm_crossover_pct"):
            out[name] = "no complete stance (contact to toe-off) was found"

    # Per step (contact to the next contact): vertical oscillation and the side-view postures.
    if steps.size:
        step_sides = st.sides[steps]
        step_start = st.contact_frames[steps]
        step_stop = st.contact_frames[steps + 1] + 1
        frames_w, w = window_matrix(refined_extrema(mid_y), step_start, step_stop)
        travel = np.nanmax(w, axis=1) - np.nanmin(w, axis=1)
        if np.isfinite(leg) and leg > 0:
            out["vertical_oscillation_pct"] = list(zip(step_sides, step_start, 100.0 * travel / leg))
        else:
            out["vertical_oscillation_pct"] = "the leg length could not be measured at midstance"
        if height_cm:
            trunk = np.hypot(*(midpoint(xy, lm.LEFT_SHOULDER) - midpoint(xy, lm.LEFT_HIP)).T)
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
                frames_w, w = window_matrix(signals[name], step_start, step_stop - 1)
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


def _at_contact(xy, xy_measured, view, st, leg, t_ms, contact_t_ms=None) -> dict[str, list | str]:
    facing = view.facing
    if not st.contact_frames.size or not facing:
        reason = "no contacts or running direction found"
        return {name: reason for name in ("overstride_pct", "knee_flexion_contact_deg", "shank_angle_contact_deg")}
    frames = landing_frames(xy, t_ms, st.contact_frames, st.sides, contact_t_ms)
    left = st.sides == "left"
    heel = np.where(left, lm.LEFT_HEEL, lm.RIGHT_HEEL)
    mid_hip_x = midpoint(xy, lm.LEFT_HIP)[frames, 0]
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


def _arm_crossover(xy, view, st, t_ms, steps) -> list | str:
    """Per stride of each arm (that side's contact to its next contact): peak crossing of the midline."""
    right_sign = runner_right_sign(xy, view)
    mid_sh_x = midpoint(xy, lm.LEFT_SHOULDER)[:, 0]
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
        frames_w, w = window_matrix(crossing, start[keep], stop[keep])
        rows += peak_rows(np.full(int(keep.sum()), side), frames_w, w, "max")
    return rows
