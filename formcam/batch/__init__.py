"""Many clips at once: a folder of videos in, one folder per clip and one summary table out.

    >>> from formcam.batch import run_batch
    >>> summary = run_batch(["clinic/week12"], "out")      # doctest: +SKIP
    >>> summary.exit_code, summary.csv_path                  # doctest: +SKIP

Each clip is analysed as :func:`formcam.analyze` does, into
``<out_root>/<clip name>/``; ``summary.csv`` and ``summary.html`` in
``out_root`` hold one row per clip. A batch is resumable: a clip whose folder
records the same input content, options and formcam version is skipped
(:mod:`formcam.batch.clip`), so running the same command again after an
interruption does only what is left. One bad clip never stops the batch; its
row says what went wrong, and :attr:`BatchSummary.exit_code` says whether all,
some or none of the clips were analysed. :mod:`formcam.batch.engines` runs the
clips: a process pool on this machine, or Ray.

How clips are found and named, and who runs in each (for ``--compare-to``):
:mod:`formcam.batch.discover`; running them and writing the summary:
:mod:`formcam.batch.run`.
"""

from formcam.batch.discover import VIDEO_SUFFIXES, Clip, find_clips, runner_of, unique_names
from formcam.batch.run import EXIT_NONE_ANALYSED, EXIT_SOME_FAILED, BatchSummary, ClipResult, run_batch

__all__ = [
    "run_batch", "find_clips", "unique_names", "runner_of", "Clip", "ClipResult", "BatchSummary",
    "EXIT_SOME_FAILED", "EXIT_NONE_ANALYSED", "VIDEO_SUFFIXES",
]  # fmt: skip
