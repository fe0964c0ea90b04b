"""Evidence frames: the frames behind a flagged number, with its lines drawn.

For each flagged metric the HTML report shows two frames: the **worst** step
(the per-step value furthest in the flagged direction) and a **typical** one
(the step whose value is nearest the median). The selection is pure (report
in, steps out); :func:`collect_evidence` then reads those frames from the
source video by seeking (stretches of the clip read in parallel threads, one
frame at a time each), draws them with the same overlay as the annotated
video, crops to the runner and encodes them as JPEG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formcam.errors import FormcamError
from formcam.gait.registry import DRAWN_METRICS, METRICS
from formcam.report.annotations import FrameAnnotator
from formcam.report.overlay import draw_overlay
from formcam.threads import usable_cores
from formcam.video.probe import probe_video
from formcam.video.seek import iter_frames_at

__all__ = [
    "EvidenceFrame",
    "EvidencePlan",
    "collect_evidence",
    "flagged_metrics",
    "plan_evidence",
    "shown_frame",
    "stretches_of_time",
    "worst_and_typical",
]

_SEVERITY = {"high": 0, "watch": 1}
#: Evidence images are scaled to this height in pixels (sharp on a phone, small in the page).
EVIDENCE_HEIGHT = 480
JPEG_QUALITY = 82
#: Labels drawn this much larger than in the video: evidence frames are shown cropped and small.
EVIDENCE_TEXT_SCALE = 1.8


@dataclass(frozen=True)
class EvidenceFrame:
    """One evidence frame of one metric.

    Attributes
    ----------
    metric : str
    role : {'worst', 'typical'}
    side : str or None
        The step's side (stance leg, or arm).
    frame : int
        The frame shown (0-based, as in the pose file).
    t_ms : float
        The step's time in ms (real time).
    value : float
        The step's value, in the metric's unit.
    jpeg : bytes or None
        The drawn, cropped frame; None when it could not be read.
    """

    metric: str
    role: str
    side: str | None
    frame: int
    t_ms: float
    value: float
    jpeg: bytes | None


def flagged_metrics(report: dict) -> list[str]:
    """Names of the metrics flagged ``high`` then ``watch``, each group in the report's order."""
    flagged = [name for name, m in report["metrics"].items() if m.get("flag") in _SEVERITY and m.get("per_step")]
    return sorted(flagged, key=lambda name: _SEVERITY[report["metrics"][name]["flag"]])


def worse_direction(name: str, metric: dict) -> str:
    """Which way a step is worse: ``'min'`` when the value is flagged for being low,
    ``'max'`` when a norm bounds it from above, ``'abs'`` when only left-right
    asymmetry is flagged (the largest magnitude)."""
    spec = METRICS.get(name)
    value = metric.get("value")
    if spec is None:
        return "abs"
    if spec.watch_below is not None and value is not None and value < spec.watch_below:
        return "min"
    if spec.watch_above is not None or spec.high_above is not None:
        return "max"
    return "abs"


def worst_and_typical(name: str, metric: dict) -> dict[str, dict]:
    """The worst and the typical step of one metric.

    Parameters
    ----------
    name : str
        Metric name (a key of :data:`formcam.gait.registry.METRICS`).
    metric : dict
        Its report.json entry, with ``per_step`` ``{side, frame, t_ms, value}``.

    Returns
    -------
    dict
        ``{'worst': step, 'typical': step}`` (per-step dicts), or ``{}`` without steps.
        The typical step is the one nearest the median; when it is the worst one
        too (two steps), only ``'worst'`` is given.
    """
    steps = [s for s in metric.get("per_step") or [] if s.get("value") is not None and math.isfinite(s["value"])]
    if not steps:
        return {}
    values = np.array([s["value"] for s in steps])
    how = worse_direction(name, metric)
    worst = int(np.argmin(values) if how == "min" else np.argmax(np.abs(values) if how == "abs" else values))
    typical = int(np.argmin(np.abs(values - np.median(values))))
    chosen = {"worst": steps[worst]}
    if typical != worst:
        chosen["typical"] = steps[typical]
    return chosen


