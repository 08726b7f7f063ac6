"""Fit the LiT head of ``mieb/offline-clip``: ``python -m mieb_models.offline_fit [--check]``.

Both towers stay frozen. On the ``fit`` half of the emoji pairs (``mieb_assets.emoji``: an
emoji is held out for evaluation when ``sha256(code) mod 4 == 0``; 1407 fit / 499 eval), with

* X: pooled MobileNetV2 features of the emoji (64 px Noto image flattened onto white, then the
  MobileNetV2 transforms), float64;
* Y: per emoji, the L2-normalised sum of the normalised MiniLM embeddings of three captions: the
  CLDR English label ("grinning face with big eyes"), the Unicode name ("smiling face with open
  mouth") and its CLDR keywords joined by ", ";

the head is ridge regression in closed form, ``W = (Xc'Xc + lambda I)^-1 Xc'Y`` with centred
``Xc`` and ``lambda = 30`` (chosen on an inner split of the fit half), bias ``mean(Y) - mean(X) W``.
It is stored as float16 ``[W; b]`` (1281 x 384, about 1 MB). Refitting on the same packages
reproduces the shipped file up to float16 rounding of last-bit feature differences; ``--check``
refits and compares instead of writing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

RIDGE_LAMBDA = 30.0
BATCH = 64


def fit_pairs() -> tuple[list, list[list[str]]]:
    """The fit-half emojis, in sort order, and their three captions each."""
    from mieb_assets.emoji import emojis_in

    emojis = emojis_in("fit")
    captions = [[e.labels.get("en", e.name), e.name, ", ".join(e.tags.get("en", ())) or e.name] for e in emojis]
    return emojis, captions


def fit_head(device: str = "cpu", progress: bool = True) -> np.ndarray:
    """The float16 ``[W; b]`` head, fitted as the module docstring says."""
    import torch

    from mieb_assets.emoji import emoji_image
    from mieb_models.offline import OfflineCLIP
    from mieb_models.registry import get_model_meta

    emojis, captions = fit_pairs()
    encoder = OfflineCLIP(get_model_meta("mieb/offline-clip"), device=device, head=None)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # per-image transforms are slower multithreaded (as in DataLoader workers)
    try:
        pixels = [encoder.preprocess(emoji_image(e)) for e in emojis]
    finally:
        torch.set_num_threads(threads)
    features = []
    for start in range(0, len(emojis), BATCH):
        features.append(encoder.encode_images(torch.stack(pixels[start : start + BATCH])).numpy())
        if progress:
            print(f"\rimage features {min(start + BATCH, len(emojis))}/{len(emojis)}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    x = np.concatenate(features).astype(np.float64)
    targets = np.zeros((len(emojis), 384))
    for column in range(3):
        texts = [c[column] for c in captions]
        emb = np.concatenate([encoder.encode_texts(texts[i : i + 256]).numpy() for i in range(0, len(texts), 256)])
        targets += emb.astype(np.float64)
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)
    mean_x = x.mean(0)
    centred = x - mean_x
    weight = np.linalg.solve(centred.T @ centred + RIDGE_LAMBDA * np.eye(x.shape[1]), centred.T @ targets)
    bias = targets.mean(0) - mean_x @ weight
    return np.vstack([weight, bias[None]]).astype(np.float16)


def main(argv: list[str] | None = None) -> int:
    from mieb_models.offline import HEAD_PATH

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=HEAD_PATH, help=f"where to write (default {HEAD_PATH})")
    parser.add_argument("--check", action="store_true", help="refit and compare with --output, writing nothing")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    head = fit_head(args.device)
    if args.check:
        shipped = np.load(args.output).astype(np.float32)
        diff = np.abs(shipped - head.astype(np.float32))
        scale = np.abs(shipped).max()
        print(f"max |diff| {diff.max():.3g} (max |w| {scale:.3g}); bit-identical: {np.array_equal(shipped, head)}")
        return 0 if diff.max() <= 1e-2 * scale else 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.output.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:  # np.save on a path would append ".npy" to the name
        np.save(handle, head)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.output)
    print(
        f"wrote {args.output} {head.shape} {head.dtype}; now update CLIP_REVISION in mieb_models/offline.py "
        "to mieb_models.offline.clip_revision()"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
