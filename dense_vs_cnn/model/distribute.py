"""Which tf.distribute strategy the train stages build and fit their model in.

Param: train.distribution (auto, none, mirrored, multi_worker). Keras treats the fit
batch_size as the *global* batch and splits it across replicas, so the params value means
the same thing on one CPU, eight GPUs or a cluster. TensorFlow is imported only when a
strategy is made, never at import time, so params.py can list the names.
"""


def _default():
    import tensorflow as tf

    return tf.distribute.get_strategy()  # the default device, no replication


def _mirrored():
    import tensorflow as tf

    return tf.distribute.MirroredStrategy()  # every local GPU (the CPU when there is none)


def _auto():
    import tensorflow as tf

    several_gpus = len(tf.config.list_physical_devices("GPU")) > 1
    return _mirrored() if several_gpus else _default()


def _multi_worker():
    import tensorflow as tf

    class MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        """Reads the cluster and this worker's index from $TF_CONFIG.

        Keras 3's fit() calls reduce() in two ways TensorFlow's multi-worker reduce
        rejects (keras-team/keras#20585): on the first (images, labels) batch, only to
        learn its shapes, and on scalar metrics "along axis 0". This worker's own batch
        has the right shapes (no collective needed, whatever the dtype or how unevenly
        the batch split), and a scalar is reduced without an axis.
        """

        def reduce(self, reduce_op, value, axis):
            def reduce_one(tensor):
                local = self.experimental_local_results(tensor)[0]
                if axis is None and len(local.shape) > 0:  # Keras probing the batch's shapes
                    return local
                scalar_axis = axis if len(local.shape) > 0 else None
                return super(MultiWorkerStrategy, self).reduce(reduce_op, tensor, scalar_axis)

            return tf.nest.map_structure(reduce_one, value)

    return MultiWorkerStrategy()


STRATEGIES = {"auto": _auto, "none": _default, "mirrored": _mirrored, "multi_worker": _multi_worker}


def distribution_strategy(name):
    """The strategy for train.distribution = `name`; make it before any other TensorFlow op."""
    strategy = STRATEGIES[name]()
    print(f"train.distribution = {name}: {strategy.num_replicas_in_sync} replica(s) in sync")
    return strategy
