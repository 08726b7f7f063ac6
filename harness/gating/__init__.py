"""Gating: published references, baselines and the tolerances a case is asserted with."""
