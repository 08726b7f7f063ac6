"""Tiny randomly initialised checkpoints, saved like hub snapshots."""

from __future__ import annotations

from pathlib import Path


def make_tiny_clip(directory: Path, *, seed: int = 0, image_size: int = 32, hidden: int = 32) -> Path:
    """A transformers CLIPModel with the real CLIP tokenizer and image processor, random weights."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "vocab_size": 49408,
            "max_position_embeddings": 77,
        },
        vision_config={
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "image_size": image_size,
            "patch_size": 8,
        },
        projection_dim=16,
    )
    CLIPModel(config).eval().save_pretrained(directory)
    write_clip_tokenizer_files(directory)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
        ),
        tokenizer=CLIPTokenizer.from_pretrained(directory),
    )
    processor.save_pretrained(directory)
    return directory
