"""Evaluators: train a model on a candidate configuration, return its validation AUC."""
