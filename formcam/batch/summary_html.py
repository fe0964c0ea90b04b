"""``summary.html``: the batch summary as one self-contained page (no scripts, no network).

One row per clip: its status, view, cadence and headline metrics coloured by
flag, with left/right values, and its quality warnings; a clip that could not
be analysed says why across the measurement columns. With ``--compare-to``, a
table of per-runner changes comes first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

from formcam import __version__
from formcam.atomic import write_text_atomic
from formcam.batch.summary import QUALITY_MESSAGE_SEPARATOR
from formcam.batch.summary_compare import Comparison
from formcam.gait.registry import HEADLINE_METRICS, METRICS
from formcam.text import displayable

GENERATOR = "formcam batch"
#: Each status of :data:`formcam.batch.clip.STATUSES`, and ``pending``, in words.
STATUS_TEXT = {
    "ok": "analysed",
    "unreadable": "unreadable",
    "nothing_to_analyse": "nothing to analyse",
    "output_not_written": "outputs not written",
    "usage_error": "refused",
    "timed_out": "timed out",
    "failed": "failed",
    "pending": "not done yet",
}

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
p.meta { color: #5b6473; margin: 0 0 1.2rem; }
/* The clips table fits a laptop's 1280 px: headings, names, messages and warnings wrap; only a narrower
   screen (a phone) scrolls it, inside its box, never the page. */
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { padding: .35rem .4rem; border-bottom: 1px solid #e3e6eb; text-align: left; vertical-align: top; }
th { background: #f4f6f9; font-weight: 600; line-height: 1.25; }
th small { white-space: nowrap; font-weight: 400; }
td.clip, td.runner, td.message, ul.quality { overflow-wrap: anywhere; }
td.clip { min-width: 6rem; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.num small { white-space: normal; }
td small { display: block; color: #6b7482; font-size: .8em; }
.ok { background: #e7f6ec; } .watch { background: #fff4d6; } .high { background: #fde2e1; }
.status { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85em; }
.status.ok { color: #17663a; }
.status.failed, .status.unreadable, .status.output_not_written, .status.timed_out \
{ background: #fde2e1; color: #9b1c1c; }
.status.nothing_to_analyse, .status.usage_error, .status.pending { background: #eef0f3; color: #4a5260; }
.message { color: #7a2e0e; } .dim { color: #8a919c; }
ul.quality { margin: 0; padding-left: 1rem; font-size: .85em; color: #6b5310; min-width: 8rem; }
.legend span { padding: 0 .4rem; margin-right: .6rem; border-radius: .3rem; }
"""


def summary_html(rows: Sequence[dict], out_root: str | Path | None = None, comparison: Comparison | None = None) -> str:
    """The page's HTML; ``out_root`` (the batch folder) lets clip names link to their reports."""
    counts = Counter(row["status"] for row in rows)
    tally = ", ".join(
        f"{n} {STATUS_TEXT.get(status, status)}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{GENERATOR} {escape(__version__)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>formcam batch: {len(rows)} clips</title><style>{_STYLE}</style></head><body>",
        "<h1>Running form, clip by clip</h1>",
        f'<p class="meta">{len(rows)} clips: {escape(tally)}. Made by formcam {escape(__version__)}; '
        "each clip's folder holds its full report.</p>",
    ]
    if comparison is not None:
        parts.append(_comparison_section(comparison))
    parts += [_clips_table(rows, Path(out_root) if out_root is not None else None), _legend(), "</body></html>"]
    return "\n".join(parts) + "\n"


def write_summary_html(rows: Sequence[dict], path: str | Path, comparison: Comparison | None = None) -> Path:
    """Write ``summary.html`` atomically, linking clips to reports in ``path``'s folder."""
    path = Path(path)
    return write_text_atomic(path, displayable(summary_html(rows, path.parent, comparison)))


def is_summary_html(path: str | Path) -> bool:
    """Whether ``path`` is a summary.html that formcam wrote (so a new batch may replace it)."""
    try:
        with open(path, encoding="utf-8") as stream:
            head = stream.read(600)
    except (OSError, UnicodeDecodeError):
        return False
    return f'<meta name="generator" content="{GENERATOR}' in head


def metric_heading(name: str) -> tuple[str, str]:
    """``(label, unit text)`` of a metric for column headings."""
    spec = METRICS.get(name)
    if spec is None:
        return name, ""
    return spec.label, "°" if spec.unit == "deg" else spec.unit


def _clips_table(rows: Sequence[dict], out_root: Path | None) -> str:
    headings = ["Clip", "Runner", "Status", "View", "Cadence<br><small>steps/min</small>"]
    for name in HEADLINE_METRICS:
        label, unit = metric_heading(name)
        headings.append(f"{escape(label)}<br><small>{escape(unit)}</small>")
    headings.append("Quality warnings")
    body = [_clip_row(row, out_root) for row in rows]
    head = "".join(f"<th>{h}</th>" for h in headings)
    return (
        f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )


