"""Running a batch: plan the clips not yet done, run them, write the summary.

A clip whose folder records the same input content, options and formcam
version is not run again (:mod:`formcam.batch.clip`): its recorded result is
taken as it is, so running the same command again after an interruption does
only what is left.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from formcam.batch.clip import (
    ClipJob,
    ClipOutcome,
    holds_foreign_analysis,
    is_up_to_date,
    options_fingerprint,
    read_manifest,
)  # fmt: skip
from formcam.batch.discover import Clip, discover
from formcam.batch.engines import check_engine, run_jobs, threads_per_clip
from formcam.batch.summary import is_summary_csv, read_summary_csv, summary_row, write_summary_csv
from formcam.batch.summary_compare import Comparison, compare_summaries, expected_errors, write_changes_csv
from formcam.batch.summary_html import is_summary_html, write_summary_html
from formcam.errors import OutputExistsError, OutputWriteError, UsageError, os_reason

if TYPE_CHECKING:
    # pipeline is imported when a batch runs, not with this module
    from formcam.pipeline import AnalysisOptions, ProgressCallback

__all__ = ["run_batch", "ClipResult", "BatchSummary", "EXIT_SOME_FAILED", "EXIT_NONE_ANALYSED"]

#: Exit code when some clips were analysed and some were not (``docs/exit-codes.md``).
EXIT_SOME_FAILED = 6
#: Exit code when no clip could be analysed.
EXIT_NONE_ANALYSED = 7
SUMMARY_CSV, SUMMARY_HTML, CHANGES_CSV = "summary.csv", "summary.html", "changes.csv"


@dataclass
class ClipResult(ClipOutcome):
    """How one clip of a batch ended (the fields of :class:`~formcam.batch.clip.ClipOutcome`), and where.

    Attributes
    ----------
    clip : Clip
    folder : Path
        Its output folder.
    """

    clip: Clip | None = None
    folder: Path | None = None

    @classmethod
    def of(cls, clip: Clip, folder: Path, outcome: ClipOutcome) -> ClipResult:
        return cls(**vars(outcome), clip=clip, folder=folder)


@dataclass
class BatchSummary:
    """What :func:`run_batch` did: one :class:`ClipResult` per clip, in input order, and the files written."""

    out_root: Path
    results: list[ClipResult]
    rows: list[dict]
    csv_path: Path
    html_path: Path
    comparison: Comparison | None = None
    changes_path: Path | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        """Clips per status."""
        return Counter(result.status for result in self.results)

    @property
    def exit_code(self) -> int:
        """0 when every clip was analysed, :data:`EXIT_SOME_FAILED` when some, :data:`EXIT_NONE_ANALYSED` when none."""
        analysed = self.counts["ok"]
        if analysed == len(self.results):
            return 0
        return EXIT_SOME_FAILED if analysed else EXIT_NONE_ANALYSED


def run_batch(
    inputs: Iterable[str | os.PathLike],
    out_root: str | os.PathLike | None = None,
    options: AnalysisOptions | None = None,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    force: bool = False,
    clip_timeout: float | None = None,
    compare_to: str | os.PathLike | None = None,
    on_clip: Callable[[ClipResult], None] | None = None,
    on_planned: Callable[[list[ClipResult], int], None] | None = None,
    on_progress: ProgressCallback | None = None,
    on_skipped: Callable[[list[str]], None] | None = None,
) -> BatchSummary:
    """Analyse every clip in ``inputs``; write one folder per clip and the summary.

    Parameters
    ----------
    inputs : iterable of str or path
        Files, folders and glob patterns (see :func:`find_clips`).
    out_root : str or path, optional
        The batch folder; default ``./formcam-out/batch/``.
    options : formcam.pipeline.AnalysisOptions, optional
        As for :func:`formcam.analyze`; ``progress`` reports the clips done to
        ``on_progress``. report.json is always written.
    engine : {'local', 'ray', 'serial'}
        ``local``: a process pool on this machine; ``ray``: one Ray task per
        clip (``pip install 'formcam[ray]'``); ``serial``: one clip after
        another in this process (for debugging and as a baseline).
    workers : int, optional
        Worker processes (local) or CPUs of a local Ray instance; default: the
        cores this process may use.
    address : str, optional
        With ``engine='ray'``: the Ray cluster to connect to.
    force : bool
        Analyse every clip again, even those already done, replacing their outputs.
    clip_timeout : float, optional
        Seconds a clip may run (local and ray engines): a clip still running
        then has its worker process killed and gets status ``timed_out``, and
        the batch goes on (the next run tries it again). Default: no limit.
    compare_to : str or path, optional
        An earlier batch's summary.csv: per-runner changes go into the
        summary.html and ``changes.csv``.
    on_clip : callable, optional
        Called with each :class:`ClipResult` as its clip finishes.
    on_planned : callable, optional
        Called once before any clip runs, with the results already settled
        (clips done earlier with these options, or refused: :attr:`ClipResult.reused`
        tells which) and the number of clips left to analyse.
    on_progress : formcam.pipeline.ProgressCallback, optional
        Told the clips settled so far, as stage ``"Batch"``. formcam itself prints nothing.
    on_skipped : callable, optional
        Called once, before any clip runs, with what the search left out
        (:attr:`formcam.batch.discover.Discovery.skipped`: unreadable folders,
        links out of the tree, FIFOs), when there is any; also in :attr:`BatchSummary.skipped`.

    Returns
    -------
    BatchSummary

    Raises
    ------
    formcam.errors.FormcamError
        For a problem with the batch as a whole (an input that does not exist,
        no videos, a missing model, an output folder that would lose files);
        a bad clip is reported in its row instead.
    KeyboardInterrupt
        After writing a summary of what was done, in which the clips not done
        have status ``pending``.
    """
    from formcam.pipeline import AnalysisOptions, is_pose_file
    from formcam.pose.models import resolve_model

    options = options or AnalysisOptions()
    check_engine(engine, workers, address, clip_timeout)
    out_root = Path(out_root) if out_root is not None else Path.cwd() / "formcam-out" / "batch"
    old_rows = read_summary_csv(compare_to) if compare_to is not None else None
    _check_out_root(out_root)
    discovery = discover(inputs, exclude=out_root)
    clips = discovery.clips
    if discovery.skipped and on_skipped is not None:
        on_skipped(discovery.skipped)
    needs_model = any(not is_pose_file(clip.source) for clip in clips)
    if needs_model and not (
        engine == "ray" and address
    ):  # fail now, not once per clip; a cluster's nodes look for themselves
        resolve_model(options.model)
    job_options = replace(options, progress=False, outputs=frozenset(options.outputs) | {"report.json"})

    results, jobs = _plan(clips, out_root, job_options, force=force)
    jobs.sort(key=_bytes, reverse=True)  # longest first, so that no long clip is left running alone at the end
    if options.workers is None:  # the clips share the cores rather than each taking them all
        threads = threads_per_clip(engine, workers, len(jobs))
        jobs = [replace(job, options=replace(job.options, workers=threads)) for job in jobs]
    by_name = {clip.name: clip for clip in clips}
    try:
        out_root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputWriteError(f"Cannot create the batch folder {out_root}: {os_reason(error)}.") from error

    tell = on_progress if options.progress else None
    if tell is not None:
        tell("Batch", len(results), len(clips))
    if on_planned is not None:
        on_planned(list(results.values()), len(jobs))

    def finished(outcome: ClipOutcome) -> None:
        clip = by_name[outcome.name]
        result = ClipResult.of(clip, out_root / clip.name, outcome)
        results[clip.name] = result
        if on_clip is not None:
            on_clip(result)
        if tell is not None:
            tell("Batch", len(results), len(clips))

    try:
        run_jobs(jobs, finished, engine=engine, workers=workers, address=address, clip_timeout=clip_timeout)
    except KeyboardInterrupt:
        with contextlib.suppress(OutputWriteError):  # the interrupt is what to report
            _write_summary(out_root, clips, results, old_rows)
        raise
    summary = _write_summary(out_root, clips, results, old_rows)
    summary.skipped = discovery.skipped
    return summary


def _plan(
    clips: Sequence[Clip], out_root: Path, options, *, force: bool
) -> tuple[dict[str, ClipResult], list[ClipJob]]:
    """The clips already done (their recorded results) or not to touch, and the jobs for the others."""
    fingerprint = options_fingerprint(options)
    results: dict[str, ClipResult] = {}
    jobs = []
    for clip in clips:
        folder = out_root / clip.name
        earlier = None if force else _earlier_result(clip, folder, fingerprint)
        if earlier is not None:
            results[clip.name] = earlier
        elif not force and holds_foreign_analysis(folder):
            message = (
                f"{folder} already holds an analysis that formcam batch did not make; pass --force to replace it, "
                "or choose another --out."
            )
            results[clip.name] = ClipResult.of(clip, folder, ClipOutcome(clip.name, "usage_error", message))
        else:
            jobs.append(ClipJob(clip.name, str(clip.source), str(folder.resolve()), options))
    return results, jobs


def _bytes(job: ClipJob) -> int:
    """The input's size: a clip's length (and work) in proportion, near enough to order jobs by."""
    try:
        return os.stat(job.source).st_size
    except OSError:
        return 0


def _earlier_result(clip: Clip, folder: Path, fingerprint: dict) -> ClipResult | None:
    """The recorded result when ``folder`` holds a final one for this input, options and version."""
    manifest = read_manifest(folder)
    if not is_up_to_date(manifest, clip.source, fingerprint):
        return None
    report = None
    if manifest["status"] == "ok":
        try:
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # the record outlived its report: redo
    outcome = ClipOutcome(clip.name, manifest["status"], manifest.get("message", ""), report, reused=True)
    return ClipResult.of(clip, folder, outcome)


def _check_out_root(out_root: Path) -> None:
    """Refuse an output folder where writing the summary would replace a file formcam did not write."""
    if out_root.exists() and not out_root.is_dir():
        raise UsageError(f"The output path {out_root} is a file, not a folder; choose another with --out.")
    for name, ours in ((SUMMARY_CSV, is_summary_csv), (SUMMARY_HTML, is_summary_html)):
        if (out_root / name).exists() and not ours(out_root / name):
            raise OutputExistsError(f"{out_root} holds a {name} that formcam did not write; choose another --out.")


def _write_summary(
    out_root: Path, clips: Sequence[Clip], results: dict[str, ClipResult], old_rows: list[dict] | None
) -> BatchSummary:
    ordered = [results.get(clip.name) or _pending(clip, out_root) for clip in clips]
    rows = []
    for r in ordered:
        assert r.clip is not None  # every result here was made by ClipResult.of
        rows.append(
            summary_row(
                clip=r.clip.name,
                runner=r.clip.runner,
                status=r.status,
                message=r.message,
                report=r.report,
                folder=r.clip.name,
                source=str(r.clip.source),
            )
        )
    summary = BatchSummary(out_root, ordered, rows, out_root / SUMMARY_CSV, out_root / SUMMARY_HTML)
    if old_rows is not None:
        summary.comparison = compare_summaries(old_rows, rows, expected_errors(r.report for r in ordered if r.report))
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        if summary.comparison is not None:
            summary.changes_path = write_changes_csv(summary.comparison, out_root / CHANGES_CSV)
        write_summary_csv(rows, summary.csv_path)
        write_summary_html(rows, summary.html_path, summary.comparison)
    except OSError as error:
        raise OutputWriteError(f"Cannot write the batch summary into {out_root}: {os_reason(error)}.") from error
    return summary


def _pending(clip: Clip, out_root: Path) -> ClipResult:
    message = "Not analysed yet: the batch was interrupted; run it again to finish."
    return ClipResult.of(clip, out_root / clip.name, ClipOutcome(clip.name, "pending", message))
