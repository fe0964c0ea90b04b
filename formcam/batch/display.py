"""What a batch shows while it runs: an overall progress bar and one line per finished clip."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from formcam.batch.summary_html import STATUS_TEXT

if TYPE_CHECKING:
    from formcam.batch.run import BatchSummary, ClipResult

__all__ = ["BatchDisplay", "clip_line"]


class BatchDisplay:
    """The overall progress bar and one line per finished clip (nothing when ``enabled`` is false)."""

    def __init__(self, total: int, enabled: bool, console: Console | None):
        self.total, self.enabled = total, enabled
        self.console = console or Console(stderr=False)
        self.progress: Progress | None = None

    def __enter__(self) -> BatchDisplay:
        if self.enabled:
            self.progress = Progress(
                TextColumn("[bold]Batch"), BarColumn(), MofNCompleteColumn(), TextColumn("clips"),
                TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=True,
            )  # fmt: skip
            self.progress.__enter__()
            self.task = self.progress.add_task("Batch", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def _print(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, highlight=False, soft_wrap=True)

    def already_done(self, results: list[ClipResult], n_to_run: int) -> None:
        if self.progress is None:
            return
        reused = [r for r in results if r.reused]
        if reused:
            self._print(f"[dim]{len(reused)} clips already analysed with these options (skipped; --force redoes them).[/]")
        for result in results:
            if not result.reused:
                self._print(clip_line(result))
        self.progress.update(self.task, completed=len(results))
        if n_to_run:
            self._print(f"Analysing {n_to_run} clips.")

    def finished(self, result: ClipResult) -> None:
        if self.progress is not None:
            self._print(clip_line(result))
            self.progress.advance(self.task)

    def interrupted(self, done: int, total: int) -> None:
        self._print(f"[yellow]{done} of {total} clips are done; run the same command again to do the rest.[/]")

    def done(self, summary: BatchSummary) -> None:
        if self.progress is None:
            return
        tally = ", ".join(f"{n} {STATUS_TEXT.get(s, s)}" for s, n in summary.counts.most_common())
        self.progress.__exit__(None, None, None)
        self.progress = None
        self.console.print(f"{len(summary.results)} clips: {tally}. Summary: [bold]{summary.html_path}[/]",
                           highlight=False, soft_wrap=True)


def clip_line(result: ClipResult) -> str:
    """One line about a finished clip (rich markup)."""
    name = f"[bold]{result.clip.name}[/]"
    if result.status != "ok":
        return f"[red]✗[/] {name}  {STATUS_TEXT.get(result.status, result.status)}: {result.message}"
    report = result.report or {}
    cadence = (report.get("cadence_spm") or {}).get("value")
    flags = Counter(m.get("flag") for m in report.get("metrics", {}).values() if m.get("value") is not None)
    parts = [f"{report.get('view', {}).get('label', '?')} view"]
    parts.append(f"{cadence:.0f} steps/min" if cadence else "no cadence")
    if flags["high"] or flags["watch"]:
        parts.append(", ".join(f"{flags[k]} {k}" for k in ("high", "watch") if flags[k]))
    if result.seconds is not None:
        parts.append(f"{result.seconds:.1f} s")
    return f"[green]✓[/] {name}  " + " · ".join(parts)
