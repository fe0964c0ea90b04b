"""``formcam batch INPUTS...``: a thin layer over :func:`formcam.batch.run_batch`.

Registered in :mod:`formcam.cli` as ``app.command("batch")(batch_command)``.
Exit codes: 0 every clip analysed, 6 some, 7 none (``docs/exit-codes.md``);
errors about the batch as a whole are one sentence with the usual codes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from formcam.cli.errors import run_reporting_errors
from formcam.cli.formats import outputs_for
from formcam.cli.terminal import shown

if TYPE_CHECKING:  # formcam.batch loads PyAV and the analysis: imported when a batch runs, not with the command line
    from formcam.batch import BatchSummary, ClipResult


def batch(
    inputs: list[str] = typer.Argument(
        ..., help="Videos, folders (searched recursively) and glob patterns such as 'clips/*.mp4'.", show_default=False
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Batch folder: one folder per clip, summary.csv, summary.html \\[default: ./formcam-out/batch/].",
    ),
    formats: str | None = typer.Option(
        None,
        "--format",
        help="Outputs per clip, comma-separated: video, json, html, csv, pose \\[default: all]; "
        "report.json is always written.",
    ),
    no_video: bool = typer.Option(False, "--no-video", help="Skip the annotated videos (much faster)."),
    model: str | None = typer.Option(None, "--model", help="Pose model: lite, full (default), heavy, or a .task file."),
    view: str | None = typer.Option(
        None, "--view", help="Camera view of every clip, if detection gets it wrong: side, rear or front."
    ),
    slowmo: float | None = typer.Option(
        None, "--slowmo", help="Every clip plays this many times slower than real time."
    ),
    force: bool = typer.Option(
        False, "--force", help="Analyse every clip again, even those already done with these options."
    ),
    compare_to: Path | None = typer.Option(
        None,
        "--compare-to",
        help="An earlier batch's summary.csv: show each runner's changes (runner: the clip's "
        "first folder, or its file name up to the first '_').",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (a process pool on this machine), ray (one Ray task per "
        "clip; pip install 'formcam\\[ray]') or serial (one after another, in this process).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", "-j", help="Clips analysed at once \\[default: one per core]."
    ),
    address: str | None = typer.Option(
        None, "--address", help="With --engine ray: the Ray cluster to use (e.g. ray://head:10001)."
    ),
    clip_timeout: float | None = typer.Option(
        None,
        "--clip-timeout",
        metavar="SECONDS",
        help="Stop a clip still running after this many seconds (its worker "
        "process is killed; status timed_out, retried next run) and go on \\[default: no limit].",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-clip lines."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Analyse many clips: one folder per clip plus summary.csv and summary.html; re-running skips what is done.

    One bad clip never stops the batch: its row in the summary gives its status and why.

    Statuses: ok, unreadable, nothing_to_analyse, output_not_written, usage_error, timed_out, failed.

    Exit code: 0 when every clip was analysed, 6 when some were, 7 when none was (docs/exit-codes.md).
    """

    exit_code = 0

    def action() -> None:
        nonlocal exit_code
        from formcam.batch import run_batch
        from formcam.pipeline import AnalysisOptions

        outputs = outputs_for(formats, no_video=no_video)
        options = AnalysisOptions(model=model, slowmo=slowmo, view=view, outputs=outputs, progress=not quiet)
        with _BatchDisplay(enabled=not quiet) as display:
            summary = run_batch(
                inputs,
                out,
                options,
                engine=engine,
                workers=workers,
                address=address,
                force=force,
                clip_timeout=clip_timeout,
                compare_to=compare_to,
                **display.callbacks(),
            )
            display.done(summary)
        if summary.comparison is not None and not quiet:
            print_changes(summary.comparison, summary.changes_path)
        exit_code = summary.exit_code

    run_reporting_errors(action, debug=debug)
    raise typer.Exit(exit_code)


