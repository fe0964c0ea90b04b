"""Pelvic drop on rendered rear-view runners: from two stickers, and from the pose model's hip line.

Renders rear-view runners with known drops on each side (plain and patterned
kit, 30 and 60 fps, motion blur, a rotated portrait container, sticker colours
and sizes), analyses each with the real pose model, and reports per clip:

* the sticker method's per-side medians against the truth, and its
  angle-response gain across clips (slope of the measured per-side medians
  against the drawn ones: 1 = follows fully);
* the markerless hip line's frame-by-frame gain (the pose model's hip-line
  tilt against the drawn one, :func:`formcam.synthetic.validate.angle_response`),
  for each pose model asked for.

A markerless image-based method is tried too (``--flow``): the pelvis
region's rotation from dense optical flow (Farneback), a rigid (similarity)
motion fitted by RANSAC to its textured points between frames, integrated over
the clip and de-trended over each stride (:func:`flow_tilt_deg`), on runners
without stickers in plain and patterned kit, with the drawn landmarks placing
the region (its best case).

Run ``python -m formcam.synthetic.marker_study --models full,heavy`` (a few
minutes per model on two cores) and ``... --flow``; docs/validation.md holds
their tables.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from formcam.pipeline import AnalysisOptions, analyze
from formcam.synthetic.render import ClipSpec, Gait, read_truth, render_clip
from formcam.synthetic.render.figure import Outfit
from formcam.synthetic.validate import angle_response

COMMAND = "python -m formcam.synthetic.marker_study --models full,heavy"
_PORTRAIT = (540, 960)


def study_clips(duration_s: float = 8.0) -> dict[str, ClipSpec]:
    """The study's clips: name -> spec (rear view, stickers on the PSIS unless the name says otherwise)."""
    base = ClipSpec(view="rear", duration_s=duration_s, fps=60.0, frame_size=_PORTRAIT, markers="orange")
    return {
        "drop 8/4°, 60 fps": replace(base, gait=Gait(pelvic_drop_deg=8.0, pelvic_drop_right_deg=4.0)),
        "drop 12/12°, 60 fps, green": replace(base, gait=Gait(pelvic_drop_deg=12.0), markers="green", seed=1),
        "drop 0/0°, 60 fps, pink": replace(base, gait=Gait(), markers="pink", seed=2),
        "drop 5/9°, 30 fps, blur, patterned, rotated": replace(
            base,
            gait=Gait(pelvic_drop_deg=5.0, pelvic_drop_right_deg=9.0, arm_crossover_pct=0.0),
            fps=30.0,
            blur=0.5,
            outfit=Outfit(pattern=True),
            rotation_deg=90,
            markers="green",
            seed=3,
        ),
        "drop 6/3°, 30 fps, blur, 2 cm stickers, landscape": replace(
            base,
            gait=Gait(pelvic_drop_deg=6.0, pelvic_drop_right_deg=3.0),
            fps=30.0,
            blur=0.5,
            frame_size=(960, 540),
            runner_height_frac=0.8,
            marker_diameter_m=0.02,
            markers="yellow",
            seed=4,
        ),
        "drop 10/6°, 60 fps, patterned, blue": replace(
            base,
            gait=Gait(pelvic_drop_deg=10.0, pelvic_drop_right_deg=6.0),
            outfit=Outfit(pattern=True),
            markers="blue",
            seed=5,
        ),
    }


@dataclass(frozen=True)
class StudyRow:
    """One clip analysed with one model."""

    clip: str
    model: str
    true_left: float
    true_right: float
    left: float | None
    right: float | None
    hip_line_gain: float


