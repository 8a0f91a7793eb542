"""Notebook 00's environment check and widget check; notebook 01's score explorer."""

import numpy as np
import pytest

from helpers import log_trick
from helpers.environment import environment_report, print_environment_report, read_pins
from helpers.widgets.hello import WidgetCheck
from helpers.widgets.score_explorer import ScoreExplorer


def test_report_matches_pins_in_this_environment():
    rows = environment_report()
    assert {r["package"] for r in rows} >= {"numpy", "ipywidgets", "ipympl"}
    assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]]


def test_report_flags_differences_and_missing(tmp_path, capsys):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==0.0.1\n# comment\n")
    rows = environment_report(["numpy", "no-such-package-xyz"], pins_path=req)
    assert [r["ok"] for r in rows] == [False, False]
    assert rows[1]["installed"] is None
    assert print_environment_report(rows) is False
    out = capsys.readouterr().out
    assert "⚠ differs" in out and "✗ missing" in out
    assert read_pins(tmp_path / "absent.txt") == {}


def test_widget_check_redraws():
    w = WidgetCheck()
    before = w.line.get_ydata().copy()
    w.k.value = 3.0
    np.testing.assert_allclose(w.line.get_ydata(), np.sin(3.0 * w.x))
    assert not np.allclose(before, w.line.get_ydata())
    assert "widgets work" in w.status.value and w.message.value == ""


def test_score_explorer_follows_controls():
    e = ScoreExplorer(seed=0, theta=0.5, m=200)
    assert e.exact_line.get_xdata()[0] == pytest.approx(log_trick.coin_gradient(0.5))
    counts_before = e.hist.get_data().values.copy()
    e.theta.value = -2.0
    assert e.exact_line.get_xdata()[0] == pytest.approx(log_trick.coin_gradient(-2.0))
    assert e.hist.get_data().values.sum() == 200
    assert not np.array_equal(counts_before, e.hist.get_data().values)
    # the mean line is the mean of the plotted estimates
    est, _ = e.estimates()
    assert e.mean_line.get_xdata()[0] == pytest.approx(est.mean())
    e.example.value = "throw"
    assert e.exact_line.get_xdata()[0] == pytest.approx(log_trick.throw_gradient(-2.0))
    e.m.value = 5000
    assert e.hist.get_data().values.sum() == 5000
    assert e.message.value == ""


def test_score_explorer_resample_is_reproducible():
    a, b = ScoreExplorer(seed=3), ScoreExplorer(seed=3)
    np.testing.assert_array_equal(a.estimates()[0], b.estimates()[0])
    first = a.estimates()[0]
    a.resample.click()
    assert not np.array_equal(first, a.estimates()[0])


@pytest.mark.parametrize("example", ["coin", "throw"])
@pytest.mark.parametrize(("theta", "m"), [(-6.0, 1), (6.0, 1), (6.0, 5000), (0.0, 2)])
def test_score_explorer_extremes_never_break(example, theta, m):
    e = ScoreExplorer()
    e.example.value = example
    e.theta.value = theta
    e.m.value = m
    assert e.message.value == "", e.message.value
    assert np.all(np.isfinite(e.hist.get_data().edges))
    assert "estimate" in e.readout.value and "nan" not in e.readout.value.lower()


def test_score_explorer_key_is_html_and_the_figure_has_no_legend():
    e = ScoreExplorer()
    for words in ("per-sample estimates f(x)·∇log p(x)", "their mean (the estimate)",
                  "exact ∇J(θ)"):
        assert words in e.key.value
    assert e.key in e.view.children and not e.fig.legends and e.ax.get_legend() is None
    assert e.ax.get_xlabel() and e.ax.get_ylabel()   # labelled axes stay


@pytest.mark.parametrize("example", ["coin", "throw"])
def test_score_explorer_view_holds_every_estimate_and_moves_in_steps(example):
    e = ScoreExplorer(m=100)
    e.example.value = example
    moves = 0
    for theta in np.round(np.arange(-6, 6.01, 0.1), 1):
        before = (e.ax.get_xlim(), e.ax.get_ylim())
        e.theta.value = float(theta)
        est, exact = e.estimates()
        (x0, x1), (_, top) = e.ax.get_xlim(), e.ax.get_ylim()
        assert x0 <= min(est.min(), exact) and max(est.max(), exact) <= x1
        assert e.hist.get_data().values.max() <= top
        moves += before != (e.ax.get_xlim(), e.ax.get_ylim())
    # the coin's axis hardly ever moves (4 of 120 steps of 0.1 here); the throw's range
    # follows its cubic tails (about 40 %, against every step before)
    assert moves <= (8 if example == "coin" else 70), moves


def test_score_explorer_coin_view_keeps_the_rare_outcome_and_the_half_gradient_apart():
    e = ScoreExplorer(m=100)
    e.theta.value = 6.0          # with this seed only the common outcome is seen
    est, exact = e.estimates()
    assert np.unique(est).size == 1
    # the axis zooms in, so the mean (half the exact gradient) and ∇J stand apart
    assert e.ax.get_xlim()[1] < 2 * exact
    e.m.value = 5000             # now the rare outcome (≈ 1) is in the batch: the axis is [0, 1]
    assert e.ax.get_xlim() == (0.0, 1.0) and e.ax.get_ylim() == (0.0, 1.05 * 5000)


def test_score_explorer_labels_fit_the_figure_at_four_digit_counts():
    # the layout is fixed once the figure is built (m = 100 here): it must leave room for
    # the tick labels m = 5000 brings, else the axis label is cut off
    e = ScoreExplorer(m=100)
    for example, theta in (("coin", 6.0), ("throw", -6.0)):
        e.example.value, e.m.value, e.theta.value = example, 5000, theta
        e.fig.canvas.draw()
        box = e.fig.bbox
        (x0, x1), (y0, y1) = e.ax.get_xlim(), e.ax.get_ylim()
        texts = [e.ax.yaxis.label, e.ax.xaxis.label,
                 *(t for t in e.ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1),
                 *(t for t in e.ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1)]
        for text in texts:
            extent = text.get_window_extent()
            assert box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0, (
                example, text.get_text())


def test_floating_point_setups_and_running_under_one():
    """The set-ups the variants test and the claim benchmarks share: each one's variables
    reach the child process, and an unknown name is a clear error."""
    from helpers.environment import floating_point_setups, run_under_setup

    setups = floating_point_setups()
    assert setups["default"] == {} and len(setups) == 4
    code = "import os; print(os.environ.get('OPENBLAS_CORETYPE'), os.environ.get('X_EXTRA'))"
    out = run_under_setup("openblas-prescott", ["-c", code], {"X_EXTRA": "1"})
    assert out.split() == ["Prescott", "1"]
    with pytest.raises(ValueError, match="unknown set-up 'haswell'"):
        run_under_setup("haswell", ["-c", "pass"])
