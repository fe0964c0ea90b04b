"""formcam's benchmark (`make bench`): every speed claim as a ratio against a baseline run here.

1. Pose stage on a real clip: decode + MediaPipe with decoding prefetched in a
   second thread (what formcam does) against the plain loop (decode, then infer,
   one after the other).
2. Kinematics (everything after the pose model) on a 10-minute 60 fps synthetic
   pose sequence (36,000 frames) against the per-frame signals computed in an
   obvious per-frame Python loop.

Results are printed and written to bench/results/latest.json.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcam.decode import iter_frames  # noqa: E402
from formcam.landmarks import LEFT_EAR, LEFT_HIP, LEFT_SHOULDER, RIGHT_EAR, RIGHT_HIP, RIGHT_SHOULDER  # noqa: E402
from formcam.models import resolve_model  # noqa: E402
from formcam.pose import detect_people, prefetch  # noqa: E402

CLIP = os.environ.get("FORMCAM_BENCH_CLIP", "treadmill_sprint_side_two_people.mp4")
MAX_FRAMES = int(os.environ.get("FORMCAM_BENCH_FRAMES", "240"))


def _frames(path: Path):
    for frame in iter_frames(path):
        if frame.index >= MAX_FRAMES:
            return
        yield frame


def bench_pose(video: Path) -> dict:
    model = resolve_model(None)
    timings = {}
    for name, frames in (("plain loop", lambda: _frames(video)), ("formcam (prefetch)", lambda: prefetch(_frames(video)))):
        start = time.perf_counter()
        cpu_start = time.process_time()
        detections = detect_people(frames(), model)
        wall = time.perf_counter() - start
        timings[name] = {
            "frames": len(detections.t_ms),
            "wall_s": round(wall, 3),
            "frames_per_s": round(len(detections.t_ms) / wall, 1),
            "cores_used": round((time.process_time() - cpu_start) / wall, 2),
        }
    ratio = timings["plain loop"]["wall_s"] / timings["formcam (prefetch)"]["wall_s"]
    return {"clip": video.name, "runs": timings, "speedup": round(ratio, 2)}


def naive_signals(xy: np.ndarray) -> dict[str, list[float]]:
    """The obvious per-frame loop: shoulder and hip tilt, head-forward angle, frame by frame."""
    out = {"shoulder_tilt_deg": [], "hip_tilt_deg": [], "head_forward_deg": []}
    for frame in xy:
        for name, (a, b) in (("shoulder_tilt_deg", (LEFT_SHOULDER, RIGHT_SHOULDER)), ("hip_tilt_deg", (LEFT_HIP, RIGHT_HIP))):
            dx, dy = frame[b][0] - frame[a][0], frame[b][1] - frame[a][1]
            out[name].append(math.degrees(math.atan2(-dy, abs(dx))) if dx == dx and dy == dy else float("nan"))
        ear = (frame[LEFT_EAR] + frame[RIGHT_EAR]) / 2
        shoulder = (frame[LEFT_SHOULDER] + frame[RIGHT_SHOULDER]) / 2
        out["head_forward_deg"].append(math.degrees(math.atan2(ear[0] - shoulder[0], shoulder[1] - ear[1])))
    return out


def bench_kinematics() -> dict:
    from formcam.kinematics import analyse_pose
    from formcam.metrics import frame_signals
    from formcam.synth import make_gait

    pose = make_gait(view="side", fps=60, duration_s=600, jitter_px=1.5, seed=3)
    start = time.perf_counter()
    kin = analyse_pose(pose)
    full = time.perf_counter() - start
    start = time.perf_counter()
    frame_signals(kin.xy, kin.view)
    vectorised = time.perf_counter() - start
    start = time.perf_counter()
    naive_signals(kin.xy)
    loop = time.perf_counter() - start
    return {
        "frames": pose.n_frames,
        "analyse_pose_s": round(full, 3),
        "per_frame_signals_vectorised_s": round(vectorised, 4),
        "per_frame_signals_loop_s": round(loop, 3),
        "speedup": round(loop / vectorised, 1),
    }


def main() -> None:
    videos = Path(os.environ.get("FORMCAM_VIDEOS_DIR", REPO.parent / "shared" / "videos"))
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "pose": bench_pose(videos / CLIP),
        "kinematics": __import__("kinematics").bench_kinematics(),  # bench/kinematics.py: the whole stage vs a per-frame loop
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    pose, kin = results["pose"], results["kinematics"]
    print(f"pose stage, {pose['clip']}, {MAX_FRAMES} frames:")
    for name, run in pose["runs"].items():
        print(f"  {name:20s} {run['frames_per_s']:6.1f} frames/s  ({run['cores_used']} cores busy)")
    print(f"  prefetch speed-up: {pose['speedup']}x")
    print(f"kinematics, {kin['frames']} frames (10 min at 60 fps): analyse_pose {kin['analyse_pose_s']} s;")
    print(f"  per-frame signals vectorised vs per-frame loop: {kin['speedup']}x faster")
    print(f"peak memory: {results['peak_rss_mb']} MB; results in bench/results/latest.json")


if __name__ == "__main__":
    main()
