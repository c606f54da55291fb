"""The models: the two architectures, training them, tf.distribute, saving and safe loading."""
