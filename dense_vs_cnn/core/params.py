"""Read params.yaml as DVC reads it, and check every value before any heavy work.

Each entry point calls `load_params()` once and reads typed values (`params.train_cnn.epochs`);
nothing else reads params.yaml. Reading (`read_params`): ruamel.yaml's YAML 1.2, the library
and settings DVC uses, so `010`, `1:30`, `yes` or `1e-3` mean to the stages what they mean to
`dvc exp show` and to `${...}` in dvc.yaml. A file that is not a regular file, is larger than
MAX_BYTES, is not UTF-8, nests deeper than MAX_DEPTH or uses YAML anchors or aliases (params.yaml
needs none; 3 KB of them expand to gigabytes) is refused before any value is built.
Checking (`Params`): pydantic models, strict ("5" is not 5, true is not 1) and closed (an unknown
key suggests the closest valid one); a failure becomes one line naming the key and what is
allowed. Every value that passes runs: what TensorFlow, NumPy or the memory cannot take is
bounded here, with the bound and its reason in the message.
"""

import difflib
import math
import os
import stat
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from dense_vs_cnn.core.datasets import DATASETS, IMAGE_SIZE
from dense_vs_cnn.core.errors import PipelineError

# Names Keras accepts (keras.optimizers.get / keras.activations.get) and the code's own
# tables. Listed here so that params are checked without importing TensorFlow; the tests
# of this module check each list against Keras and the table it names.
OPTIMIZERS = ("adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl", "lion",
              "nadam", "rmsprop", "sgd")
ACTIVATIONS = ("elu", "gelu", "leaky_relu", "linear", "mish", "relu", "relu6", "selu",
               "sigmoid", "silu", "softplus", "softsign", "swish", "tanh")
LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy")
LANGUAGES = ("en", "fr")
SCHEDULES = ("constant", "cosine")  # dense_vs_cnn/model/training.py make_learning_rate()
DISTRIBUTIONS = ("auto", "none", "mirrored", "multi_worker")  # dense_vs_cnn/model/distribute.py
# Keras mixed-precision policies: bfloat16 pays off on CPUs with AVX512_BF16/AMX and on GPUs.
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")

MAX_BYTES = 100_000  # the project's file takes 5.3 KB: a larger one is a mistake, not params
MAX_DEPTH = 10  # params.yaml nests 3 deep (sections, their keys, lists); YAML parsers recurse on nesting
SHOWN = 80  # characters of a value a message prints at most: a message stays one line


def cut(text, limit=SHOWN):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def shown(value):
    """repr(value), cut to SHOWN characters."""
    return cut(repr(value))


def is_number(value):
    """An int or a finite float, not a bool: `1.0e+400` reads as infinity, which no computation survives."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- Reading ------------------------------------------------------------------------------------

def _read_text(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise PipelineError(f"{path} not found: run the stage from the project root") from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise PipelineError(f"{path} is not a regular file: replace it with the project's params file")
    too_large = (f"{path} is larger than {MAX_BYTES:,} bytes (params take a few KB): restore it "
                 f"(`git checkout -- {path}`) and keep only the params in it")
    if info.st_size > MAX_BYTES:
        raise PipelineError(too_large)
    with open(path, "rb") as file:
        data = file.read(MAX_BYTES + 1)  # it may have grown since stat
    if len(data) > MAX_BYTES:
        raise PipelineError(too_large)
    try:
        return data.decode("utf-8")  # as DVC decodes it
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problem = f"byte 0x{data[error.start]:02x} on line {line} is not UTF-8 (DVC refuses the file too)"
        raise PipelineError(f"{path}: {problem}: save it as UTF-8, or remove that character") from None


def _yaml_problem(path, error):
    """One line for a YAML syntax error: what and where, without the source lines ruamel quotes."""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if getattr(error, "context", None):
        problem = f"{error.context}: {problem}"
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    problem = cut(problem, 2 * SHOWN)
    return f"{path} is not valid YAML: {problem}{where}: fix it, or restore it (`git checkout -- {path}`)"


def _check_structure(text, path):
    """Refuse anchors, aliases and deep nesting from the parser's event stream, before any value is built."""
    depth = 0
    for event in YAML(typ="safe").parse(text):
        line = event.start_mark.line + 1
        if isinstance(event, NodeEvent) and event.anchor is not None:
            kind = "alias *" if isinstance(event, AliasEvent) else "anchor &"
            raise PipelineError(f"{path}, line {line}: YAML {kind}{cut(event.anchor)} is not allowed in "
                                "params.yaml (it needs no anchors or aliases): write the value out")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise PipelineError(f"{path}, line {line}: nested more than {MAX_DEPTH} levels deep "
                                    "(params.yaml needs 3): check its brackets and indentation")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def read_params(path="params.yaml"):
    """params.yaml's content as DVC reads it (ruamel.yaml, YAML 1.2), once the file passes the checks
    above. Not checked against the models: a dict as `dvc exp show` sees it."""
    text = _read_text(path)
    try:
        _check_structure(text, path)
        params = YAML(typ="safe").load(text)  # DVC's own call: dvc/utils/serialize/_yaml.py
    except YAMLError as error:
        raise PipelineError(_yaml_problem(path, error)) from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path} must be a mapping of sections (seeds:, data:, ...), got {shown(params)}")
    return params