def shown_frame(name: str, step: dict, signals: dict, contact_frames: Sequence[int]) -> int:
    """The frame that best shows ``step``'s value.

    A step-median metric (head forward, forward lean) is drawn at the frame of
    its step (contact to next contact) whose signal is nearest the step's value;
    every other metric at the step's own frame (the peak, or the contact).
    """
    frame = int(step["frame"])
    spec = METRICS.get(name)
    signal = signals.get(spec.step_signal) if spec is not None and spec.step_signal else None
    if signal is None:
        return frame
    later = [c for c in contact_frames if c > frame]
    stop = min(later[0] if later else len(signal), len(signal))
    window = np.asarray(signal[frame:stop], dtype=float)
    if not np.isfinite(window).any():
        return frame
    return frame + int(np.nanargmin(np.abs(window - step["value"])))


def crop_to_runner(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """The part of ``image`` around the landmarks ``xy`` (33, 2), padded for the labels; the whole image without any."""
    present = np.isfinite(xy).all(axis=1)
    if not present.any():
        return image
    h, w = image.shape[:2]
    (x0, y0), (x1, y1) = xy[present].min(axis=0), xy[present].max(axis=0)
    box_h = max(y1 - y0, 1.0)
    # Room for the angle labels beside the lines and the badge under the feet.
    y0, y1 = y0 - 0.25 * box_h, y1 + 0.2 * box_h
    half_w = max(x1 - x0, 0.75 * (y1 - y0)) / 2 + 0.2 * box_h
    cx = (x0 + x1) / 2
    left, right = int(max(cx - half_w, 0)), int(min(cx + half_w, w))
    top, bottom = int(max(y0, 0)), int(min(y1, h))
    if right - left < 16 or bottom - top < 16:
        return image
    return image[top:bottom, left:right]


def encode_jpeg(rgb: np.ndarray, height: int = EVIDENCE_HEIGHT) -> bytes:
    """JPEG bytes of an RGB image scaled to ``height`` pixels (never enlarged)."""
    h, w = rgb.shape[:2]
    if h > height:
        rgb = cv2.resize(rgb, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the evidence frame as JPEG")
    return data.tobytes()


def stretches_of_time(times_ms: Sequence[float], count: int) -> list[list[int]]:
    """Split positions in ``times_ms`` into at most ``count`` groups of neighbouring times, for one reader each.

    Each reader decodes from the key frame before its first time, so readers of
    separate stretches of the clip share little work.
    """
    order = np.argsort(np.asarray(times_ms, dtype=np.float64), kind="stable")
    return [group.tolist() for group in np.array_split(order, max(1, min(count, len(order))))]


@dataclass
class EvidencePlan:
    """Which frames the evidence shows and how each is drawn, before any is read.

    The images come from :func:`collect_evidence`'s own reading of the video,
    or from the annotated video's pass, which decodes every frame anyway
    (:func:`formcam.report.annotated.render_annotated_video`).

    Attributes
    ----------
    chosen : list of (str, str, dict)
        ``(metric, role, step)``: worst then typical step per flagged metric, most severe flag first.
    shown : list of int
        The analysed frame shown for each (0-based, as in the pose file).
    jpegs : list of bytes or None
        Each entry's drawn JPEG, once its frame has been read.
    """

    chosen: list[tuple[str, str, dict]]
    shown: list[int]
    annotate: FrameAnnotator
    xy: np.ndarray
    jpegs: list[bytes | None] = field(init=False)

    def __post_init__(self) -> None:
        self.jpegs = [None] * len(self.chosen)

    def draw(self, k: int, image: np.ndarray) -> bytes:
        """The JPEG of entry ``k``, drawn on ``image`` (the full-size upright frame ``shown[k]``)."""
        name, _, step = self.chosen[k]
        ann = self.annotate(
            self.shown[k], highlight=name if name in DRAWN_METRICS else None, in_stance=step.get("side")
        )
        drawn = draw_overlay(image, ann, [], show_panel=False, text_scale=EVIDENCE_TEXT_SCALE)
        return encode_jpeg(crop_to_runner(drawn, self.xy[self.shown[k]]))

    def take(self, frame: int, image: np.ndarray) -> None:
        """Draw every entry showing analysed frame ``frame`` on ``image`` (full size), into :attr:`jpegs`."""
        for k in np.flatnonzero(np.asarray(self.shown) == frame):
            self.jpegs[k] = self.draw(int(k), image)

    def frames(self) -> list[EvidenceFrame]:
        """The evidence frames, with the JPEGs drawn so far (None: not read)."""
        return [
            EvidenceFrame(name, role, step.get("side"), frame, float(step["t_ms"]), float(step["value"]), jpeg)
            for (name, role, step), frame, jpeg in zip(self.chosen, self.shown, self.jpegs)
        ]


def plan_evidence(report: dict, kinematics) -> EvidencePlan:
    """The :class:`EvidencePlan` of an analysis (report.json content and its kinematics)."""
    chosen = [
        (name, role, step)
        for name in flagged_metrics(report)
        for role, step in worst_and_typical(name, report["metrics"][name]).items()
    ]
    annotate = FrameAnnotator(kinematics, fps=report["video"].get("fps") or 30.0)
    contacts = sorted(int(f) for f in kinematics.events.contact_frames)
    shown = [
        min(shown_frame(name, step, kinematics.signals, contacts), annotate.n_frames - 1) for name, _, step in chosen
    ]
    return EvidencePlan(chosen, shown, annotate, kinematics.xy)


def collect_evidence(
    report: dict, kinematics, t_ms: np.ndarray, source_video: Path | None
) -> tuple[list[EvidenceFrame], str | None]:
    """Evidence frames of every flagged metric, read from ``source_video``.

    Parameters
    ----------
    report : dict
        The analysis's report.json content.
    kinematics : formcam.gait.kinematics.Kinematics
        Landmarks, signals and events of the same analysis.
    t_ms : ndarray, shape (T,)
        Real-time frame times in ms (the pose file's).
    source_video : Path or None
        The analysed video; None (or a missing file) gives no images.

    Returns
    -------
    frames : list of EvidenceFrame
        Worst then typical step per flagged metric, most severe flag first;
        ``jpeg`` is None where a frame could not be read.
    note : str or None
        Why there are no images, in one sentence, when there are none.
    """
    plan = plan_evidence(report, kinematics)
    if not plan.chosen:
        return [], None
    if source_video is None or not Path(source_video).is_file():
        where = f" ({source_video})" if source_video else ""
        note = (
            f"The source video is not available{where}, so the evidence frames cannot be shown; "
            "re-run formcam analyze on the video to see them."
        )
        return plan.frames(), note  # no image read: every jpeg is None
    try:
        info = probe_video(source_video)
    except FormcamError as exc:
        return [], f"The source video could not be read for the evidence frames ({exc})"
    factor = float(report["video"].get("slow_motion_factor") or 1.0)
    times_ms = [float(t_ms[f]) for f in plan.shown]

    def read(group: list[int]) -> None:
        # One full-size frame at a time per thread: each is drawn and encoded as it is read.
        wanted = [times_ms[k] for k in group]
        for j, image in iter_frames_at(source_video, wanted, slow_motion_factor=factor, info=info):
            if image is not None and image.shape[:2] == (info.height, info.width):
                plan.jpegs[group[j]] = plan.draw(group[j], image)

    groups = stretches_of_time(times_ms, usable_cores())
    with ThreadPoolExecutor(len(groups)) as pool:
        list(pool.map(read, groups))
    return plan.frames(), None
