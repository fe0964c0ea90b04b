"""The whole analysis as one library call: video (or pose file) in, outputs and report out.

    >>> from formcam import analyze
    >>> result = analyze("run.mp4", out_dir="out")          # doctest: +SKIP
    >>> result.report["metrics"]["pelvic_drop_deg"]["value"]  # doctest: +SKIP

The command line (:mod:`formcam.cli`) is a thin layer over :func:`analyze`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .decode import VideoInfo, iter_frames
from .errors import NothingToAnalyseError, UnreadableInputError, UsageError
from .kinematics import Kinematics, analyse_pose
from .models import resolve_model
from .pose import DEFAULT_NUM_POSES, detect_people, prefetch, select_runner
from .posefile import PoseSequence, load_pose, save_pose
from .report.annotated import render_annotated_video
from .report.json_report import build_report, write_report
from .report.outputs import default_out_dir, prepare_out_dir
from .report.tables import write_tables

#: Fewer frames with a detected runner than this and there is nothing to measure.
MIN_DETECTED_FRAMES = 10
#: Nor when the runner is in fewer than this fraction of the frames.
MIN_DETECTED_FRACTION = 0.05

ALL_OUTPUTS = frozenset({"report.json", "annotated.mp4", "pose.npz", "frames.csv", "steps.csv"})
VIEWS = ("side", "rear", "front")


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user chose; every field has the default a runner would expect.

    Attributes
    ----------
    model : str, optional
        Pose model name (``lite``, ``full``, ``heavy``) or path; default ``full``.
    slowmo : float, optional
        Slow-motion factor (capture rate / playback rate) set by hand.
    view : {'side', 'rear', 'front'}, optional
        Overrides the detected camera view.
    height_cm : float, optional
        Runner's height, to give distances in centimetres.
    person : int, optional
        Track index to analyse instead of the automatically chosen runner.
    num_poses : int
        People MediaPipe looks for in each frame.
    outputs : frozenset of str
        Which of :data:`ALL_OUTPUTS` to write.
    overwrite : bool
        Replace an earlier analysis in the output folder.
    progress : bool
        Show progress bars.
    """

    model: str | None = None
    slowmo: float | None = None
    view: str | None = None
    height_cm: float | None = None
    person: int | None = None
    num_poses: int = DEFAULT_NUM_POSES
    outputs: frozenset = ALL_OUTPUTS
    overwrite: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if self.view is not None and self.view not in VIEWS:
            raise UsageError(f"--view must be one of {', '.join(VIEWS)}, not '{self.view}'.")
        if self.slowmo is not None and not self.slowmo >= 1:
            raise UsageError(f"--slowmo is how many times slower than real time the clip plays, so at least 1 (got {self.slowmo}).")
        if self.height_cm is not None and not 50 <= self.height_cm <= 250:
            raise UsageError(f"--height-cm should be a runner's height in centimetres, between 50 and 250 (got {self.height_cm}).")
        unknown = set(self.outputs) - ALL_OUTPUTS
        if unknown:
            raise UsageError(f"Unknown output {sorted(unknown)[0]}; choose from {', '.join(sorted(ALL_OUTPUTS))}.")


@dataclass
class Analysis:
    """The result of :func:`analyze`: the report, the data behind it, and the files written."""

    report: dict
    pose: PoseSequence
    kinematics: Kinematics
    out_dir: Path | None
    files: list[Path] = field(default_factory=list)


def is_pose_file(path: Path) -> bool:
    return Path(path).suffix.lower() == ".npz"


def analyze(path, out_dir=None, options: AnalysisOptions | None = None) -> Analysis:
    """Analyse a running video (or a saved ``pose.npz``) and write the outputs.

    Parameters
    ----------
    path : str or Path
        A video file, or a pose file written by an earlier analysis (``.npz``):
        then everything after the pose stage runs again, without the model.
    out_dir : str or Path, optional
        Output folder; default ``./formcam-out/<input name>/``. ``None`` with
        ``options.outputs`` empty writes nothing.
    options : AnalysisOptions, optional

    Returns
    -------
    Analysis

    Raises
    ------
    formcam.errors.FormcamError
        With a one-sentence message and the command line's exit code.
    """
    options = options or AnalysisOptions()
    path = Path(path)
    if path.is_dir():
        raise UnreadableInputError(f"{path} is a folder, not a video file.")
    if not path.exists():
        raise UnreadableInputError(f"There is no file at {path}.")
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(path)
    if options.outputs:
        prepare_out_dir(out_dir, path, overwrite=options.overwrite, create=False)

    if is_pose_file(path):
        pose = load_pose(path)
        video = pose.extras.get("video") or _video_section_without_file(pose)
        source_video = Path(video["path"]) if video.get("path") else None
    else:
        pose, video = estimate_pose(path, options)
        source_video = path
    _require_runner(pose, path)

    kinematics = analyse_pose(pose, view=options.view, height_cm=options.height_cm)
    report = build_report(
        video, pose.t_ms, kinematics, height_cm=options.height_cm, view_source="user" if options.view else "detected"
    )
    analysis = Analysis(report=report, pose=pose, kinematics=kinematics, out_dir=out_dir if options.outputs else None)
    if options.outputs:
        _write_outputs(analysis, path, source_video, options)
    return analysis


