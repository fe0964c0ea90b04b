"""End-to-end accuracy on rendered runners: formcam's answers against the drawn truth.

Each clip of :func:`validation_set` is rendered (:mod:`formcam.synthetic.render`), run
through the whole pipeline (decode, the real pose model, kinematics) with
:func:`formcam.analyze`, and compared with its ground truth:

* **metric error**: formcam's value minus the true value for the clip's view
  (cadence in %), next to the error the kinematics alone make on the exactly
  drawn landmarks (no pose model), so a reader can tell the pose model's share
  of the error from the kinematics' share;
* **landmark error**: distance from each pose-model landmark to the drawn
  joint of the same name, as a percentage of the runner's standing height in
  pixels, and the share of frames with a pose.

    >>> from formcam.synthetic.validate import run_validation, markdown_report
    >>> results = run_validation("formcam-out/validation")   # doctest: +SKIP
    >>> print(markdown_report(results))                        # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from formcam.gait.kinematics import Kinematics, analyse_pose
from formcam.gait.registry import METRICS as METRIC_SPECS
from formcam.gait.view import FRONTAL, View
from formcam.pose import landmarks as lm
from formcam.pose.posefile import PoseSequence
from formcam.synthetic.render import ClipSpec, Gait, read_truth, render_clip, truth_path

__all__ = [
    "ValidationClip",
    "MetricError",
    "ClipResult",
    "validation_set",
    "landmark_errors",
    "metric_errors",
    "angle_response",
    "metrics_with_true_events",
    "validate_clip",
    "run_validation",
    "markdown_report",
    "LANDMARK_GROUPS",
]

#: Landmarks compared, grouped as a physio would name them.
LANDMARK_GROUPS: dict[str, tuple[int, ...]] = {
    "nose": (lm.NOSE,),
    "ears": (lm.LEFT_EAR, lm.RIGHT_EAR),
    "shoulders": (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER),
    "elbows": (lm.LEFT_ELBOW, lm.RIGHT_ELBOW),
    "wrists": (lm.LEFT_WRIST, lm.RIGHT_WRIST),
    "hips": (lm.LEFT_HIP, lm.RIGHT_HIP),
    "knees": (lm.LEFT_KNEE, lm.RIGHT_KNEE),
    "ankles": (lm.LEFT_ANKLE, lm.RIGHT_ANKLE),
    "heels": (lm.LEFT_HEEL, lm.RIGHT_HEEL),
    "toes": (lm.LEFT_FOOT_INDEX, lm.RIGHT_FOOT_INDEX),
}
#: Metrics compared where the clip's view supports them, with the unit of their error.
METRICS = (
    "cadence_spm",
    "pelvic_drop_deg",
    "shoulder_dip_deg",
    "trunk_lateral_lean_deg",
    "trunk_forward_lean_deg",
    "head_forward_deg",
    "head_forward_pct",
    "vertical_oscillation_pct",
    "overstride_pct",
    "knee_flexion_contact_deg",
    "arm_crossover_pct",
)


@dataclass(frozen=True)
class ValidationClip:
    """A clip of the validation set: a file name, the condition it tests, and how to render it."""

    name: str
    condition: str
    spec: ClipSpec


def validation_set(duration_s: float = 8.0, fps: float = 60.0) -> list[ValidationClip]:
    """The clips ``formcam validate`` renders: each view clean, with clutter, and with a second person.

    Runners differ in posture so that every metric is tested away from zero.
    """
    side = Gait(head_forward_pct=15.0, trunk_forward_lean_deg=7.0, overstride_pct=8.0, cadence_spm=172.0)
    rear = Gait(pelvic_drop_deg=8.0, shoulder_dip_deg=5.0, trunk_lateral_lean_deg=4.0, cadence_spm=166.0)
    front = Gait(pelvic_drop_deg=6.0, shoulder_dip_deg=4.0, trunk_lateral_lean_deg=3.0, arm_crossover_pct=5.0)
    clip_spec = partial(ClipSpec, duration_s=duration_s, fps=fps)
    return [
        ValidationClip("side_clean", "clean", clip_spec(view="side", gait=side)),
        ValidationClip("rear_clean", "clean", clip_spec(view="rear", gait=rear)),
        ValidationClip("front_clean", "clean", clip_spec(view="front", gait=front)),
        ValidationClip(
            "side_clutter",
            "clutter",
            clip_spec(view="side", gait=side, background="clutter", seed=3, direction="left"),
        ),
        ValidationClip("rear_clutter", "clutter", clip_spec(view="rear", gait=rear, background="clutter", seed=5)),
        ValidationClip(
            "side_person", "second person", clip_spec(view="side", gait=side, second_person="walking", seed=2)
        ),
        ValidationClip(
            "rear_person", "second person", clip_spec(view="rear", gait=rear, second_person="standing", seed=4)
        ),
    ]


@dataclass(frozen=True)
class MetricError:
    """One metric on one clip. Errors are measured minus true (cadence: in % of the true value)."""

    name: str
    truth: float
    measured: float | None
    error: float | None
    drawn_error: float | None  # the kinematics alone, on the drawn landmarks
    true_events_error: float | None = None  # the pose model's landmarks, with the true foot contacts


@dataclass
class ClipResult:
    """Everything measured on one validation clip."""

    name: str
    condition: str
    view: str
    detected_view: str
    detected_fraction: float
    metrics: list[MetricError] = field(default_factory=list)
    landmarks: dict[str, float] = field(default_factory=dict)  # group -> median error, % of height
    landmarks_p90: dict[str, float] = field(default_factory=dict)
    response: dict[str, tuple[float, float]] = field(default_factory=dict)  # signal -> (gain, offset in degrees)
    note: str = ""  # what formcam would have refused, or why the clip could not be analysed


def landmark_errors(
    pose_xy: np.ndarray,
    drawn_xy: np.ndarray,
    height_px: np.ndarray,
    groups: dict[str, tuple[int, ...]] = LANDMARK_GROUPS,
) -> tuple[dict, dict]:
    """Pose-model landmark error against the drawn joints, in % of the runner's height.

    Parameters
    ----------
    pose_xy, drawn_xy : ndarray, shape (T, 33, 2)
        Pose-model and drawn landmarks, pixels of the upright frame (NaN: none).
    height_px : ndarray, shape (T,)
        The runner's standing height in pixels, per frame.
    groups : dict
        Name -> landmark indices pooled into one number.

    Returns
    -------
    (dict, dict)
        Median and 90th percentile per group, over frames where both exist.
    """
    distance = np.linalg.norm(pose_xy - drawn_xy, axis=-1) / height_px[:, None] * 100.0
    median, p90 = {}, {}
    for name, indices in groups.items():
        values = distance[:, list(indices)].ravel()
        values = values[np.isfinite(values)]
        median[name] = float(np.median(values)) if values.size else float("nan")
        p90[name] = float(np.percentile(values, 90)) if values.size else float("nan")
    return median, p90


def _line_angle_deg(xy: np.ndarray, a: int | tuple, b: int | tuple, from_vertical: bool) -> np.ndarray:
    """Angle (T,) of the line between landmark(s) ``a`` and ``b`` (midpoints for pairs), degrees.

    From vertical: positive when ``b`` is to the right of ``a``. From horizontal: the
    line's slope angle in (-90, 90), positive when its right end is lower (image y
    down), whichever of ``a`` and ``b`` is on the right.
    """
    start = xy[:, list(np.atleast_1d(a))].mean(axis=1)
    end = xy[:, list(np.atleast_1d(b))].mean(axis=1)
    d = end - start
    if from_vertical:
        return np.degrees(np.arctan2(d[:, 0], -d[:, 1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.degrees(np.arctan(d[:, 1] / d[:, 0]))


#: Frame-by-frame angles whose pose-model response :func:`angle_response` measures, per view.
#: Signal name -> (views it is valid in, (landmark(s) a, landmark(s) b), measured from vertical).
RESPONSE_SIGNALS: dict[str, tuple[tuple[View, ...], tuple[int | tuple[int, int], int | tuple[int, int]], bool]] = {
    "hip line tilt": (FRONTAL, (lm.LEFT_HIP, lm.RIGHT_HIP), False),
    "shoulder line tilt": (FRONTAL, (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER), False),
    "trunk lateral angle": (FRONTAL, ((lm.LEFT_HIP, lm.RIGHT_HIP), (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)), True),
    "trunk forward angle": ((View.SIDE,), ((lm.LEFT_HIP, lm.RIGHT_HIP), (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)), True),
    "head angle": ((View.SIDE,), ((lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER), (lm.LEFT_EAR, lm.RIGHT_EAR)), True),
}


def angle_response(
    pose_xy: np.ndarray, drawn_xy: np.ndarray, view: str, *, max_lag_frames: int = 0
) -> dict[str, tuple[float, float]]:
    """How the pose model's line angles follow the drawn ones, frame by frame.

    For each angle of :data:`RESPONSE_SIGNALS` valid in ``view``, the least-squares
    fit ``pose = gain * drawn + offset`` over frames with a pose, after shifting
    the pose model's angles by the lag (up to ``max_lag_frames``) that fits best
    (a tracker's smoothing delays its output, which would otherwise read as a
    lower gain). A gain of 1 means the model follows the drawn motion fully; 0.2
    means it sees a fifth of it (a metric built on that line then reads about a
    fifth of the truth). Where the drawn angle hardly varies (range under 2
    degrees) the gain is NaN and the offset is the median difference (a bias).

    Returns
    -------
    dict
        Signal name -> ``(gain, offset_deg)``.
    """
    out = {}
    for name, (views, (a, b), from_vertical) in RESPONSE_SIGNALS.items():
        if view not in views:
            continue
        drawn = _line_angle_deg(drawn_xy, a, b, from_vertical)
        seen = _line_angle_deg(pose_xy, a, b, from_vertical)
        ok = np.isfinite(drawn) & np.isfinite(seen)
        if ok.sum() < 10:
            out[name] = (float("nan"), float("nan"))
        elif np.ptp(drawn[ok]) < 2.0:
            out[name] = (float("nan"), float(np.median(seen[ok] - drawn[ok])))
        else:
            fits = [_fit_at_lag(drawn, seen, lag) for lag in range(0, max_lag_frames + 1)]
            best = max(fits, key=lambda fit: fit[2])
            out[name] = (best[0], best[1])
    return out


def _fit_at_lag(drawn: np.ndarray, seen: np.ndarray, lag: int) -> tuple[float, float, float]:
    """``(gain, offset, correlation)`` of ``seen[t + lag]`` against ``drawn[t]``."""
    x, y = drawn[: len(drawn) - lag], seen[lag:]
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 10:
        return float("nan"), float("nan"), -np.inf
    gain, offset = np.polyfit(x[ok], y[ok], 1)
    return float(gain), float(offset), float(np.corrcoef(x[ok], y[ok])[0, 1])


def metric_errors(
    measured: Kinematics, truth: dict, view: str, drawn: Kinematics | None = None, true_events: dict | None = None
) -> list[MetricError]:
    """Compare the metrics defined for the clip's true ``view`` with the truth (see :class:`MetricError`).

    ``drawn``: the kinematics on the drawn landmarks; ``true_events``: metric name
    -> value computed from the pose model's landmarks with the true gait events
    (:func:`metrics_with_true_events`).
    """
    rows = []
    for name in METRICS:
        if name not in truth or (name in METRIC_SPECS and view not in METRIC_SPECS[name].views):
            continue
        true_value = float(truth[name])
        value = _metric_value(measured, name)
        reference = _metric_value(drawn, name) if drawn is not None else None
        with_events = (true_events or {}).get(name)
        rows.append(
            MetricError(
                name,
                true_value,
                value,
                _error(name, value, true_value),
                _error(name, reference, true_value),
                _error(name, with_events, true_value),
            )
        )
    return rows


def metrics_with_true_events(kin: Kinematics, t_ms: np.ndarray, truth: dict) -> dict[str, float | None]:
    """Each metric from ``kin``'s cleaned landmarks but the rendered clip's true contacts and toe-offs.

    Separates the pose model's share of a metric's error from the gait-event
    detection's: the events are exact, the landmarks are the pose model's.
    """
    from formcam.gait.metrics import compute_metrics
    from formcam.gait.steps import GaitEvents

    t_ms = np.asarray(t_ms, dtype=np.float64)

    def frames(times_ms) -> np.ndarray:
        return np.abs(t_ms[None, :] - np.asarray(times_ms, dtype=np.float64)[:, None]).argmin(axis=1)

    events = GaitEvents(
        contact_frames=frames(truth["contact_t_ms"]),
        contact_sides=np.array(truth["contact_sides"]),
        toe_off_frames=frames(truth["toe_off_t_ms"]),
        toe_off_sides=np.array(truth["toe_off_sides"]),
        method="truth",
    )
    xy = getattr(kin, "xy_level", None)
    metrics = compute_metrics(kin.xy if xy is None else xy, t_ms, kin.view, events, markers=kin.markers)
    return {
        name: (None if m.value is None or not np.isfinite(m.value) else float(m.value)) for name, m in metrics.items()
    }


def _metric_value(kin: Kinematics, name: str) -> float | None:
    value: float | None
    if name == "cadence_spm":
        value = kin.cadence.value_spm
    else:
        value = kin.metrics[name].value if name in kin.metrics else None
    return None if value is None or not np.isfinite(value) else float(value)


def _error(name: str, value: float | None, truth: float) -> float | None:
    if value is None:
        return None
    return 100.0 * (value - truth) / truth if name == "cadence_spm" else value - truth


def drawn_pose(truth: dict) -> PoseSequence:
    """The drawn landmarks (and stickers) of a rendered clip as a pose sequence: a perfect pose model's."""
    xy = truth["frames"]["landmarks_xy"]
    n = len(xy)
    video = truth["video"]
    markers = truth["frames"].get("markers_xy")
    return PoseSequence(
        t_ms=truth["frames"]["t_ms"],
        image_xy=xy,
        visibility=np.ones((n, lm.N_LANDMARKS)),
        world_xyz=np.full((n, lm.N_LANDMARKS, 3), np.nan),
        frame_size=(video["width"], video["height"]),
        # The stickers' true centres (a perfect sticker finder), where the clip has stickers.
        markers_xy=None if markers is None else np.asarray(markers, dtype=np.float64),
    )


