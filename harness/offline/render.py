"""Drawing with PIL: rendered sentences (visual STS), document pages, and shape scenes.

Everything is a pure function of its arguments (fonts: DejaVu Sans from Debian fonts-dejavu-core),
so a seeded caller gets identical pixels on every build.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache

from mieb_assets.locations import font_path

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "blue": (30, 70, 220),
    "green": (30, 160, 50),
    "yellow": (240, 200, 20),
    "purple": (140, 50, 170),
}
SHAPES = ("circle", "square", "triangle")


@cache
def font(size: int, bold: bool = False):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(bold)), size)


def render_sentence(
    text: str, *, size: int = 22, width: int = 224, height: int = 224, offset: tuple[int, int] = (0, 0)
):
    """A sentence as black text on white, wrapped and centred (square, so a centre crop keeps it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    margin = 28
    face = font(size)
    chars = max(6, int((width - 2 * margin) / (0.58 * size)))
    lines = textwrap.wrap(text, chars, break_long_words=True) or [""]
    step = int(size * 1.3)
    y = (height - step * len(lines)) // 2 + offset[1]
    for line in lines:
        draw.text((margin + offset[0], y), line, font=face, fill=BLACK)
        y += step
    return image


def render_page(
    title: str, paragraphs: list[str], figure=None, *, width: int = 400, height: int = 520, caption: str | None = None
):
    """A document page: a title, a paragraph, a centred figure (optional), more paragraphs."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(page)
    margin = 24
    draw.text((margin, 18), title, font=font(20, bold=True), fill=BLACK)
    body = font(11)
    chars = int((width - 2 * margin) / 6.2)

    def write(text: str, y: int) -> int:
        for line in textwrap.wrap(text, chars):
            draw.text((margin, y), line, font=body, fill=BLACK)
            y += 14
        return y + 6

    y = write(paragraphs[0], 52) if paragraphs else 52
    rest = paragraphs[1:]
    if figure is not None:
        side = 160
        fig = figure.resize((side, side), Image.Resampling.BICUBIC)
        top = max(y + 4, (height - side) // 2 - 10)
        page.paste(fig, ((width - side) // 2, top))
        y = top + side + 4
        if caption:
            draw.text((margin, y), caption, font=font(10), fill=(80, 80, 80))
            y += 18
    for paragraph in rest:
        if y > height - 30:
            break
        y = write(paragraph, y)
    return page


@dataclass(frozen=True)
class Shape:
    kind: str  # circle | square | triangle
    color: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1


def draw_scene(shapes: list[Shape], size: int = 224):
    """Flat shapes on a white canvas."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), WHITE)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        fill = COLORS[shape.color]
        x0, y0, x1, y1 = shape.box
        if shape.kind == "circle":
            draw.ellipse(shape.box, fill=fill)
        elif shape.kind == "square":
            draw.rectangle(shape.box, fill=fill)
        elif shape.kind == "triangle":
            draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=fill)
        else:
            raise ValueError(f"unknown shape {shape.kind!r}")
    return image


def plural(kind: str) -> str:
    return kind + "s"
