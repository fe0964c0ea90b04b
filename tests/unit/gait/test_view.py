"""View detection: side/rear/front/oblique, facing direction, override."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.errors import UsageError
from formcam.gait.view import ViewEstimate, detect_view, estimate_facing
from formcam.synthetic.gait import make_gait


@pytest.mark.parametrize("direction,facing", [("right", 1), ("left", -1)])
def test_side_view_and_facing(direction, facing):
    xy = make_gait(view="side", direction=direction, jitter_px=2).image_xy
    view = detect_view(xy)
    assert (view.label, view.direction, view.facing) == ("side", direction, facing)
    assert view.confidence > 0.9


@pytest.mark.parametrize("label,direction", [("rear", "away"), ("front", "toward")])
def test_rear_and_front_from_left_right_order(label, direction):
    view = detect_view(make_gait(view=label, jitter_px=2).image_xy)
    assert (view.label, view.direction, view.facing) == (label, direction, 0)
    assert view.confidence > 0.9


def test_narrowed_frontal_view_is_oblique():
    xy = make_gait(view="rear").image_xy.astype(float)
    centre = np.nanmean(xy[..., 0])
    xy[..., 0] = centre + 0.55 * (xy[..., 0] - centre)
    assert detect_view(xy).label == "oblique"


def test_override_forces_the_label_but_still_measures_facing():
    xy = make_gait(view="side", direction="left").image_xy
    assert detect_view(xy, override="rear") == ViewEstimate("rear", 1.0, "away", 0)
    assert detect_view(xy, override="side") == ViewEstimate("side", 1.0, "left", -1)
    with pytest.raises(UsageError):
        detect_view(xy, override="top")


@pytest.mark.parametrize("xy", [np.zeros((0, 33, 2)), np.full((30, 33, 2), np.nan), np.full((30, 33, 2), 4.0)])
def test_no_usable_trunk_is_unknown(xy):
    view = detect_view(xy)
    assert view.label == "unknown" and view.confidence == 0.0 and view.facing == 0


def test_facing_falls_back_on_the_nose_without_feet():
    xy = make_gait(view="side", direction="left").image_xy.astype(float)
    xy[:, 29:33] = np.nan
    assert estimate_facing(xy)[0] == -1


# ------------------------------------------------------------------ views per segment
from formcam.gait.view import ViewSegment, frame_view_labels, view_segments  # noqa: E402


def test_segments_follow_a_clip_that_changes_view():
    rear, side = make_gait(view="rear", duration_s=12), make_gait(view="side", direction="left", duration_s=12)
    xy = np.concatenate([rear.image_xy, side.image_xy])
    t_ms = np.arange(len(xy)) * 1000 / 60
    segments = view_segments(xy, t_ms)
    assert [(s.label, s.direction) for s in segments] == [("rear", "away"), ("side", "left")]
    assert segments[0].start_frame == 0 and segments[-1].stop_frame == len(xy)
    assert segments[0].stop_frame == segments[1].start_frame == 720
    assert all(s.confidence > 0.9 for s in segments)
    labels = frame_view_labels(segments, len(xy))
    assert labels[0] == "rear" and labels[-1] == "side"
    payload = segments[1].to_json()
    assert payload["label"] == "side" and payload["end_ms"] == pytest.approx(t_ms[-1])


def test_one_view_is_one_segment_and_nothing_is_no_segment():
    pose = make_gait(view="front", duration_s=20, jitter_px=2)
    segments = view_segments(pose.image_xy, pose.t_ms)
    assert len(segments) == 1 and isinstance(segments[0], ViewSegment) and segments[0].label == "front"
    assert view_segments(np.zeros((0, 33, 2)), np.zeros(0)) == []
    assert [s.label for s in view_segments(np.full((100, 33, 2), np.nan), np.arange(100.0))] == ["unknown"]
