"""Tests for formcam.report.overlay: one frame's skeleton, angle lines and panel."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from formcam.pose import landmarks as lm
from formcam.report.drawing import overlay_style
from formcam.report.overlay import FrameAnnotation, OverlayPainter, draw_overlay
from formcam.report.panel import PanelRow, pick_panel_corner

ROWS = (
    PanelRow("Cadence", "172 steps/min", None),
    PanelRow("Pelvic drop", "6.1°  L 5.2 / R 7.0", "watch"),
    PanelRow("Shoulder dip", "3.0°", "ok"),
    PanelRow("Head forward", "n/a (not in rear view)", None),
)


def runner_xy(width: int, height: int, centre_x: float, hip_drop_px: float = 0.0) -> np.ndarray:
    """(33, 2) pixels of a standing figure seen from behind (its left on image-left).

    The figure is 60 % of the frame height, centred at ``centre_x``; the right hip
    sits ``hip_drop_px`` lower than the left.
    """
    s = 0.6 * height  # figure height
    top = 0.2 * height
    xy = np.full((lm.N_LANDMARKS, 2), np.nan)

    def put(index: int, dx: float, dy: float) -> None:
        xy[index] = (centre_x + dx * s, top + dy * s)

    put(lm.NOSE, 0.0, 0.05)
    put(lm.LEFT_EAR, -0.04, 0.05)
    put(lm.RIGHT_EAR, 0.04, 0.05)
    for side, sign in ((0, -1), (1, 1)):
        put((lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)[side], sign * 0.12, 0.18)
        put((lm.LEFT_ELBOW, lm.RIGHT_ELBOW)[side], sign * 0.16, 0.33)
        put((lm.LEFT_WRIST, lm.RIGHT_WRIST)[side], sign * 0.15, 0.46)
        put((lm.LEFT_HIP, lm.RIGHT_HIP)[side], sign * 0.08, 0.52)
        put((lm.LEFT_KNEE, lm.RIGHT_KNEE)[side], sign * 0.08, 0.74)
        put((lm.LEFT_ANKLE, lm.RIGHT_ANKLE)[side], sign * 0.08, 0.95)
        put((lm.LEFT_HEEL, lm.RIGHT_HEEL)[side], sign * 0.08, 0.98)
        put((lm.LEFT_FOOT_INDEX, lm.RIGHT_FOOT_INDEX)[side], sign * 0.11, 0.99)
    xy[lm.RIGHT_HIP, 1] += hip_drop_px
    return xy


def grey_frame(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 110, dtype=np.uint8)


def annotation(xy: np.ndarray, view: str = "rear", **kwargs) -> FrameAnnotation:
    values: dict[str, Any] = dict(shoulder_tilt_deg=2.0, hip_tilt_deg=-5.0, head_forward_deg=12.0)
    values.update(kwargs)
    return FrameAnnotation(xy=xy, view=view, **values)


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels the overlay changed."""
    return np.any(before != after, axis=2)


def changed_near(mask: np.ndarray, point: np.ndarray, radius: int = 3) -> bool:
    x, y = int(round(point[0])), int(round(point[1]))
    return bool(mask[y - radius : y + radius + 1, x - radius : x + radius + 1].any())


def test_returns_new_frame_of_same_shape_and_leaves_input_alone():
    frame = grey_frame(480, 854)
    original = frame.copy()
    out = draw_overlay(frame, annotation(runner_xy(480, 854, 240)), ROWS)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out is not frame and not np.shares_memory(out, frame)
    np.testing.assert_array_equal(frame, original)
    assert changed(frame, out).any()


def test_non_contiguous_input_is_accepted_and_untouched():
    base = np.random.default_rng(0).integers(0, 255, (854, 480, 3), dtype=np.uint8)
    flipped = base[:, ::-1]  # a view with negative strides, as a rotation step may hand over
    original = flipped.copy()
    out = draw_overlay(flipped, annotation(runner_xy(480, 854, 240)), ROWS)
    assert out.flags.c_contiguous and out.shape == flipped.shape
    np.testing.assert_array_equal(flipped, original)


