"""``formcam compare A B``: what changed between two analyses (a thin layer over :mod:`formcam.compare`).

Registered in :mod:`formcam.cli` with ``app.command("compare")(compare_command)``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from formcam.cli.errors import run_reporting_errors
from formcam.cli.terminal import shown, written_line


def compare_command(
    before: Path = typer.Argument(
        ..., help="The earlier analysis: its output folder or report.json.", show_default=False
    ),
    after: Path = typer.Argument(..., help="The later analysis: its output folder or report.json.", show_default=False),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for compare.json and compare.html [default: ./formcam-out/compare-A-vs-B/]."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier comparison in the output folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only where the files went."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Compare two analyses (before and after): each metric's change and whether it exceeds the expected error."""

    def action() -> None:
        from formcam.compare import compare, default_compare_dir, write_comparison

        result = compare(before, after)
        files = write_comparison(result, out or default_compare_dir(before, after), overwrite=overwrite)
        console = Console()
        if not quiet:
            console.print(comparison_table(result))
            for warning in result.warnings:
                console.print(f"[yellow]![/] {shown(warning)}")
        console.print(written_line(files), highlight=False, soft_wrap=True)

    run_reporting_errors(action, debug=debug)


def comparison_table(comparison) -> Table:
    """A rich table of :func:`formcam.compare.comparison_rows`: changes in bold, what cannot be compared dimmed."""
    from formcam.compare import COMPARISON_COLUMNS, comparison_rows

    # Units once, by the measure, and light rules: the table reads at 80 columns.
    table = Table(
        title="What changed (after minus before)", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    for column in COMPARISON_COLUMNS:
        text = column in ("measure", "verdict", "flags")
        # Numbers and flags stay whole; the measure's and the verdict's words wrap.
        table.add_column(
            column.replace(" ", "\n"),
            justify="left" if text else "right",
            no_wrap=column != "measure" and column != "verdict",
            min_width=12 if column == "verdict" else None,
        )
    reasons: dict[str, None] = {}  # in order, each once
    for change, row in zip(comparison.changes, comparison_rows(comparison, units_in_cells=False)):
        words, why = _verdict_and_reason(row[5])
        if why:
            reasons[f"{words[0].upper()}{words[1:]}: {why}."] = None
        style = "bold" if words == "changed" else "dim" if change.change is None else ""
        cells = [shown(cell) for cell in row]
        words = shown(words)
        table.add_row(*cells[:5], f"[{style}]{words}[/]" if style else words, cells[6])
    if reasons:
        # Said once under the table rather than in every row: the verdict column stays narrow.
        table.caption = "\n".join(shown(reason) for reason in reasons)
        table.caption_justify = "left"
    return table


def _verdict_and_reason(verdict: str) -> tuple[str, str | None]:
    """``'not measured after (needs a side view)'`` -> ``('not measured after', 'needs a side view')``."""
    head, sep, tail = verdict.partition(" (")
    return (head, tail.removesuffix(")")) if sep and tail.endswith(")") else (verdict, None)
