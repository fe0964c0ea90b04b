"""The whole analysis as one library call: video (or pose file) in, outputs and report out.

    >>> from formcam import analyze
    >>> result = analyze("run.mp4", out_dir="out")          # doctest: +SKIP
    >>> result.report["metrics"]["pelvic_drop_deg"]["value"]  # doctest: +SKIP

The command line (:mod:`formcam.cli`) is a thin layer over :func:`analyze`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from formcam.errors import OutputWriteError, UnreadableInputError, UsageError, cannot_write_outputs
from formcam.gait.kinematics import Kinematics, analyse_pose
from formcam.gait.view import CLEAR_VIEWS, View
from formcam.inputs import require_regular_file
from formcam.outputs import OutputLock, default_out_dir, prepare_out_dir, staged_outputs
from formcam.pose.detector import DEFAULT_NUM_POSES
from formcam.pose.frame_times import even_frame_times
from formcam.pose.markers import MarkerTracks
from formcam.pose.models import resolve_model
from formcam.pose.parallel import detect_people_parallel
from formcam.pose.people import choose_person, parse_person
from formcam.pose.posefile import PoseSequence, load_pose, save_pose, video_fingerprint
from formcam.quality.capture import CaptureQuality, measure_capture, null_affected_metrics
from formcam.quality.refusal import (  # noqa: F401 (re-exported)
    MIN_DETECTED_FRACTION,
    MIN_DETECTED_FRAMES,
    Presence,
    check_analysable,
    feet_in_picture,
    presence,
    require_person,
)
from formcam.report.annotated import VIDEO_SIZES, render_annotated_video
from formcam.report.evidence import plan_evidence
from formcam.report.html import write_report_html
from formcam.report.json_report import ReportContent, build_report, write_report
from formcam.report.preview import write_people_preview
from formcam.report.tables import write_tables
from formcam.video.decode import iter_frames
from formcam.video.encode import CodecError
from formcam.video.probe import VideoInfo, failed_reading, ffmpeg_reason, probe_video
from formcam.video.seek import frames_at


class ProgressCallback(Protocol):
    """How the library reports progress: it prints nothing itself; the command line draws bars from these calls.

    Called as ``on_progress(stage, done, total)``, always from the thread that
    called the library.

    Parameters
    ----------
    stage : str
        What is being counted: ``"Pose"`` and ``"Video"`` (frames) in
        :func:`analyze`, ``"Batch"`` (clips) in :func:`formcam.batch.run_batch`,
        a model's file name (bytes) in :func:`formcam.pose.models.fetch_model`.
    done : int
        How many are done so far (0 when the stage starts).
    total : int or None
        How many there will be; None when not known in advance.

    Notes
    -----
    A stage that completes ends with a call where ``done == total``: where the
    count fell short of (or passed) the announced total, that last call passes
    the count reached as ``total``. A stage cut short by an error gets no such call.
    """

    def __call__(self, stage: str, done: int, total: int | None) -> None: ...


ALL_OUTPUTS = frozenset({"report.json", "annotated.mp4", "pose.npz", "report.html", "frames.csv", "steps.csv"})


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
    person : int or str, optional
        Whom to analyse instead of the automatically chosen runner: a track
        index (as shown in ``people.jpg``), ``left``, ``right``, ``center``,
        or ``"X,Y"`` fractions of the frame (see :mod:`formcam.pose.people`).
    num_poses : int, optional
        People MediaPipe looks for in each frame (1 or 2); default: 2 when a
        few keyframes show a second person, or ``person`` is given, else 1.
    workers : int, optional
        Threads running the pose model and drawing the video; default all
        usable cores. The results do not depend on it (:mod:`formcam.pose.parallel`).
    max_fps : float, optional
        Give the pose model at most this many frames per second of real time
        (e.g. 120 for a 240 fps clip: about half the time); the frames
        analysed keep their true timestamps.
    outputs : frozenset of str
        Which of :data:`ALL_OUTPUTS` to write.
    overwrite : bool
        Replace an earlier analysis in the output folder.
    progress : bool
        Report progress to the ``on_progress`` given to :func:`analyze` (the
        command line's ``--quiet`` turns it off); without one nothing is shown.
    force : bool
        Analyse even what formcam would refuse as not running or too short;
        the report is marked ``runner.forced`` (see :mod:`formcam.quality.refusal`).
    replay : bool
        Append a slow-motion replay of the worst step to annotated.mp4.
    level_deg : float, optional
        The camera's roll in degrees (a true horizontal slopes down to the
        right by this much; 0: the camera was level); default: estimated
        from the clip (:mod:`formcam.gait.roll`).
    video_size : {'720p', '1080p', 'full'}
        Size of annotated.mp4: longest side 1280 or 1920 px, or the input's
        (:data:`formcam.report.annotated.VIDEO_SIZES`).
    markers : {'auto', 'off'}
        'auto': look for two pelvis stickers in rear views and
        measure pelvic drop from them where they are seen
        (:func:`track_pelvis_markers`); 'off': neither look nor use tracks a
        pose file already holds.
    """

    model: str | None = None
    slowmo: float | None = None
    view: str | None = None
    height_cm: float | None = None
    person: int | str | None = None
    num_poses: int | None = None
    workers: int | None = None
    max_fps: float | None = None
    outputs: frozenset = ALL_OUTPUTS
    overwrite: bool = False
    progress: bool = True
    force: bool = False
    replay: bool = False
    level_deg: float | None = None
    video_size: str = "720p"
    markers: str = "auto"

    def __post_init__(self) -> None:
        if self.markers not in MARKER_MODES:
            raise UsageError(f"--markers must be one of {', '.join(MARKER_MODES)}, not '{self.markers}'.")
        if self.video_size not in VIDEO_SIZES:
            raise UsageError(f"--video-size must be one of {', '.join(VIDEO_SIZES)}, not '{self.video_size}'.")
        parse_person(self.person)  # a bad --person fails now, not after the pose model
        if self.view is not None and self.view not in CLEAR_VIEWS:
            raise UsageError(f"--view must be one of {', '.join(CLEAR_VIEWS)}, not '{self.view}'.")
        if self.slowmo is not None and not self.slowmo >= 1:
            raise UsageError(
                f"--slowmo is how many times slower than real time the clip plays, so at least 1 (got {self.slowmo})."
            )
        if self.height_cm is not None and not 50 <= self.height_cm <= 250:
            raise UsageError(
                f"--height-cm should be a runner's height in centimetres, between 50 and 250 (got {self.height_cm})."
            )
        if self.level_deg is not None and not -45 <= self.level_deg <= 45:
            raise UsageError(f"--level is the camera's tilt in degrees, between -45 and 45 (got {self.level_deg}).")
        if self.num_poses is not None and self.num_poses not in (1, 2):
            raise UsageError(f"--people is how many people to look for in each frame, 1 or 2 (got {self.num_poses}).")
        if self.workers is not None and not self.workers >= 1:
            raise UsageError(f"--workers is how many cores to use, at least 1 (got {self.workers}).")
        if self.max_fps is not None and not self.max_fps >= 1:
            raise UsageError(
                f"--max-fps is the most frames per second the pose model sees, at least 1 (got {self.max_fps})."
            )
        unknown = set(self.outputs) - ALL_OUTPUTS
        if unknown:
            raise UsageError(f"Unknown output {sorted(unknown)[0]}; choose from {', '.join(sorted(ALL_OUTPUTS))}.")