def estimate_pose(path: Path, options: AnalysisOptions) -> tuple[PoseSequence, dict]:
    """Decode ``path`` and run the pose model; return the runner's pose and the report's video section."""
    model_path = resolve_model(options.model)
    frames = iter_frames(path, slowmo=options.slowmo)
    with frames, _progress(options.progress, "Pose", _expected_frames(frames.info)) as advance:
        detections = detect_people(prefetch(frames), model_path, num_poses=options.num_poses, on_frame=advance)
    if len(detections.t_ms) == 0:
        raise UnreadableInputError(f"No frame of {path.name} could be decoded.")
    pose, _ = select_runner(detections, person=options.person)
    video = video_section(frames.info, n_frames=pose.n_frames)
    video["corrections"] = _corrections(frames.info, frames.repaired_timestamps)
    video["decode_error"] = frames.decode_error
    pose.extras["video"] = video
    pose.extras["model"] = model_path.name
    return pose, video


def video_section(info: VideoInfo, n_frames: int) -> dict:
    """report.json's ``video`` section; ``frames`` is the number actually decoded."""
    return {
        "path": str(Path(info.path).resolve()),
        "codec": info.codec,
        "width": info.width,
        "height": info.height,
        "fps": round(info.fps, 4) if info.fps else None,
        "frames": n_frames,
        "duration_s": round(info.duration_s, 4) if info.duration_s else None,
        "rotation_deg": info.rotation_deg,
        "slow_motion_factor": info.slow_motion_factor,
        "slow_motion_source": info.slow_motion_source,
    }


def _corrections(info: VideoInfo, repaired_timestamps: int) -> list[str]:
    """What formcam corrected in the video, in plain words for the report."""
    notes = []
    if info.rotation_deg:
        notes.append(f"Frames turned {info.rotation_deg}° clockwise to upright, as the file's rotation metadata says.")
    if info.slow_motion_factor != 1:
        why = "the file says it was captured faster than it plays" if info.slow_motion_source == "metadata" else "--slowmo"
        notes.append(f"Slow motion: times divided by {info.slow_motion_factor:g} to give real time ({why}).")
    if repaired_timestamps:
        notes.append(f"{repaired_timestamps} frames had missing or repeated timestamps; they were placed one frame apart.")
    return notes


def _video_section_without_file(pose: PoseSequence) -> dict:
    duration_ms = float(pose.t_ms[-1] - pose.t_ms[0]) if pose.n_frames > 1 else 0.0
    return {
        "path": None,
        "width": pose.frame_size[0],
        "height": pose.frame_size[1],
        "fps": (pose.n_frames - 1) / duration_ms * 1000 if duration_ms > 0 else None,
        "frames": pose.n_frames,
        "duration_s": duration_ms / 1000,
        "rotation_deg": None,
        "slow_motion_factor": 1.0,
        "slow_motion_source": None,
        "corrections": [],
        "decode_error": None,
    }


def _require_runner(pose: PoseSequence, path: Path) -> None:
    detected = int(pose.detected.sum())
    if detected < MIN_DETECTED_FRAMES or detected < MIN_DETECTED_FRACTION * pose.n_frames:
        raise NothingToAnalyseError(
            f"No runner was found in {path.name} (a person was seen in {detected} of {pose.n_frames} frames)."
        )


def _write_outputs(analysis: Analysis, input_path: Path, source_video: Path | None, options: AnalysisOptions) -> None:
    out_dir = prepare_out_dir(analysis.out_dir, input_path, overwrite=options.overwrite, create=True)
    files = analysis.files
    kin, pose, report = analysis.kinematics, analysis.pose, analysis.report
    if "pose.npz" in options.outputs and not is_pose_file(input_path):
        files.append(save_pose(pose, out_dir / "pose.npz"))
    if {"frames.csv", "steps.csv"} & options.outputs:
        write_tables(out_dir, pose.t_ms, kin.signals, pose.detected, report["metrics"])
        files += [out_dir / "frames.csv", out_dir / "steps.csv"]
    if "annotated.mp4" in options.outputs and source_video is not None and source_video.is_file():
        with _progress(options.progress, "Video", pose.n_frames) as advance:
            files.append(render_annotated_video(source_video, out_dir / "annotated.mp4", kin, report, on_frame=advance))
    if "report.json" in options.outputs:
        files.append(write_report(report, out_dir / "report.json"))


def _expected_frames(info: VideoInfo) -> int | None:
    if info.frames:
        return info.frames
    if info.duration_s and info.fps:
        return int(round(info.duration_s * info.fps))
    return None


@contextmanager
def _progress(enabled: bool, label: str, total: int | None) -> Iterator:
    """A rich progress bar (frames, frames/s, time left); yields ``advance(count)``."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} frames/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(label, total=total, rate="-")

        def advance(count: int) -> None:
            speed = progress.tasks[0].speed
            progress.update(task, completed=count, rate=f"{speed:.0f}" if speed else "-")

        yield advance
