"""What every stage shares: the one error type, the params schema, file helpers, the dataset registry."""
