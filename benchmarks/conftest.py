"""Benchmarks run on demand (``pytest benchmarks``), never in the default test run."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
