from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcam.gait.steps import GaitEvents
from formcam.pipeline import AnalysisOptions, analyze
from formcam.report.annotated import render_annotated_video
from formcam.report.annotations import FrameAnnotator, panel_rows, stance_side
from formcam.report.drawing import PANEL_COLOUR
from formcam.report.overlay import OverlayPainter, draw_overlay
from formcam.video.decode import iter_frames, scaled_size
from formcam.video.probe import probe_video
from tests.helpers.reporting import synthetic_analysis


def events(contacts, toe_offs):
    return GaitEvents(
        contact_frames=np.array([f for f, _ in contacts]),
        contact_sides=np.array([s for _, s in contacts]),
        toe_off_frames=np.array([f for f, _ in toe_offs]),
        toe_off_sides=np.array([s for _, s in toe_offs]),
    )


def test_each_foot_is_in_stance_from_contact_to_its_toe_off():
    side = stance_side(events([(2, "left"), (10, "right")], [(6, "left"), (14, "right")]), 20)
    assert list(side[:2]) == [None, None]
    assert set(side[2:6]) == {"left"} and side[6] is None
    assert set(side[10:14]) == {"right"} and side[14] is None


def test_a_toe_off_after_the_same_foots_next_contact_is_not_paired():
    # Left's only toe-off (frame 15) follows its second contact (12): the first stance has no end.
    side = stance_side(events([(2, "left"), (12, "left")], [(15, "left")]), 20)
    assert side[5] is None
    assert set(side[12:15]) == {"left"}


def _metric(label, value, valid=True, flag=None):
    return {
        "label": label,
        "value": value,
        "unit": "deg",
        "left": None,
        "right": None,
        "valid_for_view": valid,
        "flag": flag,
    }


def test_panel_lists_the_views_metrics_and_says_why_one_is_missing():
    metrics = {
        "pelvic_drop_deg": _metric("Pelvic drop", None),
        "shoulder_dip_deg": _metric("Shoulder dip", 4.2, flag="watch"),
        "head_forward_pct": _metric("Head forward", None, valid=False),
    }
    rows = panel_rows({"cadence_spm": {"value": 171.2}, "view": {"label": "rear"}, "metrics": metrics})
    assert rows[0].value == "171 steps/min"
    assert [r.label for r in rows] == ["Cadence", "Pelvic drop", "Shoulder dip"]  # compact: nothing from other views
    assert rows[1].value == "n/a (too few steps)" and rows[2].value == "4.2°" and rows[2].flag == "watch"


def test_panel_of_an_unclear_view_says_the_headline_metrics_need_another_view():
    metrics = {"pelvic_drop_deg": _metric("Pelvic drop", None, valid=False)}
    rows = panel_rows({"cadence_spm": {"value": None}, "view": {"label": "oblique"}, "metrics": metrics})
    assert rows[0].value == "n/a"
    assert rows[1].label == "Pelvic drop" and rows[1].value == "n/a (not in oblique view)"


# --------------------------------------------------------------------------- the video, end to end (synthetic runner)


def decoded(path):
    with iter_frames(path) as frames:
        return [f.rgb.astype(int) for f in frames]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    analysis, clip, _ = synthetic_analysis(
        tmp_path_factory.mktemp("video"),
        view="rear",
        replay=True,
        pelvic_drop_deg=9,
        outputs=frozenset({"annotated.mp4", "report.json"}),
    )
    annotated = decoded(analysis.out_dir / "annotated.mp4")
    # The 320 x 240 source is enlarged to 720 px high (VIDEO_MIN_SIDE): compare with it enlarged alike.
    height, width = annotated[0].shape[:2]
    source = [
        cv2.resize(f.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR).astype(int)
        for f in decoded(clip)
    ]
    return analysis, source, annotated


ENLARGED = 3  # 720 / 240


