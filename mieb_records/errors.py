"""The error every name lookup raises (tasks, benchmarks, models, markers): it lists close matches."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UnknownNameError(LookupError):
    """An unknown task, benchmark, model or marker name; the message lists close matches."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
        if not close:
            lowered = name.lower()
            close = [k for k in known if lowered in k.lower()][:5]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        super().__init__(f"Unknown {kind} {name!r}.{hint}")
        self.kind, self.name, self.close_matches = kind, name, close
