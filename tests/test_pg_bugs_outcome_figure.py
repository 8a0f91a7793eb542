"""pg_bugs.plot_ascent_outcomes (notebook 08, section 7): one panel per outcome, the paths
that reach U* coloured by class with one legend entry per class, every other path labelled
at its end (paths that end together share a label), and each panel's range fitting its
paths, so nothing is hidden or unlabelled."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import mdp, pg_bugs  # noqa: E402

THETAS = np.array([[-1.0, -1.0], [0.5, -1.0], [1.0, 0.5]])


@pytest.fixture(scope="module")
def gallery():
    tiny, policy = mdp.example_mdp()
    rows = pg_bugs.table(pg_bugs.ESTIMATORS, tiny, policy, THETAS, m=3, theta_old=THETAS - 0.5)
    paths = pg_bugs.ascents(pg_bugs.ESTIMATORS, tiny, policy, THETAS[0], m=3, eta=2.0,
                            n_steps=300)
    return paths, {c.name: c.cls for c in rows}


def test_every_path_is_drawn_once_in_its_outcomes_panel(gallery):
    paths, classes = gallery
    f = pg_bugs.plot_ascent_outcomes(paths, classes)
    assert set(f.lines) == set(paths)
    for name, line in f.lines.items():
        assert line.axes is f.axes[paths[name].outcome]
        np.testing.assert_array_equal(line.get_ydata(), paths[name].U)
    for outcome, ax in f.axes.items():
        n = sum(p.outcome == outcome for p in paths.values())
        assert ax.get_title() == f"{outcome} ({n})"
    plt.close("all")


def test_the_optimum_panel_has_one_legend_entry_per_class(gallery):
    paths, classes = gallery
    f = pg_bugs.plot_ascent_outcomes(paths, classes)
    texts = [t.get_text() for t in f.axes["optimum"].get_legend().get_texts()]
    reached = [classes[n] for n, p in paths.items() if p.outcome == "optimum"]
    for cls in ("unbiased", "scaled", "biased"):
        assert f"{cls} ({reached.count(cls)})" in texts
    assert "best U*" in texts
    plt.close("all")


def test_every_other_path_is_labelled_and_paths_that_end_together_share_a_label(gallery):
    paths, classes = gallery
    f = pg_bugs.plot_ascent_outcomes(paths, classes)
    labelled = [n for group in f.labels for n in group]
    others = [n for n, p in paths.items() if p.outcome != "optimum"]
    assert sorted(labelled) == sorted(others)
    for group, text in f.labels.items():
        assert text.get_text().split("\n") == [pg_bugs.get(n).label for n in group]
        ends = [paths[n].U[-1] for n in group]
        assert max(ends) - min(ends) < 2e-3
        if len(group) > 1:         # drawn in different styles, so both lines show
            assert len({f.lines[n].get_linestyle() for n in group}) == len(group)
    # on notebook 04's MDP, the two zero-expectation paths and the logit / wrong-signed
    # entropy bonus end together
    assert ("past_rewards", "q_baseline") in f.labels or ("q_baseline", "past_rewards") in f.labels
    assert any(set(g) == {"logit_not_log_prob", "entropy_wrong_sign"} for g in f.labels)
    plt.close("all")


def test_panels_fit_their_paths_and_labels_stay_inside(gallery):
    paths, classes = gallery
    f = pg_bugs.plot_ascent_outcomes(paths, classes)
    f.fig.canvas.draw()
    renderer = f.fig.canvas.get_renderer()
    for outcome in pg_bugs.OUTCOME_PANELS[1:]:
        ax = f.axes[outcome]
        lo, hi = ax.get_ylim()
        for p in paths.values():
            if p.outcome == outcome:
                assert lo <= p.U.min() and p.U.max() <= hi
    for group, text in f.labels.items():
        box, ext = text.axes.get_window_extent(), text.get_window_extent(renderer)
        assert box.x0 - 1 <= ext.x0 and ext.x1 <= box.x1 + 1 and ext.y1 <= box.y1 + 1
        # clear of its line, so an underscore (b_t) is not drawn on the line's own colour
        end = paths[group[0]].U
        _, y_end = text.axes.transData.transform((len(end) - 1, end[-1]))
        assert ext.y0 >= y_end + 2, text.get_text()
    plt.close("all")


def test_bad_input_gives_clear_errors(gallery):
    paths, classes = gallery
    with pytest.raises(ValueError, match="AscentPath"):
        pg_bugs.plot_ascent_outcomes({}, classes)
    with pytest.raises(ValueError, match="AscentPath"):
        pg_bugs.plot_ascent_outcomes({"x": np.zeros(3)}, classes)
    moving = pg_bugs.ascent("reward_to_go", *mdp.example_mdp(), THETAS[0], n_steps=2,
                            optimum=0.4)
    with pytest.raises(ValueError, match="no panel"):
        pg_bugs.plot_ascent_outcomes({"reward_to_go": moving}, classes)
