"""Parallel pose stage and video: segments, the frame-rate cap, decoding parts of a clip, joining MP4 parts.

The real model's part is end to end (marked e2e): the same clip analysed on one
core and on two gives the same landmarks, hence the same metrics.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcam.pose.detector import Detections, PeopleSeen, concatenate_detections
from formcam.pose.parallel import MIN_PERSON_PX, POSE_SIDES, frame_rate_cap, plan_pose_segments, pose_picture_side
from formcam.report.annotated import _FrameMatcher
from formcam.threads import opencv_on_one_thread, run_in_threads
from formcam.video.decode import iter_frames, keyframes_near
from formcam.video.encode import H264Writer, concat_mp4
from formcam.video.probe import VideoInfo, probe_video
from formcam.video.segments import (
    MIN_SEGMENT_FRAMES,
    TARGET_SEGMENT_FRAMES,
    WHOLE_CLIP,
    ClipSpan,
    clip_span,
    plan_work_segments,
)
from tests.helpers.media import pattern_frame

FPS = 30


def keyframed_clip(
    path: Path, n_frames: int, *, fps: int = FPS, gop: int = 24, width: int = 160, height: int = 96
) -> Path:
    """Pattern frames with a keyframe every ``gop`` frames and B-frames (x264 defaults), time base 1/(fps*100)."""
    time_base = Fraction(1, fps * 100)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        stream.options = {"crf": "18", "g": str(gop), "keyint_min": str(gop)}
        for index in range(n_frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index, width, height), format="rgb24")
            frame.pts, frame.time_base = index * 100, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def span_of(n_frames: int, fps: float = 60.0, slow_motion_factor: float = 1.0) -> ClipSpan:
    video = VideoInfo(
        path="x.mp4",
        codec="h264",
        width=1080,
        height=1920,
        stored_width=1080,
        stored_height=1920,
        rotation_deg=0,
        fps=fps,
        frames=n_frames,
        duration_s=n_frames / fps,
        slow_motion_factor=slow_motion_factor,
        slow_motion_source=None,
        time_base=Fraction(1, 90_000),
    )
    return ClipSpan(video, first_s=0.5, end_s=0.5 + n_frames / fps)


# --------------------------------------------------------------------------- planning


def test_short_clips_are_one_segment_and_long_ones_an_even_number_covering_the_clip():
    assert plan_pose_segments(span_of(2 * MIN_SEGMENT_FRAMES - 1)) == [WHOLE_CLIP]
    for n_frames in (2 * MIN_SEGMENT_FRAMES, 390, 5 * TARGET_SEGMENT_FRAMES + 7, 36_000):
        span = span_of(n_frames)
        segments = plan_pose_segments(span)
        assert len(segments) >= 2 and len(segments) % 2 == 0
        assert segments[0].start_s is None and segments[-1].stop_s is None
        for before, after in zip(segments, segments[1:]):
            assert before.stop_s == after.start_s  # no gap, no overlap in the frames kept
            assert after.decode_from_s < after.start_s  # the tracker warms up before
        starts = [span.first_s] + [s.decode_from_s for s in segments[1:]]
        stops = [s.start_s for s in segments[1:]] + [span.end_s]
        tracked = (np.array(stops) - np.array(starts)) * span.info.fps  # kept and warm-up frames
        assert tracked.max() - tracked.min() < 1e-6  # as much work each: the threads finish together
        assert tracked.max() <= TARGET_SEGMENT_FRAMES + segments[1].warmup_s * span.info.fps + 1


def test_the_pose_stage_cut_does_not_depend_on_the_cores_but_the_video_work_does():
    span = span_of(3000)
    assert plan_pose_segments(span) == plan_pose_segments(span)  # takes no worker count at all
    assert plan_work_segments(span, 1) == [WHOLE_CLIP]
    assert len(plan_work_segments(span, 2)) >= 2
    assert len(plan_work_segments(span, 8)) >= 8
    assert all(segment.warmup_s == 0 for segment in plan_work_segments(span, 4))


def test_the_video_work_gives_every_thread_as_many_equal_segments():
    for n_frames in (4 * MIN_SEGMENT_FRAMES, 1802, 5 * TARGET_SEGMENT_FRAMES + 7, 36_000):
        span = span_of(n_frames)
        for workers in (2, 3, 4):  # clips long enough for each of them
            segments = plan_work_segments(span, workers)
            assert len(segments) % workers == 0, (n_frames, workers, len(segments))
            bounds = [span.first_s] + [s.start_s for s in segments[1:]] + [span.end_s]
            lengths = np.diff(bounds) * span.info.fps
            assert lengths.max() - lengths.min() < 1e-6
            assert lengths.max() <= TARGET_SEGMENT_FRAMES


def test_warm_up_is_longer_in_frames_for_high_frame_rate_clips():
    normal = plan_pose_segments(span_of(600, fps=30))[1]
    fast = plan_pose_segments(span_of(4800, fps=240))[1]
    assert fast.warmup_s * 240 > normal.warmup_s * 30


def test_the_model_gets_the_smallest_picture_in_which_the_smallest_person_is_still_large():
    portrait = span_of(600).info  # 1080 x 1920
    landscape = dataclasses.replace(portrait, width=1280, height=720, stored_width=1280, stored_height=720)

    def person_px(info, height, side):
        return height * side * info.height / max(info.width, info.height)

    assert pose_picture_side(portrait, PeopleSeen(1, 0.52)) == 960  # a treadmill runner, half the frame
    assert pose_picture_side(portrait, PeopleSeen(1, 0.8)) == POSE_SIDES[0]
    for info, height in ((portrait, 0.4), (portrait, 0.52), (landscape, 0.7), (landscape, 0.9)):
        side = pose_picture_side(info, PeopleSeen(1, height))
        assert person_px(info, height, side) >= MIN_PERSON_PX, (info.width, height, side)
        smaller = [s for s in POSE_SIDES if s < side]
        assert not smaller or person_px(info, height, smaller[-1]) < MIN_PERSON_PX
    # Nobody seen, or someone too small for any of the pictures: the largest.
    assert pose_picture_side(portrait, PeopleSeen(0, float("nan"))) == POSE_SIDES[-1]
    assert pose_picture_side(landscape, PeopleSeen(2, 0.1)) == POSE_SIDES[-1]
    assert pose_picture_side(landscape, PeopleSeen(2, 0.66)) == POSE_SIDES[-1]  # the sprint clip's runner, 475 px


# --------------------------------------------------------------------------- frame-rate cap


def test_frame_rate_cap_keeps_every_other_frame_of_240_fps_at_120_and_true_times():
    span = span_of(480, fps=240)
    keep = frame_rate_cap(span.info, 120)
    t_ms = 1000 * np.arange(480) / 240 + np.random.default_rng(1).normal(0, 0.2, 480)  # a little jitter
    kept = [t for t in t_ms if keep(t)]
    assert len(kept) == 240
    assert set(np.round(kept, 6)) <= set(np.round(t_ms, 6))


def test_frame_rate_cap_picks_the_same_frames_wherever_decoding_starts():
    span = span_of(480, fps=240)
    t_ms = 1000 * np.arange(480) / 240
    keep_whole, keep_late = frame_rate_cap(span.info, 100), frame_rate_cap(span.info, 100)
    whole = [t for t in t_ms if keep_whole(t)]
    late = [t for t in t_ms[101:] if keep_late(t)]
    # After its first frame (which may open a slot the whole pass had filled
    # already: a segment's warm-up covers that), the late pass keeps the same frames.
    assert late[1:] == [t for t in whole if t > late[0]]


def test_no_cap_when_the_clip_is_already_slow_enough():
    assert frame_rate_cap(span_of(100, fps=60).info, 120) is None
    assert frame_rate_cap(span_of(100, fps=60).info, None) is None
    # A 240 fps capture played at 30 fps is 240 fps of real time.
    assert frame_rate_cap(span_of(100, fps=30, slow_motion_factor=8).info, 120) is not None


# --------------------------------------------------------------------------- threads


def test_run_in_threads_keeps_order_sums_progress_and_reports_from_the_calling_thread():
    calling = threading.get_ident()
    seen_threads = set()

    def work(item, progress):
        seen_threads.add(threading.get_ident())
        for _ in range(item):
            progress.add()
        return item * 10

    reports = []
    assert run_in_threads(work, [3, 1, 4, 1, 5], 2, lambda n: reports.append((n, threading.get_ident()))) == [
        30,
        10,
        40,
        10,
        50,
    ]
    assert reports[-1][0] == 14 and {thread for _, thread in reports} == {calling}
    assert calling not in seen_threads


def test_opencv_runs_on_one_thread_inside_and_as_before_after_an_error():
    import cv2

    before = cv2.getNumThreads()
    with pytest.raises(KeyError):
        with opencv_on_one_thread():
            assert cv2.getNumThreads() == 1
            raise KeyError
    assert cv2.getNumThreads() == before


def test_run_in_threads_raises_the_first_error_and_stops_the_others():
    started, stopped = threading.Event(), threading.Event()

    def work(item, progress):
        if item == 0:
            raise ValueError("segment 0 broke")
        started.set()
        while not progress.stopped:
            threading.Event().wait(0.01)
        stopped.set()

    with pytest.raises(ValueError, match="segment 0 broke"):
        run_in_threads(work, [0, 1], 2)
    assert stopped.is_set() or not started.is_set()  # stopped if it had started, else never started


# --------------------------------------------------------------------------- decoding parts of a clip


def test_segments_decode_exactly_the_frames_of_one_pass(tmp_path):
    clip = keyframed_clip(tmp_path / "gop.mp4", 150)
    with iter_frames(clip) as frames:
        whole = [(frame.pts, frame.rgb) for frame in frames]
    span = clip_span(clip)
    cuts = [span.first_s + k * (span.end_s - span.first_s) / 4 for k in (1, 2, 3)]
    # Cuts between keyframes (every 24 frames), so each part starts by decoding frames it skips.
    parts = []
    for start, stop in zip([None, *cuts], [*cuts, None]):
        with iter_frames(clip, start_s=start, stop_s=stop) as frames:
            parts += [(frame.pts, frame.rgb) for frame in frames]
            if start is not None:
                assert frames.first_decoded_s <= start
    assert [pts for pts, _ in parts] == [pts for pts, _ in whole]
    for (_, a), (_, b) in zip(parts, whole):
        np.testing.assert_array_equal(a, b)


def test_early_end_is_judged_by_the_caller_for_a_part(tmp_path):
    clip = keyframed_clip(tmp_path / "gop.mp4", 60)
    with iter_frames(clip, start_s=1.0) as frames:
        count = sum(1 for _ in frames)
    assert count == 30 and frames.decode_error is None
    assert frames.early_end_message(60) is None


def test_frames_for_the_model_are_scaled_down_and_still_look_alike(tmp_path):
    clip = keyframed_clip(tmp_path / "big.mp4", 10, width=640, height=360)
    with iter_frames(clip) as full, iter_frames(clip, max_side=320) as small:
        for big, little in zip(full, small):
            assert little.rgb.shape == (180, 320, 3) and little.rgb.flags["C_CONTIGUOUS"]
            shrunk = big.rgb.reshape(180, 2, 320, 2, 3).mean(axis=(1, 3))
            assert np.abs(shrunk - little.rgb).mean() < 6  # BT.601 vs the file's matrix, no deblocking
            assert little.t_ms == big.t_ms


def test_keyframes_near_gives_one_picture_per_moment(tmp_path):
    clip = keyframed_clip(tmp_path / "gop.mp4", 90)
    info = probe_video(clip)
    pictures = keyframes_near(info, [0.1, 1.5, 2.9], max_side=80)
    assert len(pictures) == 3 and pictures[0].shape == (48, 80, 3)


# --------------------------------------------------------------------------- joining


def test_concatenated_detections_pad_the_slots_of_parts_that_looked_for_fewer_people():
    def part(n, k):
        return Detections(
            t_ms=np.arange(n, dtype=float),
            image_xy=np.ones((n, k, 33, 2), np.float32),
            visibility=np.ones((n, k, 33), np.float32),
            world_xyz=np.ones((n, k, 33, 3), np.float32),
            frame_size=(10, 10),
        )

    joined = concatenate_detections([part(3, 1), part(2, 2)])
    assert joined.image_xy.shape == (5, 2, 33, 2)
    assert np.isnan(joined.image_xy[:3, 1]).all() and not np.isnan(joined.image_xy[3:]).any()


def test_mp4_parts_join_into_one_playable_video_with_every_frame_and_time(tmp_path):
    time_base = Fraction(1, 15_360)
    pts = np.cumsum(np.r_[0, np.full(59, 512)]) + 1000
    parts = []
    for k, chunk in enumerate(np.array_split(np.arange(60), 3)):
        path = tmp_path / f"part{k}.mp4"
        with H264Writer(path, width=64, height=48, time_base=time_base, fps=30, threads=1, faststart=False) as writer:
            for i in chunk:
                writer.write(pattern_frame(int(i), 64, 48), int(pts[i]))
        parts.append(path)
    out = concat_mp4(parts, tmp_path / "joined.mp4")
    assert not list(tmp_path.glob(".*.part"))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert [f.pts for f in frames] == list(pts)
        assert stream.time_base == time_base
    for i, frame in enumerate(frames):
        assert np.abs(frame.to_ndarray(format="rgb24").astype(int) - pattern_frame(i, 64, 48)).mean() < 4


def test_video_frames_find_their_analysed_frame_by_time():
    match = _FrameMatcher(np.array([0.0, 33.3, 66.7, 100.0]))
    assert [match(t) for t in (0.0, 33.3, 66.7, 100.0)] == [0, 1, 2, 3]
    assert match(50.0 + 1.0) == 2 and match(50.0 - 1.0) == 1  # a frame the model skipped: the nearest
    assert match(140.0) == -1 and match(-40.0) == -1  # no analysed frame near


def test_video_drawn_in_parallel_parts_matches_the_one_drawn_in_one_pass(tmp_path):
    from formcam.gait.kinematics import analyse_pose
    from formcam.pipeline import _video_section_without_file
    from formcam.report.annotated import render_annotated_video
    from formcam.report.json_report import ReportContent, build_report
    from formcam.synthetic.gait import make_gait

    clip = keyframed_clip(tmp_path / "clip.mp4", 250, width=320, height=180)
    pose = make_gait(fps=FPS, duration_s=250 / FPS)
    pose.image_xy *= 0.25  # onto the small frame
    kinematics = analyse_pose(pose)
    report = build_report(ReportContent(_video_section_without_file(pose), pose.t_ms, kinematics))
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"annotated{workers}.mp4"
        render_annotated_video(clip, out, kinematics, report, t_ms=pose.t_ms, workers=workers)
        with av.open(str(out)) as container:
            outputs[workers] = [(f.pts, f.to_ndarray(format="rgb24").astype(int)) for f in container.decode(video=0)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no parts left behind
    assert len(outputs[1]) == len(outputs[2]) == 250
    assert [pts for pts, _ in outputs[1]] == [pts for pts, _ in outputs[2]]
    small = [cv2.resize(a.astype(np.uint8), (320, 180), interpolation=cv2.INTER_AREA) for _, a in outputs[1]]
    drawn = np.mean([np.abs(a.astype(int) - pattern_frame(i, 320, 180)).mean() for i, a in enumerate(small)])
    assert drawn > 2  # the overlay is there
    # Only compression noise between the two (the parts start with their own keyframes).
    assert max(np.abs(a - b).mean() for (_, a), (_, b) in zip(outputs[1], outputs[2])) < 3


# --------------------------------------------------------------------------- with the real model


@pytest.mark.e2e
def test_one_core_and_two_cores_give_the_same_landmarks_and_metrics(shared_video, model_path, monkeypatch):
    import cv2

    from formcam.gait.kinematics import analyse_pose
    from formcam.pose.detector import PoseDetector
    from formcam.pose.parallel import detect_people_parallel
    from formcam.pose.people import choose_person

    opencv_threads = []
    detect = PoseDetector.detect

    def noting_opencv_threads(self, *args):
        opencv_threads.append(cv2.getNumThreads())
        return detect(self, *args)

    monkeypatch.setattr(PoseDetector, "detect", noting_opencv_threads)
    video = shared_video("treadmill_side_portrait_60fps.mp4")
    one = detect_people_parallel(video, model_path, workers=1)
    on_its_own = set(opencv_threads)
    opencv_threads.clear()
    two = detect_people_parallel(video, model_path, workers=2)
    assert set(opencv_threads) == {1} and on_its_own == {cv2.getNumThreads()}  # OpenCV's pool only when alone
    assert one.segments == two.segments >= 2 and one.num_poses == two.num_poses
    assert one.picture_max_side == two.picture_max_side == 960  # the runner is half the frame's height
    np.testing.assert_array_equal(one.detections.t_ms, two.detections.t_ms)
    np.testing.assert_array_equal(one.detections.image_xy, two.detections.image_xy)
    kinematics = [analyse_pose(choose_person(run.detections)[0]) for run in (one, two)]
    assert kinematics[0].cadence.value_spm == pytest.approx(kinematics[1].cadence.value_spm, rel=0.005)
    for name, metric in kinematics[0].metrics.items():
        other = kinematics[1].metrics[name]
        if metric.value is None:
            assert other.value is None
            continue
        tolerance = 0.5  # degrees for angles, points for percentages
        assert other.value == pytest.approx(metric.value, abs=tolerance), name


@pytest.mark.e2e
def test_the_keyframe_look_finds_the_same_people_on_any_number_of_threads(shared_video, model_path):
    from formcam.pose.parallel import look_at_keyframes

    span = clip_span(shared_video("treadmill_sprint_side_two_people.mp4"))
    seen = [look_at_keyframes(span, model_path, workers) for workers in (1, 2, 3)]
    assert seen[0].most == 2 and 0.3 < seen[0].smallest_height < 1
    assert seen[1] == seen[0] and seen[2] == seen[0]


def test_looks_at_different_keyframes_add_up_to_the_most_people_and_the_smallest_person():
    nobody, one, two = PeopleSeen(0, float("nan")), PeopleSeen(1, 0.5), PeopleSeen(2, 0.3)
    assert PeopleSeen.together([one, nobody, two]) == PeopleSeen(2, 0.3)
    assert PeopleSeen.together([nobody, one]) == one
    together = PeopleSeen.together([nobody, nobody])
    assert together.most == 0 and np.isnan(together.smallest_height)


def test_the_pipeline_starts_without_importing_scipy_and_preloads_it_in_the_background():
    # Importing scipy takes about a second, jsonschema 0.07 s; formcam does both while the pose model runs.
    code = (
        "import sys, formcam.pipeline as p, formcam.cli; before = {'scipy', 'jsonschema'} & set(sys.modules); "
        "p.preload_analysis_libraries().join(); "
        "print(sorted(before), 'scipy.signal' in sys.modules, 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True", "True"]


def test_an_interrupt_cancels_the_queued_work_too():
    started = []

    def work(item, progress):
        started.append(item)
        threading.Event().wait(0.5)  # a segment that does not look at progress.stopped before opening the file

    def interrupt(frames):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_in_threads(work, list(range(200)), 2, on_frame=interrupt)
    assert len(started) <= 4, f"{len(started)} of 200 queued segments still ran after Ctrl-C"
