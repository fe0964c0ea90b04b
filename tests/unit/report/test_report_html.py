"""report.html: self-contained, every measurement explained and plotted, evidence frames, rendered in Chromium.

A synthetic rear-view runner with a known pelvic drop (9°, flagged "watch")
over a pattern video (tests/helpers/reporting.py) gives a full analysis without the
pose model; the real-clip check is in test_reports_e2e.py.
"""

from __future__ import annotations

import base64
import html
import re

import cv2
import numpy as np
import pytest

from formcam.report.explanations import DISCLAIMER, EXPLANATIONS
from formcam.report.html import CSP, report_html
from formcam.report.plots import LEFT_CSS, RIGHT_CSS, Line, decimate, nice_ticks, time_plot_svg
from tests.helpers.browser import EXTERNAL, csp_violations, need_chromium, render
from tests.helpers.reporting import synthetic_analysis


@pytest.fixture(scope="module")
def rear(tmp_path_factory):
    analysis, clip, _ = synthetic_analysis(tmp_path_factory.mktemp("rear"), view="rear", pelvic_drop_deg=9)
    return analysis, (analysis.out_dir / "report.html").read_text(encoding="utf-8")


def section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


def test_page_is_one_file_that_loads_nothing(rear):
    _, page = rear
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP and "img-src data:" in CSP
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "<script" not in page.lower() and "<link" not in page.lower() and "<iframe" not in page.lower()
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
    assert sources and all(src.startswith("data:image/jpeg;base64,") for src in sources)


def test_every_measured_metric_is_explained_with_norm_error_and_plot(rear):
    analysis, page = rear
    measured = [name for name, m in analysis.report["metrics"].items() if m["valid_for_view"] and m["per_step"]]
    assert "pelvic_drop_deg" in measured and "shoulder_dip_deg" in measured
    for name in measured:
        metric, text = analysis.report["metrics"][name], section(page, name)
        assert html.escape(EXPLANATIONS[name].what, quote=True) in text, name
        assert html.escape(EXPLANATIONS[name].why, quote=True) in text, name
        assert html.escape(metric["reference"], quote=True) in text, name
        assert html.escape(metric["expected_error"], quote=True) in text, name
        assert text.count(f'<svg class="plot" data-metric="{name}"') == 1, name
        assert f"Per-step values ({len(metric['per_step'])} steps)" in text
    pelvic = section(page, "pelvic_drop_deg")
    # left vs right, from the stickers at midstance (within a frame of the drawn peak)
    assert re.search(r"L (8\.[89]|9\.0)°", pelvic) and re.search(r"R (8\.[89]|9\.0)°", pelvic), pelvic
    assert "measured from markers" in pelvic
    assert 'class="contact"' in pelvic  # contacts marked on the plot


def test_flagged_metric_shows_worst_and_typical_frames_and_suggestions(rear):
    analysis, page = rear
    assert analysis.report["metrics"]["pelvic_drop_deg"]["flag"] == "watch"
    pelvic = section(page, "pelvic_drop_deg")
    images = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', pelvic)
    assert len(images) == 2 and "Worst step" in pelvic and "Typical step" in pelvic
    for data in images:
        image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[0] >= 50 and image.std() > 5
    assert html.escape(EXPLANATIONS["pelvic_drop_deg"].cues[0], quote=True) in pelvic
    # A metric that is fine gets neither evidence nor suggestions.
    shoulders = section(page, "shoulder_dip_deg")
    assert "<img" not in shoulders and "You could try" not in shoulders
    assert html.escape(DISCLAIMER, quote=True) in page and "Not medical advice" in page


def test_evidence_read_by_parallel_readers_is_what_one_reader_gives(rear, monkeypatch):
    from formcam.report import evidence

    analysis, _ = rear
    source = analysis.report["video"]["path"]
    args = (analysis.report, analysis.kinematics, analysis.pose.t_ms, source)
    monkeypatch.setattr(evidence, "usable_cores", lambda: 2)
    parallel, _ = evidence.collect_evidence(*args)
    monkeypatch.setattr(evidence, "usable_cores", lambda: 1)
    alone, _ = evidence.collect_evidence(*args)
    assert [f.jpeg for f in parallel] == [f.jpeg for f in alone] and all(f.jpeg for f in alone)


def test_stretches_of_time_are_neighbouring_times_one_group_per_reader():
    from formcam.report.evidence import stretches_of_time

    assert stretches_of_time([5.0, 1.0, 3.0, 2.0, 9.0, 0.0], 2) == [[5, 1, 3], [2, 0, 4]]
    assert stretches_of_time([4.0, 4.0, 1.0], 8) == [[2], [0], [1]]
    assert stretches_of_time([7.0], 2) == [[0]]


def test_metrics_of_other_views_are_listed_with_how_to_film(rear):
    _, page = rear
    other = section(page, "other-views")
    assert "Head forward" in other and "Film from the side" in other


