"""Inline SVG plots for the HTML report: a metric over time, with foot contacts and per-step values.

Plain SVG text made from numpy arrays, so the report needs no plotting library,
no JavaScript and no network: the page stays one self-contained file that any
browser draws. Long signals are thinned to at most :data:`MAX_POINTS` points
per line by keeping each bucket's minimum and maximum, so peaks survive.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LEFT_CSS", "RIGHT_CSS", "Line", "StepPoint", "decimate", "nice_ticks", "time_plot_svg"]

#: Colours of the runner's left and right side (darker shades of the video's blue and pink, for white paper).
LEFT_CSS = "#0284c7"
RIGHT_CSS = "#db2777"
SIDE_CSS = {"left": LEFT_CSS, "right": RIGHT_CSS}
LINE_CSS = "#334155"
WATCH_CSS = "#d97706"
HIGH_CSS = "#dc2626"
OK_BAND_CSS = "#dcfce7"
#: Most points drawn per line.
MAX_POINTS = 1200

_WIDTH, _HEIGHT = 760, 230
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 14, 14, 40


@dataclass(frozen=True)
class Line:
    """One per-frame signal to draw.

    Attributes
    ----------
    values : ndarray, shape (T,)
        NaN where unknown (the line breaks there).
    label : str
    colour : str
        CSS colour.
    """

    values: np.ndarray
    label: str
    colour: str = LINE_CSS


@dataclass(frozen=True)
class StepPoint:
    """A per-step value drawn as a dot at its time, coloured by side; ``mark`` rings it."""

    t_s: float
    value: float
    side: str | None
    mark: str | None = None


def decimate(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Thin a line to at most ``max_points`` points, keeping each bucket's min and max.

    Parameters
    ----------
    t, y : ndarray, shape (T,)
        Times and values (NaN = gap; a bucket holding a gap keeps one NaN so the line still breaks).
    max_points : int

    Returns
    -------
    t, y : ndarray, shape (<= max_points,)
    """
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if len(y) <= max_points:
        return t, y
    n_buckets = max_points // 2
    edges = np.linspace(0, len(y), n_buckets + 1).astype(int)
    width = int(np.diff(edges).max())
    index = np.minimum(edges[:-1, None] + np.arange(width)[None, :], len(y) - 1)
    inside = edges[:-1, None] + np.arange(width)[None, :] < edges[1:, None]
    block = np.where(inside, y[index], np.nan)
    has_gap = (np.isnan(block) & inside).any(axis=1)
    finite = np.isfinite(block)
    lo = np.argmin(np.where(finite, block, np.inf), axis=1)
    hi = np.argmax(np.where(finite, block, -np.inf), axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    rows = np.arange(n_buckets)
    picks = np.stack([index[rows, first], index[rows, second]], axis=1)
    values = y[picks]
    values[has_gap | ~finite.any(axis=1), 1] = np.nan  # keep the break visible
    return t[picks].ravel(), values.ravel()


def nice_ticks(lo: float, hi: float, target: int = 5) -> np.ndarray:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo]) if math.isfinite(lo) else np.zeros(0)
    raw = (hi - lo) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10) if m * power >= raw), default=10 * power)
    first = math.ceil(lo / step - 1e-9) * step
    return np.arange(first, hi + step * 1e-6, step)


def _fmt(value: float) -> str:
    value = float(value) + 0.0  # no "-0"
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.0f}"


def _y_range(lines: Sequence[Line], steps: Sequence[StepPoint], levels: Sequence[float | None]) -> tuple[float, float]:
    pools = [np.asarray(line.values, dtype=float) for line in lines]
    pools.append(np.array([s.value for s in steps], dtype=float))
    values = np.concatenate([p[np.isfinite(p)] for p in pools]) if pools else np.zeros(0)
    if values.size:
        # Robust to a few wild frames: the 1-99 % range of the data, widened to every step and level.
        lo, hi = np.percentile(values, [1, 99])
        step_values = np.array([s.value for s in steps if math.isfinite(s.value)])
        if step_values.size:
            lo, hi = min(lo, step_values.min()), max(hi, step_values.max())
    else:
        lo, hi = 0.0, 1.0
    shown_levels = [v for v in levels if v is not None and math.isfinite(v)]
    if shown_levels:
        span = max(hi - lo, 1.0)
        near = [v for v in shown_levels if lo - span <= v <= hi + span]  # a far-off norm would squash the data
        lo, hi = min([lo, *near]), max([hi, *near])
    if hi - lo < 1e-6:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.08 * (hi - lo)
    return float(lo - pad), float(hi + pad)


