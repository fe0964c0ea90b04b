"""Where a batch's clips run: one after another here, a process pool on this machine, or Ray tasks.

Each engine takes the same :class:`~formcam.batch.clip.ClipJob` list, runs
:func:`~formcam.batch.clip.analyse_clip` on each, and calls ``on_done`` with
each :class:`~formcam.batch.clip.ClipOutcome` as it arrives (in finishing
order, from the calling thread), so progress and resumability are the same
whichever engine runs the work.

Worker processes are started with ``forkserver`` (``spawn`` where there is
none), never ``fork``: MediaPipe's threads and a forked copy of them do not mix.

A clip whose worker is stopped from outside (over its ``clip_timeout``, or
crashed) is recorded by the engine, once the worker is dead, with
:func:`~formcam.batch.clip.record_stopped`; that is why the local engine keeps
its own pool, which knows the process each clip runs in, rather than
:class:`concurrent.futures.ProcessPoolExecutor`, which can neither say nor kill it.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from multiprocessing import connection

from formcam.batch.clip import ClipJob, ClipOutcome, analyse_clip, record_stopped
from formcam.errors import UsageError
from formcam.threads import usable_cores

ENGINES = ("local", "ray", "serial")

OnDone = Callable[[ClipOutcome], None]


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
    at_once = max(1, min(workers or usable_cores(), n_jobs))
    return max(1, usable_cores() // at_once)


def check_engine(
    engine: str, workers: int | None = None, address: str | None = None, clip_timeout: float | None = None
) -> None:
    """Raise :class:`~formcam.errors.UsageError` for an engine, worker count, address or time limit that cannot work."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not '{engine}'.")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {workers}).")
    if address and engine != "ray":
        raise UsageError("--address names a Ray cluster; use it with --engine ray.")
    if clip_timeout is not None:
        if not clip_timeout > 0:  # also refuses NaN
            raise UsageError(f"--clip-timeout must be a number of seconds above 0 (got {clip_timeout}).")
        if engine == "serial":
            raise UsageError(
                "--clip-timeout stops a clip's worker process, and --engine serial has none; use --engine local."
            )


def timed_out_message(clip_timeout: float) -> str:
    """The one sentence a clip stopped by ``--clip-timeout`` gets in the summary."""
    return (
        f"Stopped after {clip_timeout:g} s (--clip-timeout); run the batch again with a longer --clip-timeout, "
        "or analyse this clip alone with formcam analyze."
    )


def run_jobs(
    jobs: Sequence[ClipJob],
    on_done: OnDone,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    clip_timeout: float | None = None,
) -> None:
    """Analyse ``jobs`` with ``engine``; ``on_done`` receives each outcome as it finishes.

    ``clip_timeout`` (seconds, local and ray engines): a clip still running
    that long after it started is stopped, its worker killed, and reported
    ``timed_out``.
    """
    check_engine(engine, workers, address, clip_timeout)
    if not jobs:
        return
    if engine == "serial":
        for job in jobs:
            on_done(analyse_clip(job))
    elif engine == "local":
        run_local(jobs, on_done, workers=min(workers or usable_cores(), len(jobs)), clip_timeout=clip_timeout)
    else:
        run_ray(jobs, on_done, workers=workers, address=address, clip_timeout=clip_timeout)


# ------------------------------------------------------------------------------------------- local
def _worker_context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


#: Times a clip is tried when its worker process dies under it (a crash in native code may not recur).
CRASH_ATTEMPTS = 2
#: What a worker process sends once it has started and can take a clip.
_READY = "ready"


def run_local(
    jobs: Sequence[ClipJob],
    on_done: OnDone,
    *,
    workers: int,
    clip_timeout: float | None = None,
    work: Callable[[ClipJob], ClipOutcome] = analyse_clip,
) -> None:
    """A pool of ``workers`` processes, each running ``work`` on one clip at a time.

    The pool knows which clip each process is running, so one clip's trouble
    stays its own: a clip that kills its process (a crash in native code) is
    tried once more in a fresh process and then reported ``failed``; a clip
    still running ``clip_timeout`` seconds after its process took it has that
    process killed (threads and all) and is reported ``timed_out``. A fresh
    process takes the dead one's place for the clips still to do. A clip is
    handed only to a process that has started and imported the analysis, so
    the seconds that takes are not counted against the clip.
    """
    pool = _Pool(jobs, on_done, size=workers, clip_timeout=clip_timeout, work=work)
    try:
        while pool.has_clips_left():
            pool.start_workers_needed()
            pool.hand_out_clips()
            pool.handle(pool.wait_for_worker_or_deadline())
    finally:  # also on Ctrl-C or a failing callback: stop the workers now, not after their clips
        pool.stop()


