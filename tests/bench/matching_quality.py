"""How right ``plan_matches`` is on labelled synthetic data (issue 12, "Measure it yourself").

Run with ``.venv/bin/python -m tests.bench.matching_quality [n_qbo [n_lacrm [seed]]]`` (default
10,000 × 10,000), or as part of ``make bench``. The records come from
``tests.bench.labelled``, which knows which pairs are one entity. Every true pair ends as one of:

- *linked*: linked to each other (what recall counts);
- *review*: both records in one review item, beside each other (the reason is kept);
- *review apart*: held for review, but not in the same item as its pair;
- *half created*: one record held, the other created on the other side (a duplicate to be);
- *silent miss*: both created on the other side, a duplicate on each side without anyone asked
  (the worst outcome; *said "not a match"* counts those the plan listed as not-a-match);
- *linked wrongly*: a record linked to some other record.

It prints these beside the issue's targets (precision 1, recall ≥ 0.98, the rest in review,
no silent miss), per variant, with the matcher's time and peak memory measured in a fresh
(spawned) process as in ``tests.bench.matching``. It asserts nothing.
"""

from __future__ import annotations

import gc
import multiprocessing
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.bench.labelled import SEED, VARIANTS, LabelledSet, build_labelled

OUTCOMES = ("linked", "review", "review apart", "half created", "silent miss", "linked wrongly")
TARGET_RECALL = 0.98


@dataclass
class Quality:
    """The outcome of every true pair and every link of one plan, by variant."""

    pairs: int = 0
    links: int = 0
    true_links: int = 0
    # variant -> outcome -> count of true pairs.
    outcomes: dict[str, Counter] = field(default_factory=dict)
    # variant -> links that are no true pair, with a record of that variant.
    wrong_links: Counter = field(default_factory=Counter)
    # Examples of wrong links: (variant, method, reason).
    wrong_examples: list[tuple[str, str, str]] = field(default_factory=list)
    # Reason shapes of the reviews that hold true pairs together.
    review_reasons: Counter = field(default_factory=Counter)
    said_not_a_match: Counter = field(default_factory=Counter)
    # Review items with no true pair in them, and all review items.
    idle_reviews: int = 0
    reviews: int = 0

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.outcomes.values())


def reason_shape(reason: str) -> str:
    """A review reason with its quoted values and numbers taken out, for grouping."""
    shape = re.sub(r'"[^"]*"', "…", reason)
    shape = re.sub(r"\([^()]*…[^()]*\)", "(…)", shape)
    return re.sub(r"\d+", "N", shape)


def evaluate(data: LabelledSet, plan) -> Quality:
    """Score ``plan`` (a ``MatchPlan`` of ``data``) against ``data``'s truth."""
    quality = Quality(pairs=len(data.truth), links=len(plan.links), reviews=len(plan.reviews))
    linked_q = {m.qbo_id: m.lacrm_id for m in plan.links}
    linked_l = {m.lacrm_id: m.qbo_id for m in plan.links}
    review_of: dict[str, int] = {}
    for n, item in enumerate(plan.reviews):
        review_of.update(dict.fromkeys((*item.qbo_ids, *item.lacrm_ids), n))
    not_matches = {(q, lc) for q, lc, _ in plan.not_matches}
    held_pairs: set[int] = set()
    for q, lc in data.truth:
        variant = data.variant[q]
        outcome = _outcome(q, lc, linked_q, linked_l, review_of)
        quality.outcomes.setdefault(variant, Counter())[outcome] += 1
        if outcome == "review":
            held_pairs.add(review_of[q])
            quality.review_reasons[reason_shape(plan.reviews[review_of[q]].reason)] += 1
        elif outcome == "silent miss" and (q, lc) in not_matches:
            quality.said_not_a_match[variant] += 1
    for match in plan.links:
        if (match.qbo_id, match.lacrm_id) in data.truth:
            quality.true_links += 1
            continue
        variants = {data.variant[match.qbo_id], data.variant[match.lacrm_id]}
        for variant in variants:
            quality.wrong_links[variant] += 1
        if len(quality.wrong_examples) < 8:
            label = " / ".join(sorted(variants))
            quality.wrong_examples.append((label, match.method, match.reason))
    quality.idle_reviews = len(plan.reviews) - len(held_pairs)
    return quality