def time_plot_svg(
    t_s: np.ndarray,
    lines: Sequence[Line],
    *,
    steps: Sequence[StepPoint] = (),
    contacts: Sequence[tuple[float, str]] = (),
    ok_band: tuple[float | None, float | None] | None = None,
    watch_levels: Sequence[float] = (),
    high_levels: Sequence[float] = (),
    y_label: str = "",
    title: str = "",
    name: str = "",
) -> str:
    """An SVG plot of per-frame lines and per-step dots over time, with foot contacts marked.

    Parameters
    ----------
    t_s : ndarray, shape (T,)
        Frame times in seconds from the clip's start.
    lines : sequence of Line
        Per-frame signals, each of shape (T,).
    steps : sequence of StepPoint
        Per-step values, as dots coloured by side (ringed where ``mark`` is set).
    contacts : sequence of (t_s, side)
        Foot contacts: a tick on the time axis and a faint line across, coloured by side.
    ok_band : (low, high), optional
        The usual range, shaded green (either end None for open).
    watch_levels, high_levels : sequence of float
        Dashed amber / red lines at the flag thresholds.
    y_label, title : str
        Axis label (with the unit) and the accessible title.
    name : str
        Written as the ``data-metric`` attribute, so a page's plots can be found by metric.

    Returns
    -------
    str
        ``<svg class="plot" ...>`` markup, sized by its ``viewBox`` so it scales with the page.
    """
    t_s = np.asarray(t_s, dtype=float)
    t0 = float(np.nanmin(t_s)) if t_s.size else 0.0
    t1 = float(np.nanmax(t_s)) if t_s.size else 1.0
    if t1 <= t0:
        t1 = t0 + 1.0
    band = ok_band or (None, None)
    lo, hi = _y_range(lines, steps, [*band, *watch_levels, *high_levels])
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x_of(t):
        return _LEFT + (np.asarray(t, dtype=float) - t0) / (t1 - t0) * plot_w

    def y_of(v):
        return _TOP + (hi - np.asarray(v, dtype=float)) / (hi - lo) * plot_h

    out = [
        f'<svg class="plot" data-metric="{html.escape(name)}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#cbd5e1"/>',
    ]
    if ok_band is not None and (band[0] is not None or band[1] is not None):
        top = y_of(min(band[1], hi)) if band[1] is not None else _TOP
        bottom = y_of(max(band[0], lo)) if band[0] is not None else _TOP + plot_h
        if bottom > top:
            out.append(
                f'<rect class="ok-band" x="{_LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" '
                f'fill="{OK_BAND_CSS}"/>'
            )
    for tick in nice_ticks(lo, hi):
        y = y_of(tick)
        out.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#475569">{_fmt(tick)}</text>'
        )
    for tick in nice_ticks(t0, t1, target=8):
        x = x_of(tick)
        out.append(
            f'<text x="{x:.1f}" y="{_TOP + plot_h + 28}" text-anchor="middle" font-size="11" '
            f'fill="#475569">{_fmt(tick)}</text>'
        )
    out.append(
        f'<text x="{_LEFT + plot_w}" y="{_HEIGHT - 2}" text-anchor="end" font-size="11" fill="#475569">time (s)</text>'
    )
    if y_label:
        out.append(
            f'<text x="12" y="{_TOP + plot_h / 2:.1f}" transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})" '
            f'text-anchor="middle" font-size="11" fill="#475569">{html.escape(y_label)}</text>'
        )
    for level, colour, name in [
        *((v, WATCH_CSS, "watch") for v in watch_levels),
        *((v, HIGH_CSS, "high") for v in high_levels),
    ]:
        if level is not None and lo <= level <= hi:
            y = y_of(level)
            out.append(
                f'<line class="level-{name}" x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-dasharray="6 4" stroke-width="1.2"/>'
            )
    for t, side in contacts:
        x = x_of(t)
        colour = SIDE_CSS.get(side, LINE_CSS)
        out.append(
            f'<line class="contact" x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{colour}" '
            f'stroke-opacity="0.18"/>'
        )
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h + 8}" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
    for line in lines:
        out.extend(_polyline(x_of, y_of, t_s, np.asarray(line.values, dtype=float), line.colour, lo, hi))
    for step in steps:
        if not math.isfinite(step.value):
            continue
        x, y = x_of(step.t_s), y_of(min(max(step.value, lo), hi))
        colour = SIDE_CSS.get(step.side or "", LINE_CSS)
        out.append(f'<circle class="step" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#fff"/>')
        if step.mark:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="#0f172a" stroke-width="1.5"/>')
            out.append(
                f'<text x="{x + 10:.1f}" y="{y - 8:.1f}" font-size="11" fill="#0f172a">{html.escape(step.mark)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _polyline(x_of, y_of, t: np.ndarray, y: np.ndarray, colour: str, lo: float, hi: float) -> list[str]:
    """One ``<polyline>`` per run of finite values (a gap in the data is a gap in the line)."""
    t, y = decimate(t, y)
    finite = np.isfinite(y) & np.isfinite(t)
    if not finite.any():
        return []
    breaks = np.flatnonzero(np.diff(finite.astype(int)) != 0) + 1
    parts = []
    for chunk in np.split(np.arange(len(y)), breaks):
        if not finite[chunk[0]] or len(chunk) < 2:
            continue
        xs, ys = x_of(t[chunk]), y_of(np.clip(y[chunk], lo, hi))
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
        parts.append(
            f'<polyline class="signal" points="{points}" fill="none" stroke="{colour}" stroke-width="1.6" '
            f'stroke-linejoin="round"/>'
        )
    return parts