def varied_annotations(width: int, height: int) -> list[FrameAnnotation]:
    """A run of frames that exercises every layer: each view, stance side, event and highlight,
    landmarks missing, the runner crossing the frame (so the panel changes corner), no landmarks."""
    anns = []
    for k, view in enumerate(("rear", "side", "front", "oblique", "unknown", "side", "rear")):
        xy = runner_xy(width, height, width * (0.25 + 0.1 * k), hip_drop_px=3 * k)
        if k == 3:
            xy[[lm.LEFT_KNEE, lm.RIGHT_EAR, lm.RIGHT_HIP]] = np.nan
        anns.append(
            annotation(
                xy,
                view,
                in_stance=("left", "right", None)[k % 3],
                facing=(1, -1, 0)[k % 3],
                event=("L contact", "R contact", None, "toe-off")[k % 4],
                trunk_lean_deg=4.0 + k,
                head_forward_deg=np.nan if k == 5 else 10.0 + k,
                highlight="knee_flexion_contact_deg" if k == 1 else None,
            )
        )
    anns.append(annotation(np.full((lm.N_LANDMARKS, 2), np.nan), "side"))
    return anns


@pytest.mark.parametrize("size", [(480, 854), (1080, 1920), (1280, 720)])
def test_a_painter_reused_over_frames_draws_in_place_what_draw_overlay_returns(size):
    # The video pass draws with one painter (sizes and panel layout worked out once) on the decoded
    # frames themselves: every frame must come out exactly as the public one-frame function draws it.
    width, height = size
    painter = OverlayPainter(width, height, ROWS, title="formcam")
    rng = np.random.default_rng(3)
    for ann in varied_annotations(width, height):
        frame = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        expected = draw_overlay(frame, ann, ROWS)
        out = frame.copy()
        painter.draw_on(out, ann)
        np.testing.assert_array_equal(out, expected)
    evidence = OverlayPainter(width, height, show_panel=False, text_scale=1.6)
    for ann in varied_annotations(width, height):
        frame = grey_frame(width, height)
        evidence.draw_on(frame, ann)
        np.testing.assert_array_equal(
            frame, draw_overlay(grey_frame(width, height), ann, [], show_panel=False, text_scale=1.6)
        )


def test_a_painter_refuses_frames_it_cannot_draw_on_in_place():
    painter = OverlayPainter(480, 854, ROWS)
    ann = annotation(runner_xy(480, 854, 240))
    with pytest.raises(ValueError):
        painter.draw_on(grey_frame(482, 854), ann)  # another size
    read_only = grey_frame(480, 854)
    read_only.flags.writeable = False
    with pytest.raises(ValueError):
        painter.draw_on(read_only, ann)
    with pytest.raises(ValueError):
        painter.draw_on(grey_frame(480, 854)[:, ::-1], ann)  # not C-contiguous
    with pytest.raises(ValueError):
        painter.draw_on(grey_frame(480, 854), annotation(runner_xy(480, 854, 240)[:17]))


def test_rear_view_draws_hip_and_shoulder_lines_beyond_the_body():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540, hip_drop_px=20)
    frame = grey_frame(width, height)
    mask = changed(frame, draw_overlay(frame, annotation(xy, "rear"), ROWS))
    left, right = xy[lm.LEFT_HIP], xy[lm.RIGHT_HIP]
    assert changed_near(mask, (left + right) / 2)
    # The measured lines reach past the joints, where no bone is drawn.
    assert changed_near(mask, right + 0.2 * (right - left))
    shoulders = xy[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]]
    assert changed_near(mask, shoulders[1] + 0.2 * (shoulders[1] - shoulders[0]))


