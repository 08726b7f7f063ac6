"""Guards around a model's encode calls: every batch's output is checked before it is used or cached.

A model under development fails in many ways: NaN or infinite values, the wrong number of rows,
a dimension that changes between batches or between image and text embeddings, a 1-D array, a
value that is not an array at all, an exception on the n-th batch, a call that never returns.
Each becomes a ``ModelError`` naming the model, the batch and what was wrong; the runner adds the
task, and the case fails while the session goes on.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from mieb_models.base import embedding_array, torch_to_numpy


class ModelError(RuntimeError):
    """The model failed or returned something unusable; the message says which model and how."""


class ModelOutputError(ModelError, ValueError):
    """A model returned unusable embeddings (NaN, wrong count, wrong shape, changing dimension)."""


class ModelCallError(ModelError):
    """The model raised an exception while encoding a batch."""


class BatchTimeout(ModelError):
    """A batch took longer than the per-batch timeout."""


class BatchGuard:
    """Runs one model's encode calls batch by batch and checks what comes back.

    ``timeout`` (seconds, None = no limit) bounds each call: the call runs in a daemon thread and a
    call past the limit fails its case (the thread is abandoned, as a hung call cannot be stopped).
    """

    def __init__(self, model_name: str, timeout: float | None = None):
        self.model_name = model_name
        self.timeout = timeout
        self.batches = 0
        self.dims: dict[str, int] = {}

    def batch(self, encode: Callable[..., Any], *args: Any, rows: int, kind: str) -> np.ndarray:
        """``encode(*args)``, checked to be a finite ``rows x dim`` array of this model's dimension."""
        self.batches += 1
        where = f"{kind} batch {self.batches} ({rows} inputs)"
        output = self._call(encode, args, where)
        # A copy: a model may hand back one buffer it overwrites on its next call (a torch tensor's
        # .numpy() shares memory), and kept batches must not change under the scores.
        array = np.array(self._as_matrix(output, where), copy=True)
        if array.shape[0] != rows:
            raise ModelOutputError(
                f"{self.model_name} returned {array.shape[0]} embeddings for {rows} inputs in {where}"
            )
        if not np.isfinite(array).all():
            bad = int((~np.isfinite(array)).any(axis=1).sum())
            raise ModelOutputError(
                f"{self.model_name} returned NaN or infinite embeddings in {where} ({bad} of {rows} rows)"
            )
        self.observe(kind, array, where)
        return array

    def iterate(self, batches: Iterable[Any], what: str) -> Iterator[Any]:
        """``batches`` with each step bounded by the timeout: preparing a batch runs the model's own
        code too (``preprocess`` in the loader's workers, ``tokenize`` in the prefetch thread)."""
        iterator = iter(batches)
        done = object()
        count = 0
        while True:
            count += 1
            if self.timeout is None:
                item = next(iterator, done)
            else:
                item = self._call(lambda: next(iterator, done), (), f"{what} for batch {count}", prepare=True)
            if item is done:
                return
            yield item

    def observe(self, kind: str, array: np.ndarray, where: str = "") -> None:
        """Every embedding of a model (image, text, fused) must share one dimension."""
        if array.ndim != 2 or array.shape[0] == 0:
            return
        dim = int(array.shape[1])
        known = self.dims.get(kind)
        if known is not None and known != dim:
            raise ModelOutputError(
                f"{self.model_name} changed its {kind} embedding dimension from {known} to {dim}"
                + (f" in {where}" if where else "")
            )
        others = {k: d for k, d in self.dims.items() if k != kind and d != dim}
        if others:
            other, other_dim = next(iter(others.items()))
            raise ModelOutputError(
                f"{self.model_name} returns {kind} embeddings of dimension {dim} but {other} embeddings of "
                f"dimension {other_dim}; tasks comparing them need one dimension"
            )
        self.dims[kind] = dim

    def _call(self, encode: Callable[..., Any], args: tuple[Any, ...], where: str, prepare: bool = False) -> Any:
        if self.timeout is None:
            try:
                return encode(*args)
            except Exception as err:
                raise ModelCallError(self._raised(err, where)) from err
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = encode(*args)
            except BaseException as err:
                outcome["error"] = err

        worker = threading.Thread(target=target, name=f"mieb-encode-{self.model_name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise BatchTimeout(
                f"{self.model_name} did not {'finish' if prepare else 'return'} {where} within the batch "
                f"timeout of {self.timeout:g} s"
            )
        if "error" in outcome:
            err = outcome["error"]
            if not isinstance(err, Exception) or prepare:
                raise err  # preparing a batch raises its own errors (undecodable data, a failing tokenizer)
            raise ModelCallError(self._raised(err, where)) from err
        return outcome["value"]

    def _raised(self, err: Exception, where: str) -> str:
        frames = traceback.extract_tb(err.__traceback__)
        at = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return f"{self.model_name} raised {type(err).__name__}: {err} on {where}{at}"

    def _as_matrix(self, output: Any, where: str) -> np.ndarray:
        if hasattr(output, "detach"):
            output = torch_to_numpy(output)
        if not isinstance(output, np.ndarray):
            if not isinstance(output, list | tuple):
                raise ModelOutputError(
                    f"{self.model_name} returned {type(output).__name__} for {where}; expected a 2-D array "
                    "(numpy or torch), one row per input"
                )
            try:
                output = np.asarray(output)
            except ValueError as err:
                raise ModelOutputError(f"{self.model_name} returned a ragged list for {where}: {err}") from None
        if output.dtype.kind not in "fiub":
            raise ModelOutputError(
                f"{self.model_name} returned an array of {output.dtype} for {where}; expected floats"
            )
        if output.ndim != 2:
            raise ModelOutputError(
                f"{self.model_name} returned an array of shape {output.shape} for {where}; expected 2-D "
                "(one row per input)"
            )
        return embedding_array(output)  # float16/32/64 kept, as mteb's evaluators receive them
