"""Kernel-side time of the explorers' slider callbacks: median over many changes.

For each explorer and each control listed in ``EXPLORERS``, the script cycles the control
through a range of values and times ``control.value = v`` — the callback, the artists'
update and the redraw the change causes. Two backends:

* ``agg``: ``draw_idle`` renders the whole figure at once (a conservative figure);
* ``ipympl``: the ipympl canvas, created without a frontend but marked as if a browser view
  had reported ready. Then ``Explorer.refresh`` renders and PNG-encodes the frame itself
  (``canvas.draw()``) and pushes it, so the time includes everything the kernel does for one
  picture.

Prints one line per widget and backend: the median and 90th percentile of the wall-clock
time, and the median CPU time of this process (less sensitive to other programs sharing
the machine), in ms. The goal is <= 50 ms median per slider change. To add an explorer,
add an entry to ``EXPLORERS``.

Usage: ``.venv/bin/python benchmarks/widgets.py [--changes N] [--backend agg|ipympl|both]``
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
import warnings

import numpy as np


def _scrubber_kwargs():
    """A short REINFORCE run for notebook 06's scrubber (built once, outside the timing)."""
    from helpers import reinforce as R

    history = R.train(R.Config(max_steps=8_000), seed=0)
    states = [[0, 0, 0, 0], [0, 0, 0.1, 0], [0, 0, -0.1, 0]]
    return {"history": history, "states": states}


#: (module, class, constructor kwargs or a function returning them,
#:  {control attribute: values to cycle through}).
#: A control given as "returns.0" is item 0 of the list attribute ``returns``.
EXPLORERS = [
    ("helpers.widgets.score_explorer", "ScoreExplorer", {},
     {"theta": np.linspace(-3, 3, 13)}),
    ("helpers.widgets.update_explorer", "UpdateExplorer", {},
     {"G": np.linspace(-5, 5, 11), "alpha": np.linspace(-3, 3, 13),
      "beta": np.linspace(-2, 2, 11), "eta": np.linspace(0.05, 1, 11)}),
    ("helpers.widgets.return_tweaker", "ReturnTweaker", {},
     {"returns.0": np.linspace(-5, 5, 11), "eta": np.linspace(0.1, 2, 11),
      "n_actions": [2, 3, 4, 5, 6], "play": list(range(0, 51, 5))}),
    ("helpers.widgets.gradient_cloud", "GradientCloudExplorer", {},
     {"m": [1, 10, 100, 1000, 20], "theta1": np.linspace(-3, 3, 13),
      "theta2": np.linspace(-3, 3, 13)}),
    ("helpers.widgets.training_scrubber", "TrainingScrubber", _scrubber_kwargs,
     {"slider": list(range(0, 40, 3))}),
]


def _control(explorer, name):
    obj, _, index = name.partition(".")
    control = getattr(explorer, obj)
    return control[int(index)] if index else control


def time_explorer(cls, kwargs, controls, n_changes, ipympl):
    """Milliseconds per control change, for every change made."""
    explorer = cls(**(kwargs() if callable(kwargs) else kwargs))
    canvas = explorer.fig.canvas
    if ipympl:
        canvas.syncing_data_url = False  # as when a browser is attached
        canvas.draw()
    times, cpu = [], []
    for name, values in controls.items():
        control = _control(explorer, name)
        values = list(values)
        for i in range(n_changes):
            v = values[i % len(values)]
            if v == control.value:
                v = values[(i + 1) % len(values)]
            t0, c0 = time.perf_counter(), time.process_time()
            control.value = type(control.value)(v)  # refresh() pushes the frame itself
            times.append(1e3 * (time.perf_counter() - t0))
            cpu.append(1e3 * (time.process_time() - c0))
    if ipympl and not explorer._browser_ready():
        raise RuntimeError("the explorer did not see the canvas as browser-ready")
    if explorer.last_error:
        raise RuntimeError(f"{cls.__name__} reported: {explorer.last_error}")
    explorer.close()
    return times, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40, help="changes per control")
    parser.add_argument("--backend", choices=["agg", "ipympl", "both"], default="both")
    args = parser.parse_args(argv)
    import matplotlib

    from helpers import set_style

    backends = ["agg", "ipympl"] if args.backend == "both" else [args.backend]
    for backend in backends:
        matplotlib.use("Agg" if backend == "agg" else "module://ipympl.backend_nbagg",
                       force=True)
        set_style()
        for module, cls_name, kwargs, controls in EXPLORERS:
            try:
                cls = getattr(importlib.import_module(module), cls_name)
            except (ImportError, AttributeError):
                print(f"{cls_name:<16} {backend:<7} skipped ({module} not found)")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                times, cpu = time_explorer(cls, kwargs, controls, args.changes,
                                           backend == "ipympl")
            med = statistics.median(times)
            verdict = "ok" if med <= 50 else "SLOW (goal <= 50 ms)"
            print(f"{cls_name:<16} {backend:<7} median {med:6.1f} ms wall "
                  f"(p90 {np.percentile(times, 90):6.1f}), {statistics.median(cpu):6.1f} ms CPU, "
                  f"over {len(times)} changes  {verdict}")


if __name__ == "__main__":
    main()
