"""The short summary printed after an analysis (rich)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

FLAG_STYLE = {"ok": "green", "watch": "yellow", "high": "bold red", None: "dim"}


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    suffix = "°" if unit == "deg" else ("%" if unit == "%" else f" {unit}" if unit else "")
    return f"{value:.1f}{suffix}"


def summary_table(report: dict) -> Table:
    """The metrics the clip's view supports, with per-side values, steps and flag."""
    table = Table(title="Running form", title_justify="left", header_style="bold")
    for column, justify in (("measure", "left"), ("value", "right"), ("left", "right"), ("right", "right"),
                            ("steps", "right"), ("flag", "left")):
        table.add_column(column, justify=justify)
    cadence = report["cadence_spm"]
    table.add_row("cadence (steps/min)", _fmt(cadence["value"]), "", "", str(cadence["n_steps"]), "")
    for name, metric in report["metrics"].items():
        if not metric["valid_for_view"]:
            continue
        unit = metric["unit"]
        value = _fmt(metric["value"], unit) if metric["value"] is not None else f"[dim]n/a: {metric.get('reason') or ''}[/]"
        flag = metric["flag"]
        table.add_row(
            metric.get("label") or name,
            value,
            _fmt(metric["left"], unit),
            _fmt(metric["right"], unit),
            str(metric["n"]),
            f"[{FLAG_STYLE.get(flag, 'dim')}]{flag or ''}[/]",
        )
    return table


def print_summary(report: dict, out_dir: Path | None, console: Console | None = None) -> None:
    """Print the view, the metrics table, quality warnings and where the files are."""
    console = console or Console()
    video, view, runner = report["video"], report["view"], report["runner"]
    direction = f", running {view['direction']}" if view.get("direction") else ""
    console.print(
        f"[bold]{Path(video['path']).name if video.get('path') else 'pose file'}[/]: "
        f"{view['label']} view ({view['confidence']:.0%} sure{direction}), "
        f"runner seen in {runner['detected_fraction']:.0%} of {video['frames']} frames"
        + ("" if runner["is_running"] else ", [yellow]does not look like running[/]")
    )
    console.print(summary_table(report))
    for warning in report["quality"]:
        console.print(f"[yellow]![/] {warning['message']}")
    if out_dir is not None:
        console.print(f"Outputs in [bold]{out_dir}[/]")
