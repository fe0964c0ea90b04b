"""The comparison as people read it: a terminal 80 columns wide, and compare.html."""

from __future__ import annotations

import re

from rich.console import Console

from formcam.cli.compare import comparison_table
from formcam.cli.terminal import written_line
from formcam.compare import compare_reports, comparison_html
from tests.unit.cli.test_compare import metric, report

# Rear before, side after: what one view measures the other cannot, with the reason why.
SIDE_ONLY = "needs a side view; this clip's view is rear"


def views_differ():
    before = report(metric(9.0, flag="watch"), view="rear")
    before["metrics"]["head_forward_deg"] = dict(metric(None), label="Head forward angle", reason=SIDE_ONLY)
    before["metrics"]["vertical_oscillation_pct"] = dict(metric(7.0, unit="% leg", error="±1 point"), label="Bounce")
    after = report(metric(None), view="side")
    after["metrics"]["pelvic_drop_deg"]["reason"] = "needs a rear or front view; this clip's view is side"
    after["metrics"]["head_forward_deg"] = dict(metric(12.0), label="Head forward angle")
    after["metrics"]["vertical_oscillation_pct"] = dict(metric(9.5, unit="% leg", error="±1 point"), label="Bounce")
    return compare_reports(before, after)


def printed(renderable, width: int = 80, **options) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable, **options)
    return console.export_text()


def test_the_compare_table_reads_at_80_columns():
    text = printed(comparison_table(views_differ()))
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert "…" not in text  # nothing cut short
    assert "9.5 %" not in text and "+2.5 %" not in text and "(%" in text  # the unit once, by the measure
    # Each reason once, under the table, not wrapped down the verdict column of every row.
    assert text.count("needs a side view") == 1 and text.count("needs a rear or front view") == 1
    assert len(lines) <= 18  # two lines a row at most, with header and notes


def test_the_folder_of_the_files_written_stays_whole_on_its_own_line(tmp_path):
    folder = tmp_path / "comparisons" / "before-the-marathon-block-vs-after-the-marathon-block"
    # As formcam compare prints it: soft-wrapped, so the terminal, not Rich, decides where a long line turns.
    text = printed(written_line([folder / "compare.json", folder / "compare.html"]), soft_wrap=True)
    assert str(folder) in text.splitlines()


def test_compare_html_keeps_long_reasons_out_of_the_chips():
    page = comparison_html(views_differ())
    chips = re.findall(r'<span class="chip[^"]*">([^<]*)</span>', page)
    assert chips and all(len(words) <= 14 for words in chips), chips  # "changed", "within error"
    assert SIDE_ONLY.replace("'", "&#x27;") in page  # the reason is still there, as text
