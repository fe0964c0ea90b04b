"""Sample videos for new users: rendered runners with known answers, and a one-command demo.

:data:`SAMPLES` names a small set of clips (every view, a runner crossing the
frame, a cluttered room with a bystander, and the containers phones write:
portrait with rotation metadata, 240 fps slow motion, variable frame rate).
:func:`render_samples` writes them, each with its ``.truth.json``, into
``sample_videos/``; :func:`run_demo` renders them and analyses one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from formcam.synthetic.render import ClipFiles, ClipSpec, Gait, render_clip, truth_path

__all__ = ["SAMPLES", "DEMO_SAMPLE", "DEFAULT_SAMPLES_DIR", "render_samples", "run_demo"]

DEFAULT_SAMPLES_DIR = Path("sample_videos")

_POSTURE = Gait(head_forward_pct=18.0, trunk_forward_lean_deg=6.0, overstride_pct=10.0)
_HIP_DROP = Gait(pelvic_drop_deg=9.0, shoulder_dip_deg=5.0, trunk_lateral_lean_deg=4.0, cadence_spm=164.0)

#: File name (without .mp4) -> what it shows, and how it is rendered.
SAMPLES: dict[str, tuple[str, ClipSpec]] = {
    "side_treadmill": (
        "side view on a treadmill; head held forward, forward lean",
        ClipSpec(view="side", gait=_POSTURE),
    ),
    "rear_treadmill": (
        "rear view on a treadmill; pelvic drop, shoulder dip, lateral lean",
        ClipSpec(view="rear", gait=_HIP_DROP),
    ),
    "front_treadmill": (
        "front view on a treadmill; arms crossing the midline",
        ClipSpec(view="front", gait=Gait(arm_crossover_pct=8.0, shoulder_dip_deg=3.0)),
    ),
    "side_across_clutter": (
        "side view, running across a cluttered room, facing left",
        ClipSpec(
            view="side",
            direction="left",
            motion="across",
            background="clutter",
            runner_height_frac=0.45,
            distance_m=6.0,
            gait=Gait(cadence_spm=178.0),
        ),
    ),
    "rear_bystander": (
        "rear view with a person standing by",
        ClipSpec(view="rear", second_person="standing", background="clutter", seed=4, gait=_HIP_DROP),
    ),
    "phone_portrait_rotated": (
        "phone portrait clip: frames stored sideways with a 90° rotation in the metadata",
        ClipSpec(view="side", frame_size=(720, 1280), rotation_deg=90, gait=_POSTURE),
    ),
    "phone_slowmo_240fps": (
        "Android slow motion: 240 fps capture played at 30 fps, capture rate in the metadata",
        ClipSpec(view="side", fps=240.0, slowmo=8.0, duration_s=4.0, frame_size=(960, 540), gait=_POSTURE),
    ),
    "phone_vfr_30fps": (
        "phone variable frame rate around 30 fps with dropped frames",
        ClipSpec(view="side", fps=30.0, vfr=0.3, gait=_POSTURE),
    ),
}
#: The sample :func:`run_demo` analyses.
DEMO_SAMPLE = "side_treadmill"


def render_samples(
    out_dir: str | os.PathLike = DEFAULT_SAMPLES_DIR,
    names=None,
    *,
    force: bool = False,
    on_sample: Callable[[str, int], None] | None = None,
) -> list[ClipFiles]:
    """Render the sample videos (those missing, or all with ``force``) with their ground truth.

    Parameters
    ----------
    out_dir : path
        Folder to write ``<name>.mp4`` and ``<name>.truth.json`` into (created).
    names : iterable of str, optional
        Which of :data:`SAMPLES` (default all).
    force : bool
        Render again where the files exist.
    on_sample : callable, optional
        Called with ``(name, frames)`` before each clip is rendered.

    Returns
    -------
    list of ClipFiles
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(SAMPLES) if names is None else list(names)
    unknown = [n for n in names if n not in SAMPLES]
    if unknown:
        raise ValueError(f"unknown sample {unknown[0]!r}; choose from {', '.join(SAMPLES)}")
    files = []
    for name in names:
        video = out_dir / f"{name}.mp4"
        if not force and video.is_file() and truth_path(video).is_file():
            files.append(ClipFiles(video=video, truth=truth_path(video)))
            continue
        spec = SAMPLES[name][1]
        if on_sample is not None:
            on_sample(name, int(round(spec.duration_s * spec.fps)))
        files.append(render_clip(spec, video))
    return files


def run_demo(
    samples_dir: str | os.PathLike = DEFAULT_SAMPLES_DIR,
    out_dir: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    on_sample: Callable[[str, int], None] | None = None,
    on_progress=None,
):
    """Render the samples and analyse :data:`DEMO_SAMPLE` with every output.

    ``on_sample(name, frames)`` hears each sample as its rendering starts;
    ``on_progress`` (a :class:`formcam.pipeline.ProgressCallback`) the analysis's frames.

    Returns
    -------
    formcam.pipeline.Analysis
        Written to ``out_dir`` (default ``formcam-out/demo``), replacing an earlier demo.
    """
    from formcam.pipeline import AnalysisOptions, analyze

    render_samples(samples_dir, on_sample=on_sample)
    video = Path(samples_dir) / f"{DEMO_SAMPLE}.mp4"
    out_dir = Path(out_dir) if out_dir is not None else Path("formcam-out") / "demo"
    return analyze(
        video, out_dir=out_dir, options=AnalysisOptions(overwrite=True, progress=progress), on_progress=on_progress
    )
