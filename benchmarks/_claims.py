"""The command line every ``*_claims.py`` benchmark shares.

A claims benchmark measures, over many seeds and every floating-point set-up
(:func:`helpers.environment.floating_point_setups`), the quantities a notebook's prose and
asserts state, so that a margin is chosen from their spread rather than from one run. Each
script supplies two functions and calls :func:`main`:

- ``collect(n_seeds)`` runs SEED = 0 … n_seeds − 1 in this process and returns the raw
  numbers (anything ``json`` can write);
- ``report(setup, raw, n_seeds)`` prints the table of spreads for one set-up.

:func:`main` runs ``collect`` once per set-up, each in a fresh process under that set-up's
environment (``--worker``), and reports as each finishes. ``--json`` saves the raw numbers
(after each set-up, so an interrupted run keeps what it measured) and ``--from-json``
prints the tables again from such a file without re-running anything.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from helpers.environment import floating_point_setups, run_under_setup


def main(script: str, description: str, collect: Callable[[int], object],
         report: Callable[[str, object, int], None], argv=None) -> int:
    """Parse the shared options and run ``collect`` under each set-up asked for."""
    setups = floating_point_setups()
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30, help="SEED = 0 … N−1")
    parser.add_argument("--kernels", default="default",
                        help="comma-separated set-ups, or 'all': " + ", ".join(setups))
    parser.add_argument("--json", type=Path, help="also write the raw per-seed numbers here")
    parser.add_argument("--from-json", type=Path,
                        help="print the tables of numbers an earlier --json run saved")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.worker:  # inside a set-up's own process: print the raw numbers as JSON
        print(json.dumps(collect(args.seeds)))
        return 0
    if args.from_json:
        for name, raw in json.loads(args.from_json.read_text()).items():
            report(name, raw, args.seeds)
        return 0
    names = list(setups) if args.kernels == "all" else args.kernels.split(",")
    unknown = [n for n in names if n not in setups]
    if unknown:
        parser.error(f"unknown set-up(s) {unknown}; choose from {', '.join(setups)}")
    everything = {}
    for name in names:
        try:
            out = run_under_setup(name, [script, "--seeds", str(args.seeds), "--worker"],
                                  {"MPLBACKEND": "Agg"})
        except subprocess.CalledProcessError as err:   # report it; the other set-ups still run
            print(f"\n== {name}: the worker failed\n{err.stderr}")
            continue
        everything[name] = json.loads(out.strip().splitlines()[-1])
        if args.json:   # saved before the report, so a report can be re-read with --from-json
            args.json.write_text(json.dumps(everything))
        report(name, everything[name], args.seeds)
        sys.stdout.flush()
    return 0