def _outcome(q: str, lc: str, linked_q, linked_l, review_of) -> str:
    """What became of the true pair (QBO ``q``, LACRM ``lc``); see the module docstring."""
    if linked_q.get(q) == lc:
        return "linked"
    if q in linked_q or lc in linked_l:
        return "linked wrongly"
    held_q, held_l = review_of.get(q), review_of.get(lc)
    if held_q is not None and held_q == held_l:
        return "review"
    if held_q is not None and held_l is not None:
        return "review apart"
    if held_q is not None or held_l is not None:
        return "half created"
    return "silent miss"


def _ratio(part: int, whole: int) -> str:
    return f"{part:>7,}/{whole:<7,} = {part / whole if whole else 0:.4f}"


def report(quality: Quality) -> list[str]:
    """The figures as printable lines, each beside its target."""
    q, pairs = quality, quality.pairs
    rest = pairs - q.total("linked")
    lines = [
        f"  precision     {_ratio(q.true_links, q.links)}   target 1  (links that are true pairs)",
        f"  recall        {_ratio(q.total('linked'), pairs)}   target ≥ {TARGET_RECALL}",
        f"  in review     {_ratio(q.total('review'), pairs)}   target: the rest, "
        f"{rest / pairs if pairs else 0:.4f} (true pairs held together, with a reason)",
        f"  review apart  {_ratio(q.total('review apart'), pairs)}   target 0",
        f"  half created  {_ratio(q.total('half created'), pairs)}   target 0",
        f"  silent miss   {_ratio(q.total('silent miss'), pairs)}   target 0  "
        f'({sum(q.said_not_a_match.values())} of them listed as "not a match")',
        f"  linked wrongly{_ratio(q.total('linked wrongly'), pairs)}   target 0",
        f"  wrong links   {_ratio(q.links - q.true_links, q.links)}   target 0",
        f"  reviews without a true pair: {q.idle_reviews:,} of {q.reviews:,}",
        "  review reasons of true pairs held together:",
    ]
    lines += [f"    {n:>6,}  {shape}" for shape, n in q.review_reasons.most_common(8)]
    columns = ("pairs", "linked", "review", "apart", "half", "silent", "elsewh.", "bad links")
    lines.append(
        "  per variant: true pairs by outcome (apart: review apart, half: half created,"
        " elsewh.: linked elsewhere), and bad links (no true pair) touching the variant:"
    )
    lines.append(f"    {'variant':<28} {'expect':<14}" + "".join(f"{c:>10}" for c in columns))
    for variant, expect in VARIANTS.items():
        counts = q.outcomes.get(variant, Counter())
        cells = (sum(counts.values()), *(counts[o] for o in OUTCOMES), q.wrong_links[variant])
        lines.append(f"    {variant:<28} {expect:<14}" + "".join(f"{c:>10,}" for c in cells))
    if q.wrong_examples:
        lines.append("  wrong links, examples:")
        lines += [f"    [{v}] {method}: {reason}" for v, method, reason in q.wrong_examples]
    return lines


def _measure(n_qbo: int, n_lacrm: int, seed: int) -> list[str]:
    from sync.matching import plan_matches

    data = build_labelled(n_qbo, n_lacrm, seed)
    gc.collect()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    plan = plan_matches(data.qbo, data.lacrm)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    head = [
        f"Matching quality: {n_qbo:,} QBO × {n_lacrm:,} LACRM labelled records (seed {seed}), "
        f"{len(data.truth):,} true pairs",
        f"  plan_matches  {seconds:.2f} s wall, {cpu:.2f} s CPU; peak RSS "
        f"{peak_kb / 1024:.0f} MB ({(peak_kb - before_kb) / 1024:.0f} MB added by planning)",
    ]
    return head + report(evaluate(data, plan))


def _child(queue, n_qbo: int, n_lacrm: int, seed: int) -> None:
    queue.put(_measure(n_qbo, n_lacrm, seed))


def run(n_qbo: int = 10_000, n_lacrm: int = 10_000, seed: int = SEED) -> list[str]:
    """Measure in a fresh process (its peak memory is this run's alone) and print the figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, n_qbo, n_lacrm, seed))
    process.start()
    lines = queue.get()
    process.join()
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    args = sys.argv[1:]
    n_qbo = int(args[0]) if args else 10_000
    run(n_qbo, int(args[1]) if len(args) > 1 else n_qbo, int(args[2]) if len(args) > 2 else SEED)