# --- The types of the values: `wanted` is what a message says is allowed --------------------------

def rule(kind, wanted, **bounds):
    """A value of type `kind` within pydantic's `bounds` (gt, le, min_length...), described as `wanted`."""
    return Annotated[kind, Field(description=wanted, **bounds)]


def one_of(names):
    return rule(Literal[names], "one of: " + ", ".join(names))


def int_up_to(high, why):
    return rule(int, f"a positive integer, at most {high} ({why})", gt=0, le=high)


def _finite(value):
    if not is_number(value):
        raise ValueError("not a finite number")
    return value


def _distinct(values):
    if len(set(values)) != len(values):
        raise ValueError("repeated entries")
    return values


Number = Annotated[int | float, AfterValidator(_finite)]  # kept as written: `1` stays an int
MAX_SEED = 2**32 - 1  # keras.utils.set_random_seed hands it to NumPy, which takes 32 bits
SEED = f"an integer from 0 to {MAX_SEED}"
Seed = rule(int, SEED, ge=0, le=MAX_SEED)
Seeds = Annotated[list[Seed], AfterValidator(_distinct), Field(
    min_length=1, description=f"a non-empty list of distinct integers from 0 to {MAX_SEED}, e.g. [0, 1, 2]")]
PositiveInt = rule(int, "a positive integer", gt=0)
PositiveInts = rule(list[PositiveInt], "a non-empty list of positive integers", min_length=1)
PositiveNumber = rule(Number, "a positive, finite number", gt=0)
BatchSize = int_up_to(2**31 - 1, "TensorFlow's 32-bit sizes")  # it holds sizes and step counts in int32
Activation = one_of(ACTIVATIONS)