def measure(name: str, spec: ClipSpec, model: str, folder: Path) -> StudyRow:
    """Render (once per folder) and analyse one clip with one pose model."""
    video = folder / ("".join(c if c.isalnum() else "_" for c in name) + ".mp4")
    if not video.exists():
        render_clip(spec, video)
    truth = read_truth(video)
    analysis = analyze(video, options=AnalysisOptions(model=model, outputs=frozenset(), progress=False))
    pelvic = analysis.report["metrics"]["pelvic_drop_deg"]
    # The markerless hip line: the pose model's hip-line tilt frame by frame against the drawn one.
    drawn = truth["frames"]["landmarks_xy"]
    index = np.searchsorted(truth["frames"]["t_ms"], analysis.pose.t_ms - 0.5)
    kin = analysis.kinematics
    levelled = kin.xy if kin.xy_level is None else kin.xy_level
    gain, _ = angle_response(levelled, drawn[index], "rear", max_lag_frames=9)["hip line tilt"]
    return StudyRow(
        clip=name,
        model=model,
        true_left=float(truth["truth"]["pelvic_drop_left_deg"]),
        true_right=float(truth["truth"]["pelvic_drop_right_deg"]),
        left=pelvic["left"],
        right=pelvic["right"],
        hip_line_gain=float(gain),
    )


def marker_gain(rows: list[StudyRow]) -> float:
    """Slope of the measured per-side medians against the drawn drops, over every clip and side."""
    true = [t for r in rows for t, m in ((r.true_left, r.left), (r.true_right, r.right)) if m is not None]
    seen = [m for r in rows for m in (r.left, r.right) if m is not None]
    return float(np.polyfit(true, seen, 1)[0]) if len(set(true)) > 1 else float("nan")