class _Pool:
    """The worker processes of :func:`run_local`, the clips not yet handed out, and the crashes seen so far."""

    def __init__(
        self,
        jobs: Sequence[ClipJob],
        on_done: OnDone,
        *,
        size: int,
        clip_timeout: float | None,
        work: Callable[[ClipJob], ClipOutcome],
    ):
        self.todo = deque(jobs)
        self.on_done = on_done
        self.size = size
        self.clip_timeout = clip_timeout
        self.work = work
        self.context = _worker_context()
        self.workers: list[_Worker] = []
        self.crashes: Counter[str] = Counter()  # clip name -> worker processes it has killed
        self.died_starting = 0

    def _busy(self) -> list[_Worker]:
        return [worker for worker in self.workers if worker.job]

    def has_clips_left(self) -> bool:
        """Whether a clip is still to hand out or still running."""
        return bool(self.todo) or bool(self._busy())

    def start_workers_needed(self) -> None:
        """Start processes up to one per clip running or waiting, and at most ``size`` in all."""
        while len(self.workers) < min(self.size, len(self._busy()) + len(self.todo)):
            self.workers.append(_Worker(self.context, self.work))

    def hand_out_clips(self) -> None:
        """Give the next clips to the idle processes that have started (a starting one's seconds are not the clip's)."""
        for worker in self.workers:
            if worker.ready and worker.job is None and self.todo:
                worker.start(self.todo.popleft())

    def wait_for_worker_or_deadline(self) -> set:
        """Wait until a process sends a message or dies, or the first running clip's time is up.

        Returns the pipes and process sentinels that are ready (none when a clip's time is up).
        """
        deadlines = [worker.started + self.clip_timeout for worker in self._busy() if self.clip_timeout]
        wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        handles = [worker.conn for worker in self.workers] + [worker.process.sentinel for worker in self.workers]
        return set(connection.wait(handles, timeout=wait_s))

    def handle(self, ready: set) -> None:
        """Take the message of each process in ``ready``; stop the clips of the others that are over time."""
        for worker in list(self.workers):
            if worker.conn in ready or worker.process.sentinel in ready:
                self._take_message(worker)
            elif worker.job and self.clip_timeout and worker.seconds_on_clip() >= self.clip_timeout:
                self._stop_over_time(worker)

    def _take_message(self, worker: _Worker) -> None:
        """Act on what ``worker`` sent: that it has started, its clip's outcome, or (nothing) its death."""
        message = worker.receive()
        if isinstance(message, str):  # _READY, the only text a worker sends
            worker.ready = True
            return
        job, worker.job = worker.job, None  # idle from here: should on_done raise, stop() lets it end calmly
        if message is not None:
            self.on_done(message)
        else:
            self.workers.remove(worker)
            if job is None:  # died starting, before taking a clip: a bug, not a clip's doing
                self._count_death_at_start()
            else:
                self._retry_or_fail(job)

    def _count_death_at_start(self) -> None:
        """Raise ``RuntimeError`` once more processes have died starting than could be bad luck."""
        self.died_starting += 1
        if self.died_starting > self.size + 1:
            raise RuntimeError("The batch's worker processes die as they start.")

    def _retry_or_fail(self, job: ClipJob) -> None:
        """Try ``job``, whose process died under it, again (first), or report it failed after :data:`CRASH_ATTEMPTS`."""
        self.crashes[job.name] += 1
        if self.crashes[job.name] < CRASH_ATTEMPTS:
            self.todo.appendleft(job)
        else:
            self.on_done(
                record_stopped(
                    job,
                    "failed",
                    f"The analysis crashed its worker process {CRASH_ATTEMPTS} times; please report this clip.",
                )
            )

    def _stop_over_time(self, worker: _Worker) -> None:
        """Kill the process of a clip over ``clip_timeout`` (threads and all), then record the clip ``timed_out``."""
        job, seconds = worker.job, round(worker.seconds_on_clip(), 3)
        # Called only for a worker on a clip, and only with a clip_timeout.
        assert job is not None and self.clip_timeout is not None
        worker.kill()
        self.workers.remove(worker)
        self.on_done(record_stopped(job, "timed_out", timed_out_message(self.clip_timeout), seconds))

    def stop(self) -> None:
        """End every process now: an idle one by itself, a busy one killed."""
        for worker in self.workers:
            worker.stop()


