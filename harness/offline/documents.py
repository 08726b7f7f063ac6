"""Document understanding: PIL-rendered catalogue pages in the ViDoRe BEIR layout."""

from __future__ import annotations

import numpy as np

from harness.offline.common import Configs, pick, png_cell, scaled, table, unique_by
from mieb_assets.emoji import Emoji, category_key, emoji_image, emojis_in

_PAGE_QUERIES = (
    "Which page shows a picture of {label}?",
    "Find the page with an illustration of {label}.",
    "Where is the {label} symbol described?",
    "Which report discusses {label}?",
)


def _paragraphs(e: Emoji, rng: np.random.Generator) -> list[str]:
    label = e.labels.get("en", e.name)
    tags = ", ".join(e.tags.get("en", ())[:6]) or label
    year = int(rng.integers(1998, 2024))
    share = int(rng.integers(3, 97))
    return [
        f"This page belongs to the catalogue section on {category_key(e.category)} "
        f"({e.subcategory.replace('-', ' ')}). It documents the symbol known as {label}, "
        f"listed in the Unicode standard under the name {e.name}.",
        f"Usage notes. The symbol is commonly associated with the keywords {tags}. "
        f"In a survey from {year}, {share} percent of respondents recognised it without a caption.",
        "Rendering. The figure above shows the Noto design of the symbol. Designs from other vendors "
        "differ in colour and detail but keep the overall shape.",
    ]


def build_emoji_docs(rng: np.random.Generator, scale: float) -> Configs:
    """Pages rendered with PIL (title, text, a centred emoji figure); one query per page."""
    import datasets

    from harness.offline.render import render_page

    items = pick(unique_by(emojis_in("eval"), lambda e: e.labels.get("en", e.name)), scaled(60, scale, 6), rng)
    pages, queries = [], []
    for n, e in enumerate(items):
        label = e.labels.get("en", e.name)
        title = f"Catalogue entry {n + 1}: {label[:1].upper() + label[1:]}"
        pages.append(
            png_cell(render_page(title, _paragraphs(e, rng), emoji_image(e), caption=f"Figure {n + 1}. {label}"))
        )
        queries.append(_PAGE_QUERIES[int(rng.integers(len(_PAGE_QUERIES)))].format(label=label))
    ids = list(range(len(items)))
    integer = datasets.Value("int64")
    return {
        "queries": {
            "test": table({"query-id": ids, "query": queries}, {"query-id": integer, "query": datasets.Value("string")})
        },
        "corpus": {
            "test": table({"corpus-id": ids, "image": pages}, {"corpus-id": integer, "image": datasets.Image()})
        },
        "qrels": {
            "test": table(
                {"query-id": ids, "corpus-id": ids, "score": [1] * len(ids)},
                {"query-id": integer, "corpus-id": integer, "score": integer},
            )
        },
    }