def _clip_row(row: dict, out_root: Path | None) -> str:
    status = row["status"]
    cells = [
        f'<td class="clip">{_clip_link(row, out_root)}</td>',
        f'<td class="runner">{escape(row.get("runner") or "")}</td>',
        f'<td><span class="status {escape(status)}">{escape(STATUS_TEXT.get(status, status))}</span></td>',
    ]
    if status != "ok":
        span = 3 + len(HEADLINE_METRICS)
        cells.append(f'<td colspan="{span}" class="message">{escape(row.get("message") or "")}</td>')
        return "<tr>" + "".join(cells) + "</tr>"
    confidence = row.get("view_confidence")
    view_note = f"<small>{confidence:.0%} sure</small>" if confidence is not None else ""
    running_note = "" if row.get("running") != "no" else "<small>not running?</small>"
    steps = row.get("cadence_steps")
    cells.append(f"<td>{escape(row.get('view') or '')}{view_note}{running_note}</td>")
    cells.append(_number_cell(row.get("cadence_spm"), None, f"{steps:.0f} steps" if steps is not None else ""))
    for name in HEADLINE_METRICS:
        left, right = row.get(f"{name}_left"), row.get(f"{name}_right")
        sides = ""
        if left is not None and right is not None:  # wraps, if it must, only before the R
            sides = f"L\u00a0{_one_decimal(left)}\u00a0/ R\u00a0{_one_decimal(right)}"
        cells.append(_number_cell(row.get(name), row.get(f"{name}_flag"), sides))
    messages = [m.strip() for m in (row.get("quality_messages") or "").split(QUALITY_MESSAGE_SEPARATOR) if m.strip()]
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    cells.append(f'<td><ul class="quality">{items}</ul></td>' if items else "<td></td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _clip_link(row: dict, out_root: Path | None) -> str:
    name, folder = escape(row["clip"]).replace("/", "/<wbr>"), row.get("folder") or ""  # long names wrap at folders
    if out_root is None or not folder:
        return name
    for target in ("report.html", "report.json"):
        if (out_root / folder / target).exists():
            # surrogateescape: a non-UTF-8 folder name links by its own bytes
            return f'<a href="{escape(quote(f"{folder}/{target}", errors="surrogateescape"))}">{name}</a>'
    return name


def _number_cell(value, flag, note: str) -> str:
    if value is None:
        return '<td class="num">&ndash;</td>'
    css = f"num {flag}" if flag in ("ok", "watch", "high") else "num"
    title = f' title="{escape(flag)}"' if flag else ""
    small = f"<small>{escape(note)}</small>" if note else ""
    return f'<td class="{css}"{title}>{_one_decimal(value)}{small}</td>'


def _legend() -> str:
    return (
        '<p class="legend"><span class="ok">ok</span><span class="watch">watch</span><span class="high">high</span>'
        "flags against the norms in each report; &ndash; not measured (wrong view or too few steps; the clip's "
        "report.json says which).</p>"
    )


_VERDICT = {True: "<strong>changed</strong>", False: '<span class="dim">within error</span>', None: ""}


def _comparison_section(comparison: Comparison) -> str:
    rows = []
    for change in comparison.changes:
        label, unit = ("Cadence", "steps/min") if change.measure == "cadence_spm" else metric_heading(change.measure)
        verdict = _VERDICT[change.beyond_error]
        error = "" if change.expected_error is None else f"±{change.expected_error:.1f}"
        rows.append(
            f'<tr><td class="runner">{escape(change.runner)}</td><td>{escape(label)} <small>{escape(unit)}</small></td>'
            f'<td class="num">{_plain(change.before)}</td><td class="num">{_plain(change.after)}</td>'
            f'<td class="num">{_plain(change.change, signed=True)}</td><td class="num">{error}</td>'
            f"<td>{verdict}</td></tr>"
        )
    notes = []
    if comparison.only_before:
        notes.append(f"Only in the earlier batch: {escape(', '.join(comparison.only_before))}.")
    if comparison.only_after:
        notes.append(f"Only in this batch: {escape(', '.join(comparison.only_after))}.")
    heading = (
        "<tr><th>Runner</th><th>Measure</th><th>Before</th><th>Now</th><th>Change</th><th>Error</th><th></th></tr>"
    )
    table = (
        f'<div class="wrap"><table><thead>{heading}</thead><tbody>{"".join(rows)}</tbody></table></div>' if rows else ""
    )
    intro = (
        "Per runner, the median over the runner's analysed clips; a change counts only when it is larger "
        "than the measurement's expected error."
    )
    return f'<h2>Changes since the earlier batch</h2><p class="meta">{intro} {" ".join(notes)}</p>{table}'


def _plain(value, signed: bool = False) -> str:
    if value is None:
        return "&ndash;"
    return _one_decimal(value, signed=signed)


def _one_decimal(value: float, signed: bool = False) -> str:
    """``value`` to one decimal, without the "-0.0" that a tiny negative rounds to."""
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    return "0.0" if text in ("-0.0", "+0.0") else text