@dataclass
class Analysis:
    """The result of :func:`analyze`: the report, the data behind it, and the files written.

    Attributes
    ----------
    report : dict
        report.json's content, made from ``content`` by :func:`formcam.report.json_report.build_report`.
    pose : PoseSequence
    kinematics : Kinematics
    out_dir : Path or None
        Where the outputs went (None when none were asked for).
    content : ReportContent
        Everything the analysis found, typed.
    files : list of Path
        The files written.
    video_note : str or None
        Why nothing was drawn on the video (annotated.mp4, people.jpg) when a
        pose file was analysed: its video is missing, or is not the one it was made from.
    """

    report: dict
    pose: PoseSequence
    kinematics: Kinematics
    out_dir: Path | None
    content: ReportContent
    files: list[Path] = field(default_factory=list)
    video_note: str | None = None


def is_pose_file(path: Path) -> bool:
    return Path(path).suffix.lower() == ".npz"


def analyze(
    path, out_dir=None, options: AnalysisOptions | None = None, *, on_progress: ProgressCallback | None = None
) -> Analysis:
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
    on_progress : ProgressCallback, optional
        Told the frames done in the ``"Pose"`` and ``"Video"`` stages (when
        ``options.progress``). formcam itself prints nothing.

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
    require_regular_file(path)  # before anything opens it: a FIFO blocks open() for ever
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(path)
    if not options.outputs:
        return _analyze(path, out_dir, options, on_progress)
    prepare_out_dir(out_dir, path, overwrite=options.overwrite, create=False)
    lock = OutputLock(out_dir)
    try:
        lock.acquire()
    except OSError as exc:
        raise OutputWriteError(cannot_write_outputs(out_dir, exc)) from exc
    # Held from before the pose stage to the last file moved in: two runs into one folder cannot interleave.
    try:
        return _analyze(path, out_dir, options, on_progress)
    finally:
        lock.release()


