"""Where the values panel sits over a whole clip: one corner, off the runner and the contact badge."""

from __future__ import annotations

import numpy as np

from formcam.report.drawing import LEFT_COLOUR, overlay_style
from formcam.report.overlay import OverlayPainter
from formcam.report.panel import pick_clip_corner
from tests.unit.report.test_overlay import ROWS, annotation, grey_frame, runner_xy

WIDTH, HEIGHT = 1280, 720


def crossing_track(n_frames: int = 60) -> np.ndarray:
    """(T, 33, 2): a runner crossing the frame from a fifth to four fifths of its width, bobbing."""
    xs = np.linspace(0.2 * WIDTH, 0.8 * WIDTH, n_frames)
    bob = 12 * np.sin(np.linspace(0, 6 * np.pi, n_frames))
    return np.stack([runner_xy(WIDTH, HEIGHT, x) + [0.0, b] for x, b in zip(xs, bob)])


def panel_corner(img: np.ndarray) -> str:
    """The corner the dark panel darkens (the frames are mid grey)."""
    m = overlay_style(WIDTH, HEIGHT).margin + 4
    patches = {
        "top-left": img[m : m + 6, m : m + 6],
        "top-right": img[m : m + 6, -m - 6 : -m],
        "bottom-left": img[-m - 6 : -m, m : m + 6],
        "bottom-right": img[-m - 6 : -m, -m - 6 : -m],
    }
    dark = [name for name, patch in patches.items() if patch.mean() < 80]
    assert len(dark) == 1, dark
    return dark[0]


def corners_over(track: np.ndarray, painter: OverlayPainter, events=lambda i: None) -> list[str]:
    corners = []
    for i, xy in enumerate(track):
        img = grey_frame(WIDTH, HEIGHT)
        painter.draw_on(img, annotation(xy, event=events(i)))
        corners.append(panel_corner(img))
    return corners


def switches(corners: list[str]) -> int:
    return sum(a != b for a, b in zip(corners, corners[1:]))


def test_the_panel_keeps_one_corner_over_a_clip_where_it_would_hop_frame_by_frame():
    track = crossing_track()
    hopping = corners_over(track, OverlayPainter(WIDTH, HEIGHT, ROWS))
    assert switches(hopping) >= 1  # the clip is one that moves a per-frame panel
    steady = corners_over(track, OverlayPainter(WIDTH, HEIGHT, ROWS, track=track))
    assert switches(steady) == 0


def test_the_panel_never_covers_the_contact_badge():
    track = crossing_track()
    painter = OverlayPainter(WIDTH, HEIGHT, ROWS, track=track)
    bare = OverlayPainter(WIDTH, HEIGHT, ROWS, show_panel=False)
    for xy in track[::5]:
        with_panel, without = grey_frame(WIDTH, HEIGHT), grey_frame(WIDTH, HEIGHT)
        ann = annotation(xy, event="L contact")
        painter.draw_on(with_panel, ann)
        bare.draw_on(without, ann)
        badge = np.abs(without.astype(int) - LEFT_COLOUR).sum(axis=2) < 30
        badge[: int(np.nanmax(xy[:, 1])) + 2] = False  # the left leg's own colour above it
        assert badge.sum() > 100
        assert np.array_equal(with_panel[badge], without[badge])


def test_the_clip_corner_weighs_every_frame_and_the_badge_below_the_feet():
    # A wide runner low in the frame: the top corners touch the arms in every frame, the bottom
    # ones only what lies below the feet, where the contact badge is drawn.
    xy = np.full((10, 33, 2), np.nan)
    xy[:, 0] = (300, 220)
    xy[:, 1] = (980, 480)
    size, frame = (500, 200), (WIDTH, HEIGHT)
    assert pick_clip_corner(xy, size, frame, 10).startswith("bottom")
    assert pick_clip_corner(xy, size, frame, 10, badge_reach=150).startswith("top")
    assert pick_clip_corner(np.full((5, 33, 2), np.nan), size, frame) == "top-left"
