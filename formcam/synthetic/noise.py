"""Pose-model-like errors for exact synthetic landmark tracks.

:func:`add_pose_noise` imitates a real pose model's errors on a clean
sequence (:func:`formcam.synthetic.gait.make_gait` takes the same keywords);
each kind can be switched on alone, and :data:`REALISTIC_NOISE` sets all of
them to levels like MediaPipe's on a phone clip:

* **pixel jitter** - independent Gaussian noise on every coordinate
  (``jitter_px``, the standard deviation in px);
* **dropped poses** - whole frames with no pose, NaN landmarks and visibility
  (``dropout_fraction`` of the frames, chosen at random);
* **skipped frames** - frames missing from the clip's timeline, as a phone
  drops them under load, so timestamps become irregular
  (``skipped_frame_fraction``; the truth's event times stay exact);
* **left/right swap bursts** - the pose model labels the left leg (knee,
  ankle, heel, toe) as the right one and vice versa, or the arms (elbow,
  wrist, hand), for a short run of frames: ``swap_rate_hz`` bursts per
  second on average (Poisson), each lasting a uniform random time in
  ``swap_burst_ms`` (at least one frame), legs or arms with equal chance;
* **camera roll** - the whole picture turned about its centre by
  ``camera_roll_deg`` (positive: a true horizontal slopes down to the right,
  i.e. clockwise on screen); formcam must estimate and remove it;
* **visibility noise** - every visibility becomes ``1 - |N(0, 0.1)|`` and a
  ``visibility_noise`` fraction of landmark samples is reported with a
  low visibility (uniform 0-0.3) *and* a position five times as jittery, as a
  pose model's guesses for hidden joints are.

The truth is unaffected by the noise, so the difference between formcam's
values and the truth is the error formcam makes.
"""

from __future__ import annotations

import numpy as np

from formcam.pose import landmarks as lm

#: Noise like MediaPipe's on a phone clip of a runner about 600 px tall (see the module docstring):
#: 0.4 % of the height of jitter, 5 % of poses lost, 2 % of frames skipped, a swap burst every
#: two seconds lasting up to 150 ms, the camera rolled by 4 degrees, 3 % of landmarks unsure.
REALISTIC_NOISE: dict = dict(
    jitter_px=2.4,
    dropout_fraction=0.05,
    skipped_frame_fraction=0.02,
    swap_rate_hz=0.5,
    swap_burst_ms=(20.0, 150.0),
    camera_roll_deg=4.0,
    visibility_noise=0.03,
)

#: Landmarks swapped together in a leg or an arm swap burst (left index; the right twin is +1).
LEG_SWAP = (lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX)
ARM_SWAP = (lm.LEFT_ELBOW, lm.LEFT_WRIST, 17, 19, 21)  # elbow, wrist, pinky, index, thumb