class Section(BaseModel):
    """A section of params.yaml: exactly these keys, each of its type, nothing converted."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Data(Section):
    dataset: one_of(tuple(DATASETS))


class Download(Section):
    mirrors: rule(list[Annotated[str, Field(min_length=1)]], "a list (possibly empty) of URLs or folders")
    timeout_seconds: rule(Number, "a number of seconds above 0, at most 3600", gt=0, le=3600)
    public_mirrors: rule(bool, "true or false")


class Train(Section):
    distribution: one_of(DISTRIBUTIONS)


class Preprocess(Section):
    validation_fraction: rule(Number, "a number between 0 and 1 (exclusive)", gt=0, lt=1)
    max_examples: rule(PositiveInt | None, "null or a positive integer")


class Training(Section):
    """The keys of a train_* section that configure the optimisation rather than the architecture."""

    epochs: PositiveInt
    batch_size: BatchSize
    optimizer: one_of(OPTIMIZERS)
    learning_rate: PositiveNumber
    learning_rate_schedule: one_of(SCHEDULES)
    # The first fraction of the steps raises the rate linearly from 0 to learning_rate, then the
    # cosine decays it to 0 (warm-up + decay, a one-cycle schedule); 0: no warm-up.
    warmup_fraction: rule(Number, "a number from 0 (no warm-up) to below 1", ge=0, lt=1)
    loss: one_of(LOSSES)
    # Trains towards 1 - label_smoothing on the true class and the rest spread evenly over the
    # classes (Szegedy et al. 2016); 0: the plain one-hot targets.
    label_smoothing: rule(Number, "a number from 0 (none) to below 1", ge=0, lt=1)
    # Keras' progress bar grows with it (2**31 - 1 writes a 4 GB line); 64 already saves most overhead.
    steps_per_execution: int_up_to(1000, "more saves nothing and floods the progress bar")
    precision: one_of(PRECISIONS)


TRAINING_KEYS = tuple(Training.model_fields)


def _warmup_needs_cosine(name, section):
    """A warm-up ramps up to the rate the cosine then decays: a constant rate has no schedule to start."""
    if section.warmup_fraction and section.learning_rate_schedule != "cosine":
        raise PipelineError(
            f"params.yaml: {name}.warmup_fraction = {shown(section.warmup_fraction)} needs "
            f"{name}.learning_rate_schedule = cosine, not {section.learning_rate_schedule}: "
            "set the schedule to cosine, or warmup_fraction to 0"
        )


# The architectures as dense_vs_cnn/model/architectures.py builds them, checked before any
# is built: the CNN must fit the images, and either model must fit in memory.
MAX_PARAMETERS = 100_000_000  # weights, gradients and the optimizer's two moments: 16 bytes each
NUM_CLASSES = max(len(dataset.class_names) for dataset in DATASETS.values())


def _dense_layers(widths, inputs):
    """Parameters of Dense layers of `widths` on `inputs` features, then the softmax layer."""
    total = 0
    for width in [*widths, NUM_CLASSES]:
        total, inputs = total + (inputs + 1) * width, width
    return total


def dense_parameters(units):
    """The number of parameters of the dense network of hidden layers `units`."""
    return _dense_layers(units, IMAGE_SIZE**2)


def cnn_feature_map(filters, kernel_size, pool_size):
    """The side of the CNN's last feature map on IMAGE_SIZE x IMAGE_SIZE images.

    Each block's Conv2D (padding "valid", stride 1) takes kernel_size - 1 off the side and
    its MaxPooling2D divides it by pool_size, rounding down: a window larger than the map
    it slides over leaves nothing, which Keras reports as a traceback.
    """
    side = IMAGE_SIZE
    for block in range(1, len(filters) + 1):
        for layer, window in (("kernel", kernel_size), ("pool", pool_size)):
            if side < window:
                raise PipelineError(
                    f"params.yaml: train_cnn.filters = {shown(filters)} with kernel_size {kernel_size} and "
                    f"pool_size {pool_size} does not fit the {IMAGE_SIZE}x{IMAGE_SIZE} images: block {block} "
                    f"gets a {side}x{side} feature map, smaller than its {window}x{window} {layer}; "
                    "use fewer entries in filters, or a smaller kernel_size or pool_size"
                )
            side = side - window + 1 if layer == "kernel" else side // window
    return side


def cnn_parameters(filters, kernel_size, pool_size, dense_units):
    """The number of parameters of the CNN these keys build (it must fit the images)."""
    side = cnn_feature_map(filters, kernel_size, pool_size)
    inputs = [1, *filters[:-1]]  # channels into each block: the grayscale image, then the previous block
    convolutions = sum((kernel_size**2 * channels + 1) * count
                       for channels, count in zip(inputs, filters, strict=True))
    return convolutions + _dense_layers([dense_units], side * side * filters[-1])


def _fits_in_memory(name, section, keys, count):
    """Refuse a model of over MAX_PARAMETERS parameters, naming the keys of section `name` that make it."""
    if count > MAX_PARAMETERS:
        where = " and ".join(f"{name}.{key} = {shown(getattr(section, key))}" for key in keys)
        raise PipelineError(
            f"params.yaml: {where} make a model of {count:,} parameters; at most {MAX_PARAMETERS:,} "
            "(with their gradients and the optimizer's state, 16 bytes each: 1.6 GB): "
            "use fewer or narrower layers"
        )


class DenseArchitecture(Section):
    units: PositiveInts  # hidden Dense layers
    activation: Activation


class CnnArchitecture(Section):
    filters: PositiveInts  # one Conv2D + MaxPooling2D block per entry
    kernel_size: PositiveInt
    pool_size: PositiveInt
    dense_units: PositiveInt
    activation: Activation


# Training listed first, so its keys come last, as in params.yaml (pydantic orders the fields from
# the last base to the first): the report prints each section in this order.
class TrainDense(Training, DenseArchitecture):
    @model_validator(mode="after")
    def _fits(self):
        _fits_in_memory("train_dense", self, ["units"], dense_parameters(self.units))
        _warmup_needs_cosine("train_dense", self)
        return self


class TrainCnn(Training, CnnArchitecture):
    @model_validator(mode="after")
    def _fits(self):
        count = cnn_parameters(self.filters, self.kernel_size, self.pool_size, self.dense_units)
        _fits_in_memory("train_cnn", self, ["filters", "dense_units"], count)
        _warmup_needs_cosine("train_cnn", self)
        return self


class Evaluate(Section):
    batch_size: BatchSize


class Compare(Section):
    language: one_of(LANGUAGES)
    # The interval's ends are printed to 0.01 points: more resamples than this move no printed digit.
    bootstrap_samples: int_up_to(1_000_000, "more changes no printed digit")
    bootstrap_seed: rule(int, "an integer >= 0", ge=0)


def _non_zero(value):
    if value == 0:
        raise ValueError("0 is the unchanged images, always scored")
    return value


MAX_LEVELS = 10  # each level scores every chosen test image again, with both models


def levels(item, wanted):
    """A transform's severities: a non-empty list of at most MAX_LEVELS distinct `item`s."""
    wanted = f"a list of 1 to {MAX_LEVELS} distinct {wanted}; 0, the unchanged images, is always scored"
    return Annotated[list[item], AfterValidator(_distinct),
                     Field(min_length=1, max_length=MAX_LEVELS, description=wanted)]


