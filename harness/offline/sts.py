"""Visual STS: graded pairs of rendered emoji descriptions, English and cross-lingual."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.offline.common import Configs, png_cell, scaled, table
from mieb_assets.emoji import Emoji, emojis_in

_TEMPLATES = ("a picture of {}", "an image showing {}", "this symbol means {}", "the emoji for {}")


def _render_pair(a: str, b: str, rng: np.random.Generator) -> tuple[dict, dict]:
    from harness.offline.render import render_sentence

    def one(text: str) -> dict:
        size = int(rng.integers(18, 23))
        offset = (int(rng.integers(-6, 7)), int(rng.integers(-10, 11)))
        return png_cell(render_sentence(text, size=size, offset=offset))

    return one(a), one(b)


def _sts_dataset(pairs: list[tuple[str, str, float]], rng: np.random.Generator) -> Any:
    import datasets

    s1, s2 = [], []
    for a, b, _ in pairs:
        x, y = _render_pair(a, b, rng)
        s1.append(x)
        s2.append(y)
    return table(
        {"sentence1": s1, "sentence2": s2, "score": [float(s) for _, _, s in pairs]},
        {"sentence1": datasets.Image(), "sentence2": datasets.Image(), "score": datasets.Value("float64")},
    )


def _graded_pairs(
    items: list[Emoji], per_grade: int, rng: np.random.Generator, lang_a: str = "en", lang_b: str = "en"
) -> list[tuple[str, str, float]]:
    """Graded sentence pairs about emojis: 5 same meaning, 4 paraphrase, 3 label vs keywords,
    2 same subcategory, 1 same category, 0 unrelated. Cross-lingual pairs state the same template
    in two languages only for grade 5 (label vs label); other grades keep sentence2 in ``lang_b``."""

    def label(e: Emoji, lang: str) -> str:
        return e.labels.get(lang, e.name)

    pairs: list[tuple[str, str, float]] = []
    order = list(rng.permutation(len(items)))
    pool = [items[i] for i in order]
    by_sub: dict[str, list[Emoji]] = {}
    by_cat: dict[str, list[Emoji]] = {}
    for e in items:
        by_sub.setdefault(e.subcategory, []).append(e)
        by_cat.setdefault(e.category, []).append(e)
    cursor = 0

    def take() -> Emoji:
        nonlocal cursor
        e = pool[cursor % len(pool)]
        cursor += 1
        return e

    for _ in range(per_grade):  # 5: the same label (re-rendered, or translated)
        e = take()
        pairs.append((label(e, lang_a), label(e, lang_b), 5.0))
    if lang_a == lang_b == "en":
        for _ in range(per_grade):  # 4: paraphrase with a template
            e = take()
            t1, t2 = rng.choice(len(_TEMPLATES), size=2, replace=False)
            pairs.append((_TEMPLATES[t1].format(label(e, "en")), _TEMPLATES[t2].format(label(e, "en")), 4.0))
        for _ in range(per_grade):  # 3: label vs keywords
            e = take()
            tags = ", ".join(e.tags.get("en", ())[:5]) or e.name
            pairs.append((label(e, "en"), tags, 3.0))
    grades = (
        (2.0, by_sub, lambda a, b: a.subcategory == b.subcategory),
        (1.0, by_cat, lambda a, b: a.category == b.category and a.subcategory != b.subcategory),
    )
    for score, groups, related in grades:
        made, tries = 0, 0
        while made < per_grade and tries < 50 * per_grade:
            tries += 1
            a = take()
            candidates = [b for b in groups[a.subcategory if score == 2.0 else a.category] if b != a and related(a, b)]
            if not candidates:
                continue
            b = candidates[int(rng.integers(len(candidates)))]
            pairs.append((label(a, lang_a), label(b, lang_b), score))
            made += 1
    made = 0
    while made < per_grade:  # 0: unrelated (different categories)
        a, b = take(), take()
        if a.category != b.category:
            pairs.append((label(a, lang_a), label(b, lang_b), 0.0))
            made += 1
    return pairs


def build_emoji_sts(rng: np.random.Generator, scale: float) -> Configs:
    """English visual STS: 6 grades x 20 pairs of rendered emoji descriptions, config ``default``."""
    items = emojis_in("eval", languages=("en",))
    pairs = _graded_pairs(items, scaled(20, scale), rng)
    return {"default": {"test": _sts_dataset(pairs, rng)}}


STS_MULTI_CONFIGS = ("en-en", "en-de", "es-en", "fr-en")


def build_emoji_sts_multi(rng: np.random.Generator, scale: float) -> Configs:
    """Multilingual visual STS, one config per language pair (as rendered-sts17): 4 grades x 8 pairs."""
    items = emojis_in("eval", languages=("en", "de", "fr", "es"))
    configs = {}
    for pair in STS_MULTI_CONFIGS:
        lang_a, lang_b = pair.split("-")
        graded = _graded_pairs(items, scaled(8, scale), rng, lang_a, lang_b)
        if pair == "en-en":  # keep the same four grades as the cross-lingual configs
            graded = [p for p in graded if p[2] in (5.0, 2.0, 1.0, 0.0)]
        configs[pair] = {"test": _sts_dataset(graded, rng)}
    return configs
