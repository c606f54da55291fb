"""Two models head to head on the same test images: who wins, by how much, and how sure."""

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.statistics import (
    confusion_matrix,
    mcnemar_exact,
    most_confused,
    paired_bootstrap_interval,
)


def head_to_head(results, num_classes, samples, seed, confused_pairs):
    """Winner, loser and the paired statistics of the two models' test predictions."""
    first, second = (results[name]["predictions"] for name in results)
    if len(first) != len(second) or not first["actual"].equals(second["actual"]):
        raise PipelineError("the two models' predictions are not on the same test images: run `dvc repro`")
    accuracy = {name: result["test"]["accuracy"] for name, result in results.items()}
    winner, loser = sorted(results, key=accuracy.get, reverse=True)  # stable: a tie keeps the order
    correct = {name: (result["predictions"]["actual"] == result["predictions"]["predicted"]).to_numpy()
               for name, result in results.items()}
    confusion = {name: confusion_matrix(result["predictions"]["actual"], result["predictions"]["predicted"],
                                        num_classes) for name, result in results.items()}
    only_winner = int((correct[winner] & ~correct[loser]).sum())
    only_loser = int((correct[loser] & ~correct[winner]).sum())
    return {
        "winner": winner, "loser": loser, "tie": accuracy[winner] == accuracy[loser], "accuracy": accuracy,
        "interval": paired_bootstrap_interval(correct[loser], correct[winner], samples, seed),
        "samples": samples, "seed": seed, "images": len(first),
        "p_value": mcnemar_exact(only_winner, only_loser),
        "only_winner": only_winner, "only_loser": only_loser,
        "confusion": confusion, "most_confused": most_confused(confusion.values(), confused_pairs),
        "errors": (~correct[winner]).nonzero()[0],
        "disagreements": (first["predicted"] != second["predicted"]).to_numpy().nonzero()[0],
    }
