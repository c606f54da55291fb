"""Scoring a model on the test set, and the statistics that compare two models."""
