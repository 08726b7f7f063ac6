"""Overlap host work with the device: prepare batch n+1 on a side CUDA stream while batch n runs.

``DevicePrefetcher`` wraps an iterable of host batches (a DataLoader with pinned memory). A
background thread takes the next batch, runs ``finish`` on it (copies with ``non_blocking=True``,
batched JPEG decode, resize/normalise) inside a side stream and records an event; the consumer's
stream waits on that event before using the batch, so the copy and decode of n+1 overlap the
forward of n. Tensors made on the side stream are marked as used by the consumer stream so the
caching allocator never hands their memory out early. Without CUDA (``device`` "cpu", which the
tests use) the same thread and queue run with no streams. Order is preserved and an exception in
the thread is raised in the consumer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_DONE = object()


class DevicePrefetcher:
    """Iterate ``finish(batch)`` for each batch of ``batches``, ``depth`` batches ahead."""

    def __init__(self, batches: Iterable[Any], device: str, finish: Callable[[Any], Any] | None = None, depth: int = 2):
        self.batches = batches
        self.device = device
        self.finish = finish or (lambda batch: batch)
        self.depth = depth

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        import torch

        cuda = self.device.startswith("cuda") and torch.cuda.is_available()
        side = torch.cuda.Stream(device=self.device) if cuda else None
        ready: queue.Queue = queue.Queue(maxsize=self.depth)
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in self.batches:
                    if stop.is_set():
                        return
                    if side is None:
                        ready.put((self.finish(batch), None))
                        continue
                    with torch.cuda.stream(side):
                        out = self.finish(batch)
                        event = torch.cuda.Event()
                        event.record(side)
                    ready.put((out, event))
                ready.put((_DONE, None))
            except BaseException as err:  # handed to the consumer, raised there
                ready.put((err, None))

        thread = threading.Thread(target=produce, name="mieb-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item, event = ready.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                if event is not None:
                    consumer = torch.cuda.current_stream(self.device)
                    consumer.wait_event(event)
                    _record_stream(item, consumer)
                yield item
        finally:
            stop.set()
            while thread.is_alive():  # unblock a producer waiting on a full queue
                try:
                    ready.get_nowait()
                except queue.Empty:
                    thread.join(timeout=0.05)


def _record_stream(item: Any, stream: Any) -> None:
    import torch

    if isinstance(item, torch.Tensor):
        if item.is_cuda:
            item.record_stream(stream)
    elif isinstance(item, (list, tuple)):
        for part in item:
            _record_stream(part, stream)
    elif isinstance(item, dict):
        for part in item.values():
            _record_stream(part, stream)
