"""Stage permuted: the spatial-structure control, both models trained again on permuted pixels.

Opt-in (params.yaml analysis.permuted_pixels, false by default: it doubles training).
When on: one fixed random permutation of the 784 pixel positions, drawn from
analysis.permutation_seed (dense_vs_cnn/data/permutation.py), applied alike to the train,
validation and test images; the dense network and the CNN trained on them for the first
seed (--seed) with exactly their train_dense and train_cnn recipes (the train stages' own
code: dense_vs_cnn/model/train_stage.py), then scored on the permuted test images.
Reads: the flat train, validation and test images and their labels (--train, --val, --test).
Writes:
  --permutation (data/permuted/permutation.npy)  the permutation: pixel i of a permuted image
                                                 is pixel permutation[i] of the original
  --predictions (data/permuted/predictions.csv)  the actual class and each model's predicted
                                                 class (columns dense, cnn) of every test
                                                 image, permuted: what compare reads
  --metrics (metrics/permuted.json)              per model: its accuracy on the permuted test
                                                 images (the DVC metric)
  --timing (timings/permuted.json)               the wall time of each fit on this machine,
                                                 neither a DVC output nor tracked by git
When off it imports no TensorFlow and trains nothing: an empty permutation, a predictions
file with its header only and `{}` as metrics, the same bytes on every run.
The models are not saved: models/ holds only the models that see images as they are, which
evaluate scores and digits-predict serves.
Params: analysis.* (on or off, the permutation's seed), seeds (the first: --seed), data.dataset,
train.distribution, train_dense.*, train_cnn.* (the recipes), evaluate.batch_size (inference only).
"""

import argparse
import time

import numpy as np
import pandas as pd

from dense_vs_cnn.core.checks import load_examples
from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.core.files import refuse_linked_folder, save_array, write_csv, write_json
from dense_vs_cnn.core.params import check_seed, load_params
from dense_vs_cnn.data.permutation import PIXELS, as_channel, draw_permutation, permute
from dense_vs_cnn.model.train_stage import train_quietly, training_settings

# The architectures, their params section and the layout each takes of the flat images.
MODELS = {"dense": ("train_dense", lambda images: images), "cnn": ("train_cnn", as_channel)}


def write_off(args):
    """What the stage writes when the control is off: the same bytes on every run."""
    save_array(args.permutation, np.arange(0, dtype=np.int64))
    write_csv(args.predictions, pd.DataFrame(columns=["actual", *MODELS]))
    write_json(args.metrics, {})
    print("permuted: analysis.permuted_pixels is false, nothing trained (`dvc exp run -S "
          "analysis.permuted_pixels=true` runs the spatial-structure control)")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train both models again on permuted pixels.")
    parser.add_argument("--seed", type=int, required=True, help="the first entry of params.yaml's seeds")
    for split in ("train", "val", "test"):
        parser.add_argument(f"--{split}", nargs=2, metavar=("IMAGES", "LABELS"), required=True,
                            help=f"{split} images (flat .npy) and labels")
    parser.add_argument("--permutation", required=True, help="where to save the permutation (.npy)")
    parser.add_argument("--predictions", required=True, help="each model's permuted test predictions (CSV)")
    parser.add_argument("--metrics", required=True, help="each model's permuted test accuracy (JSON)")
    parser.add_argument("--timing", required=True, help="where to log the wall time of each fit (JSON)")
    args = parser.parse_args(argv)
    params = load_params()  # before importing TensorFlow: fail fast
    for output in (args.permutation, args.predictions):
        refuse_linked_folder(output)
    seed, control = check_seed(args.seed), params.analysis
    if not control.permuted_pixels:
        write_off(args)
        return
    recipes = {name: training_settings(params, section) for name, (section, _) in MODELS.items()}
    if params.train.distribution == "multi_worker":
        raise PipelineError("params.yaml: analysis.permuted_pixels trains two models in one process, which "
                            "train.distribution = multi_worker cannot (its strategy is made once per "
                            "process): use auto, none or mirrored")
    num_classes = len(get_dataset(params.data.dataset).class_names)
    splits = {split: load_examples(*getattr(args, split), num_classes) for split in ("train", "val", "test")}
    for split, (images, _) in splits.items():
        if images.shape[1:] != (PIXELS,):
            raise PipelineError(f"{getattr(args, split)[0]}: images of shape {images.shape[1:]}, expected "
                                f"flat ({PIXELS},): give the *_flat.npy files preprocess writes")
    permutation = draw_permutation(control.permutation_seed)
    permuted = {split: (permute(images, permutation), labels) for split, (images, labels) in splits.items()}

    (test_images, test_labels), predicted, seconds = permuted["test"], {}, {}
    for name, (_, layout) in MODELS.items():
        settings, distribution = recipes[name]
        train, val = ((layout(images), labels) for images, labels in (permuted["train"], permuted["val"]))
        model, history, seconds[name] = train_quietly(name, settings, train, val, seed=seed,
                                                      distribution=distribution, num_classes=num_classes)
        start = time.perf_counter()
        probabilities = model.predict(layout(test_images), batch_size=params.evaluate.batch_size, verbose=0)
        seconds[name] += time.perf_counter() - start
        if not np.isfinite(probabilities).all():  # argmax would still pick a class: a silent wrong answer
            raise PipelineError(f"the {name} model trained on permuted pixels predicts NaN or infinite "
                                "probabilities: nothing was written")
        predicted[name] = probabilities.argmax(axis=1)
        accuracy = float(np.mean(predicted[name] == test_labels))
        print(f"{name} on permuted pixels (permutation seed {control.permutation_seed}), seed {seed}: test "
              f"accuracy {accuracy:.4f}; {len(history)} epochs took {seconds[name]:.1f} s (wall time on this "
              f"machine, logged in {args.timing})")
    # Written only now: a model that fails leaves no result of the other.
    save_array(args.permutation, permutation)
    write_csv(args.predictions, pd.DataFrame({"actual": test_labels, **predicted}))
    write_json(args.metrics, {name: {"accuracy": float(np.mean(classes == test_labels))}
                              for name, classes in predicted.items()})
    write_json(args.timing, {f"{name}_seconds": round(value, 2) for name, value in seconds.items()})


if __name__ == "__main__":
    run_stage(main)
