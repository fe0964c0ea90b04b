"""Pelvic drop from two stickers on rendered rear-view runners: the real pose model, then the stickers (issue 21).

The clinical 2-D method: a round sticker on each posterior superior iliac
spine, filmed from behind, the marker line's tilt read at midstance.  Each
clip is rendered with a known drop on each side and analysed once; formcam
must find the stickers by itself (their colour is not given), through arm
occlusion and motion blur, and give the drop per side and overall within
1.5° at 60 fps and 2° at 30 fps with blur (docs/validation.md, marker table).
"""

from __future__ import annotations

import re

import pytest

from formcam.gait.kinematics import analyse_pose
from formcam.pipeline import AnalysisOptions, analyze
from formcam.synthetic.render import ClipSpec, Gait, read_truth, render_clip
from formcam.synthetic.render.figure import Outfit

pytestmark = pytest.mark.e2e

PORTRAIT = (540, 960)
CLIPS = {
    # 60 fps, plain kit: 8° of drop in left stance, 4° in right.
    "sharp_60fps": ClipSpec(
        view="rear",
        gait=Gait(pelvic_drop_deg=8.0, pelvic_drop_right_deg=4.0, shoulder_dip_deg=3.0),
        duration_s=8.0,
        fps=60.0,
        frame_size=PORTRAIT,
        markers="orange",
    ),
    # 30 fps with a 180° shutter's blur, patterned kit, in a phone's rotated portrait container; the
    # asymmetry the other way round.
    "blurred_30fps_rotated": ClipSpec(
        view="rear",
        gait=Gait(pelvic_drop_deg=3.0, pelvic_drop_right_deg=7.0, arm_crossover_pct=0.0),
        duration_s=8.0,
        fps=30.0,
        frame_size=PORTRAIT,
        rotation_deg=90,
        blur=0.5,
        outfit=Outfit(pattern=True),
        markers="green",
        seed=2,
    ),
}
TOLERANCE = {"sharp_60fps": 1.5, "blurred_30fps_rotated": 2.0}


@pytest.fixture(scope="module")
def analysed(model_path, tmp_path_factory):
    """Render and analyse each clip once; key -> (Analysis, truth)."""
    done = {}

    def get(key: str):
        if key not in done:
            files = render_clip(CLIPS[key], tmp_path_factory.mktemp(key) / f"{key}.mp4")
            options = AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False)
            done[key] = (analyze(files.video, options=options), read_truth(files.truth))
        return done[key]

    return get


@pytest.mark.parametrize("key", CLIPS)
def test_pelvic_drop_from_stickers_within_the_tolerance_per_side(analysed, key):
    analysis, truth = analysed(key)
    pelvic = analysis.report["metrics"]["pelvic_drop_deg"]
    assert pelvic["value"] is not None, pelvic["reason"]
    assert pelvic["method"].startswith("measured from markers")
    # The arms swing past the stickers: measured through that occlusion (gaps filled and reported).
    seen, total = (int(n) for n in re.search(r"seen in (\d+) of (\d+) frames", pelvic["method"]).groups())
    assert seen < total and re.search(r"; [1-9]\d* filled", pelvic["method"]), pelvic["method"]
    tolerance = TOLERANCE[key]
    true = truth["truth"]
    assert pelvic["left"] == pytest.approx(true["pelvic_drop_left_deg"], abs=tolerance)
    assert pelvic["right"] == pytest.approx(true["pelvic_drop_right_deg"], abs=tolerance)
    assert pelvic["value"] == pytest.approx(true["pelvic_drop_deg"], abs=tolerance)
    assert min(sum(s["side"] == side for s in pelvic["per_step"]) for side in ("left", "right")) >= 7
    peak = analysis.report["metrics"]["pelvic_drop_peak_deg"]
    assert peak["value"] == pytest.approx(true["pelvic_drop_peak_deg"], abs=tolerance)


@pytest.mark.parametrize("key", CLIPS)
def test_the_asymmetry_and_its_direction_are_recovered(analysed, key):
    analysis, truth = analysed(key)
    pelvic = analysis.report["metrics"]["pelvic_drop_deg"]
    drawn = truth["truth"]["pelvic_drop_left_deg"] - truth["truth"]["pelvic_drop_right_deg"]
    measured = pelvic["left"] - pelvic["right"]
    assert measured * drawn > 0 and measured == pytest.approx(drawn, abs=TOLERANCE[key])
    assert pelvic["flag"] == "watch"  # a left-right difference of 4° is above the 3° the flag allows


def test_the_stickers_were_found_by_their_colour_and_stored_for_reanalysis(analysed):
    for key, colour in (("sharp_60fps", "orange"), ("blurred_30fps_rotated", "green")):
        analysis, _ = analysed(key)
        assert analysis.pose.markers_xy is not None and analysis.pose.extras.markers["colour"] == colour
    analysis, _ = analysed("blurred_30fps_rotated")
    assert analysis.report["video"]["rotation_deg"] == 90
    # --markers off: the same pose without them has no pelvic drop, and says why.
    without = analyse_pose(analysis.pose, markers=False).metrics["pelvic_drop_deg"]
    assert without.value is None and "stickers" in without.reason
