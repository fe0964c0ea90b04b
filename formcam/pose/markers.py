"""Two coloured stickers on the pelvis, found in the frames without being told their colour.

The clinical 2-D pelvic-drop method films the runner from behind with a
sticker on each posterior superior iliac spine (the "dimples" of the lower
back).  formcam finds them by itself:

1. in each frame, inside the pelvis region that the runner's hip and
   shoulder landmarks give (:func:`pelvis_box`), the small round blobs of
   saturated, bright colour (:func:`find_blobs`), each with its hue and its
   sub-pixel centre (the saturation-weighted moments of its pixels);
2. pairs of blobs of one hue, of like size, side by side and roughly
   symmetric about the spine (:func:`blob_pairs`);
3. over the clip, the hue that pairs most often is the stickers' colour, and
   a pair counts only where it sits where the pelvis is (its offset from the
   mid-hip landmarks stays that of the clip): :func:`choose_tracks`.

Frames are handed in by the caller (only :mod:`formcam.video` opens videos);
:func:`track_markers` takes any iterable of ``(index, rgb)``.  The tracks go
into the pose file (``markers_xy``); :mod:`formcam.gait.pelvis` measures the
line between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from formcam.pose import landmarks as lm

#: Saturation and value (0-255) a sticker's pixels reach at least: fluorescent dot stickers are far above skin
#: and most clothes.
MIN_SATURATION = 130
MIN_VALUE = 110
#: Blob area as a share of the squared trunk length (mid-hip to mid-shoulder): a 2-4 cm sticker on a
#: 50 cm trunk is 0.1-0.5 %; blurred up to about three times that.
MIN_AREA_TRUNK2 = 0.0004
MAX_AREA_TRUNK2 = 0.02
#: Fewest pixels in a blob (a sticker must be a few pixels across to have a centre).
MIN_AREA_PX = 5
#: Blobs are looked for in hue bands this wide either side of their centre, one every so many degrees.
HUE_BAND_HALF_WIDTH_DEG = 20.0
HUE_BAND_STEP_DEG = 15.0
#: A blob whose surrounding ring is more than this share bright and saturated in its own hue is part of a larger
#: patch of that colour (a shirt), not a sticker.
MAX_RING_SHARE = 0.15
#: Two blobs of one sticker colour differ in hue by at most this many degrees.
HUE_TOLERANCE_DEG = 18.0
#: The two stickers' separation as a share of the trunk length (about 9 cm on about 50 cm; the range allows
#: for build, sticker placement and the pelvis turning).
MIN_SEPARATION = 0.08
MAX_SEPARATION = 0.45
#: Their midpoint lies within this share of the trunk of the spine (the mid-hip's x).
MAX_OFF_SPINE = 0.15
#: Shares of frames in which a pair of the stickers' hue must be seen for marker mode to switch on.
MIN_FOUND_FRACTION = 0.3
#: A pair whose offset from the mid-hip differs from the clip's by more than this share of the trunk is not the
#: stickers (a pattern on the shirt, a second pair of spots).
MAX_OFFSET_CHANGE = 0.12


@dataclass(frozen=True)
class Blob:
    """One small saturated blob: its sub-pixel centre (px of the frame), area (px), hue (degrees, 0-360)."""

    x: float
    y: float
    area: float
    hue: float


@dataclass(frozen=True)
class Pair:
    """Two blobs of one hue side by side: image-left first, their mean hue, a score (lower is better)."""

    left: Blob
    right: Blob
    hue: float
    score: float


@dataclass
class MarkerTracks:
    """The stickers found in a clip.

    Attributes
    ----------
    xy : ndarray, float32, shape (T, 2, 2)
        Centres of the runner's left and right sticker, px of the frames, NaN where not found.
    hue_deg : float
        The stickers' hue, degrees (0 red, 30 orange, 60 yellow, 120 green, 210 blue, 320 pink).
    found_fraction : float
        Share of the frames looked at where both were found.
    """

    xy: np.ndarray
    hue_deg: float
    found_fraction: float

    def summary(self) -> dict:
        """The pose file's ``markers`` extras (:class:`formcam.pose.posefile.PoseExtras`)."""
        return {
            "hue_deg": round(float(self.hue_deg), 1),
            "colour": colour_name(self.hue_deg),
            "found_fraction": round(float(self.found_fraction), 3),
            "method": "two saturated blobs of one hue on the pelvis (formcam.pose.markers)",
        }


