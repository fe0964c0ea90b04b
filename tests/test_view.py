"""View detection: side/rear/front/oblique, facing direction, override."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.errors import UsageError
from formcam.synth import make_gait
from formcam.view import ViewEstimate, detect_view, estimate_facing


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
