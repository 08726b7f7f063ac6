"""Run a snippet of mteb's own code in the interpreter ``MIEB_MTEB_PYTHON`` names (mteb is not a dependency)."""

from __future__ import annotations

import json
import os
import subprocess

MTEB_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")

# An mteb encoder whose ModelMeta declares the similarity named by ``similarity``; its
# ``similarity`` / ``similarity_pairwise`` are mteb's own dispatch on ``similarity_fn_name``.
ENCODER_DECLARING = """
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ModelMeta, ScoringFunction

meta = ModelMeta.create_empty(overwrites={"name": "mieb/check", "revision": "1",
                                         "similarity_fn_name": ScoringFunction(similarity)})

class Model(AbsEncoder):
    mteb_model_meta = meta
    def encode(self, *args, **kwargs):
        raise NotImplementedError
"""


def run_mteb(script: str, *args: str) -> dict:
    """Run ``script`` with ``args`` in mteb's interpreter; its last stdout line is JSON."""
    assert MTEB_PYTHON, "MIEB_MTEB_PYTHON is not set"
    done = subprocess.run([MTEB_PYTHON, "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
