"""Stand-ins for a clip's analysis, importable by the worker processes (and Ray tasks) of the batch engine tests."""

import os
import time
from pathlib import Path

from formcam.batch_clip import ClipJob, ClipOutcome


def crash_on_crash(job: ClipJob) -> ClipOutcome:
    """Kill the worker process (as a crash in native code would) for a clip named ``crash``; succeed otherwise."""
    if job.name == "crash":
        os._exit(1)
    return ClipOutcome(job.name, "ok", report={"pid": os.getpid()})


def hang_on_slow(job: ClipJob) -> ClipOutcome:
    """Hang (as a stuck decoder would) for a clip named ``slow``; succeed at once otherwise.

    The slow clip first leaves what a killed analysis leaves behind: its
    worker's process id in ``worker.pid``, a complete output and a half-written one.
    """
    if job.name == "slow":
        out_dir = Path(job.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "worker.pid").write_text(str(os.getpid()))
        (out_dir / "frames.csv").write_text("t_ms\n0\n")
        (out_dir / ".annotated.mp4.part").write_bytes(b"\0" * 100)
        time.sleep(3600)
    return ClipOutcome(job.name, "ok", report={"pid": os.getpid()})
