"""Snapshots written to match a content fingerprint, in the layout of the task's own loader.

``matching_snapshot(root, task, recorded)`` writes, under ``root/<dataset path>``, a dataset whose
counts are the fingerprint's ``recorded["splits"]``: rows and per-label counts, queries, documents,
relevant documents per query, samples, images and texts, pairs and their mean score. ``scaled``
shrinks a large fingerprint to the same shape (every label kept; queries, documents and relevant
documents capped alike, so the relations a layout imposes between them still hold), so a test over
every task stays fast. Content the counts do not fix is realistic where a loader could drop it:
HatefulMemes texts repeat across rows, Memotion misses texts at the pre-release loader's fixed rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.catalogue.queries import TaskSpec
from harness.data.hub import write_snapshot
from tests.support.layouts import hateful_memes_split, memotion_split, png_bytes, swatch

EXACT_UP_TO = 2_000  # rows of a fingerprint written as they are; larger ones are scaled
CAP = 8  # queries, documents, relevant documents, samples of a scaled fingerprint
PER_LABEL = 2  # rows per label of a scaled labeled fingerprint
# Memotion: the pre-release loader removes rows by position (up to row 6786); HatefulMemes: its corpus
# is every split, the queries one split, and repeated texts are what a deduplicating loader would drop.
ALWAYS_EXACT = {"memotion", "hateful_memes"}


def _rows(cell: Mapping[str, Any]) -> int:
    return sum(int(cell.get(f, 0)) for f in ("num_samples", "num_queries", "num_documents"))


def scaled(task: TaskSpec, recorded: Mapping[str, Any]) -> dict[str, Any]:
    """The fingerprint as is when small (or its layout needs real positions), else the same shape smaller."""
    total = sum(_rows(cell) for subsets in recorded["splits"].values() for cell in subsets.values())
    if total <= EXACT_UP_TO or task.layout in ALWAYS_EXACT:
        return dict(recorded)
    splits = {
        split: {subset: _scaled_cell(task, recorded["kind"], cell) for subset, cell in subsets.items()}
        for split, subsets in recorded["splits"].items()
    }
    return {**recorded, "splits": splits}


def _scaled_cell(task: TaskSpec, kind: str, cell: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(cell)
    if kind == "labeled":
        labels = {label: min(n, PER_LABEL) for label, n in cell["labels"].items()}
        # multilabel rows hold several labels: as many rows as the most frequent label needs
        rows = max(labels.values()) if task.layout == "multilabel" else sum(labels.values())
        out.update(labels=labels, num_samples=rows)
        return out
    for name in ("num_queries", "num_documents", "unique_relevant_docs", "num_samples"):
        if name in cell:
            out[name] = min(cell[name], CAP)
    for name in ("min_relevant_docs_per_query", "max_relevant_docs_per_query"):
        if name in cell:
            out[name] = min(cell[name], 3)
    if kind == "compositionality":
        rows = out["num_samples"]
        out["num_images"] = cell["num_images"] // cell["num_samples"] * rows
        out["num_texts"] = cell["num_texts"] // cell["num_samples"] * rows
        unique = cell["num_unique_texts"]
        out["num_unique_texts"] = out["num_texts"] if unique == cell["num_texts"] else min(unique, out["num_texts"] - 1)
    return out


def _datasets():
    import datasets

    return datasets


def _table(columns: Mapping[str, list], features: Mapping[str, Any]) -> Any:
    datasets = _datasets()
    return datasets.Dataset.from_dict(dict(columns), features=datasets.Features(dict(features)))


def _image(n: int, code: int = 1) -> list[dict[str, Any]]:
    shared = {"bytes": png_bytes(swatch(code)), "path": None}
    return [shared] * n


def _label_value(label: str) -> Any:
    return int(label) if label.lstrip("-").isdigit() else label


# --- per layout ----------------------------------------------------------------------------------


def _labeled(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    datasets = _datasets()
    out = {}
    for split, cell in cells.items():
        labels = [_label_value(k) for k, n in cell["labels"].items() for _ in range(n)]
        numeric = all(isinstance(v, int) for v in labels)
        if task.layout == "multilabel":  # each row a list; label occurrences spread over the rows
            rows: list[list[Any]] = [[] for _ in range(cell["num_samples"])]
            position = 0
            for label, n in cell["labels"].items():
                for _ in range(n):
                    rows[position % len(rows)].append(_label_value(label))
                    position += 1
            values: list[Any] = rows
            feature: Any = datasets.Sequence(datasets.Value("int64" if numeric else "string"))
        else:
            values = labels
            feature = datasets.Value("int64" if numeric else "string")
        table = _table(
            {task.input_column: _image(len(values)), task.label_column: values},
            {task.input_column: datasets.Image(), task.label_column: feature},
        )
        out[task.split_aliases.get(split, split)] = table
    return {task.dataset_config or "default": out}


def _qrels_rows(task: TaskSpec, cell: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    """(query, document, score) rows with the fingerprint's per-query extremes and distinct relevant documents."""
    queries, docs = cell["num_queries"], cell["num_documents"]
    low = cell.get("min_relevant_docs_per_query", 1)
    high = cell.get("max_relevant_docs_per_query", 1)
    unique = cell.get("unique_relevant_docs", min(docs, queries))
    counts = [low] * queries
    counts[0] = high
    extra = unique - sum(counts)
    for q in range(1, queries):  # more rows where the distinct documents need them, within the extremes
        if extra <= 0:
            break
        add = min(high - counts[q], extra)
        counts[q] += add
        extra -= add
    rows, next_doc = [], 0
    for q, n in enumerate(counts):
        if n == 0 and task.restrict_to_qrels:  # judged, none relevant: kept as a query, counted as 0
            rows.append((q, 0, 0))
        picked = {(next_doc + k) % unique for k in range(n)}
        rows += [(q, d, 1) for d in sorted(picked)]
        next_doc = (next_doc + n) % max(unique, 1)
    return rows