def markdown(rows: list[StudyRow]) -> str:
    """The study's tables: per clip and model, then the gains."""

    def num(value: float | None, signed: bool = False) -> str:
        return "–" if value is None or not np.isfinite(value) else (f"{value:+.1f}" if signed else f"{value:.1f}")

    lines = [
        "| clip | model | true L / R (°) | stickers L / R (°) | error L / R (°) | hip-line gain |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        off = [None if m is None else m - t for m, t in ((r.left, r.true_left), (r.right, r.true_right))]
        lines.append(
            f"| {r.clip} | {r.model} | {r.true_left:.0f} / {r.true_right:.0f} | {num(r.left)} / {num(r.right)} | "
            f"{num(off[0], True)} / {num(off[1], True)} | {r.hip_line_gain:.2f} |"
        )
    errors = np.array(
        [abs(m - t) for r in rows for m, t in ((r.left, r.true_left), (r.right, r.true_right)) if m is not None]
    )
    lines.append("")
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        gains = [r.hip_line_gain for r in mine]
        lines.append(
            f"- {model}: sticker gain {marker_gain(mine):.2f} over {len(mine)} clips; "
            f"markerless hip-line gain {np.nanmin(gains):.2f} to {np.nanmax(gains):.2f}"
        )
    if errors.size:
        lines.append(
            f"- sticker error per side: median {np.median(errors):.2f}°, 95th percentile "
            f"{np.percentile(errors, 95):.2f}°, largest {errors.max():.2f}° ({errors.size} side medians)"
        )
    return "\n".join(lines)


#: Flow regions tried: (above the mid-hip, below it, half-width), in trunk lengths.
FLOW_REGIONS = ((0.3, 0.2, 0.3), (0.25, 0.0, 0.25), (0.2, -0.05, 0.2), (0.3, 0.05, 0.35))


def flow_tilt_deg(video: Path, xy: np.ndarray, t_ms: np.ndarray, region: tuple[float, float, float]) -> np.ndarray:
    """The pelvis region's tilt from dense optical flow, degrees (T,), + = the runner's right lower (from behind).

    Per pair of frames: Farneback flow in the region around the mid-hip
    (``region``: trunk lengths above and below it, half-width), a similarity
    transform fitted by RANSAC to the 40 % most textured points, its rotation
    the tilt's change; the changes summed, less their running mean over a stride
    (0.706 s, the clips' cadence of 170 steps/min), so that drift does not count.
    """
    import cv2

    from formcam.pose import landmarks as lm
    from formcam.video.decode import iter_frames

    above, below, half = region
    change = np.zeros(len(t_ms))
    previous = None
    with iter_frames(video) as frames:
        for frame in frames:  # one flow field per frame pair
            i = frame.index
            if i >= len(xy):
                break
            grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
            if previous is not None:
                mid_hip = xy[i - 1][[lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=0)
                trunk = float(np.hypot(*(xy[i - 1][[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=0) - mid_hip)))
                rows = slice(int(mid_hip[1] - above * trunk), int(mid_hip[1] + below * trunk))
                cols = slice(int(mid_hip[0] - half * trunk), int(mid_hip[0] + half * trunk))
                a, b = previous[rows, cols], grey[rows, cols]
                flow = np.asarray(
                    cv2.calcOpticalFlowFarneback(a, b, np.zeros((*a.shape, 2), np.float32), 0.5, 3, 15, 3, 5, 1.2, 0)
                )
                ys, xs = np.mgrid[2 : a.shape[0] - 2 : 4, 2 : a.shape[1] - 2 : 4]
                src = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
                texture = np.hypot(cv2.Sobel(a, cv2.CV_32F, 1, 0), cv2.Sobel(a, cv2.CV_32F, 0, 1))[
                    ys.ravel(), xs.ravel()
                ]
                keep = texture > np.percentile(texture, 60)
                fit, _ = cv2.estimateAffinePartial2D(
                    src[keep],
                    src[keep] + flow[ys.ravel(), xs.ravel()][keep],
                    method=cv2.RANSAC,
                    ransacReprojThreshold=1.0,
                )
                if fit is not None:
                    change[i] = np.degrees(np.arctan2(fit[1, 0], fit[0, 0]))
            previous = grey
    angle = np.cumsum(change)
    width = int(round(706.0 / np.median(np.diff(t_ms)))) | 1
    trend = np.convolve(np.pad(angle, width // 2, mode="edge"), np.ones(width) / width, mode="valid")
    return angle - trend


def flow_study(folder: Path) -> list[str]:
    """The flow method's frame-by-frame gain on a plain and a patterned runner without stickers, per region."""
    from formcam.pose import landmarks as lm
    from formcam.synthetic.validate import drawn_pose

    folder.mkdir(parents=True, exist_ok=True)
    lines = ["| kit | region (above, below, half-width; trunks) | flow gain | correlation |", "|---|---|---|---|"]
    for kit, outfit in (("plain", Outfit()), ("patterned", Outfit(pattern=True))):
        spec = ClipSpec(
            view="rear", gait=Gait(pelvic_drop_deg=8.0), duration_s=4.0, frame_size=_PORTRAIT, outfit=outfit
        )
        video = folder / f"flow_{kit}.mp4"
        render_clip(spec, video)
        pose = drawn_pose(read_truth(video))
        xy = pose.image_xy.astype(np.float64)
        d = xy[:, lm.RIGHT_HIP] - xy[:, lm.LEFT_HIP]
        drawn = np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))
        drawn -= np.convolve(np.pad(drawn, 21, mode="edge"), np.ones(43) / 43, mode="valid")
        for region in FLOW_REGIONS:
            tilt = flow_tilt_deg(video, xy, pose.t_ms, region)
            inner = slice(30, -30)  # away from the ends, where the de-trending has no full stride
            gain = np.polyfit(drawn[inner], tilt[inner], 1)[0]
            corr = np.corrcoef(drawn[inner], tilt[inner])[0, 1]
            lines.append(f"| {kit} | {region} | {gain:.2f} | {corr:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="full", help="comma-separated pose models (full, heavy, lite)")
    parser.add_argument("--clips", default="", help="comma-separated indices into the clip list (default: all)")
    parser.add_argument("--folder", default=None, help="keep the rendered clips here (default: a temporary folder)")
    parser.add_argument("--flow", action="store_true", help="the optical-flow method instead (no pose model)")
    args = parser.parse_args(argv)
    if args.flow:
        with tempfile.TemporaryDirectory() as tmp:
            sys.stdout.write("\n".join(flow_study(Path(args.folder or tmp))) + "\n")
        return 0
    clips = list(study_clips().items())
    if args.clips:
        clips = [clips[int(i)] for i in args.clips.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for model in args.models.split(","):
            for name, spec in clips:  # one whole analysis per clip
                rows.append(measure(name, spec, model, folder))
                sys.stdout.write(markdown(rows[-1:]).splitlines()[2] + "\n")
                sys.stdout.flush()
    sys.stdout.write("\n" + markdown(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
