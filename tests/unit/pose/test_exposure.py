"""Very dark frames are brightened for the pose model; frames with any normal highlight are left exactly as they are."""

from __future__ import annotations

import numpy as np

from formcam.pose.exposure import DARK_HIGHLIGHT, MAX_GAIN, TARGET_HIGHLIGHT, exposure_gain, for_pose_model


def _frame(top: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, top + 1, size=(240, 320, 3), dtype=np.uint8)


def test_a_normal_or_backlit_frame_is_untouched():
    normal = _frame(255)
    assert for_pose_model(normal) is normal
    silhouette = np.zeros((240, 320, 3), np.uint8)
    silhouette[:40] = 250  # a bright sky over a dark runner: the highlight is normal
    assert exposure_gain(silhouette) == 1.0 and for_pose_model(silhouette) is silhouette


def test_a_dark_frame_is_scaled_until_its_highlights_are_not_dark():
    dark = _frame(60)
    bright = for_pose_model(dark)
    assert bright.dtype == np.uint8 and bright.shape == dark.shape
    highlight = np.percentile(bright.max(axis=-1), 99)
    assert DARK_HIGHLIGHT <= highlight <= TARGET_HIGHLIGHT + 5
    order = np.argsort(dark[..., 0], axis=None)
    assert np.all(np.diff(bright[..., 0].ravel()[order].astype(int)) >= 0)  # brightness order kept


def test_the_gain_is_bounded_so_a_black_frame_stays_black():
    black = np.zeros((240, 320, 3), np.uint8)
    assert exposure_gain(black) == MAX_GAIN
    assert not for_pose_model(black).any()
