"""report.html: one self-contained page a runner, a physio or a coach can read and share.

Everything is inside the one file: CSS inline, plots as inline SVG
(:mod:`formcam.report.plots`), evidence frames as ``data:`` JPEG images. A
Content-Security-Policy meta tag forbids every network request, so the page
opens from disk, by e-mail or on a phone without fetching anything.

Sections: summary (cadence, a table of every measurement with its flag, the
findings in words), notes on the clip, then one section per measurement that
the view supports (what it is, why it matters, the runner's value, left vs
right, the norm and its source, the expected error, a plot over time with the
foot contacts, the evidence frames when flagged, suggestions, the per-step
values), the measurements this view cannot give, and a "not medical advice"
line. The plain-words texts are in :mod:`formcam.report.explanations`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from formcam import __version__
from formcam.atomic import write_text_atomic
from formcam.gait.registry import METRICS, PlotSignal
from formcam.gait.steps import GaitEvents
from formcam.report.annotations import stance_side
from formcam.report.evidence import EvidenceFrame, collect_evidence, worst_and_typical
from formcam.report.explanations import CADENCE, DISCLAIMER, HOW_TO_READ, explanation
from formcam.report.plots import LEFT_CSS, RIGHT_CSS, Line, StepPoint, time_plot_svg
from formcam.text import displayable

__all__ = ["CSP", "page", "report_html", "write_report_html"]

#: The page may load nothing: no scripts, fonts, frames or remote images; only data: images and inline CSS.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_UNIT_TEXT = {"deg": "°"}
_FLAG_WORDS = {"ok": "ok", "watch": "watch", "high": "high", None: "no norm"}

_CSS = (
    "\n:root{--ink:#0f172a;--dim:#475569;--line:#e2e8f0;--ok:#15803d;--watch:#b45309;--high:#b91c1c;"
    f"--left:{LEFT_CSS};--right:{RIGHT_CSS}}}"
    + """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;\
