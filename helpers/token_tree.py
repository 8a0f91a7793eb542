"""The toy language model's answers as paths in a tree: notebook 09, section 1.

An answer of :mod:`helpers.toy_lm` is a trajectory: its state is the prompt and the tokens
so far, its action the next token, and its probability the product of the token
probabilities along its path. :func:`draw_token_tree` draws the first ``depth`` tokens of
that tree for one prompt: a node per prefix, an edge per token labelled with
π(token | prompt, previous token) (its width grows with it), a leaf for every answer that has
ended with "." (labelled with the answer, its probability π(y|q) and its reward), and a "…"
for each prefix whose continuations are not drawn, labelled with their total probability.
The prompt's correct answer is drawn in green. Everything drawn is returned in a
:class:`TokenTreeDrawing`, so tests (and curious learners) can find each edge and label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from helpers import toy_lm
from helpers.plotting import COLORS
from helpers.validation import check_count

__all__ = ["TokenTreeDrawing", "draw_token_tree", "prefix_probability"]

_DX, _DY = 1.0, 1.0


@dataclass
class TokenTreeDrawing:
    """What :func:`draw_token_tree` drew, keyed by prefix (a tuple of token indices).

    ``edges[(prefix, v)]`` is the line from ``prefix`` to ``prefix + (v,)`` and
    ``edge_labels[(prefix, v)]`` its probability label; ``leaves[prefix]`` labels an answer
    that ends there with "."; ``stubs[prefix]`` labels the undrawn continuations of a prefix;
    ``probabilities[prefix]`` is P(the answer starts with ``prefix``). Notebook 09.
    """

    ax: object
    prompt: str
    positions: dict = field(default_factory=dict)
    edges: dict = field(default_factory=dict)
    edge_labels: dict = field(default_factory=dict)
    leaves: dict = field(default_factory=dict)
    stubs: dict = field(default_factory=dict)
    probabilities: dict = field(default_factory=dict)
    highlighted: tuple = ()


def prefix_probability(task, theta, q: int, prefix) -> float:
    """P(an answer to prompt q starts with the tokens ``prefix``): the product of the token
    probabilities along the path. Introduced in notebook 09."""
    if not isinstance(task, toy_lm.Task):
        raise ValueError(f"task must be a helpers.toy_lm.Task; got {type(task).__name__}.")
    q = task._prompt(q)
    logp = task.token_log_probs(theta)[q]
    prefix = tuple(prefix)
    if len(prefix) > task.max_len:
        raise ValueError(f"an answer has at most {task.max_len} tokens; got prefix {prefix!r}.")
    prev, total = toy_lm.START, 0.0           # (the start context's index is also '.''s)
    for i, v in enumerate(prefix):
        if not (isinstance(v, (int, np.integer)) and 0 <= v < toy_lm.N_TOKENS):
            raise ValueError(f"a prefix holds token indices 0..{toy_lm.N_TOKENS - 1}; "
                             f"got {prefix!r}.")
        if i and prefix[i - 1] == toy_lm.EOS:
            raise ValueError(f"nothing follows the end token '.'; got prefix {prefix!r}.")
        total += logp[prev, v]
        prev = v
    return float(np.exp(total))


def _label(p: float) -> str:
    return f"{p:.2f}" if p >= 0.005 else f"{p:.0e}"


def draw_token_tree(task, theta, q: int = 0, depth: int = 2, ax=None,
                    title: str | None = None) -> TokenTreeDrawing:
    """Draw the first ``depth`` tokens (1 to 3) of prompt q's answer tree at θ.

    Returns a :class:`TokenTreeDrawing`. Introduced in notebook 09.
    """
    if not isinstance(task, toy_lm.Task):
        raise ValueError(f"task must be a helpers.toy_lm.Task; got {type(task).__name__}.")
    q = task._prompt(q)
    depth = check_count("depth", depth)
    if depth > min(3, task.max_len):
        raise ValueError(f"depth must be 1 to {min(3, task.max_len)} (deeper trees do not "
                         f"fit a slide); got {depth}.")
    logp = task.token_log_probs(theta)[q]
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 0.3 * (3 ** depth + 4) + 0.8))
    correct = (q, toy_lm.EOS)
    drawing = TokenTreeDrawing(ax, task.prompts[q], highlighted=correct)

    # leaves in depth-first order fix the rows; a parent sits at its children's mean row
    rows = []

    def layout(prefix):
        drawing.probabilities[prefix] = prefix_probability(task, theta, q, prefix)
        ended = bool(prefix) and prefix[-1] == toy_lm.EOS
        if ended or len(prefix) == depth:
            rows.append(prefix)
            y = -len(rows) * _DY
        else:
            y = float(np.mean([layout(prefix + (v,)) for v in range(toy_lm.N_TOKENS)]))
        drawing.positions[prefix] = (len(prefix) * _DX * 2.2, y)
        return y

    layout(())
    for prefix, (x, y) in drawing.positions.items():
        on_path = prefix == correct[: len(prefix)]
        ax.plot([x], [y], "o", ms=5, color=COLORS["green"] if on_path else COLORS["black"])
        if prefix:
            parent, v = prefix[:-1], prefix[-1]
            px, py = drawing.positions[parent]
            p = float(np.exp(logp[parent[-1] if parent else toy_lm.START, v]))
            (line,) = ax.plot([px, x], [py, y], lw=0.6 + 4.0 * p, solid_capstyle="round",
                              color=COLORS["green"] if on_path else COLORS["grey"],
                              zorder=1)
            drawing.edges[(parent, v)] = line
            drawing.edge_labels[(parent, v)] = ax.text(    # just before the child node
                x - 0.1, y, f"'{toy_lm.TOKENS[v]}' {_label(p)}", fontsize=8.5, ha="right",
                va="center", zorder=2,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
        if prefix and prefix[-1] == toy_lm.EOS:
            text = toy_lm.answer_text(prefix)
            r = task.rewards[q, task.answers.index(text)]
            drawing.leaves[prefix] = ax.text(
                x + 0.15, y, f"{text}  π = {_label(drawing.probabilities[prefix])},  r = {r:.0f}",
                fontsize=9, va="center", color=COLORS["green"] if r > 0 else COLORS["black"])
        elif prefix and len(prefix) == depth:
            drawing.stubs[prefix] = ax.text(
                x + 0.15, y, f"… longer answers: {_label(drawing.probabilities[prefix])}",
                fontsize=9, va="center", color=COLORS["grey"])
    x0, y0 = drawing.positions[()]
    ax.text(x0 - 0.15, y0, f'"{task.prompts[q]}"', ha="right", va="center", fontsize=10)
    ax.set_xlim(-1.6, depth * 2.2 * _DX + 3.4)
    ax.set_ylim(-(len(rows) + 0.8) * _DY, 0.2)
    ax.set_axis_off()
    ax.set_title(title if title is not None else
                 f'answers to "{task.prompts[q]}" as paths: π(y|q) is the product along the path',
                 fontsize=10)
    return drawing