def _analyze(path: Path, out_dir: Path, options: AnalysisOptions, on_progress: ProgressCallback | None) -> Analysis:
    if is_pose_file(path):
        if options.person is not None:
            raise UsageError(
                "--person chooses among the people in a video; a pose file holds only the person chosen "
                "when it was made, so analyse the video again with --person."
            )
        pose = load_pose(path)
        video = pose.extras.video or _video_section_without_file(pose)
        source_video, video_note = pose_file_video(pose, path.name)
        capture = (
            CaptureQuality.from_json(pose.extras.capture_quality) if pose.extras.capture_quality is not None else None
        )
    else:
        pose, video, capture = estimate_pose(path, options, on_progress)
        source_video, video_note = path, None
    where = presence(pose.detected, pose.t_ms, feet_in_picture(pose.image_xy, pose.visibility, pose.frame_size))
    require_person(
        where, path.name, capture.hints() if capture else [], person=(pose.extras.tracking or {}).get("person")
    )

    kinematics = analyse_pose(
        pose,
        view=options.view,
        height_cm=options.height_cm,
        level_deg=options.level_deg,
        markers=options.markers != "off",
    )
    # A clip whose frame rate changes was analysed on even frame times (its report says so): its tables and
    # drawing are made on the same ones.
    pose = even_frame_times(pose)
    forced_over = check_analysable(kinematics, where, pose.t_ms, path.name, force=options.force)
    if capture is not None:
        kinematics.metrics = null_affected_metrics(kinematics.metrics, capture)
    content = ReportContent(
        video=video,
        t_ms=pose.t_ms,
        kinematics=kinematics,
        height_cm=options.height_cm,
        view_source="user" if options.view else "detected",
        tracking=pose.extras.tracking,
        presence=where,
        forced_over=forced_over,
        capture=capture,
    )
    report = build_report(content)
    analysis = Analysis(
        report=report,
        pose=pose,
        kinematics=kinematics,
        out_dir=out_dir if options.outputs else None,
        content=content,
        video_note=video_note,
    )
    if options.outputs:
        video_file = source_video if source_video is not None and source_video.is_file() else None
        prepare_out_dir(out_dir, path, overwrite=options.overwrite, create=False)
        try:
            with staged_outputs(out_dir) as stage:
                _write_outputs(analysis, stage, path, video_file, options, on_progress)
                _write_people_preview(analysis, stage, video_file)
            if not any(f.name == "people.jpg" for f in analysis.files):
                (out_dir / "people.jpg").unlink(missing_ok=True)  # an earlier analysis's, now stale
        except (OSError, CodecError) as exc:
            if video_file is not None and failed_reading(exc, video_file):
                raise UnreadableInputError(
                    f"{video_file.name} could not be read again to draw the outputs ({ffmpeg_reason(exc)})."
                ) from exc
            raise OutputWriteError(cannot_write_outputs(out_dir, exc)) from exc
        analysis.files = [out_dir / f.name for f in analysis.files]
    return analysis


def pose_file_video(pose: PoseSequence, name: str) -> tuple[Path | None, str | None]:
    """The video a pose file was made from, only where it is still that video; else None and why not.

    A pose file names its video by path; another file may be there now (a
    re-encode, a trim, another clip of the same name), and drawing on it
    would put one clip's landmarks over another. The pose file's
    ``video_fingerprint`` (:func:`formcam.pose.posefile.video_fingerprint`)
    must match the file's; a pose file without one (before formcam kept it)
    cannot be checked, so nothing is drawn.
    """
    path = (pose.extras.video or {}).get("path")
    if not path:
        return None, None
    video = Path(path)
    if not video.is_file():
        return None, f"No annotated video: the original video is not where {name} says it was ({video})."
    if pose.extras.video_fingerprint is None:
        return None, (
            f"No annotated video: {name} does not record which video it was made from (an earlier formcam "
            f"wrote it), so formcam cannot tell whether {video.name} is still that video; analyse the video again."
        )
    try:
        same = video_fingerprint(video) == pose.extras.video_fingerprint
    except OSError:
        same = False
    if not same:
        return None, (
            f"No annotated video: {video} is not the video {name} was made from "
            "(its size or content differ), so nothing was drawn on it."
        )
    return video, None


