"""Benchmark of the whole kinematics stage: formcam's vectorised core against the obvious per-frame loop.

    python bench/kinematics.py          # alone
    make bench                          # as part of bench/run.py

Input: a 10-minute, 60 fps synthetic side-view run (36,000 frames) with the
realistic pose-model noise of :data:`formcam.synthetic.noise.REALISTIC_NOISE` (jitter,
lost poses, skipped frames, swap bursts, camera roll, unsure landmarks).

* **formcam**: :func:`formcam.gait.kinematics.analyse_pose`, everything after the
  pose model (cleaning with swaps and the Hampel filter, roll, view and view
  segments, events, cadence, signals, every metric, running decision,
  quality warnings); best of three runs, wall and CPU time.
* **per-frame loop**: :func:`naive_analyse`, the same stages written the
  obvious way - Python loops over frames and landmarks: visibility gate,
  running-median outlier test, linear gap filling, the Butterworth filter's
  difference equation run forwards and backwards sample by sample, per-frame
  view votes and roll angles, left/right swap test against the frame a stride
  away, peak search for contacts, and per-frame signals.  It computes the
  same kind of result (a sanity check compares the cadences), not every
  refinement.

The target is under one second for formcam on this machine (2 cores, shared).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal as sp_signal

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from formcam.gait.kinematics import analyse_pose  # noqa: E402
from formcam.pose import landmarks as lm  # noqa: E402
from formcam.pose.posefile import PoseSequence  # noqa: E402
from formcam.synthetic.gait import make_gait  # noqa: E402
from formcam.synthetic.noise import REALISTIC_NOISE  # noqa: E402

FRAMES_PER_S = 60.0
DURATION_S = 600.0


def bench_pose() -> PoseSequence:
    """The benchmark's input: 10 minutes at 60 fps, side view, realistic noise."""
    return make_gait(
        view="side",
        fps=FRAMES_PER_S,
        duration_s=DURATION_S,
        head_forward_pct=12.0,
        trunk_forward_lean_deg=8.0,
        vertical_oscillation_pct=8.0,
        overstride_pct=10.0,
        **REALISTIC_NOISE,
        seed=3,
    )


# ----------------------------------------------------------------------------- the obvious loop
def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def _lowpass_loop(x: list[float], b: np.ndarray, a: np.ndarray) -> list[float]:
    """Butterworth filter forwards then backwards, one sample at a time (direct form I)."""

    def run(samples: list[float]) -> list[float]:
        out, x1, x2, y1, y2 = [], samples[0], samples[0], samples[0], samples[0]
        for value in samples:
            y = (b[0] * value + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2) / a[0]
            x2, x1, y2, y1 = x1, value, y1, y
            out.append(y)
        return out

    return run(run(x)[::-1])[::-1]


