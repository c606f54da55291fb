"""The data: the IDX format MNIST ships in, fetching it from mirrors, preparing tensors."""
