"""Where a batch's clips run: one after another here, a process pool on this machine, or Ray tasks.

Each engine takes the same :class:`~formcam.batch_clip.ClipJob` list, runs
:func:`~formcam.batch_clip.analyse_clip` on each, and calls ``on_done`` with
each :class:`~formcam.batch_clip.ClipOutcome` as it arrives (in finishing
order, from the calling thread), so progress and resumability are the same
whichever engine runs the work.

Worker processes are started with ``forkserver`` (``spawn`` where there is
none), never ``fork``: MediaPipe's threads and a forked copy of them do not mix.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .batch_clip import ClipJob, ClipOutcome, analyse_clip
from .errors import UsageError

ENGINES = ("local", "ray", "serial")

OnDone = Callable[[ClipOutcome], None]


def default_workers() -> int:
    """The cores this process may use: each pose worker keeps about one core busy."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def threads_per_clip(engine: str, workers: int | None, n_jobs: int) -> int | None:
    """Pose-model threads for each clip, so that the clips running at once share the cores without crowding them.

    The local engine runs ``min(workers, n_jobs)`` clips at once and gives each
    an equal share of the cores (more than one only when there are fewer clips
    than cores); a Ray task asks for one CPU, so it gets one thread; ``serial``
    leaves the choice to the analysis (all cores for its one clip).
    """
    if engine == "serial":
        return None
    if engine == "ray":
        return 1
    at_once = max(1, min(workers or default_workers(), n_jobs))
    return max(1, default_workers() // at_once)


def check_engine(engine: str, workers: int | None = None, address: str | None = None) -> None:
    """Raise :class:`~formcam.errors.UsageError` for an engine, worker count or address that cannot work."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not '{engine}'.")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {workers}).")
    if address and engine != "ray":
        raise UsageError("--address names a Ray cluster; use it with --engine ray.")


def run_jobs(jobs: Sequence[ClipJob], on_done: OnDone, *, engine: str = "local", workers: int | None = None,
             address: str | None = None) -> None:
    """Analyse ``jobs`` with ``engine``; ``on_done`` receives each outcome as it finishes."""
    check_engine(engine, workers, address)
    if not jobs:
        return
    if engine == "serial":
        for job in jobs:
            on_done(analyse_clip(job))
    elif engine == "local":
        run_local(jobs, on_done, workers=min(workers or default_workers(), len(jobs)))
    else:
        run_ray(jobs, on_done, workers=workers, address=address)


# ------------------------------------------------------------------------------------------- local
def _worker_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_local(jobs: Sequence[ClipJob], on_done: OnDone, *, workers: int,
              work: Callable[[ClipJob], ClipOutcome] = analyse_clip) -> None:
    """A process pool of ``workers`` processes, each running ``work`` on one clip at a time.

    A clip that kills its worker process (a crash in native code) breaks the
    whole pool; the clips that were in it are then run again one per fresh
    process, so only the clip that crashes again is reported as failed.
    """
    broken = _run_pool(jobs, on_done, workers, work)
    for job in broken:
        if _run_pool([job], on_done, 1, work):
            on_done(ClipOutcome(job.name, "failed", "The analysis crashed its worker process twice; please report this clip."))


def _run_pool(jobs: Sequence[ClipJob], on_done: OnDone, workers: int, work: Callable[[ClipJob], ClipOutcome]) -> list[ClipJob]:
    """Run ``jobs`` in one pool; return those whose worker process died."""
    broken: list[ClipJob] = []
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context())
    try:
        pending: dict[Future, ClipJob] = {executor.submit(work, job): job for job in jobs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken.append(job)
                    continue
                on_done(outcome)
    except BaseException:  # Ctrl-C or a failing callback: stop the workers now, not after their clips
        _terminate(executor)
        raise
    executor.shutdown(wait=True)
    return broken


def _terminate(executor: ProcessPoolExecutor) -> None:
    executor.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.join(timeout=5)


# --------------------------------------------------------------------------------------------- ray
def run_ray(jobs: Sequence[ClipJob], on_done: OnDone, *, workers: int | None = None, address: str | None = None) -> None:
    """One Ray task per clip, each asking for one CPU.

    Uses the Ray instance this process is already connected to, if any;
    otherwise connects to ``address`` (an existing cluster) or starts a local
    instance with ``workers`` CPUs (default: this machine's), and shuts down
    what it started. On a cluster the inputs and the output folder must be at
    the same paths on every node (a shared file system).
    """
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'formcam[ray]'.") from None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or default_workers(), include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=1)(analyse_clip)
    pending = {task.remote(job): job for job in jobs}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(done[0])
            try:
                outcome = ray.get(done[0])
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError) as error:
                outcome = ClipOutcome(job.name, "failed", f"The Ray task for this clip failed ({type(error).__name__}).")
            on_done(outcome)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