def test_pelvis_stickers_replace_the_hip_line_with_their_own_and_its_level():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    stickers = np.array([[500.0, 1060.0], [580.0, 1075.0]])  # above the hips, the runner's right lower
    frame = grey_frame(width, height)
    with_stickers = changed(
        frame, draw_overlay(frame, annotation(xy, "rear", markers=stickers, pelvis_tilt_deg=10.6), ROWS)
    )
    without = changed(frame, draw_overlay(frame, annotation(xy, "rear"), ROWS))
    beyond = stickers[1] + 0.2 * (stickers[1] - stickers[0])
    assert changed_near(with_stickers, beyond) and not changed_near(without, beyond)
    # The level reference: a dashed horizontal at the higher sticker's height, past the line's ends.
    assert changed_near(with_stickers, (stickers[0][0] - 0.5 * (stickers[1][0] - stickers[0][0]), stickers[0][1]), 6)
    hips = xy[[lm.LEFT_HIP, lm.RIGHT_HIP]]
    hip_beyond = hips[1] + 0.2 * (hips[1] - hips[0])
    assert changed_near(without, hip_beyond) and not changed_near(with_stickers, hip_beyond)
    unseen = annotation(xy, "rear", markers=np.full((2, 2), np.nan))
    assert changed_near(changed(frame, draw_overlay(frame, unseen, ROWS)), hip_beyond)


def test_side_view_draws_the_mid_ear_to_mid_shoulder_line_and_no_hip_extension():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    xy[lm.LEFT_EAR, 0] += 40  # the two ears and shoulders apart, as a model gives them
    xy[lm.RIGHT_SHOULDER, 0] -= 40
    frame = grey_frame(width, height)
    mask = changed(frame, draw_overlay(frame, annotation(xy, "side"), ROWS))
    # The line head_forward_deg is measured on: mid-shoulder to mid-ear, not one side's pair.
    mid_ear = (xy[lm.LEFT_EAR] + xy[lm.RIGHT_EAR]) / 2
    mid_shoulder = (xy[lm.LEFT_SHOULDER] + xy[lm.RIGHT_SHOULDER]) / 2
    assert changed_near(mask, (mid_ear + mid_shoulder) / 2)
    hips = xy[[lm.LEFT_HIP, lm.RIGHT_HIP]]
    assert not changed_near(mask, hips[1] + 0.25 * (hips[1] - hips[0]))


def test_stance_leg_is_drawn_thicker():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    frame = grey_frame(width, height)
    knee_to_ankle = (xy[lm.LEFT_KNEE] + xy[lm.LEFT_ANKLE]) / 2
    rows = slice(int(knee_to_ankle[1]) - 5, int(knee_to_ankle[1]) + 5)
    cols = slice(int(knee_to_ankle[0]) - 40, int(knee_to_ankle[0]) + 40)

    def width_of_left_shin(stance):
        out = draw_overlay(frame, annotation(xy, "rear", in_stance=stance), ROWS)
        return changed(frame, out)[rows, cols].sum()

    assert width_of_left_shin("left") > 1.3 * width_of_left_shin(None)
    assert width_of_left_shin("right") == width_of_left_shin(None)


def test_event_badge_appears_under_the_named_foot():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    frame = grey_frame(width, height)
    plain = draw_overlay(frame, annotation(xy, "rear"), ROWS)
    with_event = draw_overlay(frame, annotation(xy, "rear", event="L contact"), ROWS)
    added = changed(plain, with_event)
    foot_bottom = np.nanmax(xy[:, 1])
    ys, xs = np.nonzero(added)
    # The badge under the feet and a ring on the landing foot: nothing above the ankles.
    assert len(ys) and ys.min() > xy[lm.LEFT_KNEE, 1] and ys.max() > foot_bottom + 20
    assert abs(xs.mean() - xy[lm.LEFT_ANKLE, 0]) < abs(xs.mean() - xy[lm.RIGHT_ANKLE, 0])
    left_foot = xy[[lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX]].mean(axis=0)
    assert changed_near(added, left_foot + [0, -40], radius=15)  # the ring passes above the foot


