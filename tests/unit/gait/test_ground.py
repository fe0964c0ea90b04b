"""Rear and front views: stance edges timed where the foot meets the ground and the leg is fully extended."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.ground import ground_contact_times, push_off_times
from formcam.pose import landmarks as lm

STRIDE_MS, STANCE_MS = 703.0, 270.0  # not a whole number of frames: contacts fall at every phase


def _foot_height(t_ms: np.ndarray, contacts_ms: np.ndarray, hover_ms: float) -> np.ndarray:
    """Height above the ground, px: flat in stance, and a slow final approach over ``hover_ms``.

    The approach comes down 8 px in 60 ms, about 0.4 m/s on a runner 600 px tall: a heel lands at 0.5-1 m/s,
    so this is a gentle landing, where the foot hovers near the ground longest.
    """
    phase = np.mod(t_ms[:, None] - contacts_ms[None, :1], STRIDE_MS)[:, 0]
    before = STRIDE_MS - phase  # ms until the next contact
    approach = np.where(before < hover_ms, 8.0 * before / hover_ms, np.nan)
    swing = 40.0 * np.sin(np.pi * np.clip((phase - STANCE_MS) / (STRIDE_MS - STANCE_MS - hover_ms), 0, 1))
    height = np.where(phase < STANCE_MS, 0.0, np.where(np.isfinite(approach), approach, 8.0 + swing))
    return height


@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0])
@pytest.mark.parametrize("drift_px_per_ms", [0.0, 0.05])
def test_a_slow_landing_is_timed_where_the_foot_reaches_the_ground(fps, drift_px_per_ms):
    """The old threshold at half the swing fired 60-90 ms early on such a landing; here within a frame.

    The ground may drift down the image through the stance (a treadmill foot coming closer): the ground
    line follows it.  At 30 fps only two frames show the last 60 ms, and the path extended from them
    reaches the ground up to one and a half frames early.
    """
    frame = 1000.0 / fps
    t_ms = np.arange(0.0, 6000.0, frame)
    truth = 300.0 + STRIDE_MS * np.arange(8)
    height = _foot_height(t_ms, truth, hover_ms=60.0)
    stance_t = np.mod(t_ms - truth[0], STRIDE_MS)
    foot_y = 600.0 - height + drift_px_per_ms * np.where(stance_t < STANCE_MS, stance_t, 0.0)
    coarse = np.searchsorted(t_ms, truth - 90.0)  # found 90 ms early, as before
    ends = np.searchsorted(t_ms, truth + STANCE_MS)
    found = ground_contact_times(foot_y, t_ms, coarse, ends, landing=True)
    assert np.abs(found - truth).max() <= (1.5 if fps < 50 else 1.0) * frame, found - truth


def test_toe_off_is_the_legs_fullest_extension_below_the_hip():
    fps = 60.0
    t_ms = np.arange(0.0, 4000.0, 1000.0 / fps)
    xy = np.zeros((len(t_ms), lm.N_LANDMARKS, 2))
    toe_offs = 500.0 + STRIDE_MS * np.arange(5)
    nearest = toe_offs[np.argmin(np.abs(t_ms[:, None] - toe_offs[None, :]), axis=1)]
    # The toe's distance below the mid-hip peaks at toe-off (a smooth peak, as the leg straightens).
    xy[:, lm.LEFT_FOOT_INDEX, 1] = 500.0 - 0.0004 * (t_ms - nearest) ** 2
    xy[:, [lm.LEFT_HIP, lm.RIGHT_HIP], 1] = 100.0
    contacts = np.searchsorted(t_ms, toe_offs - STANCE_MS)
    coarse_toe_offs = np.searchsorted(t_ms, toe_offs + 40.0)  # found 40 ms late, as before
    found = push_off_times(xy, lm.LEFT_FOOT_INDEX, t_ms, contacts, coarse_toe_offs)
    assert np.abs(found - toe_offs).max() <= 1000.0 / fps / 2, found - toe_offs