def colour_name(hue_deg: float) -> str:
    """A plain name for a hue, degrees."""
    names = (
        (15, "red"),
        (45, "orange"),
        (75, "yellow"),
        (165, "green"),
        (195, "cyan"),
        (255, "blue"),
        (290, "purple"),
        (345, "pink"),
        (361, "red"),
    )
    return next(name for limit, name in names if hue_deg % 360 < limit)


def pelvis_box(landmarks_xy: np.ndarray, frame_size: tuple[int, int]) -> tuple[int, int, int, int, float] | None:
    """The region where the stickers can be, from one frame's landmarks: ``(x0, y0, x1, y1, trunk_px)``.

    ``landmarks_xy`` (33, 2) px.  Generous: pose models put the hips a few
    centimetres off the joints, and the stickers sit above and between them.
    None where the hips or shoulders are missing.
    """
    hips = landmarks_xy[[lm.LEFT_HIP, lm.RIGHT_HIP]]
    shoulders = landmarks_xy[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]]
    if not (np.isfinite(hips).all() and np.isfinite(shoulders).all()):
        return None
    mid_hip, mid_sh = hips.mean(axis=0), shoulders.mean(axis=0)
    trunk = float(np.hypot(*(mid_sh - mid_hip)))
    if trunk < 10:
        return None
    width, height = frame_size
    x0 = int(max(mid_hip[0] - 0.5 * trunk, 0))
    x1 = int(min(mid_hip[0] + 0.5 * trunk, width))
    y0 = int(max(mid_hip[1] - 0.6 * trunk, 0))
    y1 = int(min(mid_hip[1] + 0.3 * trunk, height))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1, trunk


def find_blobs(rgb: np.ndarray, box: tuple[int, int, int, int, float]) -> list[Blob]:
    """The sticker-sized blobs of saturated colour inside ``box`` (:func:`pelvis_box`) of one frame.

    Parameters
    ----------
    rgb : ndarray, uint8, shape (H, W, 3)
    box : (x0, y0, x1, y1, trunk_px)

    Returns
    -------
    list of Blob
        Centres in px of ``rgb``: the moments of each blob's pixels weighted
        by how far their saturation rises above the threshold (the
        anti-aliased, blurred rim counts in part), which places the centre
        to a fraction of a pixel.
    """
    x0, y0, x1, y1, trunk = box
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    sat, val = hsv[..., 1].astype(np.float32), hsv[..., 2]
    saturated = (sat >= MIN_SATURATION) & (val >= MIN_VALUE)
    hue_code = hsv[..., 0]  # OpenCV's hue: 0-179 for 0-358 degrees
    hue_deg = hue_code.astype(np.float32) * 2.0
    weight = np.clip((sat - 0.6 * MIN_SATURATION) / (0.4 * MIN_SATURATION), 0.0, 1.0)
    area_px = trunk * trunk
    limits = (max(MIN_AREA_PX, MIN_AREA_TRUNK2 * area_px), MAX_AREA_TRUNK2 * area_px)
    # Pixels that would make a blob part of a larger patch of its colour (a shirt): bright and saturated.
    strong = (sat >= 0.8 * MIN_SATURATION) & (val >= 0.8 * MIN_VALUE)
    blobs: list[Blob] = []
    # One hue band at a time, bands overlapping: a sticker beside a spot of another colour stays its own blob.
    # Bands are looked up by hue code, and skipped where too few saturated pixels have their hue.
    counts = np.bincount(hue_code[saturated], minlength=180)
    for lookup in _HUE_BANDS:
        if counts[lookup].sum() >= limits[0]:
            band = saturated & lookup[hue_code]
            blobs += _band_blobs(band, hue_deg, weight, strong, limits, (x0, y0))
    return _distinct(blobs)