def test_side_view_draws_the_trunk_line_with_its_vertical():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    xy[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER], 0] += 60  # leaning forward (to image-right)
    frame = grey_frame(width, height)
    ann = annotation(xy, "side", trunk_lean_deg=8.0, facing=1)
    mask = changed(frame, draw_overlay(frame, ann, ROWS, show_panel=False))
    mid_hip = xy[[lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=0)
    mid_shoulder = xy[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=0)
    assert changed_near(mask, (mid_hip + mid_shoulder) / 2)  # the trunk line itself
    above_hip = mid_hip - [0, 0.9 * (mid_hip[1] - mid_shoulder[1])]
    assert changed_near(mask, above_hip, radius=4)  # its dashed vertical reference


def test_without_panel_only_the_runner_is_drawn():
    width, height = 480, 854
    frame = grey_frame(width, height)
    nan_xy = np.full((lm.N_LANDMARKS, 2), np.nan)
    assert not changed(frame, draw_overlay(frame, annotation(nan_xy, "rear"), ROWS, show_panel=False)).any()


def test_banner_is_drawn_at_the_top():
    from formcam.report.drawing import draw_banner

    frame = grey_frame(1080, 1920)
    ys, _ = np.nonzero(changed(frame, draw_banner(frame, "Replay 1/4 speed")))
    assert len(ys) and ys.max() < 0.15 * 1920


def test_highlight_draws_the_metric_geometry():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    frame = grey_frame(width, height)
    plain = draw_overlay(frame, annotation(xy, "side", in_stance="left", facing=1), ROWS, show_panel=False)
    for name in ("overstride_pct", "knee_flexion_contact_deg", "shank_angle_contact_deg", "arm_crossover_pct"):
        ann = annotation(xy, "side", in_stance="left", facing=1, highlight=name)
        assert changed(plain, draw_overlay(frame, ann, ROWS, show_panel=False)).sum() > 100, name


@pytest.mark.parametrize("view", ["side", "rear", "front", "oblique", "unknown"])
def test_frame_without_landmarks_gets_only_the_panel(view):
    width, height = 480, 854
    frame = grey_frame(width, height)
    nan_xy = np.full((lm.N_LANDMARKS, 2), np.nan)
    ann = annotation(nan_xy, view, shoulder_tilt_deg=np.nan, hip_tilt_deg=np.nan, head_forward_deg=np.nan)
    mask = changed(frame, draw_overlay(frame, ann, ROWS))
    ys, xs = np.nonzero(mask)
    assert len(ys)
    assert xs.max() < 0.7 * width and ys.max() < 0.5 * height  # the top-left panel, nothing else


def test_partial_landmarks_and_nan_angles_do_not_raise():
    width, height = 480, 854
    xy = runner_xy(width, height, 240)
    xy[[lm.RIGHT_HIP, lm.LEFT_EAR, lm.RIGHT_EAR, lm.NOSE]] = np.nan
    xy[lm.LEFT_ANKLE] = (1e9, -1e9)  # wildly outside the frame, as a pose model may report
    frame = grey_frame(width, height)
    for view in ("rear", "side"):
        ann = annotation(xy, view, shoulder_tilt_deg=np.nan, hip_tilt_deg=np.nan, head_forward_deg=np.nan)
        assert draw_overlay(frame, ann, [], title="").shape == frame.shape


def test_panel_goes_to_the_side_away_from_the_runner():
    width, height = 1080, 1920
    frame = grey_frame(width, height)
    for runner_x, far_half in ((250, "right"), (830, "left")):
        xy = runner_xy(width, height, runner_x)
        assert pick_panel_corner(xy, (400, 300), (width, height)).endswith(far_half)
        # Only the figure is drawn on the runner's half once the panel is elsewhere:
        # no changes in the runner-free half's opposite corners.
        mask = changed(frame, draw_overlay(frame, annotation(xy, "unknown"), ROWS))
        half = mask[:, width // 2 :] if far_half == "right" else mask[:, : width // 2]
        other = mask[:, : width // 2] if far_half == "right" else mask[:, width // 2 :]
        panel_rows = np.nonzero(half.any(axis=1))[0]
        assert len(panel_rows), "the panel was drawn on the far half"
        # The far half holds the panel (a large block), the runner's half only thin lines.
        assert half.sum() > 2 * other.sum()


def test_panel_avoids_a_runner_who_fills_the_top():
    width, height = 1080, 1920
    xy = runner_xy(width, height, 540)
    xy[:, 1] -= 0.15 * height  # figure now spans the top 5 % .. 65 % of the frame
    assert pick_panel_corner(xy, (500, 400), (width, height)).startswith("bottom")


def test_sizes_grow_with_the_frame():
    small, large = overlay_style(480, 854), overlay_style(1080, 1920)
    assert large.font_scale > 2 * small.font_scale
    assert large.bone > small.bone and large.measure > small.measure
    assert overlay_style(1920, 1080) == large  # landscape and portrait of one size read alike

    nan_xy = np.full((lm.N_LANDMARKS, 2), np.nan)

    def panel_box(width, height):
        frame = grey_frame(width, height)
        ys, xs = np.nonzero(changed(frame, draw_overlay(frame, annotation(nan_xy, "rear"), ROWS)))
        return xs.max() - xs.min(), ys.max() - ys.min()

    (w_small, h_small), (w_large, h_large) = panel_box(480, 854), panel_box(1080, 1920)
    assert 1.8 < h_large / h_small < 2.7 and 1.8 < w_large / w_small < 2.7


def test_panel_shrinks_to_fit_long_values():
    width, height = 480, 854
    rows = [PanelRow("Pelvic drop", "6.1° " + "L 5.2 / R 7.0 " * 4, "high")]
    frame = grey_frame(width, height)
    nan_xy = np.full((lm.N_LANDMARKS, 2), np.nan)
    xs = np.nonzero(changed(frame, draw_overlay(frame, annotation(nan_xy, "rear"), rows)))[1]
    assert xs.max() - xs.min() <= 0.65 * width


def test_flag_colours_show_in_the_panel():
    width, height = 1080, 1920
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    nan_xy = np.full((lm.N_LANDMARKS, 2), np.nan)
    rows = [PanelRow("Pelvic drop", "9.0°", "high")]
    out = draw_overlay(frame, annotation(nan_xy, "rear"), rows).astype(int)
    red = (out[..., 0] > 180) & (out[..., 1] < 100) & (out[..., 2] < 100)
    assert red.sum() > 20


def test_bad_inputs_raise_value_error():
    xy = runner_xy(480, 854, 240)
    with pytest.raises(ValueError):
        draw_overlay(np.zeros((854, 480), np.uint8), annotation(xy), ROWS)
    with pytest.raises(ValueError):
        draw_overlay(np.zeros((854, 480, 3), np.float32), annotation(xy), ROWS)
    with pytest.raises(ValueError):
        draw_overlay(grey_frame(480, 854), annotation(xy[:17]), ROWS)


def test_time_per_1080x1920_frame(record_property):
    """Measured, not asserted: the renderer calls this once per frame."""
    width, height = 1080, 1920
    frame = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    ann = annotation(runner_xy(width, height, 540), "rear", in_stance="left", event="L contact")
    draw_overlay(frame, ann, ROWS)
    n = 30
    start = time.perf_counter()
    for _ in range(n):
        draw_overlay(frame, ann, ROWS)
    ms = (time.perf_counter() - start) / n * 1e3
    record_property("overlay_ms_per_1080x1920_frame", round(ms, 2))
    print(f"draw_overlay at 1080x1920: {ms:.2f} ms per frame")


def test_draws_on_a_real_decoded_frame(shared_video):
    av = pytest.importorskip("av")
    path = shared_video("treadmill_side_portrait_60fps.mp4")
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    height, width = frame.shape[:2]
    xy = runner_xy(width, height, 0.6 * width)
    out = draw_overlay(frame, annotation(xy, "side", event="R contact"), ROWS)
    assert out.shape == frame.shape
    assert changed(frame, out).mean() > 0.01
