"""Batch throughput (`make bench`): clips per minute, the local engine against one clip after another.

Both runs analyse the same real clips from scratch (fresh output folders;
report.json, pose.npz and the CSVs, not the video or the HTML report) with
:func:`formcam.batch.run_batch`, each clip's pose model on one core:
``serial`` analyses them one after another in this process, ``local`` runs a
pool of worker processes, one per core (``FORMCAM_BENCH_WORKERS`` to choose).
``FORMCAM_BENCH_BATCH_CLIPS`` (comma-separated names under the videos folder)
chooses the clips.

Results are printed and written to bench/results/batch.json, with the load
average before each run: on a shared machine a busy neighbour skews them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcam.batch import run_batch  # noqa: E402
from formcam.pipeline import AnalysisOptions  # noqa: E402
from formcam.threads import usable_cores  # noqa: E402

OUTPUTS = frozenset({"report.json", "pose.npz", "frames.csv", "steps.csv"})

CLIPS = (
    "outdoor_side_fixed_short.mp4",
    "outdoor_side_pass_through.mp4",
    "outdoor_side_pan_1080p50.mp4",
    "treadmill_side_portrait_60fps.mp4",
    "outdoor_portrait_tracking_oddfps.mp4",
    "treadmill_oblique_portrait_24fps.mp4",
)


def bench_engine(clips: list[Path], engine: str, workers: int | None) -> dict:
    # --force: the short and pass-through clips are refused after their pose stage (too few steps); the
    # benchmark times every clip's whole analysis.
    options = AnalysisOptions(outputs=OUTPUTS, progress=False, workers=1, force=True)
    with tempfile.TemporaryDirectory(prefix="formcam-bench-") as out:
        load, start = os.getloadavg()[0], time.perf_counter()
        summary = run_batch(clips, out, options, engine=engine, workers=workers)
        wall = time.perf_counter() - start
    return {
        "engine": engine,
        "workers": workers if engine == "local" else 1,
        "clips": len(clips),
        "analysed": summary.counts["ok"],
        "wall_s": round(wall, 1),
        "clips_per_min": round(len(clips) / wall * 60, 2),
        # Summed over clips: twice the serial run's when the workers find no free core.
        "clip_seconds": round(sum(r.seconds or 0 for r in summary.results), 1),
        "load_before": round(load, 1),
    }


def main() -> None:
    videos = Path(os.environ.get("FORMCAM_VIDEOS_DIR", REPO.parent / "shared" / "videos"))
    names = [n for n in os.environ.get("FORMCAM_BENCH_BATCH_CLIPS", ",".join(CLIPS)).split(",") if n]
    clips = [videos / name for name in names]
    workers = int(os.environ.get("FORMCAM_BENCH_WORKERS", usable_cores()))
    serial = bench_engine(clips, "serial", None)
    local = bench_engine(clips, "local", workers)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": [serial, local],
        "speedup": round(local["clips_per_min"] / serial["clips_per_min"], 2),
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"batch, {len(clips)} real clips (report.json, pose.npz, CSVs), the pose model on one core per clip:")
    for run in results["runs"]:
        label = "one after another" if run["engine"] == "serial" else f"local, {run['workers']} workers"
        print(
            f"  {label:20s} {run['clips_per_min']:6.2f} clips/min  "
            f"({run['wall_s']} s; load before: {run['load_before']})"
        )
    print(f"  local engine speed-up: {results['speedup']}x; results in bench/results/batch.json")


if __name__ == "__main__":
    main()