class _Worker:
    """One worker process: whether it has started (``ready``), and the clip it runs (``job``, taken at ``started``)."""

    def __init__(
        self,
        context: multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext,
        work: Callable[[ClipJob], ClipOutcome],
    ):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_conn, work), name="formcam-batch", daemon=True)
        self.process.start()
        child_conn.close()
        self.ready = False
        self.job: ClipJob | None = None
        self.started = 0.0

    def start(self, job: ClipJob) -> None:
        self.job, self.started = job, time.monotonic()
        try:
            self.conn.send(job)
        except OSError:  # the process is already dead: seen as a crash by the next wait
            pass

    def seconds_on_clip(self) -> float:
        return time.monotonic() - self.started

    def receive(self) -> ClipOutcome | str | None:
        """The process's next message (:data:`_READY` or an outcome); None, and the process reaped, if it died."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        """Let an idle process end by itself; kill a busy one."""
        if self.job is None and self.process.is_alive():
            try:
                self.conn.send(None)
                self.process.join(timeout=5)
            except OSError:
                pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _serve(conn: connection.Connection, work: Callable[[ClipJob], ClipOutcome]) -> None:
    """A worker process's life: say it is ready, then run ``work`` on each clip received and send back its outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle: it stops its workers
    from formcam import pipeline  # noqa: F401  (MediaPipe, PyAV, OpenCV: seconds to import, not to count against a clip)

    try:
        conn.send(_READY)
    except OSError:
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the batch is gone
            return
        if job is None:
            return
        try:
            outcome = work(job)
        except Exception as error:  # analyse_clip reports rather than raises; a stand-in might not
            outcome = ClipOutcome(job.name, "failed", f"Unexpected internal error ({type(error).__name__}: {error}).")
        try:
            conn.send(outcome)
        except (OSError, ValueError):
            return


# --------------------------------------------------------------------------------------------- ray
def run_ray(
    jobs: Sequence[ClipJob],
    on_done: OnDone,
    *,
    workers: int | None = None,
    address: str | None = None,
    clip_timeout: float | None = None,
    work: Callable[[ClipJob], ClipOutcome] = analyse_clip,
) -> None:
    """One Ray task per clip, each asking for one CPU.

    Uses the Ray instance this process is already connected to, if any;
    otherwise connects to ``address`` (an existing cluster) or starts a local
    instance with ``workers`` CPUs (default: this machine's), and shuts down
    what it started. On a cluster the inputs and the output folder must be at
    the same paths on every node (a shared file system).

    With ``clip_timeout``, at most as many tasks as the cluster has CPUs are
    handed to Ray at once, so that a task starts when it is handed over and its
    time is counted from then; a task still running after ``clip_timeout``
    seconds is cancelled with its worker process killed
    (``ray.cancel(force=True)``), and its clip reported ``timed_out``. Without
    it, every task is handed over at once (an autoscaling cluster sees them all).
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
            ray.init(num_cpus=workers or usable_cores(), include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=1)(work)
    at_once = max(1, int(ray.cluster_resources().get("CPU", 1))) if clip_timeout else len(jobs)
    todo = deque(jobs)
    pending: dict = {}  # ObjectRef -> (job, monotonic time handed over)
    try:
        while todo or pending:
            while todo and len(pending) < at_once:
                job = todo.popleft()
                pending[task.remote(job)] = (job, time.monotonic())
            wait_s = None
            if clip_timeout:
                wait_s = max(0.0, min(handed for _, handed in pending.values()) + clip_timeout - time.monotonic())
            done, _ = ray.wait(list(pending), num_returns=1, timeout=wait_s)
            for ref in done:
                job, _ = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except (
                    ray.exceptions.RayError
                ) as error:  # the worker crashed (twice: Ray retried it once), or Ray failed
                    outcome = record_stopped(
                        job, "failed", f"The Ray task for this clip failed ({type(error).__name__})."
                    )
                on_done(outcome)
            for ref, (job, handed) in list(pending.items()):
                if clip_timeout and time.monotonic() - handed >= clip_timeout:
                    seconds = round(time.monotonic() - handed, 3)
                    _cancel_ray_task(ray, ref)
                    del pending[ref]
                    on_done(record_stopped(job, "timed_out", timed_out_message(clip_timeout), seconds))
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()


#: How long to wait for a force-cancelled task's worker to be gone before recording its clip.
_CANCEL_WAIT_S = 30.0


def _cancel_ray_task(ray, ref) -> None:
    """Kill the worker process running ``ref`` and wait until Ray reports the task ended, so nothing writes after."""
    ray.cancel(ref, force=True)
    ray.wait([ref], timeout=_CANCEL_WAIT_S)
