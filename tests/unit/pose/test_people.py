"""Several people: candidates, --person by index or position, duplicates, the people.jpg preview (no model)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcam.errors import UsageError
from formcam.pose.detector import link_tracks
from formcam.pose.landmarks import N_LANDMARKS
from formcam.pose.people import (
    PersonChoice,
    choose_person,
    describe_tracks,
    drop_duplicates,
    parse_person,
    preview_panels,
    resolve_person,
    runner_section,
    several_people_warning,
)
from formcam.report.preview import draw_panel, write_people_preview
from tests.helpers.media import make_cfr_clip
from tests.unit.pose.test_pose_tracking import detections, person


def absent(xy: np.ndarray, frames: slice) -> np.ndarray:
    xy = xy.copy()
    xy[frames] = np.nan
    return xy


@pytest.fixture
def three_people():
    """A runner in the middle all along, a coach on the right from frame 0, a passer-by on the left from frame 40."""
    runner = person(80, 640, 300, stride_px=60)
    coach = person(80, 1100, 500)
    passer = absent(person(80, 150, 350, stride_px=10), slice(0, 40))
    return detections(coach, runner, passer)


@pytest.mark.parametrize(
    "spec, expected",
    [
        (None, None),
        (2, PersonChoice(text="2", index=2)),
        ("3", PersonChoice(text="3", index=3)),
        ("Left", PersonChoice(text="left", x=0.0)),
        ("centre", PersonChoice(text="centre", x=0.5)),
        ("right", PersonChoice(text="right", x=1.0)),
        ("0.25, 0.6", PersonChoice(text="0.25, 0.6", point=(0.25, 0.6))),
    ],
)
def test_parse_person(spec, expected):
    assert parse_person(spec) == expected


@pytest.mark.parametrize("spec", ["tallest", "-1", "1.5,0.2", "0.5", "a,b", "1,2,3"])
def test_parse_person_refuses_anything_else_in_one_sentence(spec):
    with pytest.raises(UsageError, match="--person") as caught:
        parse_person(spec)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_candidates_say_who_was_where_first(three_people):
    pose, tracking = choose_person(three_people)
    assert tracking["chosen_track"] == 1 and tracking["chosen_by"] == "auto"
    np.testing.assert_allclose(np.nanmedian(pose.image_xy[:, 0, 0]), 640)
    by_index = {c["index"]: c for c in tracking["candidates"]}
    assert set(by_index) == {0, 1, 2}
    assert by_index[2]["first_frame"] == 40 and by_index[2]["first_t_s"] == pytest.approx(40 * 0.0333, abs=1e-3)
    assert by_index[0]["first_centre"][0] == pytest.approx(1100 / 1280, abs=0.01)
    assert [c["chosen"] for c in tracking["candidates"]] == [False, True, False]
    assert pose.extras.tracking is tracking


@pytest.mark.parametrize(
    "spec, chosen_x",
    [("0", 1100), ("left", 150), ("right", 1100), ("center", 640), ("0.1,0.3", 150), ("0.9,0.5", 1100)],
)
def test_person_by_index_or_position(three_people, spec, chosen_x):
    pose, tracking = choose_person(three_people, spec)
    assert np.nanmedian(pose.image_xy[:, 0, 0]) == pytest.approx(chosen_x)
    assert tracking["chosen_by"] == ("index" if spec == "0" else "position")
    assert tracking["person"] == spec


def test_person_index_that_is_not_a_track(three_people):
    with pytest.raises(UsageError, match="--person 7 is not one of the 3 people"):
        choose_person(three_people, 7)


def test_position_choice_ignores_flickers():
    runner = person(60, 640, 300, stride_px=60)
    flicker = absent(person(60, 20, 300), slice(5, 60))  # five frames at the far left
    tracks = describe_tracks(detections(runner, flicker), link_tracks(detections(runner, flicker).image_xy), [1.0, 0.0])
    assert [t["candidate"] for t in tracks] == [True, False]
    assert resolve_person(PersonChoice(text="left", x=0.0), tracks) == 0
    assert resolve_person(PersonChoice(text="1", index=1), tracks) == 1  # a number still reaches it


def test_duplicate_detection_of_one_person_is_dropped():
    runner = person(50, 640, 300, stride_px=60)
    runner[:, :, 0] += np.linspace(-40, 40, N_LANDMARKS, dtype=np.float32)  # arms and legs out: a box with width
    twin = runner + np.float32(4.0)  # the model's second, slightly shifted copy
    dets = detections(runner, twin)
    dets.visibility[:, 1] = 0.5
    deduped = drop_duplicates(dets)
    assert np.isnan(deduped.image_xy[:, 1]).all() and np.isfinite(deduped.image_xy[:, 0]).all()
    assert np.isfinite(dets.image_xy[:, 1]).all()  # the input is left alone
    _, tracking = choose_person(dets)
    assert len(tracking["candidates"]) == 1 and several_people_warning(tracking) == []
    assert tracking["preview"] == []


def test_two_people_side_by_side_are_not_duplicates():
    dets = detections(person(30, 400, 300), person(30, 800, 300))
    assert drop_duplicates(dets) is dets


def test_preview_panels_show_everyone(three_people):
    track_id = link_tracks(three_people.image_xy)
    panels = preview_panels(three_people, track_id, [0, 1, 2])
    shown = {box["index"] for panel in panels for box in panel["boxes"]}
    assert shown == {0, 1, 2}
    assert len(panels) == 1 and panels[0]["frame"] >= 40  # one frame has all three


def test_runner_section_and_warning(three_people):
    _, tracking = choose_person(three_people)
    section = runner_section(tracking)
    assert section["track"] == 1 and section["people_tracked"] == 3 and section["chosen_by"] == "auto"
    assert all("candidate" not in c for c in section["candidates"])
    (warning,) = several_people_warning(tracking)
    assert warning.code == "several_people" and "person 1" in warning.message and "--person" in warning.message
    assert runner_section(None) == {} and several_people_warning(None) == []


def test_people_preview_image(tmp_path, three_people):
    clip = make_cfr_clip(tmp_path / "clip.mp4", 80, width=320, height=180)
    dets = three_people
    dets.image_xy[..., 0] *= 320 / 1280
    dets.image_xy[..., 1] *= 180 / 720
    dets.frame_size = (320, 180)
    _, tracking = choose_person(dets)
    out = write_people_preview(clip, tracking, tmp_path / "people.jpg")
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] == 480
    assert not list(tmp_path.glob(".*.part"))
    assert write_people_preview(clip, {"preview": []}, tmp_path / "none.jpg") is None


def test_panel_marks_the_analysed_person_green():
    rgb = np.zeros((100, 200, 3), np.uint8)
    panel = draw_panel(
        rgb,
        [{"index": 0, "box": [10, 10, 90, 90]}, {"index": 1, "box": [110, 10, 190, 90]}],
        chosen=1,
        t_s=1.0,
        height=200,
    )
    assert panel.shape == (200, 400, 3)
    right_edge = panel[100, 380]  # the analysed person's box edge
    left_edge = panel[100, 180]
    assert right_edge[1] > right_edge[0] and left_edge[0] > left_edge[2]  # green vs orange


def test_preview_frames_are_found_by_time_not_by_number(tmp_path):
    """The pose model may see only some frames (--max-fps): frame 10 of the video is found at its time."""
    from formcam.report.preview import grab_frames

    clip = make_cfr_clip(tmp_path / "clip.mp4", 30, width=320, height=96)  # pattern: a blue bar 8 px per frame index
    (rgb,) = grab_frames(clip, [10 * 1000 / 30 + 3.0]).values()
    blue_bar = (rgb[-4, :, 2] > 128) & (rgb[-4, :, 0] < 250)
    assert blue_bar[:76].all() and not blue_bar[84:].any()
    (slow,) = grab_frames(clip, [10 * 1000 / 30 / 2], slow_motion_factor=2.0).values()
    np.testing.assert_array_equal(slow, rgb)
