"""Builders of local test data and tiny checkpoints (no hub)."""
