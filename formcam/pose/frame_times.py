"""A clip whose frame rate changes part-way, put on even frame times before the analysis.

Phones drop from 60 to 30 or 15 fps in low light, and keep the true
timestamps.  The analysis sizes its filters, peak distances and gap limits
from one frame interval (the median), so the slower stretch looked like
frames lost in long gaps, its contacts were dropped, and a run at 166 steps/min
read 108 (issue 20).  Such a clip is resampled onto an even grid at its
fastest sustained rate, each landmark interpolated linearly in time between
the two frames around each grid time; what the analysis then says about each
grid frame it says about that time of the video.  Occasional dropped frames
(a phone skipping one now and then) are not a change of rate and are left as
they are.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from formcam.pose.posefile import PoseSequence

#: An interval this many times the clip's fastest sustained one is a slower rate (or a dropped frame) ...
SLOWER_RATIO = 1.5


#: ... and the frame rate changes when such intervals come in runs of at least this many frames ...
SUSTAINED_FRAMES = 5


#: ... that together last at least this share of the clip.
SUSTAINED_SHARE = 0.2


#: Frames further apart than this many of the slower rate's intervals are a gap, not a slower rate: not bridged.
MAX_BRIDGE_INTERVALS = 2.5


def changing_frame_rate(t_ms: np.ndarray) -> float | None:
    """The grid interval, ms, for a clip whose frame rate changes part-way; None for an even one.

    Parameters
    ----------
    t_ms : ndarray, shape (T,)
        Frame times, ms, strictly increasing.

    Returns
    -------
    float or None
        The clip's fastest sustained frame interval (the 10th percentile of
        its intervals), where runs of at least :data:`SUSTAINED_FRAMES`
        intervals :data:`SLOWER_RATIO` times longer cover at least
        :data:`SUSTAINED_SHARE` of the clip.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if t_ms.size < 3 * SUSTAINED_FRAMES:
        return None
    dt = np.diff(t_ms)
    fastest = float(np.percentile(dt, 10))
    if not fastest > 0:
        return None
    slower = dt >= SLOWER_RATIO * fastest
    edges = np.flatnonzero(np.diff(np.concatenate([[0], slower.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    sustained = (stops - starts) >= SUSTAINED_FRAMES
    covered = sum(float(dt[a:b].sum()) for a, b in zip(starts[sustained], stops[sustained]))
    return fastest if covered >= SUSTAINED_SHARE * float(t_ms[-1] - t_ms[0]) else None


def even_frame_times(pose: PoseSequence) -> PoseSequence:
    """The pose itself if its frame rate is even; else resampled onto even frame times.

    Parameters
    ----------
    pose : PoseSequence

    Returns
    -------
    PoseSequence
        On the grid ``t0 + k * interval`` (:func:`changing_frame_rate`) up to
        the last frame: landmarks, visibility and sticker tracks interpolated
        linearly between the frames either side of each grid time; NaN where
        either is missing or they lie more than :data:`MAX_BRIDGE_INTERVALS`
        of the slower rate's interval apart (a real gap).  The extras are
        kept.
    """
    t_ms = np.asarray(pose.t_ms, dtype=np.float64)
    interval = changing_frame_rate(t_ms)
    if interval is None:
        return pose
    grid = t_ms[0] + interval * np.arange(int(np.floor((t_ms[-1] - t_ms[0]) / interval + 1e-6)) + 1)
    after = np.clip(np.searchsorted(t_ms, grid, side="right"), 1, len(t_ms) - 1)
    before = after - 1
    span = t_ms[after] - t_ms[before]
    weight = np.clip((grid - t_ms[before]) / span, 0.0, 1.0)
    slower_interval = float(np.percentile(np.diff(t_ms), 90))
    bridged = span <= MAX_BRIDGE_INTERVALS * max(slower_interval, interval)

    def resample(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values)
        w = weight.reshape((-1,) + (1,) * (values.ndim - 1))
        mixed = (1.0 - w) * values[before] + w * values[after]
        mixed[~bridged] = np.nan
        return mixed.astype(values.dtype, copy=False)

    return dataclasses.replace(
        pose,
        t_ms=grid,
        image_xy=resample(pose.image_xy),
        visibility=resample(pose.visibility),
        world_xyz=resample(pose.world_xyz),
        markers_xy=None if pose.markers_xy is None else resample(pose.markers_xy),
    )
