"""What one frame costs, part by part, and the ratios to the plain loop those costs allow (part of `make bench`).

    python bench/ceiling.py [VIDEO]

Each part runs alone in this process on frames of the same clip (default the
1080 x 1920 60 fps treadmill clip, the one looped for the 30-s clip of
bench/run.py), and its CPU time (every thread of the process: MediaPipe infers
in threads of its own) is divided by its frames:

* the plain loop (bench/plain_loop.py: OpenCV decodes, PoseLandmarker infers);
* the pose model alone, on frames decoded beforehand;
* decoding for the model (no deblocking, scaled as formcam scales the clip:
  ``parallel.pose_picture_side``) and for the annotated video (deblocking,
  720p), one decoder thread each and OpenCV
  on one thread, as a segment is decoded when both cores are busy;
* drawing formcam's overlay, and encoding the 720p frames (RGB to I420,
  x264 ``ultrafast``, one thread);
* formcam's two passes as they run (pose stage with its people check, warm-ups
  and threads; annotated-video pass), for what they add to the parts.

Two pose models in two threads at once measure how many cores' worth of work
the machine gives two busy threads (2.0 on two idle, equal cores).

A program's **ceiling** is the plain loop's wall time per frame divided by the
program's CPU time per frame shared over those cores: the ratio it would reach
with both cores always busy and no fixed costs (starting Python, loading the
model, writing the report). Ceilings are given for formcam ``--no-video``
(decode for the model, model), formcam with the video (its two passes), and
any program that writes the annotated video (one decode, the model on the
decoded frames, drawing, encoding): no design does less work per frame.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcam.video.decode import FrameStream

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

#: Frames held in memory for the parts that run on decoded frames (2.8 MB each at 720 x 1280).
HELD_FRAMES = 200
#: Every part is measured this many times in turn, and its cheapest round counts.
ROUNDS = 2


@dataclass(frozen=True)
class Cost:
    """One part's cost per frame, ms."""

    cpu_ms: float
    wall_ms: float


def timed(work: Callable[[], int]) -> Cost:
    """Run ``work`` (which returns the frames it did) and give its CPU and wall time per frame."""
    wall, cpu = time.perf_counter(), time.process_time()
    frames = work()
    return Cost((time.process_time() - cpu) / frames * 1e3, (time.perf_counter() - wall) / frames * 1e3)


def decoded(video: Path, max_side: int | None, *, fast: bool) -> FrameStream:
    """The clip's frames as a segment's single decoder thread gives them (``start_s`` set: one thread)."""
    from formcam.video.decode import iter_frames
    from formcam.video.segments import clip_span

    return iter_frames(video, start_s=clip_span(video).first_s, max_side=max_side, fast=fast)


def count(frames: FrameStream) -> int:
    with frames:
        return sum(1 for _ in frames)


def held(frames: FrameStream, n: int) -> list:
    with frames:
        return [frame for _, frame in zip(range(n), frames)]


def run_models(frames: list, model: Path, size: tuple[int, int], threads: int) -> int:
    """Each of ``threads`` threads gives every frame to a landmarker of its own; frames done in all.

    Loading each landmarker is counted too (about 0.2 s, so about 1 ms a frame
    over :data:`HELD_FRAMES`): the model's cost is slightly overstated, and the
    ceilings built on it slightly understated.
    """
    from formcam.pose.detector import PoseDetector

    def one() -> None:
        with PoseDetector(model, 1, size) as detector:
            for frame in frames:
                detector.detect(frame.rgb, frame.t_ms)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * len(frames)


def model_costs(frames: list, model: Path) -> tuple[Cost, Cost]:
    """The pose model's cost a frame on ``frames`` in one thread, and in two threads at once."""
    full_size = (frames[0].rgb.shape[1], frames[0].rgb.shape[0])
    return timed(lambda: run_models(frames, model, full_size, 1)), timed(
        lambda: run_models(frames, model, full_size, 2)
    )


def draw_and_encode(frames: list, analysis, out: Path) -> tuple[Cost, Cost]:
    """Draw formcam's overlay on ``frames`` (in place), then encode them."""
    from formcam.report.annotations import FrameAnnotator, panel_rows
    from formcam.report.overlay import OverlayPainter
    from formcam.video.encode import H264Writer

    height, width = frames[0].rgb.shape[:2]
    full_width, full_height = analysis.pose.frame_size
    fps = analysis.report["video"]["fps"]
    annotate = FrameAnnotator(analysis.kinematics, fps=fps, scale=(width / full_width, height / full_height))
    painter = OverlayPainter(width, height, panel_rows(analysis.report))

    def draw() -> int:
        for i, frame in enumerate(frames):
            painter.draw_on(frame.rgb, annotate(min(i, annotate.n_frames - 1)))
        return len(frames)

    def encode() -> int:
        with H264Writer(out, width=width, height=height, time_base=Fraction(1, 90_000), fps=fps, threads=1) as writer:
            for frame in frames:
                writer.write(frame.rgb)
        return len(frames)

    return timed(draw), timed(encode)


