"""Stand-ins for a clip's analysis, importable by the worker processes (and Ray tasks) of the batch engine tests."""

import os
import time
from pathlib import Path

from formcam.batch.clip import ClipJob, ClipOutcome


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


def crash_first_tries(job: ClipJob) -> ClipOutcome:
    """Kill the worker process on the first ``n`` tries of a clip named ``crash-n`` (a crash that may not recur).

    Each try first adds its worker's process id to ``tries.txt`` in the clip's
    folder; a clip with no ``crash-`` name, or past its crashing tries, succeeds.
    """
    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "tries.txt", "a") as tries:
        tries.write(f"{os.getpid()}\n")
    n_tries = len((out_dir / "tries.txt").read_text().split())
    if job.name.startswith("crash-") and n_tries <= int(job.name.removeprefix("crash-")):
        os._exit(1)
    return ClipOutcome(job.name, "ok", report={"pid": os.getpid()})


class DiesStarting:
    """A stand-in whose worker processes die as they start, before they can take a clip (as a broken install would).

    Unpickling it, which a worker process does first, ends that process.
    """

    def __reduce__(self):
        return os._exit, (1,)

    def __call__(self, job: ClipJob) -> ClipOutcome:
        return ClipOutcome(job.name, "ok")


class StartsSlowly:
    """A stand-in whose worker processes take ``start_s`` seconds to start (as importing the analysis can).

    A worker process unpickles it first, and that takes ``start_s`` seconds;
    each clip then succeeds at once.
    """

    def __init__(self, start_s: float):
        self.start_s = start_s

    def __reduce__(self):
        return _unpickle_slowly, (self.start_s,)

    def __call__(self, job: ClipJob) -> ClipOutcome:
        return ClipOutcome(job.name, "ok", report={"pid": os.getpid()})


def _unpickle_slowly(start_s: float) -> StartsSlowly:
    time.sleep(start_s)
    return StartsSlowly(start_s)
