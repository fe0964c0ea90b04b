"""A clip whose frame rate changes part-way is put on even frame times; dropped frames are not a change of rate."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.kinematics import analyse_pose
from formcam.pose.frame_times import changing_frame_rate, even_frame_times
from formcam.synthetic.gait import make_gait


def test_an_even_clip_and_one_with_dropped_frames_are_left_as_they_are():
    even = np.arange(600) * 1000 / 60
    assert changing_frame_rate(even) is None
    dropped = np.delete(even, np.random.default_rng(0).choice(np.arange(1, 599), 12, replace=False))  # 2 %
    assert changing_frame_rate(dropped) is None
    pose = make_gait(view="side", fps=60, duration_s=4)
    assert even_frame_times(pose) is pose


@pytest.mark.parametrize("later_fps", [30, 15])
def test_a_drop_to_a_slower_rate_is_put_on_the_fastest_rate(later_fps):
    pose = make_gait(view="side", fps=60, duration_s=10, cadence_spm=166.0)
    keep = np.arange(pose.n_frames)
    step = 60 // later_fps
    keep = keep[(keep < 240) | (keep % step == 0)]  # 60 fps for 4 s, then every step-th frame
    vfr = type(pose)(pose.t_ms[keep], pose.image_xy[keep], pose.visibility[keep], pose.world_xyz[keep],
                     pose.frame_size, pose.extras)  # fmt: skip
    assert changing_frame_rate(vfr.t_ms) == pytest.approx(1000 / 60)
    even = even_frame_times(vfr)
    assert np.allclose(np.diff(even.t_ms), 1000 / 60)
    assert np.isfinite(even.image_xy).all()  # the slower frames are bridged, not gaps
    # On the grid, landmarks at the kept frames are the measured ones.
    at_kept = np.abs(even.t_ms[:, None] - vfr.t_ms[None, -20:]).argmin(axis=0)
    assert np.allclose(even.image_xy[at_kept], vfr.image_xy[-20:], atol=1e-3)
    kin = analyse_pose(vfr)
    assert kin.cadence.value_spm == pytest.approx(166.0, rel=0.01)
    assert "variable_frame_rate" in {q.code for q in kin.quality}
    assert len(kin.t_ms) == even.n_frames


def test_a_real_gap_is_not_bridged():
    t_ms = np.concatenate([np.arange(300) * 1000 / 60, 5000 + 2000 + np.arange(100) * 1000 / 15])
    pose = make_gait(view="side", fps=60, duration_s=1)
    n = len(t_ms)
    xy = np.zeros((n, 33, 2), np.float32)
    vis = np.ones((n, 33), np.float32)
    world = np.zeros((n, 33, 3), np.float32)
    even = even_frame_times(type(pose)(t_ms, xy, vis, world, pose.frame_size))
    inside_gap = (even.t_ms > 5000) & (even.t_ms < 7000)
    assert inside_gap.any() and np.isnan(even.image_xy[inside_gap]).all()