class Robustness(Section):
    """Both models of the first seed on transformed copies of the test images (stages/robustness.py)."""

    translation: levels(Annotated[int, Field(ge=1, le=IMAGE_SIZE - 1)],
                        f"whole pixels from 1 to {IMAGE_SIZE - 1} (a shift of {IMAGE_SIZE} leaves a blank "
                        "image)")
    rotation: levels(Annotated[Number, Field(gt=0, le=180)],
                     "degrees above 0, at most 180 (more is a smaller turn the other way)")
    noise: levels(Annotated[Number, Field(gt=0, le=1)],
                  "standard deviations above 0, at most 1 (pixels lie in [0, 1])")
    thickness: levels(Annotated[int, Field(ge=-(IMAGE_SIZE // 2 - 1), le=IMAGE_SIZE // 2 - 1),
                                AfterValidator(_non_zero)],
                      f"whole pixels from -{IMAGE_SIZE // 2 - 1} to {IMAGE_SIZE // 2 - 1} other than 0 "
                      f"(a radius of {IMAGE_SIZE // 2} covers the whole image)")
    images: rule(PositiveInt | None, "null (every test image) or a positive integer")
    seed: Seed


class Analysis(Section):
    """Controls that train the models again (stages/permuted.py): off by default, each doubles training."""

    permuted_pixels: rule(bool, "true or false")
    permutation_seed: Seed


class Params(Section):
    """params.yaml, every section in its order."""

    seeds: Seeds
    data: Data
    download: Download
    train: Train
    preprocess: Preprocess
    train_dense: TrainDense
    train_cnn: TrainCnn
    evaluate: Evaluate
    robustness: Robustness
    analysis: Analysis
    compare: Compare


# --- Checking, and the one-line messages ---------------------------------------------------------

def _unknown_key(path, where, key, known):
    close = difflib.get_close_matches(str(key)[:SHOWN], known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(known)}"
    return f"{path}: unknown key {where}{shown(key)}: {hint}"


def _invalid(path, name, value, wanted):
    return f"{path}: {name} = {shown(value)} is invalid: expected {wanted}"


def _message(error, params, path):
    """The one line that says what is wrong: an unknown key first (often a typo of a missing one)."""
    first = min(error.errors(), key=lambda problem: problem["type"] not in ("extra_forbidden", "invalid_key"))
    name, *inner = first["loc"]
    unknown, missing = first["type"] in ("extra_forbidden", "invalid_key"), first["type"] == "missing"
    if unknown and not inner:
        return _unknown_key(path, "", name, list(Params.model_fields))
    if missing and not inner:
        return f"{path}: section {name!r} is missing; see README.md for its keys"
    section = Params.model_fields[name].annotation
    if not (isinstance(section, type) and issubclass(section, Section)):  # a value, not a section: seeds
        return _invalid(path, name, params[name], Params.model_fields[name].description)
    if not inner:
        return f"{path}: {name!r} must be a mapping of keys, got {shown(params[name])}"
    key = inner[0]
    if unknown:
        return _unknown_key(path, f"{name}.", key, list(section.model_fields))
    if missing:
        return f"{path}: {name}.{key} is missing; add it to the {name}: section"
    return _invalid(path, f"{name}.{key}", params[name][key], section.model_fields[key].description)


def load_params(path="params.yaml"):
    """Read `path` (as DVC does) and return it as Params, every section checked."""
    params = read_params(path)
    try:
        return Params.model_validate(params)
    except ValidationError as error:
        raise PipelineError(_message(error, params, path)) from None


def check_seed(value):
    """One entry of `seeds`, as dvc.yaml's matrix hands it to a train stage on its command line."""
    try:
        return TypeAdapter(Seed).validate_python(value)
    except ValidationError:
        raise PipelineError(_invalid("params.yaml", "seeds entry", value, SEED)) from None
