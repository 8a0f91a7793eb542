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
