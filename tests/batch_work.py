"""A stand-in for a clip's analysis, importable by the worker processes of the batch engine tests."""

import os

from formcam.batch_clip import ClipJob, ClipOutcome


def crash_on_crash(job: ClipJob) -> ClipOutcome:
    """Kill the worker process (as a crash in native code would) for a clip named ``crash``; succeed otherwise."""
    if job.name == "crash":
        os._exit(1)
    return ClipOutcome(job.name, "ok", report={"pid": os.getpid()})
