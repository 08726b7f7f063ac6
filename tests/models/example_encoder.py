"""A custom encoder in plain torch; from the repository root: ``--model tests.models.example_encoder:build``."""

import numpy as np
import torch

from mieb_models.base import ModelMeta


class ExampleEncoder:
    """Images: 8x8 thumbnails through a fixed random projection. Texts: character counts. 64 dims."""

    meta = ModelMeta(
        name="example/thumbnails",
        revision="1",
        framework="custom",
        architecture="ExampleEncoder",
        modalities=("image", "text"),
        embed_dim=64,
    )

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.projection = torch.randn(3 * 8 * 8, 64, generator=torch.Generator().manual_seed(0)).to(device)

    def preprocess(self, image):  # one RGB PIL image -> tensor; runs in DataLoader workers
        pixels = np.asarray(image.resize((8, 8)), dtype=np.float32) / 255
        return torch.from_numpy(pixels).permute(2, 0, 1)

    def encode_images(self, images):  # the stacked batch of preprocess() outputs
        return (images.to(self.device).flatten(1) @ self.projection).cpu()

    def encode_texts(self, texts):
        counts = torch.zeros(len(texts), 64)
        for row, text in enumerate(texts):
            for char in text:
                counts[row, ord(char) % 64] += 1
        return counts


def build(device: str | None = None) -> ExampleEncoder:
    return ExampleEncoder(device or "cpu")
