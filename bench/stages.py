"""Where one ``formcam analyze`` run's time goes, stage by stage: the fixed costs behind the ratios.

    python bench/stages.py VIDEO [formcam analyze options ...]

Runs ``formcam analyze VIDEO ...`` in this process with the stages below
timed as they return, then prints each stage's wall and CPU seconds (CPU of
every thread of the process, so a stage spread over two cores shows up to
twice its wall time) and when it ended, counted from the start of the script:

* start-up: importing formcam, to the first stage;
* the pose stage (``pipeline.estimate_pose``), and within it the keyframe
  look (``parallel.look_at_keyframes``) and the threads that run the model
  (``parallel.run_in_threads``);
* the kinematics (``pipeline.analyse_pose``) and each output: tables, the
  annotated video, the HTML report and, within it, its evidence frames
  (``report.html.collect_evidence``), report.json.

Not part of ``make bench``: a tool for finding what to make faster. Pass
``--no-video`` to see what the plain loop does not pay for.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import functools  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import formcam.pipeline as pipeline  # noqa: E402
import formcam.pose.parallel as parallel  # noqa: E402
import formcam.report.html as html  # noqa: E402
from formcam.cli import main as formcam_main  # noqa: E402

#: (module, function name) of each stage timed, in the order a run reaches them.
STAGES = [
    (parallel, "look_at_keyframes"),
    (parallel, "run_in_threads"),
    (pipeline, "estimate_pose"),
    (pipeline, "analyse_pose"),
    (pipeline, "write_tables"),
    (pipeline, "render_annotated_video"),
    (html, "collect_evidence"),
    (pipeline, "write_report_html"),
    (pipeline, "write_report"),
]


def timed(function, name: str, rows: list):
    """``function``, appending ``(name, wall s, CPU s, ended at s)`` to ``rows`` each time it returns."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            now = time.perf_counter()
            rows.append((name, now - wall, time.process_time() - cpu, now - START))

    return run


def main() -> int:
    started = time.perf_counter() - START
    rows = [("start-up (imports)", started, time.process_time(), started)]
    for module, name in STAGES:
        setattr(module, name, timed(getattr(module, name), name, rows))
    sys.argv = ["formcam", "analyze", *sys.argv[1:]]
    try:
        formcam_main()
    except SystemExit as stop:
        code = stop.code or 0
    else:
        code = 0
    print(f"\n{'stage':28s} {'wall s':>7s} {'CPU s':>7s} {'ended at s':>10s}")
    for name, wall, cpu, ended in rows:
        print(f"{name:28s} {wall:7.2f} {cpu:7.2f} {ended:10.2f}")
    print(f"{'whole run':28s} {time.perf_counter() - START:7.2f} {time.process_time():7.2f}")
    return int(code) if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
