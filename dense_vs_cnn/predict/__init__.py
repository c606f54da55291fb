"""Your own images: prepared the way MNIST was made, classified by the `digits-predict` command."""