def print_changes(comparison, changes_path: Path | None, console: Console | None = None) -> None:
    """The changes larger than their expected error, as a table; the rest are counted."""
    from formcam.batch.summary_html import metric_heading

    console = console or Console()
    beyond = [c for c in comparison.changes if c.beyond_error]
    table = Table(title="Changes since the earlier batch (larger than the measurement error)", title_justify="left")
    for column in ("runner", "measure", "before", "now", "change", "error"):
        table.add_column(column, justify="left" if column in ("runner", "measure") else "right")
    for change in beyond:
        label = "Cadence" if change.measure == "cadence_spm" else metric_heading(change.measure)[0]
        table.add_row(
            shown(change.runner),
            shown(label),
            f"{change.before:.1f}",
            f"{change.after:.1f}",
            f"{change.change:+.1f}",
            f"±{change.expected_error:.1f}",
        )
    if beyond:
        console.print(table)
    within = sum(1 for c in comparison.changes if c.beyond_error is False)
    console.print(
        f"{len(beyond)} changes beyond the measurement error, {within} within it"
        + (f"; all in {changes_path}" if changes_path else "")
        + "."
    )
    for label, runners in (
        ("Only in the earlier batch", comparison.only_before),
        ("Only in this batch", comparison.only_after),
    ):
        if runners:
            console.print(f"{label}: {shown(', '.join(runners))}.")


class _BatchDisplay:
    """The overall progress bar and one line per finished clip, from :func:`formcam.batch.run_batch`'s callbacks.

    Nothing is shown when ``enabled`` is false. The bar starts with the first
    report; after Ctrl-C the ``with`` block says how many clips are done.
    """

    def __init__(self, enabled: bool, console: Console | None = None):
        self.enabled = enabled
        self.console = console or Console(stderr=False)
        self.progress: Progress | None = None
        self.done_count, self.total = 0, 0

    def callbacks(self) -> dict:
        if not self.enabled:
            return {}
        return {
            "on_progress": self.advance,
            "on_planned": self.already_done,
            "on_clip": self.finished,
            "on_skipped": self.skipped,
        }

    def skipped(self, reasons: list[str]) -> None:
        # Before the first clip: the bar has not started, so straight to the console.
        text = f"[yellow]Left out of the search ({len(reasons)}):[/] " + escape("; ".join(reasons)) + "."
        self.console.print(text, highlight=False, soft_wrap=True)

    def __enter__(self) -> _BatchDisplay:
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt) and self.progress is not None:
            self._print(
                f"[yellow]{self.done_count} of {self.total} clips are done; "
                "run the same command again to do the rest.[/]"
            )
        self._stop()

    def advance(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is None:
            self.progress = Progress(
                TextColumn("[bold]Batch"), BarColumn(), MofNCompleteColumn(), TextColumn("clips"),
                TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=True,
            )  # fmt: skip
            self.progress.start()
            self.task = self.progress.add_task(stage, total=total)
        self.done_count, self.total = done, total or 0
        self.progress.update(self.task, completed=done)

    def _print(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, highlight=False, soft_wrap=True)

    def already_done(self, results: list[ClipResult], n_to_run: int) -> None:
        reused = [r for r in results if r.reused]
        if reused:
            self._print(
                f"[dim]{len(reused)} clips already analysed with these options (skipped; --force redoes them).[/]"
            )
        for result in results:
            if not result.reused:
                self._print(clip_line(result))
        if n_to_run:
            self._print(f"Analysing {n_to_run} clips.")

    def finished(self, result: ClipResult) -> None:
        self._print(clip_line(result))

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def done(self, summary: BatchSummary) -> None:
        from formcam.batch.summary_html import STATUS_TEXT

        if not self.enabled:
            return
        tally = ", ".join(f"{n} {STATUS_TEXT.get(s, s)}" for s, n in summary.counts.most_common())
        self._stop()
        self.console.print(
            f"{len(summary.results)} clips: {tally}. Summary: [bold]{shown(summary.html_path)}[/]",
            highlight=False,
            soft_wrap=True,
        )


def clip_line(result: ClipResult) -> str:
    """One line about a finished clip (rich markup)."""
    from formcam.batch.summary_html import STATUS_TEXT

    assert result.clip is not None  # run_batch's results are made by ClipResult.of
    name = f"[bold]{shown(result.clip.name)}[/]"
    if result.status != "ok":
        return f"[red]✗[/] {name}  {STATUS_TEXT.get(result.status, result.status)}: {shown(result.message)}"
    report = result.report or {}
    cadence = (report.get("cadence_spm") or {}).get("value")
    flags = Counter(m.get("flag") for m in report.get("metrics", {}).values() if m.get("value") is not None)
    parts = [f"{shown(report.get('view', {}).get('label', '?'))} view"]
    parts.append(f"{cadence:.0f} steps/min" if cadence else "no cadence")
    if flags["high"] or flags["watch"]:
        parts.append(", ".join(f"{flags[k]} {k}" for k in ("high", "watch") if flags[k]))
    if result.seconds is not None:
        parts.append(f"{result.seconds:.1f} s")
    return f"[green]✓[/] {name}  " + " · ".join(parts)
