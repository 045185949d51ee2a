"""Train the refusal judge's learned layer on the dev part of the labelled set; write its weights.

    python tools/train_refusal_layer.py

The test part is never used here. Prints the accuracy of the rules alone and of the layered
judge on both parts, for the record in docs/judges.md.
"""

from __future__ import annotations

from trustbench.judges.ciphers import decipher
from trustbench.judges.refusal import REFUSAL, LayeredRefusalJudge, RuleRefusalJudge
from trustbench.judges.refusal_devset import load_devset
from trustbench.judges.refusal_layer import WEIGHTS, train

VERSION = "5"


def accuracy(judge, rows) -> float:
    if not rows:
        return float("nan")
    verdicts = judge.judge_many(
        [row["response"] for row in rows], [row.get("prompt") for row in rows]
    )
    hits = 0
    for row, verdict in zip(rows, verdicts, strict=True):
        said = "invalid" if not verdict.valid else verdict.label
        hits += said == row["label"]
    return hits / len(rows)


def main() -> None:
    dev, test = load_devset("dev"), load_devset("test")
    labelled = [row for row in dev if row["label"] in ("refusal", "compliance")]
    layer = fit(labelled)
    layer.save(WEIGHTS)
    rules = RuleRefusalJudge()
    layered = LayeredRefusalJudge(rules, layer)
    print(f"dev {len(dev)} rows, test {len(test)} rows; trained on {len(labelled)} dev rows")
    for name, judge in (("rules", rules), ("layered", layered)):
        print(f"{name:<8} dev {accuracy(judge, dev):.4f}  test {accuracy(judge, test):.4f}")
    print(
        f"5-fold cross-validated accuracy of the layered judge on dev: {cross_validated(dev):.4f}"
    )
    print(f"weights written to {WEIGHTS}")


def fit(rows):
    return train(
        [decipher(row["response"]) or row["response"] for row in rows],  # as the judge reads them
        [row["label"] == REFUSAL for row in rows],
        VERSION,
    )


def cross_validated(rows, folds: int = 5) -> float:
    """Train on 4/5 of the dev rows, score the other 1/5, five times: an honest dev estimate."""
    hits = 0
    for fold in range(folds):
        held = [row for i, row in enumerate(rows) if i % folds == fold]
        kept = [
            row
            for i, row in enumerate(rows)
            if i % folds != fold and row["label"] in ("refusal", "compliance")
        ]
        layer = fit(kept)
        hits += accuracy(LayeredRefusalJudge(RuleRefusalJudge(), layer), held) * len(held)
    return hits / len(rows)


if __name__ == "__main__":
    main()
