"""Turning loaded data into model inputs: sequence encodings and expression steps."""