color:var(--ink);background:#f8fafc}
main{max-width:980px;margin:0 auto;padding:16px}
header.top{background:#0f172a;color:#f8fafc;padding:20px 16px}
header.top .inner{max-width:980px;margin:0 auto}
header.top h1{margin:0 0 4px;font-size:1.6rem}
header.top p{margin:0;color:#cbd5e1}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:16px 18px;margin:16px 0}
h2{margin:0 0 8px;font-size:1.3rem;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
h3{margin:14px 0 4px;font-size:1rem}
p{margin:6px 0}
.dim{color:var(--dim)}
.chip{display:inline-block;padding:1px 10px;border-radius:999px;font-size:.8rem;font-weight:600;\
color:#fff;background:#94a3b8}
.chip.ok{background:var(--ok)}.chip.watch{background:var(--watch)}.chip.high{background:var(--high)}
.big{font-size:2.2rem;font-weight:700;line-height:1.1}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.card .k{color:var(--dim);font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.facts{display:grid;grid-template-columns:minmax(120px,190px) 1fr;gap:4px 14px;margin:8px 0}
.facts dt{color:var(--dim)}.facts dd{margin:0}
.left{color:var(--left);font-weight:600}.right{color:var(--right);font-weight:600}
svg.plot{width:100%;height:auto;display:block;margin:6px 0}
figure{margin:8px 0}
figcaption{color:var(--dim);font-size:.88rem}
.evidence{display:flex;flex-wrap:wrap;gap:12px}
.evidence figure{flex:1 1 260px;max-width:360px}
.evidence img{width:100%;height:auto;border-radius:8px;border:1px solid var(--line)}
.cues{background:#fefce8;border-left:4px solid #facc15;padding:8px 12px;border-radius:6px}
.cues ul{margin:4px 0 4px 18px;padding:0}
.warn{background:#fff7ed;border-left:4px solid #f97316;padding:8px 12px;border-radius:6px;margin:6px 0}
details summary{cursor:pointer;color:var(--dim)}
.legend span{margin-right:14px}
.swatch{display:inline-block;width:18px;height:4px;border-radius:2px;vertical-align:middle;margin-right:4px}
footer{max-width:980px;margin:0 auto;padding:8px 16px 32px;color:var(--dim);font-size:.9rem}
@media (max-width:560px){.facts{grid-template-columns:1fr}.facts dt{margin-top:6px}.big{font-size:1.8rem}}
@media print{body{background:#fff}section{break-inside:avoid}}
"""
)


def _e(text) -> str:
    # displayable: a non-UTF-8 file name's bytes (lone surrogates) cannot go into a UTF-8 page
    return html.escape(displayable(str(text)), quote=True)


def _num(value, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    suffix = _UNIT_TEXT.get(unit, f" {unit}" if unit else "")
    return f"{value:.{digits}f}{suffix}"


def _chip(flag) -> str:
    css = flag if flag in ("ok", "watch", "high") else "none"
    return f'<span class="chip {css}">{_e(_FLAG_WORDS.get(flag, flag))}</span>'


def page(title: str, body: str, *, heading: str = "", subheading: str = "") -> str:
    """A complete self-contained HTML page (CSP meta tag, inline CSS) around ``body``.

    Parameters
    ----------
    title : str
        The browser tab's title.
    body : str
        HTML of the ``<main>`` element's content.
    heading, subheading : str
        The dark header's title and line under it (plain text).
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="formcam {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<header class="top"><div class="inner"><h1>{_e(heading or title)}</h1>'
        f"<p>{_e(subheading)}</p></div></header>"
        f"<main>{body}</main>"
        f"<footer><p><strong>Not medical advice.</strong> {_e(DISCLAIMER)}</p>"
        f"<p>Made offline by formcam {_e(__version__)}. This page is one file and loads nothing from the network.</p>"
        "</footer></body></html>\n"
    )


# --------------------------------------------------------------------------- data for the plots


def _stance(report: dict, n_frames: int) -> np.ndarray:
    """(T,) stance side per frame from report.json's events."""

    def pick(kind, key):
        return np.array([e[key] for e in report["events"] if e["kind"] == kind])

    events = GaitEvents(
        contact_frames=pick("contact", "frame").astype(int),
        contact_sides=pick("contact", "side").astype(str),
        toe_off_frames=pick("toe_off", "frame").astype(int),
        toe_off_sides=pick("toe_off", "side").astype(str),
    )
    return stance_side(events, n_frames)


def _plot_signal(name: str) -> PlotSignal | None:
    spec = METRICS.get(name)
    return spec.plot if spec is not None else None


def _metric_lines(name: str, signals: dict, stance: np.ndarray | None) -> list[Line]:
    """The per-frame line(s) drawn under metric ``name`` (in its own sign convention, :class:`PlotSignal`)."""
    plot = _plot_signal(name)
    if plot is None:
        return []
    if not isinstance(plot.signal, str):  # one line per side
        return [
            Line(np.asarray(signals[key], dtype=float), f"{side} {plot.label}", colour)
            for key, side, colour in zip(plot.signal, ("left", "right"), (LEFT_CSS, RIGHT_CSS))
            if key in signals
        ]
    if plot.signal not in signals:
        return []
    signs, label = plot.signs, plot.label
    values = np.asarray(signals[plot.signal], dtype=float)
    if signs is None:
        return [Line(values, label)]
    if stance is None:
        return []
    # During each stance, in the metric's sign; in flight (no stance) the metric is not defined.
    return [
        Line(np.where(stance == side, sign * values, np.nan), f"{side} stance", colour)
        for side, sign, colour in (("left", signs[0], LEFT_CSS), ("right", signs[1], RIGHT_CSS))
    ]


def _plot(
    name: str,
    metric: dict,
    report: dict,
    t_ms: np.ndarray | None,
    signals: dict | None,
    stance: np.ndarray | None,
    marks: dict[int, str],
) -> str:
    contacts_ms = [(e["t_ms"], e["side"]) for e in report["events"] if e["kind"] == "contact"]
    steps = metric.get("per_step") or []
    if t_ms is not None and len(t_ms):
        t0 = float(t_ms[0])
        t_s = (np.asarray(t_ms, dtype=float) - t0) / 1000.0
    else:
        times = [t for t, _ in contacts_ms] + [s["t_ms"] for s in steps]
        t0 = min(times) if times else 0.0
        t_s = (np.array([min(times), max(times)]) - t0) / 1000.0 if times else np.array([0.0, 1.0])
    lines = _metric_lines(name, signals, stance) if signals is not None and t_ms is not None else []
    if not lines and not steps:
        return ""  # nothing measured to draw
    points = [
        StepPoint((s["t_ms"] - t0) / 1000.0, s["value"], s.get("side"), marks.get(i))
        for i, s in enumerate(steps)
        if s.get("value") is not None
    ]
    spec = METRICS.get(name)
    band = None
    watch, high = [], []
    if spec is not None:
        if spec.watch_below is not None or spec.watch_above is not None:
            band = (spec.watch_below, spec.watch_above)
        watch = [v for v in (spec.watch_above, spec.watch_below) if v is not None]
        high = [spec.high_above] if spec.high_above is not None else []
    unit = metric["unit"]
    return time_plot_svg(
        t_s,
        lines,
        steps=points,
        contacts=[((t - t0) / 1000.0, side) for t, side in contacts_ms],
        ok_band=band,
        watch_levels=watch,
        high_levels=high,
        y_label=f"{metric.get('label') or name} ({unit})",
        title=f"{metric.get('label') or name} over time",
        name=name,
    )


# --------------------------------------------------------------------------- sections


def _summary(report: dict) -> str:
    video, view, runner, cadence = report["video"], report["view"], report["runner"], report["cadence_spm"]
    direction = f", running {view['direction']}" if view.get("direction") else ""
    fps_text = f", {video['fps']:.0f} fps" if video.get("fps") else ""
    cards = [
        (
            "Cadence",
            f'<div class="big">{_num(cadence["value"], "", 0)}</div><div class="dim">steps/min, '
            f"{cadence['n_steps']} steps</div>",
        ),
        (
            "Camera view",
            f'<div class="big">{_e(view["label"])}</div><div class="dim">'
            f"{view['confidence']:.0%} sure{_e(direction)}</div>",
        ),
        (
            "Clip",
            f'<div class="big">{_num(video.get("duration_s"), "s")}</div><div class="dim">{video["frames"]} frames'
            f"{fps_text}</div>",
        ),
        (
            "Runner seen",
            f'<div class="big">{runner["detected_fraction"]:.0%}</div><div class="dim">of the frames'
            f"{'' if runner['is_running'] else ', not running?'}</div>",
        ),
    ]
    out = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    out += [f'<div class="card"><div class="k">{_e(k)}</div>{v}</div>' for k, v in cards]
    out.append("</div>")
    measured = [(n, m) for n, m in report["metrics"].items() if m["value"] is not None]
    findings = [(n, m) for n, m in measured if m["flag"] in ("watch", "high")]
    if findings:
        out.append("<h3>Worth a look</h3><ul>")
        for name, m in sorted(findings, key=lambda item: item[1]["flag"] != "high"):
            out.append(
                f'<li><a href="#{_e(name)}">{_e(m["label"])}</a>: {_num(m["value"], m["unit"])} '
                f"{_chip(m['flag'])} {_e(_finding_words(name, m))}</li>"
            )
        out.append("</ul>")
    elif measured:
        out.append("<p>No measurement is outside its usual range in this clip.</p>")
    if measured:
        out.append(
            '<table><thead><tr><th>Measurement</th><th class="n">Value</th><th class="n">Left</th>'
            '<th class="n">Right</th><th class="n">Steps</th><th>Flag</th></tr></thead><tbody>'
        )
        for name, m in measured:
            out.append(
                f'<tr><td><a href="#{_e(name)}">{_e(m["label"])}</a></td>'
                f'<td class="n">{_num(m["value"], m["unit"])}</td>'
                f'<td class="n">{_num(m["left"], m["unit"])}</td><td class="n">{_num(m["right"], m["unit"])}</td>'
                f'<td class="n">{m["n"]}</td><td>{_chip(m["flag"])}</td></tr>'
            )
        out.append("</tbody></table>")
    else:
        out.append('<p class="warn">No measurement could be made in this clip; see the notes below.</p>')
    out.append("</section>")
    return "".join(out)


def _finding_words(name: str, metric: dict) -> str:
    spec = METRICS.get(name)
    if spec is None:
        return ""
    value, left, right = metric["value"], metric["left"], metric["right"]
    unit = _UNIT_TEXT.get(metric["unit"], f" {metric['unit']}")
    if spec.high_above is not None and value > spec.high_above:
        return f"above {spec.high_above:g}{unit}, well outside the usual range."
    if spec.watch_above is not None and value > spec.watch_above:
        return f"above the {spec.watch_above:g}{unit} formcam watches for."
    if spec.watch_below is not None and value < spec.watch_below:
        return f"below the {spec.watch_below:g}{unit} formcam watches for."
    if spec.asymmetry_watch is not None and left is not None and right is not None:
        return f"left and right differ by {abs(left - right):.1f}{unit} (more than {spec.asymmetry_watch:g}{unit})."
    return ""


def _notes(report: dict) -> str:
    items = [f"<li>{_e(q['message'])}</li>" for q in report.get("quality", [])]
    items += [f"<li>{_e(text)}</li>" for text in report["video"].get("corrections") or []]
    out = ['<section id="notes"><h2>About this clip</h2>']
    if items:
        out.append('<div class="warn"><ul>' + "".join(items) + "</ul></div>")
    out.append(f"<p>{_e(HOW_TO_READ)}</p>")
    out.append(
        '<p class="legend"><span><i class="swatch" style="background:var(--left)"></i>runner\'s left</span>'
        '<span><i class="swatch" style="background:var(--right)"></i>runner\'s right</span>'
        '<span><i class="swatch" style="background:#dcfce7;height:10px"></i>usual range</span>'
        '<span><i class="swatch" style="background:#d97706"></i>watch level</span>'
        '<span><i class="swatch" style="background:#dc2626"></i>high level</span></p>'
    )
    out.append(
        '<p class="dim">In the plots, thin coloured lines and ticks on the time axis mark each foot '
        "contact; dots are the per-step values.</p></section>"
    )
    return "".join(out)


def _cadence_section(report: dict) -> str:
    cadence = report["cadence_spm"]
    value = _num(cadence["value"], "steps/min", 0)
    confidence = f" (confidence {100 * cadence['confidence']:.0f}%)" if cadence.get("confidence") is not None else ""
    cues = "".join(f"<li>{_e(c)}</li>" for c in CADENCE.cues)
    return (
        f'<section id="cadence_spm"><h2>Cadence</h2><p>{_e(CADENCE.what)}</p>'
        f"<h3>Why it matters</h3><p>{_e(CADENCE.why)}</p>"
        f'<dl class="facts"><dt>Your value</dt><dd><strong>{value}</strong> from {cadence["n_steps"]} steps'
        f"{confidence}</dd>"
        f"<dt>Typical</dt><dd>About 160-180 steps/min for recreational runners; it rises with speed.</dd></dl>"
        f'<div class="cues"><strong>You could try</strong><ul>{cues}</ul></div>'
        "</section>"
    )


def _metric_section(
    name: str, metric: dict, plot: str, evidence: Sequence[EvidenceFrame], evidence_note: str | None
) -> str:
    text = explanation(name)
    unit = metric["unit"]
    # A metric left unmeasured says so, not "no norm": most have a norm, and the reason follows.
    chip = _chip(metric["flag"]) if metric["value"] is not None else '<span class="chip none">not measured</span>'
    out = [f'<section id="{_e(name)}"><h2>{_e(metric["label"])} {chip}</h2>']
    if text:
        out.append(f"<p>{_e(text.what)}</p><h3>Why it matters</h3><p>{_e(text.why)}</p>")
    facts = []
    if metric["value"] is not None:
        low = " Fewer than 7 steps per side: treat it as rough." if metric.get("confidence") == "low" else ""
        facts.append(
            (
                "Your value",
                f"<strong>{_num(metric['value'], unit)}</strong>, the median of {metric['n']} steps.{_e(low)}",
            )
        )
    else:
        facts.append(("Your value", f"not measured: {_e(metric.get('reason') or 'no data')}."))
    if metric["left"] is not None or metric["right"] is not None:
        diff = ""
        if metric["left"] is not None and metric["right"] is not None:
            diff = f" (difference {abs(metric['left'] - metric['right']):.1f}{_UNIT_TEXT.get(unit, ' ' + unit)})"
        facts.append(
            (
                "Left vs right",
                f'<span class="left">L {_num(metric["left"], unit)}</span> · '
                f'<span class="right">R {_num(metric["right"], unit)}</span>{diff}',
            )
        )
    excluded = metric.get("excluded") or {}
    if excluded:
        facts.append(
            (
                "Steps left out",
                "; ".join(f"{n} {'step' if n == 1 else 'steps'}: {_e(why)}" for why, n in excluded.items()),
            )
        )
    if metric.get("method"):
        facts.append(("How it was measured", _e(metric["method"])))
    if text:
        facts.append(("Reading the number", _e(text.sign)))
    facts.append(("Norm and source", _e(metric.get("reference") or "none published")))
    if metric.get("expected_error"):
        facts.append(("Expected error", _e(metric["expected_error"])))
    if metric.get("calibration"):
        facts.append(("Pose-model bias", _e(metric["calibration"])))
    out.append('<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    if plot:
        out.append(
            f"<figure>{plot}<figcaption>{_e(metric['label'])} over the clip. "
            f"{_e(_plot_caption(name))}</figcaption></figure>"
        )
    mine = [e for e in evidence if e.metric == name]
    if mine:
        out.append(_evidence_block(metric, mine, evidence_note))
    if metric["flag"] in ("watch", "high") and text and text.cues:
        out.append(
            '<div class="cues"><strong>You could try</strong> (suggestions from coaching practice, not a '
            f"prescription)<ul>{''.join(f'<li>{_e(c)}</li>' for c in text.cues)}</ul></div>"
        )
    steps = metric.get("per_step") or []
    if steps:
        rows = "".join(
            f'<tr><td class="n">{i + 1}</td><td class="{_e(s.get("side") or "")}">{_e(s.get("side") or "")}</td>'
            f'<td class="n">{s["frame"]}</td><td class="n">{(s.get("t_ms") or 0) / 1000:.2f}</td>'
            f'<td class="n">{_num(s["value"], unit, 2)}</td></tr>'
            for i, s in enumerate(steps)
        )
        out.append(
            f"<details><summary>Per-step values ({len(steps)} steps)</summary><table><thead><tr>"
            '<th class="n">#</th><th>Side</th><th class="n">Frame</th><th class="n">Time (s)</th>'
            f'<th class="n">Value</th></tr></thead><tbody>{rows}</tbody></table></details>'
        )
    out.append("</section>")
    return "".join(out)


def _plot_caption(name: str) -> str:
    plot = _plot_signal(name)
    if plot and plot.signs is not None:
        return "The line is the value during each stance (blue: left foot down, pink: right), dots the per-step peaks."
    if plot:
        return "The line is the value in every frame, dots the per-step values."
    return "Dots are the per-step values (blue: left, pink: right)."


def _evidence_block(metric: dict, frames: Sequence[EvidenceFrame], note: str | None) -> str:
    out = ["<h3>Evidence</h3>"]
    if note:
        out.append(f'<p class="warn">{_e(note)}</p>')
    figures = []
    for frame in frames:
        what = "Worst step" if frame.role == "worst" else "Typical step"
        caption = (
            f"{what}: {_e(frame.side or '')} {_num(frame.value, metric['unit'])} "
            f"at {frame.t_ms / 1000:.2f} s (frame {frame.frame})"
        )
        if frame.jpeg is not None:
            data = base64.b64encode(frame.jpeg).decode("ascii")
            figures.append(
                f'<figure><img src="data:image/jpeg;base64,{data}" alt="{_e(what)} of '
                f'{_e(metric["label"])}"><figcaption>{caption}</figcaption></figure>'
            )
        else:
            figures.append(f"<figure><figcaption>{caption} (frame not available)</figcaption></figure>")
    out.append('<div class="evidence">' + "".join(figures) + "</div>")
    return "".join(out)


def _other_views(report: dict) -> str:
    missing = [(n, m) for n, m in report["metrics"].items() if not m["valid_for_view"]]
    if not missing:
        return ""
    items = []
    for name, m in missing:
        text = explanation(name)
        items.append(
            f"<li><strong>{_e(m['label'])}</strong>: {_e(text.what if text else '')} "
            f'<span class="dim">{_e(text.film if text else m.get("reason") or "")}</span></li>'
        )
    return (
        f'<section id="other-views"><h2>Not measurable from a {_e(report["view"]["label"])} view</h2>'
        f"<ul>{''.join(items)}</ul></section>"
    )


# --------------------------------------------------------------------------- public entry points


def report_html(
    report: dict,
    *,
    t_ms: np.ndarray | None = None,
    signals: dict[str, np.ndarray] | None = None,
    evidence: Sequence[EvidenceFrame] = (),
    evidence_note: str | None = None,
) -> str:
    """The HTML report of one analysis, as text.

    Parameters
    ----------
    report : dict
        report.json content.
    t_ms : ndarray, shape (T,), optional
        Frame times in ms (the pose file's); with ``signals`` the plots show
        per-frame lines, without them only per-step values.
    signals : dict of str -> ndarray (T,), optional
        :func:`formcam.gait.signals.frame_signals` output.
    evidence : sequence of EvidenceFrame
        From :func:`formcam.report.evidence.collect_evidence`.
    evidence_note : str, optional
        Why evidence frames are missing, shown with them.

    Returns
    -------
    str
        A complete HTML document with no external references.
    """
    stance = _stance(report, len(t_ms)) if t_ms is not None else None
    video = report["video"]
    name = Path(video["path"]).name if video.get("path") else "pose file"
    sections = [_summary(report), _notes(report), _cadence_section(report)]
    for metric_name, metric in report["metrics"].items():
        if not metric["valid_for_view"]:
            continue
        marks = {}
        if metric["flag"] in ("watch", "high"):
            chosen = worst_and_typical(metric_name, metric)
            steps = metric.get("per_step") or []
            marks = {steps.index(step): role for role, step in chosen.items()}
        plot = _plot(metric_name, metric, report, t_ms, signals, stance, marks)
        sections.append(_metric_section(metric_name, metric, plot, evidence, evidence_note))
    sections.append(_other_views(report))
    subtitle = f"{name} · {report['view']['label']} view · formcam {report.get('formcam_version', __version__)}"
    return page(f"formcam: {name}", "".join(sections), heading="Running form report", subheading=subtitle)


def write_report_html(
    path: str | Path,
    report: dict,
    kinematics=None,
    *,
    t_ms: np.ndarray | None = None,
    source_video: Path | None = None,
    evidence: list[EvidenceFrame] | None = None,
) -> Path:
    """Write report.html (atomically), with evidence frames read from ``source_video``.

    Parameters
    ----------
    path : str or Path
        Where the page goes.
    report : dict
        report.json content.
    kinematics : formcam.gait.kinematics.Kinematics, optional
        For the per-frame plots and the evidence frames.
    t_ms : ndarray, shape (T,), optional
        Frame times in ms, with ``kinematics``.
    source_video : Path, optional
        The analysed video; without it the page says the evidence frames are not available.
    evidence : list of EvidenceFrame, optional
        Evidence frames already drawn (by the annotated video's pass,
        :meth:`formcam.report.evidence.EvidencePlan.frames`); None reads them
        from ``source_video``.

    Returns
    -------
    Path
    """
    note = None
    if evidence is None:
        evidence = []
        if kinematics is not None and t_ms is not None:
            evidence, note = collect_evidence(report, kinematics, t_ms, source_video)
    text = report_html(
        report,
        t_ms=t_ms,
        signals=kinematics.signals if kinematics is not None else None,
        evidence=evidence,
        evidence_note=note,
    )
    return write_text_atomic(path, displayable(text))