def validate_clip(
    video: str | os.PathLike, *, name: str | None = None, condition: str = "", model: str | None = None
) -> ClipResult:
    """Analyse one rendered clip with the real pose model and compare it with its truth file.

    Parameters
    ----------
    video : path
        A clip written by :func:`formcam.synthetic.render.render_clip` (its
        ``.truth.json`` next to it).
    name, condition : str
        Labels for the tables.
    model : str, optional
        Pose model name or path (default: formcam's default).
    """
    from formcam.errors import FormcamError
    from formcam.pipeline import AnalysisOptions, analyze

    truth = read_truth(truth_path(video))
    view = truth["spec"]["view"]
    name = name or Path(video).stem
    # force: a clip is analysed even where formcam would refuse it (the refusal is kept as a note), so
    # that every metric the kinematics can still give is compared.
    options = AnalysisOptions(model=model, outputs=frozenset(), progress=False, force=True)
    try:
        analysis = analyze(video, out_dir=None, options=options)
    except FormcamError as exc:
        return ClipResult(
            name=name, condition=condition, view=view, detected_view="–", detected_fraction=0.0, note=str(exc)
        )
    drawn = analyse_pose(drawn_pose(truth))
    pose = analysis.pose
    drawn_xy = truth["frames"]["landmarks_xy"]
    if pose.n_frames != len(drawn_xy):
        raise ValueError(f"{Path(video).name}: {pose.n_frames} frames decoded but {len(drawn_xy)} rendered")
    height = np.asarray(truth["frames"]["runner_height_px"], dtype=np.float64)
    median, p90 = landmark_errors(pose.image_xy, drawn_xy, height)
    refusal = analysis.report["runner"].get("refusal")
    return ClipResult(
        name=name,
        condition=condition,
        view=view,
        detected_view=analysis.kinematics.view.label,
        detected_fraction=float(np.mean(pose.detected)),
        metrics=metric_errors(
            analysis.kinematics,
            truth["truth"],
            view,
            drawn,
            metrics_with_true_events(analysis.kinematics, pose.t_ms, truth["truth"]),
        ),
        landmarks=median,
        landmarks_p90=p90,
        response=angle_response(
            pose.image_xy, drawn_xy, view, max_lag_frames=int(round(0.15 * truth["video"]["capture_fps"]))
        ),
        note=f"formcam would refuse it without --force: {refusal}" if refusal else "",
    )