def test_without_the_video_the_page_says_why_there_are_no_frames(rear):
    analysis, _ = rear
    page = report_html(
        analysis.report,
        t_ms=analysis.pose.t_ms,
        signals=analysis.kinematics.signals,
        evidence_note="The source video is not available.",
    )
    assert "<img" not in page
    from formcam.report.evidence import collect_evidence

    frames, note = collect_evidence(analysis.report, analysis.kinematics, analysis.pose.t_ms, None)
    assert note and "not available" in note and all(f.jpeg is None for f in frames) and len(frames) == 2
    page = report_html(analysis.report, evidence=frames, evidence_note=note)
    assert "frame not available" in page and html.escape(note, quote=True) in page


def test_report_alone_still_plots_the_per_step_values(rear):
    analysis, _ = rear
    page = report_html(analysis.report)  # no per-frame signals: e.g. re-rendered from report.json
    assert page.count('data-metric="pelvic_drop_deg"') == 1
    assert 'class="step"' in section(page, "pelvic_drop_deg")


# --------------------------------------------------------------------------- plots


def test_decimate_keeps_peaks_and_gaps():
    t = np.arange(10_000, dtype=float)
    y = np.sin(t / 50.0)
    y[5000] = 9.0
    y[7000:7100] = np.nan
    t2, y2 = decimate(t, y, max_points=400)
    assert len(y2) <= 400
    assert np.nanmax(y2) == 9.0 and np.nanmin(y2) == pytest.approx(-1.0, abs=1e-3)
    assert np.isnan(y2).any()


def test_nice_ticks_are_round_and_cover_the_range():
    ticks = nice_ticks(-1.3, 7.2)
    assert list(ticks) == [0.0, 2.0, 4.0, 6.0]
    assert list(nice_ticks(0.0, 1.0)) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_a_gap_in_the_signal_breaks_the_line():
    t = np.linspace(0, 5, 200)
    y = np.sin(t)
    y[80:120] = np.nan
    svg = time_plot_svg(t, [Line(y, "x")], title="t")
    assert svg.count("<polyline") == 2 and "nan" not in svg.lower()


# --------------------------------------------------------------------------- in a browser


def test_page_renders_in_headless_chromium_with_every_plot_and_no_request(rear):
    need_chromium()
    analysis, page = rear
    shown = render(analysis.out_dir / "report.html", width=900, height=3000)
    assert not csp_violations(shown.console), csp_violations(shown.console)
    expected = {name for name, m in analysis.report["metrics"].items() if m["valid_for_view"] and m["per_step"]}
    plots = re.findall(r'<svg class="plot" data-metric="([^"]+)"', shown.dom)
    assert set(plots) == expected and len(plots) == len(expected)
    for name in expected:  # each plot came through the parser with its drawing
        body = shown.dom.split(f'data-metric="{name}"', 1)[1].split("</svg>", 1)[0]
        assert "<circle" in body and "<line" in body
    assert shown.dom.count("<img") == 2
    image = shown.screenshot
    assert image.shape == (3000, 900, 3) and image.std() > 20  # not blank
    for css in (LEFT_CSS, RIGHT_CSS):  # the side colours of the plots' lines and dots were painted
        rgb = np.array([int(css[i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(image.astype(int) - rgb).max(axis=2) < 30).sum() > 200, css


def test_the_request_check_catches_a_page_that_loads_from_outside(tmp_path):
    need_chromium()
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}"></head>'
        '<body><img src="http://192.0.2.1/x.png"></body></html>'
    )
    assert csp_violations(render(leaky, width=400, height=300).console)


def test_the_static_check_finds_external_references():
    for leaky in (
        '<img src="https://cdn.example/x.png">',
        "<a href='//example.org/'>",
        "a{background:url( http://x/y)}",
        "<style>@import 'x.css';</style>",
    ):
        assert EXTERNAL.search(leaky), leaky
    assert not EXTERNAL.search('<img src="data:image/jpeg;base64,AAAA"><a href="#pelvic_drop_deg">')


def test_a_metric_with_a_norm_left_unmeasured_says_so_and_why_not_no_norm(tmp_path):
    # A front view whose camera moved: pelvic drop and bounce have norms but no value here.
    analysis, _, _ = synthetic_analysis(tmp_path, view="front", outputs=frozenset({"report.json"}))
    report = analysis.report
    for name in ("pelvic_drop_deg", "vertical_oscillation_pct"):
        report["metrics"][name].update(value=None, flag=None, reason="not measured in a front view")
    page = report_html(report)
    for name in ("pelvic_drop_deg", "vertical_oscillation_pct"):
        heading = section(page, name).split("</h2>")[0]
        assert "not measured" in heading and "no norm" not in heading
        assert "not measured in a front view" in section(page, name)
    cm = section(page, "vertical_oscillation_cm").split("</h2>")[0]  # no norm, and no height: not measured
    assert "no norm" not in cm
