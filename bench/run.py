"""formcam's benchmark (`make bench`): every speed claim as a ratio against a baseline run here, in one run.

Speed, on real clips from ../shared/videos and a 10-minute clip made from one of
them, each program run as a separate process and timed from start to exit
(imports, model loading and writing included):

(a) the plain loop: OpenCV decodes, MediaPipe PoseLandmarker (VIDEO mode, one
    person) infers, nothing else, nothing written (bench/plain_loop.py);
(b) ``formcam analyze`` with its default outputs (annotated video, report.json,
    report.html, pose.npz, CSVs);
(c) ``formcam analyze --no-video``.

The real clips are a few seconds long, so a run's fixed costs (starting
Python, importing, loading the model, writing the report: a few seconds)
weigh heavily in their ratios; a 30-second clip made by looping the 1080p one
(FORMCAM_BENCH_STEADY_S) shows the steady rate of a longer video.

For each: frames per second (frames of the clip / wall time), the ratios
(b)/(a) and (c)/(a), the peak memory of the process and its children (RSS,
polled from /proc every 50 ms, summed over the process tree), and the CPU
utilisation (CPU seconds / wall seconds: 2.0 is both cores of a 2-core machine).

Memory flat in video length: (b) on a 10-minute 1080p clip and on a 10-second
one, both made here (in a temporary folder) by looping a real 1080 x 1920
60 fps treadmill clip without re-encoding. To keep `make bench` under 10
minutes the 10-minute loop is retimed to 10 fps (6,000 frames;
FORMCAM_BENCH_LONG_FPS changes it) and analysed with ``--slowmo``, so that the
runner still moves at real speed; the 10-second one keeps 60 fps (600 frames),
so that both are cut into segments and run on both cores.

Then the kinematics benchmark (bench/kinematics.py), and what each frame
costs part by part with the ratios those costs allow (bench/ceiling.py).
Results are printed and written to bench/results/latest.json.

The machine's speed drifts (a shared virtual machine), so on each clip the
three programs take turns FORMCAM_BENCH_ROUNDS times (default 2) and each
one's fastest run counts; every round's time is in latest.json.

Environment: FORMCAM_BENCH_CLIPS (comma-separated names in the videos folder),
FORMCAM_BENCH_LONG_S (length of the long clip, default 600; 0 skips it),
FORMCAM_BENCH_ROUNDS (turns per clip, default 2).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CLIPS = os.environ.get(
    "FORMCAM_BENCH_CLIPS",
    "treadmill_side_portrait_60fps.mp4,treadmill_sprint_side_two_people.mp4,treadmill_oblique_portrait_24fps.mp4",
).split(",")
#: The long clip loops this 1080p clip, retimed to LONG_FPS (no re-encoding).
LONG_SOURCE = "treadmill_side_portrait_60fps.mp4"
LONG_FPS = float(os.environ.get("FORMCAM_BENCH_LONG_FPS", "10"))
LONG_S = float(os.environ.get("FORMCAM_BENCH_LONG_S", "600"))
SHORT_S = 10.0
#: Length of the looped clip timed like the real ones: long enough that the
#: fixed costs of a run (imports, loading the model, the report) weigh little.
STEADY_S = float(os.environ.get("FORMCAM_BENCH_STEADY_S", "30"))
#: Each clip's three programs run this many times in turn; each one's fastest run counts.
ROUNDS = int(os.environ.get("FORMCAM_BENCH_ROUNDS", "2"))
POLL_S = 0.05


def tree_rss_bytes(pid: int) -> int:
    """RSS of ``pid`` and all its descendants, bytes (0 once it has exited)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str], env: dict | None = None) -> dict:
    """Run ``command``; its wall time, CPU time, peak tree RSS, and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_bytes(process.pid))
            done.wait(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    poller.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cores_busy": round(cpu / wall, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "stdout": stdout,
    }


def run_clip(
    video: Path,
    model: Path,
    work: Path,
    *,
    plain: bool = True,
    no_video: bool = True,
    extra: tuple[str, ...] = (),
    rounds: int = 1,
) -> dict:
    """(a), (b), (c) on one clip, ``rounds`` times in turn; the fastest run of each, frames per second and ratios.

    The machine's speed drifts by 10 % and more over minutes (a shared virtual
    machine), so the three programs take turns, and each one's fastest round
    counts (slower rounds were slowed by something else); every round's wall
    time is kept in ``wall_s_rounds``. Peak memory is the highest of the rounds.
    """
    # --force: a clip formcam would refuse (not running, too short) is still timed doing all its work.
    formcam = [sys.executable, "-m", "formcam", "analyze", str(video), "--quiet", "--overwrite", "--force", *extra]
    commands = {"analyze": formcam + ["--out", str(work / "default")]}
    if plain:
        commands = {
            "plain": [sys.executable, str(REPO / "bench" / "plain_loop.py"), str(video), str(model)],
            **commands,
        }
    if no_video:
        commands["no_video"] = formcam + ["--no-video", "--out", str(work / "no-video")]
    tries: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            tries[name].append(measure(command))
    report = json.loads((work / "default" / "report.json").read_text())
    frames = report["video"]["frames"]
    runs = {}
    for name, measured in tries.items():
        run = dict(min(measured, key=lambda m: m["wall_s"]))
        run["peak_rss_mb"] = max(m["peak_rss_mb"] for m in measured)
        run["wall_s_rounds"] = [m["wall_s"] for m in measured]
        run["frames_per_s"] = round(frames / run["wall_s"], 1)
        run.pop("stdout")
        runs[name] = run
    result = {
        "clip": video.name,
        "frames": frames,
        "size": [report["video"]["width"], report["video"]["height"]],
        "fps": report["video"]["fps"],
        "runs": runs,
        "annotated_mb": round((work / "default" / "annotated.mp4").stat().st_size / 2**20, 1),
    }
    if plain:
        for name in ("analyze", "no_video"):
            if name in runs:
                result[f"ratio_{name}"] = round(runs[name]["frames_per_s"] / runs["plain"]["frames_per_s"], 2)
    shutil.rmtree(work, ignore_errors=True)
    return result


def make_loop(source: Path, seconds: float, out: Path, fps: float | None = None) -> tuple[Path, float]:
    """``source`` looped to ``seconds``, retimed to ``fps``, without re-encoding (needs ffmpeg).

    Returns the clip and how many times slower than real time it plays.
    """
    from formcam.video.probe import probe_video

    info = probe_video(source)
    source_fps, duration = info.fps, info.duration_s
    if duration is None:
        raise ValueError(f"{source} does not say how long it is: it cannot be looped")
    slowdown = source_fps / (fps or source_fps)  # the same frames, fps of them per second
    loops = int(seconds / (duration * slowdown)) + 1
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-stream_loop",
            str(loops),
            "-itsscale",
            f"{slowdown:.6f}",
            "-i",
            str(source),
            "-t",
            f"{seconds:.3f}",
            "-an",
            "-c",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out, slowdown


def bench_speed(videos: Path, model: Path, scratch: Path) -> dict:
    results: dict[str, Any] = {"clips": []}
    for name in CLIPS:
        results["clips"].append(run_clip(videos / name, model, scratch / "clip", rounds=ROUNDS))
        print_clip(results["clips"][-1])
    if STEADY_S > 0 and shutil.which("ffmpeg"):
        clip, _ = make_loop(videos / LONG_SOURCE, STEADY_S, scratch / f"looped_{STEADY_S:g}s_{LONG_SOURCE}")
        results["clips"].append(run_clip(clip, model, scratch / "clip", rounds=ROUNDS))
        print_clip(results["clips"][-1])
        clip.unlink()
    if LONG_S > 0 and shutil.which("ffmpeg"):
        source = videos / LONG_SOURCE
        clips = {}
        # The short clip keeps the source's 60 fps: enough frames to be cut
        # into segments like the long one, so both run the same threads.
        for name, seconds, fps in (("short", SHORT_S, None), ("long", LONG_S, LONG_FPS)):
            clip, slowdown = make_loop(source, seconds, scratch / f"{name}.mp4", fps)
            clips[name] = run_clip(
                clip, model, scratch / "clip", plain=False, no_video=False, extra=("--slowmo", f"{slowdown:.6f}")
            )
            clip.unlink()
        short, long = clips["short"], clips["long"]
        growth = long["runs"]["analyze"]["peak_rss_mb"] / short["runs"]["analyze"]["peak_rss_mb"]
        results["memory"] = {"short": short, "long": long, "long_over_short": round(growth, 3)}
        print_memory(results["memory"])
    return results


def print_clip(clip: dict) -> None:
    width, height = clip["size"]
    rounds = len(next(iter(clip["runs"].values()))["wall_s_rounds"])
    print(
        f"{clip['clip']} ({width}x{height}, {clip['fps']:g} fps, {clip['frames']} frames; annotated.mp4 "
        f"{clip['annotated_mb']} MB; fastest of {rounds} rounds)"
    )
    labels = {"plain": "(a) plain loop", "analyze": "(b) formcam analyze", "no_video": "(c) analyze --no-video"}
    for name, run in clip["runs"].items():
        ratio = clip.get(f"ratio_{name}")
        ratio_text = f"  {ratio:4.2f}x (a)" if ratio else ""
        print(
            f"  {labels[name]:24s} {run['frames_per_s']:6.1f} frames/s{ratio_text:13s}  {run['wall_s']:7.1f} s  "
            f"peak {run['peak_rss_mb']:6.0f} MB  {run['cores_busy']:.2f} cores busy"
        )


def print_memory(memory: dict) -> None:
    short, long = memory["short"], memory["long"]
    print(f"memory, formcam analyze on {LONG_SOURCE} looped (10 s at 60 fps, {LONG_S / 60:g} min at {LONG_FPS:g} fps):")
    for label, clip in (("10 s", short), (f"{LONG_S / 60:g} min", long)):
        run = clip["runs"]["analyze"]
        print(
            f"  {label:7s} {clip['frames']:6d} frames  peak {run['peak_rss_mb']:6.0f} MB  "
            f"{run['frames_per_s']:5.1f} frames/s  {run['cores_busy']:.2f} cores busy"
        )
    print(f"  long / short peak memory: {memory['long_over_short']:.2f}")


def main() -> None:
    from formcam.pose.models import resolve_model

    videos = Path(os.environ.get("FORMCAM_VIDEOS_DIR", REPO.parent / "shared" / "videos"))
    model = resolve_model(None)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        }
    }
    with tempfile.TemporaryDirectory(prefix="formcam-bench-") as scratch:
        results["speed"] = bench_speed(videos, model, Path(scratch))
    results["machine"]["load_average_at_end"] = os.getloadavg()
    try:
        from bench.kinematics import bench_kinematics
    except ImportError:
        pass
    else:
        results["kinematics"] = bench_kinematics()
    from bench.ceiling import measure as measure_ceiling
    from bench.ceiling import print_ceiling

    results["ceiling"] = measure_ceiling(videos / LONG_SOURCE, model)
    print_ceiling(results["ceiling"])
    results["total_s"] = round(time.perf_counter() - started, 1)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in bench/results/latest.json ({results['total_s']:.0f} s)")


if __name__ == "__main__":
    main()
