"""Threads for the stages that use every core: how many, running work in them, and what they share.

MediaPipe, PyAV, OpenCV and x264 release the GIL while they work, so several
threads of one process keep several cores busy (one copy of the models and
codecs in memory, nothing pickled). The pose stage, the annotated video, the
evidence frames and the batch runner use these helpers.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading
from collections.abc import Callable, Iterator, Sized
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one).

    Each pose thread keeps about one busy.
    """
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def release_free_memory() -> None:
    """Give memory freed by finished segments back to the operating system (glibc only).

    Each segment opens and frees a decoder, a landmarker or an encoder, from
    several threads; glibc keeps what they freed in per-thread arenas, so a
    long clip's peak memory would grow with its number of segments.
    ``malloc_trim`` returns it (a few milliseconds); elsewhere this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def opencv_on_one_thread() -> Iterator[None]:
    """Run OpenCV's functions on the calling thread only, for the duration; its setting is restored after.

    OpenCV spreads a resize or a colour conversion over a pool of threads of
    its own, which wait for the next call spinning. While the pose stage's
    threads keep every core busy, that pool only takes CPU from them: the pose
    stage of a 30-s 1080p clip took about 5 % less time without it (four runs
    each, alternating). The video pass, whose threads leave gaps the pool
    fills, does not gain and keeps it.
    """
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


class Progress:
    """Frames done, summed over threads, and a flag telling every thread to stop.

    Parameters
    ----------
    on_frame : callable, optional
        Called with the running total after each :meth:`add`, in the adding
        thread (only where one thread does all the work).
    """

    def __init__(self, on_frame: Callable[[int], None] | None = None):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._on_frame = on_frame
        self.frames = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.frames += n
        if self._on_frame is not None:
            self._on_frame(self.frames)

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


def uses_threads(workers: int, items: Sized) -> bool:
    """Whether :func:`run_in_threads` runs ``items`` in threads of its own (else one after another, here)."""
    return workers > 1 and len(items) > 1


def run_in_threads(
    function: Callable,
    items: list,
    workers: int,
    on_frame: Callable[[int], None] | None = None,
) -> list:
    """``[function(item, progress) for item in items]``, in up to ``workers`` threads.

    Parameters
    ----------
    function : callable
        Takes an item and the shared :class:`Progress`; calls ``progress.add()``
        per frame done and returns early once ``progress.stopped``.
    items : list
    workers : int
    on_frame : callable, optional
        Progress callback with the frames done so far, always called from this thread.

    Returns
    -------
    list
        The results in the order of ``items``. The first error raised by a
        call stops the others (at their next frame) and is raised here, as is
        a KeyboardInterrupt.
    """

    def run(item, progress: Progress):
        try:
            return function(item, progress)
        finally:
            release_free_memory()

    if not uses_threads(workers, items):
        progress = Progress(on_frame)
        return [run(item, progress) for item in items]
    progress = Progress()
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="formcam") as pool:
        futures = [pool.submit(run, item, progress) for item in items]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                if on_frame is not None:
                    on_frame(progress.frames)
                for future in finished:
                    future.result()
        except BaseException:
            # After an error, Ctrl-C or SIGTERM the running threads stop at their next
            # frame, and the queued items never start (each would open the file first).
            progress.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [future.result() for future in futures]