def _write_people_preview(analysis: Analysis, out_dir: Path, video_file: Path | None) -> None:
    """people.jpg when several people were in view."""
    path = out_dir / "people.jpg"
    written = None
    if video_file is not None:
        written = write_people_preview(
            video_file,
            analysis.pose.extras.tracking,
            path,
            slow_motion_factor=analysis.report["video"].get("slow_motion_factor") or 1.0,
        )
    if written is not None:
        analysis.files.append(written)


def estimate_pose(
    path: Path,
    options: AnalysisOptions,
    on_progress: ProgressCallback | None = None,
) -> tuple[PoseSequence, dict, CaptureQuality]:
    """Decode ``path`` and run the pose model.

    Returns the runner's pose, the report's video section, and the capture
    quality of the frames the pose stage sampled (also kept in the pose file
    for re-analysis).
    """
    model_path = resolve_model(options.model)
    preloading = preload_analysis_libraries()
    # Choosing among people needs room for more than one; otherwise a quick look decides.
    num_poses = options.num_poses or (DEFAULT_NUM_POSES if options.person is not None else None)
    expected = _expected_frames(probe_video(path, slowmo=options.slowmo))
    with _stage(on_progress if options.progress else None, "Pose", expected) as advance:
        run = detect_people_parallel(
            path,
            model_path,
            slowmo=options.slowmo,
            num_poses=num_poses,
            workers=options.workers,
            max_fps=options.max_fps,
            on_frame=advance,
        )
    preloading.join()  # before anything else imports scipy: two threads importing one package can meet half-way
    detections = run.detections
    if len(detections.t_ms) == 0:
        raise UnreadableInputError(f"No frame of {path.name} could be decoded.")
    pose, _ = choose_person(detections, options.person)
    video = video_section(run.info, n_frames=pose.n_frames)
    video["corrections"] = _corrections(run.info, run.repaired_timestamps)
    video["decode_error"] = run.decode_error
    if len(detections.t_ms) < run.frames_decoded:
        video["corrections"].append(
            f"The pose model saw at most {options.max_fps:g} frames per second (--max-fps): "
            f"{len(detections.t_ms)} of the {run.frames_decoded} frames, at their true times."
        )
    pose.extras.video = video
    pose.extras.model = model_path.name
    pose.extras.pose_stage = {
        "people_per_frame": run.num_poses,
        "picture_max_side": run.picture_max_side,
        "segments": run.segments,
        "max_fps": options.max_fps,
    }
    capture = measure_capture(run.frame_pairs, frame_size=pose.frame_size, image_xy=pose.image_xy, t_ms=pose.t_ms)
    pose.extras.capture_quality = capture.to_json()
    pose.extras.video_fingerprint = video_fingerprint(path)
    if options.markers != "off":
        tracks = track_pelvis_markers(path, pose, options.view, slowmo=options.slowmo)
        if tracks is not None:
            pose.markers_xy, pose.extras.markers = tracks.xy, tracks.summary()
    return pose, video, capture


#: ``--markers``: look for pelvis stickers (auto) or not (off).
MARKER_MODES = ("auto", "off")
#: Frames looked at first for stickers; only where they show a pair is every frame read.
MARKER_PROBE_FRAMES = 24


def track_pelvis_markers(
    path: Path, pose: PoseSequence, view: str | None = None, *, slowmo: float | None = None
) -> MarkerTracks | None:
    """Look for two pelvis stickers in the runner's frames; their tracks, or None where there are none.

    Only a rear view shows them (the view given, or detected on the
    landmarks); there a first look at
    :data:`MARKER_PROBE_FRAMES` frames spread over the clip decides, and
    only a clip with stickers is read again in full
    (:func:`formcam.pose.markers.track_markers`).  ``slowmo``: as given to
    the pose stage, so that the frames' times are the pose's.
    """
    from formcam.gait.view import detect_view
    from formcam.pose.markers import track_markers

    if (view or detect_view(pose.image_xy).label) != View.REAR:
        return None  # the stickers are on the back: only a rear view shows them
    detected = np.flatnonzero(pose.detected)
    if detected.size < MARKER_PROBE_FRAMES:
        return None
    factor = float((pose.extras.video or {}).get("slow_motion_factor") or 1.0)
    probe = detected[np.linspace(0, detected.size - 1, MARKER_PROBE_FRAMES).round().astype(int)]
    images = frames_at(path, pose.t_ms[probe].tolist(), slow_motion_factor=factor)
    shown = [(int(i), image) for i, image in zip(probe, images) if image is not None]
    if not shown:
        return None
    scale = shown[0][1].shape[1] / pose.frame_size[0]
    if track_markers(shown, pose.image_xy, scale=scale) is None:
        return None
    return track_markers(_frames_of_pose(path, pose, slowmo), pose.image_xy, scale=scale)


