"""Subset selection: mteb's ``languages=`` and ``hf_subsets=`` filters over each task's HF subsets.

Semantics of mteb 2.26.24 (``AbsTask.filter_languages`` with ``exclusive_language_filter=False``
and ``LanguageScripts``): a subset is kept when *any* of its languages is listed; a listed code is
compared by its ISO 639-3 part, so ``eng`` and ``eng-Latn`` select the same subsets. ``subsets``
keeps only the named HF subsets. Both filters together keep the subsets that pass both. A task left
with no subset is not run (mteb skips it); a listed language or subset that selects nothing in any
of the chosen tasks is an error naming what exists, never an empty run.

Aggregate tasks (e.g. a mean over language pairs) are kept whole when any of their subsets is
selected: a partial mean would be reported under the task's name as if it were the full score.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.catalogue.queries import TaskSpec

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")


class SelectionError(LookupError):
    """A language or subset filter that selects nothing; the message lists what exists."""


def _language(code: str) -> str:
    return code.split("-")[0]


@dataclass(frozen=True)
class SubsetSelection:
    """Which HF subsets of each task to run. Empty filters select everything."""

    languages: tuple[str, ...] = ()
    subsets: tuple[str, ...] = ()

    @classmethod
    def of(cls, languages: Iterable[str] | None = None, subsets: Iterable[str] | None = None) -> SubsetSelection:
        langs = tuple(dict.fromkeys(languages or ()))
        for code in langs:
            if not _LANGUAGE.match(code):
                raise SelectionError(f"language {code!r} is not an ISO 639-3 code such as 'eng' or 'eng-Latn'")
        return cls(langs, tuple(dict.fromkeys(subsets or ())))

    def __bool__(self) -> bool:
        return bool(self.languages or self.subsets)

    def _keeps(self, subset: str, languages: Sequence[str]) -> bool:
        if self.subsets and subset not in self.subsets:
            return False
        if self.languages:
            wanted = {_language(code) for code in self.languages}
            return any(_language(lang) in wanted for lang in languages)
        return True

    def subsets_of(self, task: TaskSpec) -> tuple[str, ...]:
        """The subsets of ``task`` to run, in the task's order; ``()`` when none is selected."""
        kept = tuple(s for s, langs in task.subsets.items() if self._keeps(s, langs))
        if task.aggregate_of and kept:
            return tuple(task.subsets)
        return kept

    def is_partial(self, task: TaskSpec) -> bool:
        """True when the selection leaves out some of the task's subsets."""
        return len(self.subsets_of(task)) < len(task.subsets)

    def select(self, tasks: Sequence[TaskSpec]) -> tuple[TaskSpec, ...]:
        """The tasks with at least one selected subset; raises when a filter value selects nothing."""
        if not self:
            return tuple(tasks)
        self.check(tasks)
        return tuple(t for t in tasks if self.subsets_of(t))

    def check(self, tasks: Sequence[TaskSpec]) -> None:
        """Every listed language and subset must select at least one subset of the chosen tasks."""
        names = ", ".join(t.name for t in tasks[:3]) + (" ..." if len(tasks) > 3 else "")
        known_subsets = sorted({s for t in tasks for s in t.subsets})
        for subset in self.subsets:
            if subset not in known_subsets:
                raise SelectionError(
                    f"subset {subset!r} is in none of the selected tasks ({names}); "
                    f"{_listing('subsets', subset, known_subsets)}"
                )
        known_languages = sorted({lang for t in tasks for langs in t.subsets.values() for lang in langs})
        for code in self.languages:
            if not any(_language(lang) == _language(code) for lang in known_languages):
                raise SelectionError(
                    f"language {code!r} is in none of the selected tasks ({names}); "
                    f"{_listing('languages', code, known_languages)}"
                )
        if not any(self.subsets_of(t) for t in tasks):
            pairs = sorted({f"{s} ({'/'.join(langs)})" for t in tasks for s, langs in t.subsets.items()})
            raise SelectionError(
                f"languages {list(self.languages)} and subsets {list(self.subsets)} together select "
                f"no subset of the selected tasks ({names}); {_listing('subsets', '', pairs)}"
            )


def _listing(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
    shown = ", ".join(known[:20]) + (f" ... ({len(known)} in all)" if len(known) > 20 else "")
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"{hint}{kind} there: {shown}"
