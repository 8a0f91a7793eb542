"""Kernel-side time of the explorers' slider callbacks, with and without the redraw speed-ups.

For each explorer and each control listed in ``EXPLORERS``, the script cycles the control
through a range of values and times ``control.value = v``: the callback, the artists' update
and the picture the change causes. Two copies of each explorer take turns, change by change,
in one process: one with ``Explorer.fast_redraw`` (blitting what changed over a cached
background; see helpers/widgets/blitting.py) and one without (a full redraw every time, as
before issue 11). Timing them interleaved keeps other programs on a shared machine from
favouring either.

Backends:

* ``ipympl`` (default): the ipympl canvas, created without a frontend but marked as if a
  browser view had reported ready. ``Explorer.refresh`` then renders, PNG-encodes and pushes
  the frame itself, so the time includes everything the kernel does for one picture;
* ``agg``: no browser; ``draw_idle`` renders the whole figure (speed-ups do not apply).

Prints one line per explorer: the median wall-clock time of a change before and after (and
the 90th percentile after), each as a multiple of the hello widget's (notebook 00) median
before (the machine-independent figure), and the median CPU time of this process before and
after (less sensitive to other programs on a shared machine). The goal is <= 40 ms
kernel-side per change.

To add an explorer, add an entry to ``EXPLORERS``.

Usage: ``.venv/bin/python benchmarks/widgets.py [--changes N] [--backend ipympl|agg]``
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
import warnings

import numpy as np

GOAL_MS = 40


def _scrubber_kwargs():
    """A short REINFORCE run for notebook 06's scrubber (built once, outside the timing)."""
    from helpers import reinforce

    history = reinforce.train(reinforce.Config(max_steps=8_000), seed=0)
    states = [[0, 0, 0, 0], [0, 0, 0.1, 0], [0, 0, -0.1, 0]]
    return {"history": history, "states": states}


def _advantage_kwargs():
    """Notebook 07's explorer: a partly trained policy and a few of its episodes."""
    from helpers import critic, reinforce

    history, _ = critic.train(reinforce.Config(max_steps=6_000), seed=0)
    policy = reinforce.policy_from(history, int(np.searchsorted(history.batch_steps, 3_000)))
    episodes = reinforce.sample_episodes(policy, 16, seed=0)
    return {"policy": policy, "fit_episodes": episodes[:8], "episodes": episodes[8:16]}


#: (notebook, module, class, constructor kwargs or a function returning them,
#:  {control attribute: values to cycle through}).
#: A control given as "returns.0" is item 0 of the list attribute ``returns``.
#: The first entry is the reference for the ratios: keep the hello widget there.
EXPLORERS = [
    ("00", "helpers.widgets.hello", "WidgetCheck", {}, {"k": np.arange(0.0, 10.5, 0.5)}),
    ("01", "helpers.widgets.score_explorer", "ScoreExplorer", {},
     {"theta": np.linspace(-3, 3, 13)}),
    ("02", "helpers.widgets.update_explorer", "UpdateExplorer", {},
     {"G": np.linspace(-5, 5, 11), "alpha": np.linspace(-3, 3, 13),
      "beta": np.linspace(-2, 2, 11), "eta": np.linspace(0.05, 1, 11)}),
    ("03", "helpers.widgets.return_tweaker", "ReturnTweaker", {},
     {"returns.0": np.linspace(-5, 5, 11), "eta": np.linspace(0.1, 2, 11),
      "n_actions": [2, 3, 4, 5, 6], "play": list(range(0, 51, 5))}),
    ("04", "helpers.widgets.gradient_cloud", "GradientCloudExplorer", {},
     {"m": [1, 10, 100, 1000, 20], "theta1": np.linspace(-3, 3, 13),
      "theta2": np.linspace(-3, 3, 13)}),
    ("06", "helpers.widgets.training_scrubber", "TrainingScrubber", _scrubber_kwargs,
     {"slider": list(range(0, 40, 3))}),
    ("07", "helpers.widgets.advantage_explorer", "AdvantageExplorer", _advantage_kwargs,
     {"lam": np.linspace(0, 1, 11), "episode": list(range(8))}),
    ("08", "helpers.widgets.bug_explorer", "BugExplorer", {},
     {"theta1": np.linspace(-3, 3, 13), "theta2": np.linspace(-3, 3, 13)}),
    ("09", "helpers.widgets.group_explorer", "GroupExplorer", {},
     {"m": [2, 4, 8, 16], "lean": np.arange(-2, 5.01, 0.5)}),
    ("10", "helpers.widgets.lqr_explorer", "LQRExplorer", {},
     {"gain1": np.linspace(0.0, 2.0, 11), "gain2": np.linspace(0.5, 1.8, 11),
      "sigma": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0], "m": [1, 2, 5, 10, 20, 50, 100]}),
    ("11", "helpers.widgets.trust_region_explorer", "TrustRegionExplorer", {},
     {"step": np.linspace(0, 5, 26), "eps": np.linspace(0.05, 0.5, 10),
      "direction": ["vanilla", "natural"], "parameters": ["logits", "probabilities"]}),
    ("12", "helpers.widgets.kl_explorer", "OptimumExplorer", {},
     {"beta": np.logspace(-3, 2, 21), "prompt": [0, 1, 2],
      "reference": ["start", "min_p"]}),
]


