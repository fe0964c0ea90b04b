"""people.jpg: a few frames with every tracked person boxed and numbered, for ``--person``.

Written when more than one person was in view (see :mod:`formcam.pose.people`): the
person formcam analysed is boxed in green and marked "analysed", the others
in orange; the numbers are what ``--person N`` takes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from formcam.atomic import write_atomic
from formcam.video.decode import iter_frames

#: Height of each frame in the preview, px.
PANEL_HEIGHT = 480
CHOSEN_RGB = (40, 200, 80)
OTHER_RGB = (255, 150, 30)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def grab_frames(
    video_path: str | os.PathLike, times_ms: list[float], *, slow_motion_factor: float = 1.0
) -> dict[float, np.ndarray]:
    """Decode the upright RGB frames nearest the real times ``times_ms`` (the pose file's clock).

    Frames are found by time, not by number, because the pose model may have
    seen only some of the frames (``--max-fps``). Decodes from the start up
    to the last time wanted; a file that ends early gives fewer frames.
    """
    wanted = sorted(set(times_ms))
    best: dict[float, tuple[float, np.ndarray]] = {}
    if not wanted:
        return {}
    with iter_frames(video_path, slowmo=slow_motion_factor) as frames:
        for frame in frames:
            for t in wanted:
                gap = abs(frame.t_ms - t)
                if t not in best or gap < best[t][0]:
                    best[t] = (gap, frame.rgb)
            if frame.t_ms > wanted[-1]:
                break
    return {t: rgb for t, (_, rgb) in best.items()}


def draw_panel(rgb: np.ndarray, boxes: list[dict], chosen: int, t_s: float, height: int = PANEL_HEIGHT) -> np.ndarray:
    """One frame scaled to ``height`` px, with numbered boxes.

    Parameters
    ----------
    rgb : ndarray, uint8, shape (H, W, 3)
    boxes : list of dict
        ``{index, box: [x0, y0, x1, y1]}`` in px of ``rgb``.
    chosen : int
        The analysed person's index.
    t_s : float
        The frame's time, written in the corner.

    Returns
    -------
    ndarray, uint8, shape (height, W * height / H, 3)
    """
    scale = height / rgb.shape[0]
    panel = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    thick = max(2, height // 160)
    taken: list[tuple[int, int, int, int]] = [
        _label(panel, f"{t_s:.1f} s", (0, 0), (30, 30, 30), height, text_rgb=(255, 255, 255))
    ]
    for entry in boxes:
        x0, y0, x1, y1 = (int(round(v * scale)) for v in entry["box"])
        colour = CHOSEN_RGB if entry["index"] == chosen else OTHER_RGB
        cv2.rectangle(panel, (x0, y0), (x1, y1), colour, thick)
        label = f"{entry['index']} analysed" if entry["index"] == chosen else str(entry["index"])
        taken.append(_label(panel, label, (x0, y0), colour, height, avoid=taken))
    return panel


def _label(
    image: np.ndarray,
    text: str,
    corner: tuple[int, int],
    rgb,
    height: int,
    text_rgb=(0, 0, 0),
    avoid: Sequence[tuple[int, int, int, int]] = (),
) -> tuple[int, int, int, int]:
    """Draw ``text`` on a filled patch at ``corner``, moved down past the patches in ``avoid``; return its patch."""
    size = height / 600
    stroke = max(1, height // 300)
    (w, h), base = cv2.getTextSize(text, _FONT, size, stroke)
    x, y = corner
    x = min(max(x, 0), max(image.shape[1] - w - 6, 0))
    y = max(y, 0)
    for other in sorted(avoid, key=lambda patch: patch[1]):
        if x < other[2] and other[0] < x + w + 6 and y < other[3] and other[1] < y + h + base + 4:
            y = other[3] + 1
    y = min(y, image.shape[0] - h - base - 4)
    cv2.rectangle(image, (x, y), (x + w + 6, y + h + base + 4), rgb, -1)
    cv2.putText(image, text, (x + 3, y + h + 2), _FONT, size, text_rgb, stroke, cv2.LINE_AA)
    return x, y, x + w + 6, y + h + base + 4


def write_people_preview(
    video_path: str | os.PathLike,
    tracking: dict | None,
    out_path: str | os.PathLike,
    *,
    slow_motion_factor: float = 1.0,
) -> Path | None:
    """Write ``people.jpg`` from the pose stage's ``tracking`` (:func:`formcam.pose.people.choose_person`).

    ``slow_motion_factor`` is the video's (report.json ``video.slow_motion_factor``),
    so that the frames are found at the pose file's real times.

    Returns
    -------
    Path or None
        The JPEG, or None when there is nothing to show (one person, or the
        frames could not be decoded).
    """
    if not tracking:
        return None
    panels = tracking.get("preview") or []
    if not panels:
        return None
    frames = grab_frames(video_path, [p["t_ms"] for p in panels], slow_motion_factor=slow_motion_factor)
    images = [
        draw_panel(frames[p["t_ms"]], p["boxes"], tracking["chosen_track"], p["t_s"])
        for p in panels
        if p["t_ms"] in frames
    ]
    if not images:
        return None
    gap = np.full((PANEL_HEIGHT, 8, 3), 255, np.uint8)
    sheet = images[0]
    for image in images[1:]:
        sheet = np.hstack([sheet, gap, image])
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        return None
    return write_atomic(out_path, lambda tmp: tmp.write_bytes(jpeg.tobytes()))