def _band_blobs(band, hue_deg, weight, strong, limits, origin) -> list[Blob]:
    """The sticker-shaped, isolated components of one hue band's mask, centred by weighted moments.

    Isolated: in a ring around the blob (from one pixel to half its size
    beyond its box) at most :data:`MAX_RING_SHARE` of the pixels are bright
    and saturated in its hue; a sticker is a dot on other colours, a
    fragment of a shirt is not.  Blobs touching the region's edge are cut
    off by it and left out.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(band.astype(np.uint8), connectivity=8)
    blobs = []
    for label in range(1, count):  # a handful of components per band
        left, top, w, h, area = stats[label]
        if not (limits[0] <= area <= limits[1]) or max(w, h) > 3 * min(w, h) or area < 0.4 * w * h:
            continue
        if left == 0 or top == 0 or left + w == band.shape[1] or top + h == band.shape[0]:
            continue
        inside = labels[top : top + h, left : left + w] == label
        angle = np.radians(hue_deg[top : top + h, left : left + w][inside])
        hue = float(np.degrees(np.arctan2(np.sin(angle).mean(), np.cos(angle).mean())) % 360)
        pad = max(3, max(w, h) // 2 + 2)
        ring = np.zeros((h + 2 * pad, w + 2 * pad), bool)
        ring[:, :] = True
        ring[pad - 1 : pad + h + 1, pad - 1 : pad + w + 1] = False
        r0, c0 = top - pad, left - pad
        rows = slice(max(r0, 0), min(top + h + pad, band.shape[0]))
        cols = slice(max(c0, 0), min(left + w + pad, band.shape[1]))
        ring = ring[rows.start - r0 : rows.stop - r0, cols.start - c0 : cols.stop - c0]
        alike = strong[rows, cols] & (_hue_distance(hue_deg[rows, cols], hue) <= HUE_TOLERANCE_DEG)
        if (alike & ring).sum() > MAX_RING_SHARE * ring.sum():
            continue
        # The rim: one pixel around the blob, of the blob's hue, counted by its saturation.
        a, b = max(top - 1, 0), min(top + h + 1, band.shape[0])
        c, d = max(left - 1, 0), min(left + w + 1, band.shape[1])
        near = (_hue_distance(hue_deg[a:b, c:d], hue) <= HUE_TOLERANCE_DEG) | (labels[a:b, c:d] == label)
        wgt = np.where(near, weight[a:b, c:d], 0.0)
        total = float(wgt.sum())
        if total <= 0:
            continue
        ys, xs = np.mgrid[a:b, c:d]
        x = origin[0] + float((wgt * xs).sum()) / total
        y = origin[1] + float((wgt * ys).sum()) / total
        blobs.append(Blob(x=x, y=y, area=float(area), hue=hue))
    return blobs


def _distinct(blobs: list[Blob]) -> list[Blob]:
    """One blob per place: of those found in overlapping hue bands within 2 px of each other, the largest."""
    kept: list[Blob] = []
    for blob in sorted(blobs, key=lambda b: -b.area):
        if all(np.hypot(blob.x - k.x, blob.y - k.y) > 2.0 for k in kept):
            kept.append(blob)
    return kept


def blob_pairs(blobs: list[Blob], spine_x: float, trunk: float) -> list[Pair]:
    """Pairs of blobs that can be the two stickers, best first.

    Same hue (within :data:`HUE_TOLERANCE_DEG`), areas within a factor of
    three, side by side (:data:`MIN_SEPARATION` to :data:`MAX_SEPARATION` of
    the trunk apart, the line tilted less than 30°), their midpoint near the
    spine (``spine_x``, px).  The score adds the midpoint's distance from the
    spine and the size mismatch.
    """
    pairs = []
    for i, a in enumerate(blobs):  # a few blobs: all pairs
        for b in blobs[i + 1 :]:
            left, right = (a, b) if a.x <= b.x else (b, a)
            dx, dy = right.x - left.x, right.y - left.y
            if _hue_distance(a.hue, b.hue) > HUE_TOLERANCE_DEG or max(a.area, b.area) > 3 * min(a.area, b.area):
                continue
            if not (MIN_SEPARATION * trunk <= dx <= MAX_SEPARATION * trunk) or abs(dy) > 0.58 * dx:
                continue
            off = abs((left.x + right.x) / 2 - spine_x) / trunk
            if off > MAX_OFF_SPINE:
                continue
            mismatch = abs(np.log(a.area / b.area))
            hue = float(np.degrees(np.angle(np.exp(1j * np.radians(a.hue)) + np.exp(1j * np.radians(b.hue)))) % 360)
            pairs.append(Pair(left, right, hue, off + 0.2 * mismatch))
    return sorted(pairs, key=lambda p: p.score)


def frame_pairs(rgb: np.ndarray, landmarks_xy: np.ndarray) -> tuple[list[Pair], np.ndarray, float]:
    """The candidate pairs of one frame, with its mid-hip (2,) px and trunk length px (empty where no runner)."""
    height, width = rgb.shape[:2]
    box = pelvis_box(landmarks_xy, (width, height))
    if box is None:
        return [], np.full(2, np.nan), float("nan")
    mid_hip = landmarks_xy[[lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=0)
    spine_x = float((mid_hip[0] + landmarks_xy[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER], 0].mean()) / 2)
    return blob_pairs(find_blobs(rgb, box), spine_x, box[4]), mid_hip, box[4]


def track_markers(
    frames: Iterable[tuple[int, np.ndarray]], image_xy: np.ndarray, *, scale: float = 1.0
) -> MarkerTracks | None:
    """Find the stickers in a clip's frames: their tracks, or None where the clip shows none.

    Parameters
    ----------
    frames : iterable of (int, ndarray)
        ``(index into image_xy, upright RGB frame)``; frames may be skipped.
    image_xy : ndarray, shape (T, 33, 2)
        The runner's landmarks, px of the pose file's frame size.
    scale : float
        Pixels of the handed frames per pixel of ``image_xy`` (frames decoded smaller).

    Returns
    -------
    MarkerTracks or None
        Tracks in px of ``image_xy``; None where fewer than
        :data:`MIN_FOUND_FRACTION` of the frames looked at show a pair.
    """
    image_xy = np.asarray(image_xy, dtype=np.float64)
    seen: dict[int, tuple[list[Pair], np.ndarray, float]] = {}
    for index, rgb in frames:
        seen[index] = frame_pairs(rgb, image_xy[index] * scale)
    return choose_tracks(seen, image_xy, scale)


def choose_tracks(
    seen: dict[int, tuple[list[Pair], np.ndarray, float]], image_xy: np.ndarray, scale: float = 1.0
) -> MarkerTracks | None:
    """The stickers' tracks from each frame's candidate pairs (:func:`frame_pairs`), or None.

    The stickers' hue is the one whose pairs are seen in the most frames;
    in each frame the best pair of that hue counts, unless its offset from
    the mid-hip (in trunk lengths) strays from the clip's median offset by
    more than :data:`MAX_OFFSET_CHANGE`.  Which sticker is the runner's left
    follows from the hip landmarks' order over the clip.
    """
    if not seen:
        return None
    hues = np.array([pair.hue for pairs, _, _ in seen.values() for pair in pairs[:3]])
    if not hues.size:
        return None
    # The hue seen paired in most frames: each frame votes once per hue bin of its best pairs.
    bins = (hues // 10).astype(int) % 36
    votes = np.zeros(36)
    for pairs, _, _ in seen.values():
        votes[np.unique([int(p.hue // 10) % 36 for p in pairs[:3]]).astype(int)] += 1
    smoothed = votes + 0.5 * (np.roll(votes, 1) + np.roll(votes, -1))
    best_bin = int(np.argmax(smoothed))
    near = hues[np.abs(((bins - best_bin + 18) % 36) - 18) <= 1]
    hue = float(np.degrees(np.angle(np.exp(1j * np.radians(near)).mean())) % 360)

    n = len(image_xy)
    xy = np.full((n, 2, 2), np.nan)
    offsets = np.full((n, 2), np.nan)
    for index, (pairs, mid_hip, trunk) in seen.items():
        mine = [p for p in pairs if _hue_distance(p.hue, hue) <= HUE_TOLERANCE_DEG]
        if mine:
            pair = mine[0]
            xy[index] = [[pair.left.x, pair.left.y], [pair.right.x, pair.right.y]]
            offsets[index] = (xy[index].mean(axis=0) - mid_hip) / trunk
    found = np.isfinite(offsets).all(axis=1)
    if found.sum() < MIN_FOUND_FRACTION * len(seen):
        return None
    typical = np.median(offsets[found], axis=0)
    stray = found & (np.hypot(*(offsets - typical).T) > MAX_OFFSET_CHANGE)
    xy[stray] = np.nan
    found &= ~stray
    if found.sum() < MIN_FOUND_FRACTION * len(seen):
        return None
    # Image-left first so far; the runner's left is image-left when the left hip is (seen from behind).
    order = np.nanmedian(image_xy[:, lm.RIGHT_HIP, 0] - image_xy[:, lm.LEFT_HIP, 0])
    if np.isfinite(order) and order < 0:
        xy = xy[:, ::-1]
    return MarkerTracks(xy=(xy / scale).astype(np.float32), hue_deg=hue, found_fraction=float(found.sum() / len(seen)))


def _hue_distance(a, b):
    """Distance between hues, degrees (0-180)."""
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


#: Each hue band as a lookup table over OpenCV's 180 hue codes (True: in the band).
_HUE_BANDS = tuple(
    _hue_distance(np.arange(180) * 2.0, centre) <= HUE_BAND_HALF_WIDTH_DEG
    for centre in np.arange(0.0, 360.0, HUE_BAND_STEP_DEG)
)
