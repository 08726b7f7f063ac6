"""Emoji image-caption pairs: Noto emoji images (emoji-datasource-google) + CLDR labels (emojibase-data).

**Split rule** (shared by the offline CLIP's head fit and every offline dataset): an emoji is in
the ``eval`` half when ``sha256(unified code) mod 4 == 0`` (about a quarter: 499 of 1906), else in
the ``fit`` half. The LiT head of ``mieb/offline-clip`` is fitted on ``fit`` emojis only; every
evaluation split built from emojis (test splits, retrieval, multilingual, documents, STS) draws
from ``eval`` emojis only. Train splits of the linear-probe datasets may use ``fit`` emojis.
The rule depends only on the code point sequence, so it is stable across package versions.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from functools import cache

from mieb_assets.locations import npm_package_dir

IMAGE_SIZE = 64
# emojibase-data locales used for multilingual tasks (CLDR labels cover every emoji in these).
LANGUAGES = ("en", "de", "fr", "es", "it", "nl")


@dataclass(frozen=True)
class Emoji:
    unified: str  # e.g. "1F600" (code points, "-FE0F" removed)
    name: str  # emoji-datasource English name, lowercased ("grinning face")
    category: str  # "Smileys & Emotion", ...
    subcategory: str  # "face-smiling", ...
    image_path: str
    sort_order: int
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def split(self) -> str:
        return split_of(self.unified)


def split_of(unified: str) -> str:
    """``"eval"`` or ``"fit"`` for an emoji code (see the module docstring)."""
    digest = hashlib.sha256(unified.upper().replace("-FE0F", "").encode()).digest()
    return "eval" if int.from_bytes(digest[:8], "big") % 4 == 0 else "fit"


def _strip(code: str) -> str:
    return code.upper().replace("-FE0F", "")


@cache
def load_emojis() -> tuple[Emoji, ...]:
    """Every non-component emoji with a Google image, in the datasource's sort order."""
    google = npm_package_dir("emoji-datasource-google")
    base = npm_package_dir("emojibase-data")
    localized: dict[str, dict[str, dict]] = {}
    for lang in LANGUAGES:
        rows = json.loads((base / lang / "data.json").read_text(encoding="utf-8"))
        localized[lang] = {_strip(r["hexcode"]): r for r in rows}
    emojis = []
    for entry in json.loads((google / "emoji.json").read_text(encoding="utf-8")):
        if not entry.get("has_img_google") or entry["category"] == "Component":
            continue
        code = _strip(entry["unified"])
        path = google / "img" / "google" / str(IMAGE_SIZE) / entry["image"]
        if not path.is_file():
            continue
        labels = {lang: localized[lang][code]["label"] for lang in LANGUAGES if code in localized[lang]}
        tags = {lang: tuple(localized[lang][code].get("tags") or ()) for lang in LANGUAGES if code in localized[lang]}
        emojis.append(
            Emoji(
                unified=code,
                name=(entry.get("name") or labels.get("en") or entry["short_name"]).lower(),
                category=entry["category"],
                subcategory=entry["subcategory"],
                image_path=str(path),
                sort_order=int(entry["sort_order"]),
                labels=labels,
                tags=tags,
            )
        )
    emojis.sort(key=lambda e: e.sort_order)
    return tuple(emojis)


def emojis_in(split: str, *, languages: tuple[str, ...] = ()) -> list[Emoji]:
    """Emojis of one half (``fit``/``eval``), optionally only those labelled in every language."""
    return [e for e in load_emojis() if e.split == split and all(lang in e.labels for lang in languages)]


def emoji_image(emoji: Emoji, background: tuple[int, int, int] = (255, 255, 255)):
    """The 64x64 RGBA image flattened onto a solid background, as an RGB PIL image."""
    from PIL import Image

    with Image.open(emoji.image_path) as img:
        rgba = img.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, background)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def category_key(category: str) -> str:
    """ "Smileys & Emotion" -> "smileys and emotion" (a class name that reads well in a prompt)."""
    return category.lower().replace("&", "and")
