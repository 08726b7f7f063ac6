"""Retrieval datasets: emoji text<->image in the generic BEIR layout, and multilingual in the XM3600 layout."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from harness.offline.common import Configs, pick, png_cell, scaled, seeded_rng, table, unique_by
from mieb_assets.emoji import Emoji, emoji_image, emojis_in


def _retrieval_emojis(rng: np.random.Generator, scale: float) -> list[Emoji]:
    # Same draw for t2i and i2t (shared images); unique English labels so texts never tie.
    return pick(unique_by(emojis_in("eval"), lambda e: e.labels.get("en", e.name)), scaled(300, scale, 10), rng)


def _beir(
    queries: dict[str, list],
    corpus: dict[str, list],
    qrels: dict[str, list],
    query_features: dict[str, Any],
    corpus_features: dict[str, Any],
) -> Configs:
    import datasets

    qrel_features = {
        "query-id": datasets.Value("string"),
        "corpus-id": datasets.Value("string"),
        "score": datasets.Value("int64"),
    }
    return {
        "corpus": {"test": table(corpus, corpus_features)},
        "queries": {"test": table(queries, query_features)},
        "qrels": {"test": table(qrels, qrel_features)},
    }


def build_emoji_t2i(rng: np.random.Generator, scale: float) -> Configs:
    """Text -> image: query = the CLDR English label, corpus = emoji images; one positive each."""
    import datasets

    items = _retrieval_emojis(seeded_rng("emoji-retrieval"), scale)
    string, image = datasets.Value("string"), datasets.Image()
    return _beir(
        {"id": [f"q{e.unified}" for e in items], "text": [e.labels.get("en", e.name) for e in items]},
        {"id": [f"c{e.unified}" for e in items], "image": [png_cell(emoji_image(e)) for e in items]},
        {
            "query-id": [f"q{e.unified}" for e in items],
            "corpus-id": [f"c{e.unified}" for e in items],
            "score": [1] * len(items),
        },
        {"id": string, "text": string},
        {"id": string, "image": image},
    )


def build_emoji_i2t(rng: np.random.Generator, scale: float) -> Configs:
    """Image -> text: the same emojis as emoji-t2i the other way round."""
    import datasets

    items = _retrieval_emojis(seeded_rng("emoji-retrieval"), scale)
    string, image = datasets.Value("string"), datasets.Image()
    return _beir(
        {"id": [f"q{e.unified}" for e in items], "image": [png_cell(emoji_image(e)) for e in items]},
        {"id": [f"c{e.unified}" for e in items], "text": [e.labels.get("en", e.name) for e in items]},
        {
            "query-id": [f"q{e.unified}" for e in items],
            "corpus-id": [f"c{e.unified}" for e in items],
            "score": [1] * len(items),
        },
        {"id": string, "image": image},
        {"id": string, "text": string},
    )


# ---------------------------------------------------------------------------------------------
# multilingual retrieval (XM3600 layout)

XM3600_LANGUAGES = ("en", "de", "fr", "es")


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def build_emoji_xm3600(rng: np.random.Generator, scale: float) -> Configs:
    """One config, one split per language; captions = [CLDR label, CLDR keywords] in that language."""
    import datasets

    items = pick(
        unique_by(emojis_in("eval", languages=XM3600_LANGUAGES), lambda e: e.labels["en"]), scaled(100, scale, 10), rng
    )
    features = {
        "image": datasets.Image(),
        "image_id": datasets.Value("string"),
        "captions": datasets.Sequence(datasets.Value("string")),
        "captions_tokenized": datasets.Sequence(datasets.Value("string")),
        "captions_tokenized_lowercase": datasets.Sequence(datasets.Value("string")),
        "image_locale": datasets.Value("string"),
    }
    images = [png_cell(emoji_image(e)) for e in items]
    ids = [hashlib.sha1(e.unified.encode()).hexdigest()[:16] for e in items]
    splits = {}
    for lang in XM3600_LANGUAGES:
        captions = []
        for e in items:
            tags = ", ".join(e.tags.get(lang, ()))
            captions.append([e.labels[lang], tags] if tags else [e.labels[lang]])
        tokenized = [[" ".join(_tokens(c)) for c in caps] for caps in captions]
        splits[lang] = table(
            {
                "image": images,
                "image_id": ids,
                "captions": captions,
                "captions_tokenized": tokenized,
                "captions_tokenized_lowercase": [[c.lower() for c in caps] for caps in tokenized],
                "image_locale": ["und"] * len(items),
            },
            features,
        )
    return {"default": splits}