def test_annotated_frames_differ_where_the_skeleton_is_and_show_the_panel(replayed):
    analysis, source, annotated = replayed
    xy = analysis.kinematics.xy
    for i in (20, 90, 150):
        diff = np.abs(annotated[i] - source[i]).max(axis=2)
        x, y = np.round(ENLARGED * xy[i, 25]).astype(int)  # left knee: a bone passes through it
        assert diff[y - 2 : y + 3, x - 2 : x + 3].max() > 60, i
        # The panel: the frame seen through its dark translucent box, over a large block at the top or bottom.
        blended = 0.32 * source[i] + 0.68 * np.array(PANEL_COLOUR)
        panel = np.abs(annotated[i] - blended).max(axis=2) < 14
        h = panel.shape[0]
        assert max(panel[: h // 2].mean(), panel[h // 2 :].mean()) > 0.3, i
    far = np.abs(annotated[90] - source[90]).max(axis=2)[600:705, 750:945]  # bottom-right, nothing drawn
    assert np.median(far) < 12  # only the codec's noise


def test_replay_of_the_worst_step_is_appended_in_slow_motion(replayed):
    analysis, source, annotated = replayed
    extra = len(annotated) - len(source)
    step_frames = np.diff(sorted(analysis.kinematics.events.contact_frames)).max()
    assert step_frames <= extra <= 3 * step_frames
    # Each replay frame is held 4 frame intervals: the file is longer by about 4 x extra frames.
    with av.open(str(analysis.out_dir / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        duration_s = float(stream.duration * stream.time_base)
    assert duration_s == pytest.approx((len(source) + 4 * extra) / 30, abs=0.2)
    banner = annotated[-3][9:90, 300:660]  # the yellow title pill at the top centre
    assert (banner[..., 0] > 200).mean() > 0.3 and (banner[..., 2] < 100).mean() > 0.3


def test_a_smaller_video_is_the_same_drawing_to_scale(replayed, tmp_path):
    analysis, source, annotated = replayed
    small = render_annotated_video(
        Path(analysis.report["video"]["path"]),
        tmp_path / "small.mp4",
        analysis.kinematics,
        analysis.report,
        t_ms=analysis.pose.t_ms,
        replay=True,
        max_side=160,
        min_side=None,
    )
    frames = decoded(small)
    assert len(frames) == len(annotated)  # the replay too
    height, width = source[0].shape[:2]
    assert frames[0].shape == (height * 160 // width, 160, 3)
    scale = 160 / width
    for i in (20, 90, 150):
        shrunk = cv2.resize(source[i].astype(np.uint8), (160, frames[i].shape[0]), interpolation=cv2.INTER_AREA)
        diff = np.abs(frames[i] - shrunk).max(axis=2)
        x, y = np.round(analysis.kinematics.xy[i, 25] * scale).astype(int)  # the left knee, where its bones meet
        assert diff[y - 1 : y + 2, x - 1 : x + 2].max() > 60, i


def test_replay_matches_video_frames_to_analysed_ones_by_time():
    from formcam.report.replay import ReplayStep, _analysed_frames

    step = ReplayStep(
        "pelvic_drop_deg",
        "Pelvic drop",
        "deg",
        "left",
        9.0,
        contact_frame=10,
        contact_t_ms=1000 / 3,
        start_ms=300.0,
        stop_ms=700.0,
    )
    video_ms = np.arange(9, 22) * 1000 / 30  # 30 fps video frames 9..21
    # Same frames: the frame nearest the contact is analysed frame 10, the rest follow.
    np.testing.assert_array_equal(_analysed_frames(video_ms, step, None, 100), np.arange(9, 22))
    # The model saw every other frame (--max-fps): each video frame shows the nearest analysed one.
    analysed_ms = np.arange(0, 50) * 2000 / 30
    got = _analysed_frames(video_ms, step, analysed_ms, 50)
    assert np.all(np.abs(analysed_ms[got] - video_ms) <= 1000 / 30 + 1e-6)


# --------------------------------------------------------------------------- the video of a real clip, real model


@pytest.fixture(scope="module")
def real_short_run(shared_video, model_path, tmp_path_factory):
    """The real model's analysis of a real 1.7 s side-view clip (two strides: forced past the length check)."""
    video = shared_video("outdoor_side_fixed_short.mp4")
    options = AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False, force=True)
    return video, analyze(video, tmp_path_factory.mktemp("short"), options)


@pytest.mark.e2e
@pytest.mark.parametrize("max_side", [None, 330])  # 480 x 352 and 330 x 242 (not a multiple of 4 high)
def test_the_video_pass_shows_what_draw_overlay_draws(real_short_run, max_side, tmp_path):
    # The pass draws in place on the decoded frames with one painter for the whole video, matched to the
    # analysis by time, scaled, and encodes them. The reference draws each frame on a copy with the public
    # draw_overlay.
    video, analysis = real_short_run
    kin, report = analysis.kinematics, analysis.report
    rendered = render_annotated_video(
        video, tmp_path / "pass.mp4", kin, report, t_ms=analysis.pose.t_ms, workers=1, max_side=max_side, min_side=None
    )
    info = probe_video(video)
    width, height = scaled_size(info, max_side)
    annotate = FrameAnnotator(kin, fps=info.fps, scale=(width / info.width, height / info.height))
    with iter_frames(video, max_side=max_side) as frames:  # the model saw every frame: video frame n is analysed n
        drawn = [
            draw_overlay(frame.rgb, annotate(frame.index), panel_rows(report), track=annotate.xy).astype(float)
            for frame in frames
        ]
    shown = decoded(rendered)
    assert len(shown) == len(drawn) == annotate.n_frames > 40
    # The pictures drawn, seen through H.264 at the capped bit rate: x264's output under the cap varies from
    # run to run, so the check is fidelity, at least 24 dB PSNR for every frame. Measured: 30.1 (480 x 352) and
    # 28.1 (330 x 242) at the lowest; the video without its overlay 19.8 and 18.0, with each frame's overlay
    # from three frames later 21.0 and 19.8.
    psnr = [10 * np.log10(255.0**2 / max(np.mean((a - b) ** 2), 1e-9)) for a, b in zip(shown, drawn)]
    assert min(psnr) >= 24.0, f"lowest PSNR {min(psnr):.1f} dB at frame {int(np.argmin(psnr))}"


@pytest.mark.e2e
def test_one_painter_draws_what_draw_overlay_draws(real_short_run):
    """The pass keeps one painter for the whole clip (its panel laid out and placed once): frame for frame,
    exactly the pictures the public draw_overlay draws on fresh copies."""
    video, analysis = real_short_run
    kin, report = analysis.kinematics, analysis.report
    info = probe_video(video)
    annotate = FrameAnnotator(kin, fps=info.fps)
    painter = OverlayPainter(info.width, info.height, panel_rows(report), track=annotate.xy)
    with iter_frames(video) as frames:
        for frame in frames:
            drawn = frame.rgb.copy()
            painter.draw_on(drawn, annotate(frame.index))
            reference = draw_overlay(frame.rgb, annotate(frame.index), panel_rows(report), track=annotate.xy)
            assert np.array_equal(drawn, reference), frame.index