def add_pose_noise(
    t_ms: np.ndarray,
    image_xy: np.ndarray,
    *,
    frame_size: tuple[int, int],
    jitter_px: float = 0.0,
    dropout_fraction: float = 0.0,
    skipped_frame_fraction: float = 0.0,
    swap_rate_hz: float = 0.0,
    swap_burst_ms: tuple[float, float] = (20.0, 150.0),
    camera_roll_deg: float = 0.0,
    visibility_noise: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give exact landmark tracks a pose model's errors (the module docstring's noise model).

    Parameters
    ----------
    t_ms : ndarray, float64, shape (T,)
        Frame times, ms.
    image_xy : ndarray, shape (T, 33, 2)
        Exact landmark pixels, x right, y down.
    frame_size : (int, int)
        Image ``(width, height)``; the roll turns the picture about its centre.
    jitter_px : float
        Standard deviation of the Gaussian noise on every coordinate, px.
    dropout_fraction : float
        Fraction of frames, at random, with no pose (NaN landmarks and visibility).
    skipped_frame_fraction : float
        Fraction of frames, at random, removed from the timeline.
    swap_rate_hz : float
        Mean number of left/right swap bursts per second (Poisson).
    swap_burst_ms : (float, float)
        Shortest and longest burst, ms (uniform; at least one frame).
    camera_roll_deg : float
        Roll of the picture, degrees; positive: a true horizontal slopes down
        to the right (clockwise on screen).
    visibility_noise : float
        Fraction of landmark samples reported with a low visibility (0-0.3)
        and five times the jitter; the others get ``1 - |N(0, 0.1)|``.  Zero:
        every present landmark has visibility 1.
    seed : int
        Seed of the random generator; the same seed gives the same noise.

    Returns
    -------
    t_ms : ndarray, float64, shape (T',)
        Times of the frames kept (``T' <= T``).
    image_xy : ndarray, float64, shape (T', 33, 2)
    visibility : ndarray, float64, shape (T', 33)
        NaN on dropped poses.
    """
    rng = np.random.default_rng(seed)
    t_ms = np.asarray(t_ms, dtype=np.float64)
    xy = np.array(image_xy, dtype=np.float64, copy=True)
    n = len(t_ms)
    visibility = np.ones((n, lm.N_LANDMARKS))
    if n == 0:
        return t_ms, xy, visibility
    if swap_rate_hz > 0:
        _swap_bursts(xy, t_ms, swap_rate_hz, swap_burst_ms, rng)
    if camera_roll_deg:
        xy = rolled(xy, camera_roll_deg, frame_size)
    if jitter_px > 0:
        xy += rng.normal(0.0, jitter_px, size=xy.shape)
    if visibility_noise > 0:
        visibility = 1.0 - np.minimum(np.abs(rng.normal(0.0, 0.1, size=visibility.shape)), 1.0)
        unsure = rng.random(visibility.shape) < visibility_noise
        visibility[unsure] = rng.uniform(0.0, 0.3, size=int(unsure.sum()))
        xy[unsure] += rng.normal(0.0, 5 * max(jitter_px, 1.0), size=(int(unsure.sum()), 2))
    if dropout_fraction > 0:
        dropped = rng.random(n) < dropout_fraction
        xy[dropped] = np.nan
        visibility[dropped] = np.nan
    if skipped_frame_fraction > 0:
        kept = rng.random(n) >= skipped_frame_fraction
        t_ms, xy, visibility = t_ms[kept], xy[kept], visibility[kept]
    return t_ms, xy, visibility


def rolled(xy: np.ndarray, camera_roll_deg: float, frame_size: tuple[int, int]) -> np.ndarray:
    """Points (..., 2) px as a camera rolled by ``camera_roll_deg`` about the frame's centre sees them."""
    centre = np.array([frame_size[0] / 2.0, frame_size[1] / 2.0])
    angle = np.radians(camera_roll_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (np.asarray(xy, dtype=np.float64) - centre) @ rotation.T + centre


def _swap_bursts(xy: np.ndarray, t_ms: np.ndarray, rate_hz: float, burst_ms: tuple[float, float], rng) -> None:
    """Swap the left and right legs or arms of ``xy`` in place for random short bursts."""
    duration_s = (t_ms[-1] - t_ms[0]) / 1000.0 if len(t_ms) > 1 else 0.0
    n_bursts = rng.poisson(rate_hz * duration_s)
    starts = rng.uniform(t_ms[0], t_ms[-1], n_bursts)
    lengths = rng.uniform(burst_ms[0], burst_ms[1], n_bursts)
    limbs = rng.random(n_bursts) < 0.5
    for start, length, legs in zip(starts, lengths, limbs):  # loop over bursts, not frames
        first = int(np.searchsorted(t_ms, start))
        last = max(int(np.searchsorted(t_ms, start + length)), first + 1)
        left = np.array(LEG_SWAP if legs else ARM_SWAP)
        rows = slice(first, last)
        xy[rows, np.r_[left, left + 1]] = xy[rows, np.r_[left + 1, left]]