def _beir_v1(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    datasets = _datasets()
    string = datasets.Value("string")
    features = {"id": string, "modality": string, "text": string, "image": datasets.Image()}

    def side(prefix: str, n: int) -> Any:
        ids = [f"{prefix}{i}" for i in range(n)]
        return _table({"id": ids, "modality": ["text"] * n, "text": ids, "image": [None] * n}, features)

    (split, cell), *_ = cells.items()
    rows = _qrels_rows(task, cell)
    qrels = _table(
        {
            "query-id": [f"q{q}" for q, _, _ in rows],
            "corpus-id": [f"d{d}" for _, d, _ in rows],
            "score": [s for *_, s in rows],
        },
        {"query-id": string, "corpus-id": string, "score": datasets.Value("int64")},
    )
    return {
        "corpus": {"corpus": side("d", cell["num_documents"])},
        "query": {split: side("q", cell["num_queries"])},
        "qrels": {split: qrels},
    }


def _vidore(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    datasets = _datasets()
    int64 = datasets.Value("int64")
    (split, cell), *_ = cells.items()
    rows = _qrels_rows(task, cell)
    n_q, n_d = cell["num_queries"], cell["num_documents"]
    return {
        "queries": {
            split: _table(
                {"query-id": list(range(n_q)), "query": ["q"] * n_q},
                {"query-id": int64, "query": datasets.Value("string")},
            )
        },
        "corpus": {
            split: _table(
                {"corpus-id": list(range(n_d)), "image": _image(n_d)}, {"corpus-id": int64, "image": datasets.Image()}
            )
        },
        "qrels": {
            split: _table(
                {
                    "query-id": [q for q, _, _ in rows],
                    "corpus-id": [d for _, d, _ in rows],
                    "score": [s for *_, s in rows],
                },
                {"query-id": int64, "corpus-id": int64, "score": int64},
            )
        },
    }


def _captions(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One split per language: an image per row with its captions (queries); rows without one are unjudged."""
    datasets = _datasets()
    out = {}
    for subset, cell in cells.items():
        n, captions, judged = cell["num_documents"], cell["num_queries"], cell["unique_relevant_docs"]
        per_row = [[] for _ in range(n)]
        for k in range(captions):
            per_row[k % judged].append(f"caption {k}")
        out[subset] = _table(
            {"image_id": [f"{subset}{i}" for i in range(n)], "image": _image(n), "captions": per_row},
            {
                "image_id": datasets.Value("string"),
                "image": datasets.Image(),
                "captions": datasets.Sequence(datasets.Value("string")),
            },
        )
    return {"default": out}


def _cvbench(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The sub-task's rows; ``num_documents`` distinct choice texts shared out over the rows."""
    datasets = _datasets()
    wanted = next(t for t in ("Count", "Relation", "Depth", "Distance") if t in task.name)
    (split, cell), *_ = cells.items()
    n, distinct = cell["num_queries"], cell["num_documents"]
    width = max(2, -(-distinct // n))
    choices = [[f"choice {(i * width + j) % distinct}" for j in range(width)] for i in range(n)]
    choices = [list(dict.fromkeys(c)) for c in choices]
    string = datasets.Value("string")
    return {
        "default": {
            split: _table(
                {
                    "image": _image(n),
                    "question": ["which?"] * n,
                    "choices": choices,
                    "answer": ["(A)"] * n,
                    "task": [wanted] * n,
                },
                {
                    "image": datasets.Image(),
                    "question": string,
                    "choices": datasets.Sequence(string),
                    "answer": string,
                    "task": string,
                },
            )
        }
    }


def _sts(task: TaskSpec, cells_by_subset: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    datasets = _datasets()
    out: dict[str, dict[str, Any]] = {}
    for subset, splits in cells_by_subset.items():
        for split, cell in splits.items():
            n = cell["num_samples"]
            out.setdefault(subset, {})[split] = _table(
                {"sentence1": _image(n), "sentence2": _image(n, 2), "score": [cell["avg_score"]] * n},
                {"sentence1": datasets.Image(), "sentence2": datasets.Image(), "score": datasets.Value("float64")},
            )
    return out


def _texts(total: int, unique: int) -> list[str]:
    return [f"text {k % unique}" for k in range(total)]


def _pairs(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    datasets = _datasets()
    (split, cell), *_ = cells.items()
    n = cell["num_samples"]
    texts = _texts(cell["num_texts"], cell["num_unique_texts"])
    columns: dict[str, list] = {c: _image(n) for c in task.image_columns}
    columns |= {c: texts[k * n : (k + 1) * n] for k, c in enumerate(task.text_columns)}
    features = {c: datasets.Image() for c in task.image_columns} | {
        c: datasets.Value("string") for c in task.text_columns
    }
    return {"default": {task.split_aliases.get(split, split): _table(columns, features)}}


def _imagecode(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Retrieval form: each query, its correct image and 9 wrong ones in the qrels."""
    datasets = _datasets()
    string = datasets.Value("string")
    (split, cell), *_ = cells.items()
    n = cell["num_samples"]
    texts = _texts(cell["num_texts"], cell["num_unique_texts"])
    ids = [f"img{i}" for i in range(10 * n)]
    rows = [(f"q{q}", f"img{10 * q + j}", int(j == 0)) for q in range(n) for j in range(10)]
    return {
        "corpus": {
            "corpus": _table(
                {"id": ids, "image": _image(len(ids)), "modality": ["image"] * len(ids)},
                {"id": string, "image": datasets.Image(), "modality": string},
            )
        },
        "query": {
            split: _table(
                {"id": [f"q{q}" for q in range(n)], "text": texts, "modality": ["text"] * n},
                {"id": string, "text": string, "modality": string},
            )
        },
        "qrels": {
            split: _table(
                {"query-id": [r[0] for r in rows], "corpus-id": [r[1] for r in rows], "score": [r[2] for r in rows]},
                {"query-id": string, "corpus-id": string, "score": datasets.Value("int64")},
            )
        },
    }


def _hateful_memes(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """test = the queries; validation and train make up the corpus's other rows; every fifth text repeats."""
    cell = cells["test"]
    total, queries = cell["num_documents"], cell["num_queries"]
    texts = [f"meme {i - 1 if i % 5 == 4 else i}" for i in range(total)]
    validation = (total - queries) // 2
    sizes = {"test": queries, "validation": validation, "train": total - queries - validation}
    out, start = {}, 0
    for split, n in sizes.items():
        out[split] = hateful_memes_split(range(start, start + n), texts[start : start + n])
        start += n
    return {"default": out}


MEMOTION_REMOVED = (4578, 6781, 6784, 6786)


def _memotion(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Test last, so the pre-release loader's fixed rows are test rows 489, 492, 494; those texts missing."""
    cell = cells["test"]
    test = cell["num_queries"] + 3
    total = cell["num_documents"] + len(MEMOTION_REMOVED)
    texts = [None if i in MEMOTION_REMOVED else f"caption {i}" for i in range(total)]
    train = (total - test) * 8 // 9
    sizes = {"train": train, "validation": total - test - train, "test": test}
    out, start = {}, 0
    for split, n in sizes.items():
        out[split] = memotion_split(texts[start : start + n])
        start += n
    return {"default": out}


def _one_to_one(task: TaskSpec, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """SciMMIR (one split) and XFlickr30kCo (a split per language): row i's image and text are a pair."""
    datasets = _datasets()
    string = datasets.Value("string")
    out = {}
    for name, cell in cells.items():
        n = cell["num_queries"]
        if task.layout == "scimmir":
            out[name] = _table(
                {"image": _image(n), "text": [f"figure {i}" for i in range(n)]},
                {"image": datasets.Image(), "text": string},
            )
        else:
            out[name] = _table(
                {"id": [f"{name}{i}" for i in range(n)], "image": _image(n), "sentences": [f"s {i}" for i in range(n)]},
                {"id": string, "image": datasets.Image(), "sentences": string},
            )
    return {"default": out}


def matching_snapshot(root: Path, task: TaskSpec, recorded: Mapping[str, Any]) -> None:
    """Write the task's dataset under ``root`` with exactly the counts of ``recorded``."""
    splits = recorded["splits"]
    by_split = {split: subsets["default"] for split, subsets in splits.items() if "default" in subsets}
    by_subset = {subset: cell for subsets in splits.values() for subset, cell in subsets.items()}
    if task.layout == "sts":
        swapped: dict[str, dict[str, Any]] = {}
        for split, subsets in splits.items():
            for subset, cell in subsets.items():
                swapped.setdefault(subset, {})[split] = cell
        configs = _sts(task, swapped)
    elif recorded["kind"] == "labeled":
        configs = _labeled(task, by_split)
    elif task.layout in ("xm3600", "wit"):
        configs = _captions(task, by_subset)
    elif task.layout == "xflickrco":
        configs = _one_to_one(task, by_subset)
    else:
        writer = {
            "beir": _beir_v1,
            "vidore": _vidore,
            "cvbench": _cvbench,
            "image_text_pairs": _pairs,
            "imagecode_pairs": _imagecode,
            "hateful_memes": _hateful_memes,
            "memotion": _memotion,
            "scimmir": _one_to_one,
        }[task.layout]
        configs = writer(task, by_split)
    write_snapshot(Path(root, *task.dataset.path.split("/")), configs)
