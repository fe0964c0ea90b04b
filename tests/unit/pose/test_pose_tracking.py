"""Runner selection among several people, on hand-made detections (the real model is tested end to end)."""

import numpy as np
import pytest

from formcam.errors import UsageError
from formcam.pose.detector import Detections, link_tracks, prefetch, runner_scores, select_runner
from formcam.pose.landmarks import LEFT_ANKLE, N_LANDMARKS, RIGHT_ANKLE


def person(n_frames, centre_x, height, *, stride_px=0.0, period=20):
    """A stick person of ``height`` px whose ankles swing apart by +-stride_px."""
    xy = np.zeros((n_frames, N_LANDMARKS, 2), np.float32)
    xy[:, :, 0] = centre_x
    xy[:, :, 1] = np.linspace(0, height, N_LANDMARKS)[None, :]
    xy[:, 11:13, 1] = 0.3 * height  # shoulders
    xy[:, 23:25, 1] = 0.6 * height  # hips
    swing = stride_px * np.sin(2 * np.pi * np.arange(n_frames) / period)
    xy[:, LEFT_ANKLE, 0] += swing
    xy[:, RIGHT_ANKLE, 0] -= swing
    return xy


def detections(*people, order=None):
    """Stack people into (T, K, 33, 2); ``order[t]`` permutes slots per frame like MediaPipe does."""
    xy = np.stack(people, axis=1)
    if order is not None:
        xy = np.stack([xy[t, order[t]] for t in range(len(xy))])
    n, k = xy.shape[:2]
    return Detections(
        t_ms=np.arange(n) * 33.3,
        image_xy=xy,
        visibility=np.ones((n, k, N_LANDMARKS), np.float32),
        world_xyz=np.full((n, k, N_LANDMARKS, 3), np.nan, np.float32),
        frame_size=(1280, 720),
    )


def test_tracks_follow_people_when_slots_swap():
    runner = person(60, 300, 400, stride_px=80)
    coach = person(60, 900, 600)
    rng = np.random.default_rng(0)
    order = [rng.permutation(2) for _ in range(60)]
    track = link_tracks(detections(runner, coach, order=order).image_xy)
    # slot 0 holds the runner where order[t][0] == 0: it must always get the same id
    runner_ids = {track[t, list(order[t]).index(0)] for t in range(60)}
    coach_ids = {track[t, list(order[t]).index(1)] for t in range(60)}
    assert len(runner_ids) == 1 and len(coach_ids) == 1 and runner_ids != coach_ids


def test_runner_beats_a_larger_bystander_who_stands_still():
    runner = person(90, 300, 300, stride_px=60)
    coach = person(90, 900, 600)  # twice as tall, nearer the camera, legs still
    pose, tracking = select_runner(detections(coach, runner))
    assert tracking["n_tracks"] == 2
    np.testing.assert_allclose(pose.image_xy[:, 0, 0], 300)


def test_person_option_picks_the_other_track_and_rejects_unknown_index():
    runner = person(30, 300, 300, stride_px=60)
    coach = person(30, 900, 600)
    dets = detections(runner, coach)
    scores = runner_scores(dets.image_xy, link_tracks(dets.image_xy))
    other = int(np.argmin(scores))
    pose, _ = select_runner(dets, person=other)
    np.testing.assert_allclose(pose.image_xy[:, 0, 0], 900)
    with pytest.raises(UsageError):
        select_runner(dets, person=5)


def test_frames_without_the_runner_are_nan():
    runner = person(40, 300, 300, stride_px=60)
    runner[10:20] = np.nan
    pose, _ = select_runner(detections(runner))
    assert np.isnan(pose.image_xy[10:20]).all()
    assert pose.detected.sum() == 30


def test_no_people_at_all():
    empty = np.full((12, N_LANDMARKS, 2), np.nan, np.float32)
    pose, tracking = select_runner(detections(empty))
    assert tracking["n_tracks"] == 0 and not pose.detected.any()


def test_prefetch_keeps_order_and_raises_producer_errors():
    assert list(prefetch(range(100), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise ValueError("decoder broke")

    with pytest.raises(ValueError, match="decoder broke"):
        list(prefetch(broken()))


def test_prefetch_stops_its_thread_when_abandoned():
    import threading

    before = threading.active_count()
    gen = prefetch(iter(range(10_000)), depth=2)
    next(gen)
    gen.close()
    assert threading.active_count() == before
