"""End to end on rendered runners with known answers: decode, the real pose model, kinematics.

Each clip is rendered and analysed once per module (a fixture), then checked
against the truth it was drawn with: cadence within 2 %, rear-view frontal-plane
angles within 2.5°, side-view posture within 3°, each effect pointing the right
way, also in a phone's rotated container and at 120 fps. ``formcam validate``
prints the same comparison for more clips; docs/validation.md holds its tables.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcam.pipeline import AnalysisOptions, analyze
from formcam.synthetic.render import ClipSpec, Gait, read_truth, render_clip

pytestmark = pytest.mark.e2e

REAR = Gait(pelvic_drop_deg=10.0, shoulder_dip_deg=6.0, trunk_lateral_lean_deg=5.0)
SIDE = Gait(head_forward_pct=20.0, trunk_forward_lean_deg=8.0)
LANDSCAPE, PORTRAIT = (960, 540), (540, 960)
# Rear clips need about 7 steps per side after the edges are trimmed (formcam's minimum for frontal angles).
REAR_S, SIDE_S = 7.5, 6.0
# The rear camera stands low (a phone on the floor behind the treadmill): perspective moves the stance foot
# down the image as it travels back. In the portrait clip the runner is also larger, and there MediaPipe
# swaps the feet for about 80 ms after each landing; rear steps are timed from the hip's bounce so that
# this cannot add or drop a step (formcam.gait.foot_motion.stances_around_midstances).
LOW_CAMERA_M = 0.3

CLIPS = {
    "rear": ClipSpec(view="rear", gait=REAR, duration_s=REAR_S, frame_size=LANDSCAPE, camera_height_m=LOW_CAMERA_M),
    "rear_rotated": ClipSpec(
        view="rear", gait=REAR, duration_s=REAR_S, frame_size=PORTRAIT, rotation_deg=90, camera_height_m=LOW_CAMERA_M
    ),
    "rear_120fps": ClipSpec(
        view="rear", gait=REAR, duration_s=REAR_S, frame_size=LANDSCAPE, fps=120.0, camera_height_m=LOW_CAMERA_M
    ),
    "rear_level": ClipSpec(
        view="rear", gait=Gait(), duration_s=REAR_S, frame_size=LANDSCAPE, seed=1, camera_height_m=LOW_CAMERA_M
    ),
    "side": ClipSpec(view="side", gait=SIDE, duration_s=SIDE_S, frame_size=LANDSCAPE),
    "side_rotated": ClipSpec(view="side", gait=SIDE, duration_s=SIDE_S, frame_size=PORTRAIT, rotation_deg=90),
    "side_120fps": ClipSpec(view="side", gait=SIDE, duration_s=SIDE_S, frame_size=LANDSCAPE, fps=120.0),
    "side_upright": ClipSpec(
        view="side", gait=Gait(trunk_forward_lean_deg=2.0), duration_s=SIDE_S, frame_size=LANDSCAPE, direction="left"
    ),
}
REAR_VARIANTS = ["rear", "rear_rotated", "rear_120fps"]
SIDE_VARIANTS = ["side", "side_rotated", "side_120fps"]

# Measured with `formcam validate` (docs/validation.md): MediaPipe's hip landmarks follow only a small
# part of the drawn hip-line tilt (angle-response gain well below 1, even on still frames), so pelvic
# drop reads a fraction of the truth. The pose model's limit, not the kinematics': on the drawn
# joints the kinematics recover the drop within a fraction of a degree.
HIP_LANDMARKS = (
    "pose model: MediaPipe's hip landmarks follow only a small part of the drawn hip-line tilt "
    "(docs/validation.md, angle response)"
)


@pytest.fixture(scope="module")
def analysed(model_path, tmp_path_factory):
    """Render and analyse each clip once; return key -> (Analysis, truth). A failure is kept and re-raised."""
    done = {}

    def get(key: str):
        if key not in done:
            files = render_clip(CLIPS[key], tmp_path_factory.mktemp(key) / f"{key}.mp4")
            options = AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False)
            try:
                done[key] = (analyze(files.video, options=options), read_truth(files.truth))
            except Exception as exc:  # every test of this clip reports it, without analysing it again
                done[key] = exc
        if isinstance(done[key], Exception):
            raise done[key]
        return done[key]

    return get


def metric(analysis, name: str) -> float:
    value = analysis.report["metrics"][name]["value"]
    assert value is not None, f"{name} not measured: {analysis.report['metrics'][name]['reason']}"
    return value


@pytest.mark.parametrize("key", CLIPS)
def test_cadence_within_2_percent(analysed, key):
    analysis, truth = analysed(key)
    measured = analysis.report["cadence_spm"]["value"]
    assert measured == pytest.approx(truth["truth"]["cadence_spm"], rel=0.02)
    assert analysis.report["view"]["label"] == CLIPS[key].view
    assert analysis.report["runner"]["detected_fraction"] > 0.95


@pytest.mark.parametrize("key", ["rear_rotated", "side_rotated"])
def test_rotated_clips_were_turned_upright(analysed, key):
    video = analysed(key)[0].report["video"]
    assert video["rotation_deg"] == 90 and (video["width"], video["height"]) == PORTRAIT


@pytest.mark.parametrize(
    "key, name", [(key, name) for key in REAR_VARIANTS for name in ("shoulder_dip_deg", "trunk_lateral_lean_deg")]
)
def test_rear_view_angles_within_2_5_degrees(analysed, key, name):
    analysis, truth = analysed(key)
    assert metric(analysis, name) == pytest.approx(truth["truth"][name], abs=2.5)


@pytest.mark.parametrize("key", REAR_VARIANTS)
def test_rear_view_without_stickers_gives_no_pelvic_drop_and_says_how_to_get_it(analysed, key):
    """The hip landmarks do not follow the pelvis (HIP_LANDMARKS): no number, but the way to one (issue 21).

    tests/e2e/test_pelvis_markers.py measures it from stickers.
    """
    pelvic = analysed(key)[0].report["metrics"]["pelvic_drop_deg"]
    assert pelvic["value"] is None and pelvic["valid_for_view"] and "method" not in pelvic
    assert "hip points do not follow the pelvis" in pelvic["reason"] and "stickers" in pelvic["reason"]


@pytest.mark.parametrize(
    "key, name",
    [(key, name) for key in SIDE_VARIANTS for name in ("head_forward_deg", "trunk_forward_lean_deg")]
    + [("side_upright", "trunk_forward_lean_deg")],
)
def test_side_view_posture_within_3_degrees(analysed, key, name):
    analysis, truth = analysed(key)
    assert metric(analysis, name) == pytest.approx(truth["truth"][name], abs=3.0)


def test_upright_head_within_3_degrees_and_not_flagged(analysed):
    """MediaPipe reads an upright head 8° forward (docs/validation.md); formcam.gait.calibration corrects it."""
    analysis, truth = analysed("side_upright")
    assert metric(analysis, "head_forward_deg") == pytest.approx(truth["truth"]["head_forward_deg"], abs=3.0)
    for name in ("head_forward_deg", "head_forward_pct"):
        assert analysis.report["metrics"][name]["flag"] == "ok"
        assert "ear bias" in analysis.report["metrics"][name]["calibration"]


@pytest.mark.parametrize(
    "name, effect, level",
    [
        ("shoulder_dip_deg", "rear", "rear_level"),
        ("trunk_lateral_lean_deg", "rear", "rear_level"),
        ("head_forward_deg", "side", "side_upright"),
        ("head_forward_pct", "side", "side_upright"),
        ("trunk_forward_lean_deg", "side", "side_upright"),
    ],
)
def test_each_effect_points_the_right_way(analysed, name, effect, level):
    """The runner drawn with the effect measures clearly more: at least half the drawn difference."""
    (with_effect, truth_effect), (without, truth_level) = analysed(effect), analysed(level)
    drawn_difference = truth_effect["truth"][name] - truth_level["truth"][name]
    assert metric(with_effect, name) - metric(without, name) >= 0.5 * drawn_difference


def test_a_runner_scaled_smaller_than_formcam_ever_scales_them_keeps_the_landmark_accuracy(model_path, tmp_path):
    """The pose model's picture is scaled down only while the smallest person stays MIN_PERSON_PX tall.

    Here the runner is scaled to less than half of that (a 1280 x 720 clip given at 640 px): the
    landmarks stay as close to the drawn joints as at full size (measured on the 7 validation clips at
    640 px: at most 0.04 % of the runner's height worse, on some better, docs/speed.md).
    """
    from formcam.pose.parallel import MIN_PERSON_PX, detect_people_parallel
    from formcam.synthetic.validate import landmark_errors

    files = render_clip(ClipSpec(view="side", gait=SIDE, duration_s=3.0, frame_size=(1280, 720)), tmp_path / "side.mp4")
    truth = read_truth(files.truth)["frames"]
    drawn, height_px = np.asarray(truth["landmarks_xy"]), np.asarray(truth["runner_height_px"])
    error = {}
    for side in (None, 640):
        run = detect_people_parallel(files.video, model_path, num_poses=1, max_side=side)
        xy = run.detections.image_xy[:, 0]
        error[side] = np.mean(list(landmark_errors(xy, drawn, height_px)[0].values()))
        if side == 640:
            extent_px = np.nanmedian(np.ptp(xy[..., 1], axis=1)) * 640 / 1280
            assert extent_px < 0.7 * MIN_PERSON_PX
    assert error[640] <= error[None] + 0.15, error


def test_a_person_walking_past_behind_the_runner_is_not_taken_for_slow_motion(model_path, tmp_path):
    """The validation set's side_person clip: while the passer-by is behind the runner, the pose model
    gives the leading foot twice as many contacts for about a second. Its steps then look half as long as
    elsewhere, which alone read as a clip whose speed changes and the clip was refused; the feet's own speed
    does not change there (formcam.quality.refusal.FOOT_SPEED_CHANGE_FACTOR), so it is analysed.
    """
    from formcam.synthetic.validate import validation_set

    clip = next(clip for clip in validation_set() if clip.name == "side_person")
    files = render_clip(clip.spec, tmp_path / "side_person.mp4")
    analysis = analyze(files.video, options=AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False))
    assert not analysis.report["runner"].get("forced")
    assert analysis.report["cadence_spm"]["value"] == pytest.approx(clip.spec.gait.cadence_spm, rel=0.02)
