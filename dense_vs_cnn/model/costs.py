"""What a model costs, counted from its layers rather than timed: the same model always
gives the same numbers, on any machine (timings live outside DVC and git).

Floating-point operations (FLOPs) per image: a multiply-add counts as 2. Dense and Conv2D
layers are counted from their shapes (the matrix products, which are almost all of the
work); biases, activations, pooling and the softmax are left out (TensorFlow's own
profiler, which counts them, finds 0.1 % more for the dense network, 1.1 % for the CNN). One
training step costs about 3 times the forward pass: the backward pass computes the
gradients of the activations and of the weights, each as costly as the forward pass.
"""

import math

from keras import layers

TRAINING_FACTOR = 3  # forward + gradients of the activations + gradients of the weights


def layer_flops(layer):
    """FLOPs of one image through `layer` (a built Keras layer), 0 for layers left out."""
    if isinstance(layer, layers.Dense):
        return 2 * layer.kernel.shape[0] * layer.units
    if isinstance(layer, layers.Conv2D):
        *kernel, channels_in, channels_out = layer.kernel.shape
        outputs = math.prod(layer.output.shape[1:-1])  # positions of the output feature map
        return 2 * math.prod(kernel) * channels_in * channels_out * outputs
    return 0


def model_costs(model):
    """{"inference_flops", "training_flops"} per image of a built Keras model."""
    forward = sum(layer_flops(layer) for layer in model.layers)
    return {"inference_flops": int(forward), "training_flops": int(TRAINING_FACTOR * forward)}