def measure_once(video: Path, model: Path) -> tuple[dict[str, Cost], Cost]:
    """Every part's cost a frame, and the pose model's in two threads at once."""
    from plain_loop import run_plain_loop

    from formcam.pipeline import AnalysisOptions, analyze
    from formcam.pose.detector import native_stderr_silenced
    from formcam.pose.parallel import look_at_keyframes, pose_picture_side
    from formcam.report.annotated import VIDEO_MAX_SIDE, render_annotated_video
    from formcam.threads import opencv_on_one_thread
    from formcam.video.segments import clip_span

    costs: dict[str, Cost] = {}
    span = clip_span(video)
    pose_side = pose_picture_side(span.info, look_at_keyframes(span, model))  # as formcam chooses it
    with native_stderr_silenced():  # MediaPipe's C++ warnings on the first frames, hidden as formcam hides them
        plain = run_plain_loop(str(video), str(model))
    costs["plain loop"] = Cost(
        plain["loop_cpu_s"] / plain["frames"] * 1e3, plain["loop_wall_s"] / plain["frames"] * 1e3
    )
    # As in formcam's threads when both cores are busy: OpenCV's own worker
    # threads, idle-spinning between calls, would be counted against each part.
    with opencv_on_one_thread():
        costs["decode for the model"] = timed(lambda: count(decoded(video, pose_side, fast=True)))
        costs["decode for the video"] = timed(lambda: count(decoded(video, VIDEO_MAX_SIDE, fast=False)))
        # The held frames are freed when model_costs returns.
        costs["model"], pair = model_costs(held(decoded(video, pose_side, fast=True), HELD_FRAMES), model)

    analysis = None

    def pose_stage() -> int:
        nonlocal analysis
        analysis = analyze(video, None, AnalysisOptions(outputs=frozenset(), progress=False, force=True))
        return analysis.pose.n_frames

    costs["formcam pose stage, as run"] = timed(pose_stage)
    assert analysis is not None  # pose_stage, just run, set it
    with tempfile.TemporaryDirectory(prefix="formcam-ceiling-") as scratch:
        with opencv_on_one_thread():
            video_frames = held(decoded(video, VIDEO_MAX_SIDE, fast=False), HELD_FRAMES)
            costs["drawing"], costs["encoding"] = draw_and_encode(video_frames, analysis, Path(scratch) / "parts.mp4")
            del video_frames

        def video_pass() -> int:
            render_annotated_video(
                video, Path(scratch) / "annotated.mp4", analysis.kinematics, analysis.report, t_ms=analysis.pose.t_ms
            )
            return analysis.pose.n_frames

        costs["formcam video pass, as run"] = timed(video_pass)
    return costs, pair


def measure(video: Path, model: Path, rounds: int = ROUNDS) -> dict:
    """:func:`measure_once` ``rounds`` times; each part's cheapest round counts (the machine's speed drifts)."""
    tries = [measure_once(video, model) for _ in range(rounds)]
    costs = {
        name: Cost(min(t[0][name].cpu_ms for t in tries), min(t[0][name].wall_ms for t in tries))
        for name in tries[0][0]
    }
    # Frames a second of two threads against one; above 2 only where the machine sped up between the two.
    cores = min(2.0, costs["model"].wall_ms / min(pair.wall_ms for _, pair in tries))

    def ceiling(*parts: str) -> float:
        return costs["plain loop"].wall_ms / (sum(costs[part].cpu_ms for part in parts) / cores)

    return {
        "clip": video.name,
        "rounds": rounds,
        "cpu_ms_per_frame": {name: round(cost.cpu_ms, 2) for name, cost in costs.items()},
        "plain_loop_wall_ms_per_frame": round(costs["plain loop"].wall_ms, 2),
        "usable_cores": round(cores, 2),
        "ceilings": {
            "no_video": round(ceiling("decode for the model", "model"), 2),
            "no_video_as_run": round(ceiling("formcam pose stage, as run"), 2),
            "with_video": round(
                ceiling("decode for the model", "model", "decode for the video", "drawing", "encoding"), 2
            ),
            "with_video_as_run": round(ceiling("formcam pose stage, as run", "formcam video pass, as run"), 2),
            "with_video_any_program": round(ceiling("decode for the video", "model", "drawing", "encoding"), 2),
        },
    }


LABELS = {
    "no_video": "formcam --no-video (decode for the model + model)",
    "no_video_as_run": "  its pose stage as run",
    "with_video": "formcam with the video (+ decode for the video, drawing, encoding)",
    "with_video_as_run": "  its two passes as run",
    "with_video_any_program": "any program writing the video (one decode, model, drawing, encoding)",
}


def print_ceiling(result: dict) -> None:
    print(
        f"what a frame costs, {result['clip']} (CPU ms a frame, one part at a time, cheapest of "
        f"{result['rounds']} rounds):"
    )
    for name, ms in result["cpu_ms_per_frame"].items():
        wall = f"  ({result['plain_loop_wall_ms_per_frame']:.1f} ms wall)" if name == "plain loop" else ""
        print(f"  {name:30s} {ms:6.1f}{wall}")
    print(f"  two pose models at once: {result['usable_cores']:.2f} cores' worth")
    print("ceilings (plain loop wall a frame / (CPU a frame / those cores); fixed costs only lower them):")
    for name, ratio in result["ceilings"].items():
        print(f"  {LABELS[name]:70s} {ratio:4.2f}x")


def main() -> None:
    import os

    from formcam.pose.models import resolve_model

    videos = Path(os.environ.get("FORMCAM_VIDEOS_DIR", REPO.parent / "shared" / "videos"))
    video = Path(sys.argv[1]) if len(sys.argv) > 1 else videos / "treadmill_side_portrait_60fps.mp4"
    result = measure(video, resolve_model(None))
    print_ceiling(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