def _frames_of_pose(path: Path, pose: PoseSequence, slowmo: float | None) -> Iterator[tuple[int, np.ndarray]]:
    """``(index into pose, upright RGB frame)`` for each frame of the video the pose has a runner in."""
    with iter_frames(path, slowmo=slowmo) as frames:
        for frame in frames:
            index = int(np.searchsorted(pose.t_ms, frame.t_ms - 0.5))
            if index < pose.n_frames and abs(pose.t_ms[index] - frame.t_ms) <= 0.5 and pose.detected[index]:
                yield index, frame.rgb


#: Imported in the background while the pose stage runs, in this order (see :func:`preload_analysis_libraries`).
PRELOADED = ("mediapipe.tasks.python.vision", "scipy.signal", "jsonschema")


def preload_analysis_libraries() -> threading.Thread:
    """Import MediaPipe, then scipy and jsonschema, in a background thread while the pose stage starts.

    Importing scipy takes about a second (much of it scipy reading its own
    docstrings). An import holds the GIL, so it overlaps only work that does
    not: MediaPipe is imported first (the keyframe look needs it at once, and
    waits for it), scipy after, while the keyframe look and the pose model
    run native code. Join the thread before the analysis, which imports scipy
    where it uses it.
    """

    def load() -> None:
        for name in PRELOADED:
            importlib.import_module(name)

    thread = threading.Thread(target=load, name="formcam-preload", daemon=True)
    thread.start()
    return thread


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
        why = (
            "the file says it was captured faster than it plays"
            if info.slow_motion_source == "metadata"
            else "--slowmo"
        )
        notes.append(f"Slow motion: times divided by {info.slow_motion_factor:g} to give real time ({why}).")
    if repaired_timestamps:
        notes.append(
            f"{repaired_timestamps} frames had missing or repeated timestamps; they were placed one frame apart."
        )
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


def _write_outputs(
    analysis: Analysis,
    out_dir: Path,
    input_path: Path,
    video_file: Path | None,
    options: AnalysisOptions,
    on_progress: ProgressCallback | None,
) -> None:
    """The chosen outputs into ``out_dir`` (the private stage); those drawn on the video only where ``video_file`` is
    readable."""
    files = analysis.files
    kin, pose, report = analysis.kinematics, analysis.pose, analysis.report
    if "pose.npz" in options.outputs and not is_pose_file(input_path):
        files.append(save_pose(pose, out_dir / "pose.npz"))
    if {"frames.csv", "steps.csv"} & options.outputs:
        files += write_tables(out_dir, pose.t_ms, kin.signals, pose.detected, report)
    evidence = None
    if "annotated.mp4" in options.outputs and video_file is not None:
        # The video pass decodes every frame anyway: it hands the HTML report's evidence frames over at full size.
        plan = plan_evidence(report, kin) if "report.html" in options.outputs else None
        with _stage(on_progress if options.progress else None, "Video", pose.n_frames) as advance:
            files.append(
                render_annotated_video(
                    video_file,
                    out_dir / "annotated.mp4",
                    kin,
                    report,
                    on_frame=advance,
                    replay=options.replay,
                    t_ms=pose.t_ms,
                    workers=options.workers,
                    max_side=VIDEO_SIZES[options.video_size],
                    full_size_frames=plan.shown if plan else (),
                    on_full_size_frame=plan.take if plan else None,
                )
            )
        evidence = plan.frames() if plan else None
    if "report.html" in options.outputs:
        files.append(
            write_report_html(
                out_dir / "report.html",
                report,
                kin,
                t_ms=pose.t_ms,
                source_video=video_file,
                evidence=evidence,
            )
        )
    if "report.json" in options.outputs:
        files.append(write_report(report, out_dir / "report.json"))


def _expected_frames(info: VideoInfo) -> int | None:
    if info.frames:
        return info.frames
    if info.duration_s and info.fps:
        return int(round(info.duration_s * info.fps))
    return None


@contextmanager
def _stage(
    on_progress: ProgressCallback | None, label: str, total: int | None
) -> Iterator[Callable[[int], None] | None]:
    """Report one stage to ``on_progress``; yields ``advance(count)`` (None without a callback)."""
    if on_progress is None:
        yield None
        return
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done = count
        on_progress(label, count, total)

    on_progress(label, 0, total)
    yield advance
    if done != total:  # the count the stage ended at closes it (see ProgressCallback)
        on_progress(label, done, done)