def run_validation(
    out_dir: str | os.PathLike,
    clips: Sequence[ValidationClip] | None = None,
    *,
    model: str | None = None,
    rerender: bool = False,
    on_clip: Callable[[str, str], None] | None = None,
) -> list[ClipResult]:
    """Render (where missing) and validate every clip of ``clips`` (default :func:`validation_set`).

    Parameters
    ----------
    out_dir : path
        Folder for the rendered clips and their truth files (created).
    clips : sequence of ValidationClip, optional
    model : str, optional
        Pose model name or path.
    rerender : bool
        Render again even where a clip and its truth already exist.
    on_clip : callable, optional
        Called with ``(clip name, stage)``, stage ``"render"`` or ``"analyse"``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for clip in clips if clips is not None else validation_set():
        video = out_dir / f"{clip.name}.mp4"
        if rerender or not (video.is_file() and truth_path(video).is_file() and _same_spec(video, clip.spec)):
            if on_clip is not None:
                on_clip(clip.name, "render")
            render_clip(clip.spec, video)
        if on_clip is not None:
            on_clip(clip.name, "analyse")
        results.append(validate_clip(video, name=clip.name, condition=clip.condition, model=model))
    return results


def _same_spec(video: Path, spec: ClipSpec) -> bool:
    """Whether the clip on disk was rendered from ``spec`` (so it need not be rendered again)."""
    import json
    from dataclasses import asdict

    try:
        stored = read_truth(truth_path(video))["spec"]
    except (OSError, ValueError, KeyError):
        return False
    return stored == json.loads(json.dumps(asdict(spec)))


# --------------------------------------------------------------------------- #
# Tables

_UNITS = {
    "cadence_spm": "%",
    "head_forward_pct": "pts",
    "vertical_oscillation_pct": "pts",
    "overstride_pct": "pts",
    "arm_crossover_pct": "pts",
}


def _fmt(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def metric_rows(results: Sequence[ClipResult]) -> list[list[str]]:
    """Rows of the metric table: clip, condition, view (detected), metric, true, formcam, error, drawn error."""
    rows = []
    for result in results:
        view = result.view if result.detected_view == result.view else f"{result.view} (seen as {result.detected_view})"
        for m in result.metrics:
            unit = _UNITS.get(m.name, "°")
            rows.append(
                [
                    result.name,
                    result.condition,
                    view,
                    m.name,
                    _fmt(m.truth),
                    _fmt(m.measured),
                    *(
                        f"{_fmt(e, signed=True)} {unit}" if e is not None else "–"
                        for e in (m.error, m.true_events_error, m.drawn_error)
                    ),
                ]
            )
    return rows


METRIC_HEADER = [
    "clip",
    "condition",
    "view",
    "metric",
    "true",
    "formcam",
    "error",
    "error with true events",
    "error on drawn joints",
]


def landmark_rows(results: Sequence[ClipResult]) -> list[list[str]]:
    """Rows of the landmark table: clip, condition, frames with a pose (%), then one median error per group."""
    return [
        [r.name, r.condition, f"{100 * r.detected_fraction:.0f}"] + [_fmt(r.landmarks.get(g)) for g in LANDMARK_GROUPS]
        for r in results
    ]


LANDMARK_HEADER = ["clip", "condition", "pose found (% frames)"] + list(LANDMARK_GROUPS)


def response_rows(results: Sequence[ClipResult]) -> list[list[str]]:
    """Rows of the angle-response table: clip, signal, gain, offset (degrees)."""
    return [
        [r.name, name, _fmt(gain, 2), _fmt(offset, 1, signed=True)]
        for r in results
        for name, (gain, offset) in r.response.items()
    ]


RESPONSE_HEADER = ["clip", "angle", "gain (pose model / drawn)", "offset (°)"]


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(results: Sequence[ClipResult]) -> str:
    """Both tables as Markdown."""
    return (
        "### Metric error (formcam minus truth)\n\n"
        "`error`: the whole pipeline on the video; `error with true events`: the pose model's landmarks "
        "with the true foot contacts and toe-offs (no event-detection error); `error on drawn joints`: the "
        "kinematics alone on the exactly drawn landmarks (no pose-model error). Cadence in % of the true "
        "value, percentages in points, angles in degrees.\n\n"
        + _markdown_table(METRIC_HEADER, metric_rows(results))
        + "\n\n### Pose-model landmark error (median distance to the drawn joint, % of body height)\n\n"
        + _markdown_table(LANDMARK_HEADER, landmark_rows(results))
        + "\n\n### How the pose model's line angles follow the drawn ones (frame by frame)\n\n"
        "`gain`: slope of the pose model's angle against the drawn angle, after the best delay up to "
        "150 ms (1: follows fully); "
        "`offset`: constant difference (where the drawn angle is constant: the median difference).\n\n"
        + _markdown_table(RESPONSE_HEADER, response_rows(results))
        + "\n"
        + "".join(f"\n- {r.name}: {r.note}" for r in results if r.note)
        + ("\n" if any(r.note for r in results) else "")
    )
