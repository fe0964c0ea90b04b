"""Finding two pelvis stickers in frames without being told their colour (formcam.pose.markers)."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.pose.markers import colour_name, track_markers
from formcam.pose.posefile import load_pose, save_pose
from formcam.synthetic.gait import make_gait
from formcam.synthetic.render import ClipSpec, Gait, build_scene
from formcam.synthetic.render.clip import clip_truth
from formcam.synthetic.render.figure import Outfit


def _scene(**spec):
    """A rendered rear-view runner (1 s, 30 fps, portrait), its drawn landmarks and the stickers' true centres."""
    scene = build_scene(
        ClipSpec(view="rear", gait=Gait(pelvic_drop_deg=8.0), duration_s=1.0, fps=30.0, frame_size=(540, 960), **spec)
    )
    truth = clip_truth(scene, "rear.mp4")["frames"]["markers_xy"]
    return scene, scene.runner.landmarks_xy[scene.centre_poses], None if truth is None else np.asarray(truth)


def _tilt(xy: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(xy[:, 1, 1] - xy[:, 0, 1], xy[:, 1, 0] - xy[:, 0, 0]))


@pytest.mark.parametrize(
    "colour, spec",
    [
        ("orange", {}),
        ("green", {"outfit": Outfit(pattern=True)}),  # spots of three other colours all over the clothes
        ("pink", {"blur": 0.5}),  # a 180-degree shutter
        ("blue", {"marker_diameter_m": 0.02}),  # a small sticker on a blue shirt's runner
    ],
)
def test_stickers_of_any_colour_are_found_to_a_fraction_of_a_pixel(colour, spec):
    scene, landmarks, truth = _scene(markers=colour, **spec)
    frames = ((i, scene.frame(i)) for i in range(scene.n_frames))
    tracks = track_markers(frames, landmarks)
    assert tracks is not None and colour_name(tracks.hue_deg) == colour
    assert tracks.found_fraction >= 0.6  # the rest: an arm swinging past
    seen = np.isfinite(tracks.xy).all(axis=(1, 2))
    assert np.median(np.abs(tracks.xy[seen] - truth[seen])) < 0.5
    # The runner's left sticker first, and the line's tilt right.
    assert (tracks.xy[seen, 0, 0] < tracks.xy[seen, 1, 0]).all()
    assert np.median(np.abs(_tilt(tracks.xy[seen]) - _tilt(truth[seen]))) < 0.5
    assert tracks.summary()["colour"] == colour


@pytest.mark.parametrize("outfit", [Outfit(), Outfit(pattern=True)])
def test_no_stickers_no_tracks_even_on_patterned_clothes(outfit):
    scene, landmarks, _ = _scene(outfit=outfit)
    assert track_markers(((i, scene.frame(i)) for i in range(scene.n_frames)), landmarks) is None


def test_frames_decoded_smaller_give_tracks_in_the_pose_files_pixels():
    scene, landmarks, truth = _scene(markers="yellow")
    frames = ((i, np.repeat(np.repeat(scene.frame(i), 2, axis=0), 2, axis=1)) for i in range(scene.n_frames))
    tracks = track_markers(frames, landmarks, scale=2.0)
    assert tracks is not None
    seen = np.isfinite(tracks.xy).all(axis=(1, 2))
    assert np.median(np.abs(tracks.xy[seen] - truth[seen])) < 0.5


def test_marker_tracks_survive_the_pose_file_and_old_files_have_none(tmp_path):
    pose = make_gait(view="rear", duration_s=2, pelvic_drop_deg=6, markers=True)
    pose.markers_xy[5] = np.nan
    pose.extras.markers = {"colour": "orange"}
    again = load_pose(save_pose(pose, tmp_path / "pose.npz"))
    assert again.markers_xy.shape == (pose.n_frames, 2, 2) and np.isnan(again.markers_xy[5]).all()
    assert np.allclose(again.markers_xy, pose.markers_xy, equal_nan=True) and again.extras.markers == {
        "colour": "orange"
    }
    old = load_pose(save_pose(make_gait(view="rear", duration_s=2), tmp_path / "old.npz"))
    assert old.markers_xy is None and "markers_xy" not in np.load(tmp_path / "old.npz").files


def test_the_analysis_reads_the_stickers_from_a_rotated_portrait_video(tmp_path):
    from formcam.pipeline import track_pelvis_markers
    from formcam.synthetic.render import read_truth, render_clip
    from formcam.synthetic.validate import drawn_pose

    spec = ClipSpec(
        view="rear", gait=Gait(pelvic_drop_deg=8.0), duration_s=2.0, fps=30.0, frame_size=(540, 960), rotation_deg=90
    )
    plain = render_clip(spec, tmp_path / "plain.mp4")
    stickers = render_clip(ClipSpec(**{**spec.__dict__, "markers": "orange"}), tmp_path / "stickers.mp4")
    assert track_pelvis_markers(plain.video, drawn_pose(read_truth(plain.truth))) is None
    truth = read_truth(stickers.truth)
    pose = drawn_pose(truth)  # a perfect pose model; the stickers are for formcam to find
    true = np.asarray(truth["frames"]["markers_xy"])
    pose.markers_xy = None
    tracks = track_pelvis_markers(stickers.video, pose)
    assert tracks is not None and tracks.xy.shape == (pose.n_frames, 2, 2)
    seen = np.isfinite(tracks.xy).all(axis=(1, 2))
    assert seen.mean() > 0.6 and np.median(np.abs(tracks.xy[seen] - true[seen])) < 0.8
    for view in ("side", "front"):  # the stickers are on the back
        assert track_pelvis_markers(stickers.video, pose, view=view) is None