def _control(explorer, name):
    obj, _, index = name.partition(".")
    control = getattr(explorer, obj)
    return control[int(index)] if index else control


def _build(cls, kwargs, fast, ipympl):
    explorer = cls(**kwargs)
    explorer.fast_redraw = fast
    if ipympl:
        explorer.fig.canvas.syncing_data_url = False  # as when a browser is attached
        explorer.fig.canvas.draw()
    return explorer


def time_explorer(cls, kwargs, controls, n_changes, ipympl):
    """{"before": [ms...], "after": [...], "cpu before": [...], "cpu after": [...]}, one
    entry per change. ``before`` is a copy with ``fast_redraw = False``; the copies take turns."""
    kwargs = kwargs() if callable(kwargs) else kwargs
    copies = {mode: _build(cls, kwargs, mode == "after", ipympl) for mode in ("before", "after")}
    out = {"before": [], "after": [], "cpu before": [], "cpu after": []}
    for name, values in controls.items():
        values = list(values)
        for i in range(n_changes):
            for mode, explorer in copies.items():
                control = _control(explorer, name)
                v = values[i % len(values)]
                if v == control.value:
                    v = values[(i + 1) % len(values)]
                t0, c0 = time.perf_counter(), time.process_time()
                control.value = type(control.value)(v)  # refresh() pushes the frame itself
                out[mode].append(1e3 * (time.perf_counter() - t0))
                out[f"cpu {mode}"].append(1e3 * (time.process_time() - c0))
    for explorer in copies.values():
        if ipympl and not explorer._browser_ready():
            raise RuntimeError("the explorer did not see the canvas as browser-ready")
        if explorer.last_error:
            raise RuntimeError(f"{cls.__name__} reported: {explorer.last_error}")
        explorer.close()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40, help="changes per control")
    parser.add_argument("--backend", choices=["ipympl", "agg"], default="ipympl")
    parser.add_argument("--record", action="store_true",
                        help="also write each explorer's line to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    import matplotlib

    from helpers import set_style

    ipympl = args.backend == "ipympl"
    matplotlib.use("module://ipympl.backend_nbagg" if ipympl else "Agg", force=True)
    set_style()
    print(f"kernel ms per control change, {args.backend} backend; before = fast_redraw off, "
          "after = on; ×hello = median / hello widget's median before")
    print(f"{'nb':<3} {'explorer':<22} {'before':>7} {'×hello':>6} {'after':>7} {'×hello':>6} "
          f"{'p90':>6} {'speed-up':>8} {'CPU before':>10} {'after':>6}  changes")
    hello = None
    for notebook, module, cls_name, kwargs, controls in EXPLORERS:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            print(f"{notebook:<3} {cls_name:<22} skipped ({module} not found)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time_explorer(cls, kwargs, controls, args.changes, ipympl)
        before, after = statistics.median(t["before"]), statistics.median(t["after"])
        hello = hello or before
        verdict = "ok" if after <= GOAL_MS else f"SLOW (goal <= {GOAL_MS} ms)"
        print(f"{notebook:<3} {cls_name:<22} {before:7.1f} {before / hello:6.2f} {after:7.1f} "
              f"{after / hello:6.2f} {np.percentile(t['after'], 90):6.1f} {before / after:7.1f}× "
              f"{statistics.median(t['cpu before']):10.1f} {statistics.median(t['cpu after']):6.1f}"
              f"  {len(t['after'])}  {verdict}")
        if args.record:
            from _results import record

            record("widgets", f"notebook {notebook} {cls_name}: kernel ms per control change "
                   f"({args.backend}, fast redraw)", t["after"])


if __name__ == "__main__":
    main()