def naive_analyse(pose: PoseSequence) -> dict:
    """The kinematics stage as per-frame Python loops; returns the cadence and a few medians."""
    t = [float(v) for v in pose.t_ms]
    n = len(t)
    xy = pose.image_xy.astype(float).tolist()
    vis = pose.visibility.astype(float).tolist()
    dt = _median([t[i + 1] - t[i] for i in range(n - 1)])
    fs = 1000.0 / dt
    # 1. visibility gate and 2. running-median outlier test (window 7), frame by frame.
    for i in range(n):
        for j in range(lm.N_LANDMARKS):
            if not vis[i][j] >= 0.3:
                xy[i][j] = [math.nan, math.nan]
    for j in range(lm.N_LANDMARKS):
        for c in (0, 1):
            column = [xy[i][j][c] for i in range(n)]
            for i in range(n):
                window = [v for v in column[max(0, i - 3) : i + 4] if v == v]
                if column[i] == column[i] and window and abs(column[i] - _median(window)) > 15.0:
                    xy[i][j] = [math.nan, math.nan]
    # 3. linear gap filling and 4. zero-phase low-pass, landmark by landmark, sample by sample.
    b, a = sp_signal.butter(2, 6.0 / 0.802, fs=fs)
    for j in range(lm.N_LANDMARKS):
        for c in (0, 1):
            column = [xy[i][j][c] for i in range(n)]
            last = None
            for i in range(n):
                if column[i] == column[i]:
                    if last is not None and i - last > 1 and (t[i] - t[last]) <= 120 + dt:
                        for k in range(last + 1, i):
                            w = (t[k] - t[last]) / (t[i] - t[last])
                            column[k] = column[last] + w * (column[i] - column[last])
                    last = i
            present = [v for v in column if v == v]
            if len(present) > 10:
                first = next(v for v in column if v == v)
                filled = [v if v == v else first for v in column]
                smooth = _lowpass_loop(filled, b, a)
                for i in range(n):
                    xy[i][j][c] = smooth[i] if column[i] == column[i] else math.nan
    # 5. view vote and roll, frame by frame.
    votes, rolls = [], []
    for i in range(n):
        f = xy[i]
        trunk = math.hypot(
            (f[11][0] + f[12][0] - f[23][0] - f[24][0]) / 2, (f[11][1] + f[12][1] - f[23][1] - f[24][1]) / 2
        )
        if trunk == trunk and trunk > 0:
            votes.append((abs(f[12][0] - f[11][0]) + abs(f[24][0] - f[23][0])) / 2 / trunk)
        for heel in (29, 30):
            if f[heel][1] == f[heel][1]:
                rolls.append(f[heel][1])
    view_is_side = _median(votes) < 0.25
    # 6. left/right swap test against the frame one stride (about 0.7 s) before, frame by frame.
    stride = int(round(700 / dt))
    swapped = 0
    for i in range(stride, n):
        d_now = [xy[i][k + 1][c] - xy[i][k][c] for k in (25, 27, 29, 31) for c in (0, 1)]
        d_then = [xy[i - stride][k + 1][c] - xy[i - stride][k][c] for k in (25, 27, 29, 31) for c in (0, 1)]
        dot = sum(p * q for p, q in zip(d_now, d_then))
        if dot == dot and dot < 0:
            swapped += 1
    # 7. contacts: peaks of the heel's forward distance from the mid-hip, frame by frame.
    toe_ahead = [xy[i][31][0] - xy[i][29][0] for i in range(n)]
    facing = 1.0 if _median([v for v in toe_ahead if v == v]) > 0 else -1.0
    contacts = []
    for heel in (29, 30):
        reach = [(xy[i][heel][0] - (xy[i][23][0] + xy[i][24][0]) / 2) * facing for i in range(n)]
        finite = [v for v in reach if v == v]
        low, high = sorted(finite)[len(finite) // 20], sorted(finite)[-len(finite) // 20]
        last_peak = -(10**9)
        for i in range(1, n - 1):
            v = reach[i]
            if (
                v == v
                and v >= reach[i - 1]
                and v > reach[i + 1]
                and v > low + 0.6 * (high - low)
                and i - last_peak > 0.22 * fs
            ):
                contacts.append(i)
                last_peak = i
    contacts.sort()
    steps = [t[contacts[k + 1]] - t[contacts[k]] for k in range(len(contacts) - 1)]
    cadence = 60000.0 / _median(steps) if steps else math.nan
    # 8. per-frame signals.
    lean, head = [], []
    for i in range(n):
        f = xy[i]
        sh = ((f[11][0] + f[12][0]) / 2, (f[11][1] + f[12][1]) / 2)
        hip = ((f[23][0] + f[24][0]) / 2, (f[23][1] + f[24][1]) / 2)
        ear = ((f[7][0] + f[8][0]) / 2, (f[7][1] + f[8][1]) / 2)
        lean.append(math.degrees(math.atan2((sh[0] - hip[0]) * facing, hip[1] - sh[1])))
        head.append(math.degrees(math.atan2((ear[0] - sh[0]) * facing, sh[1] - ear[1])))
    return {
        "cadence_spm": cadence,
        "side": view_is_side,
        "swapped_frames": swapped,
        "trunk_forward_lean_deg": _median([v for v in lean if v == v]),
        "head_forward_deg": _median([v for v in head if v == v]),
        "ground_y": _median(rolls),
    }


# ----------------------------------------------------------------------------- the benchmark
def bench_kinematics(repeats: int = 3, verbose: bool = True) -> dict:
    """Time formcam's kinematics stage and the per-frame loop on the same 36,000-frame pose sequence.

    Returns
    -------
    dict
        ``frames``, ``analyse_pose_s`` (best wall time), ``analyse_pose_cpu_s``,
        ``loop_s``, ``whole_stage_speedup``, ``under_one_second``, and
        ``speedup`` (the same ratio, under the key bench/run.py prints).
    """
    pose = bench_pose()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        kin = analyse_pose(pose)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    start = time.perf_counter()
    naive = naive_analyse(pose)
    loop = time.perf_counter() - start
    best = min(walls)
    result: dict[str, Any] = {
        "frames": int(pose.n_frames),
        "input": "10 min at 60 fps, side view, formcam.synthetic.noise.REALISTIC_NOISE",
        "analyse_pose_s": round(best, 3),
        "analyse_pose_cpu_s": round(min(cpus), 3),
        "loop_s": round(loop, 2),
        "whole_stage_speedup": round(loop / best, 1),
        "speedup": round(loop / best, 1),
        "under_one_second": bool(best < 1.0),
        "cadence_spm": {
            "formcam": round(float(kin.cadence.value_spm), 2),
            "loop": round(float(naive["cadence_spm"]), 2),
        },
    }
    if verbose:
        print(f"kinematics, whole stage, {result['frames']} frames ({result['input']}):")
        print(
            f"  formcam analyse_pose   {best:.3f} s wall, {min(cpus):.3f} s CPU (best of {repeats}); "
            f"target < 1 s: {'met' if result['under_one_second'] else 'NOT met'}"
        )
        print(f"  per-frame Python loop  {loop:.1f} s   -> formcam is {result['whole_stage_speedup']}x faster")
        print(
            f"  cadence: formcam {result['cadence_spm']['formcam']}, loop {result['cadence_spm']['loop']} steps/min "
            "(true 170)"
        )
    return result


if __name__ == "__main__":
    bench_kinematics()
