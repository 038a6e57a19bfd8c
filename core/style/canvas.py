"""Pictures to the tensors the loop optimises and back: sizes, 0-255 RGB tensors, colour kept."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from core.style.config import StyleConfig


def to_tensor(image: Image.Image, size: tuple[int, int], where):
    array = np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).to(where)


def to_array(tensor) -> np.ndarray:
    """(1, 3, H, W) in 0-255 -> HxWx3 uint8."""
    return tensor.detach().clamp(0, 255).round().squeeze(0).permute(1, 2, 0).to("cpu", dtype=torch.uint8).numpy()


def luminance_transfer(styled: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colour: the styled picture's luminance with the content's chroma (YCbCr)."""
    styled_ycc = np.asarray(Image.fromarray(styled).convert("YCbCr")).copy()
    content_ycc = np.asarray(Image.fromarray(content).resize(styled.shape[1::-1]).convert("YCbCr"))
    styled_ycc[..., 1:] = content_ycc[..., 1:]
    return np.asarray(Image.fromarray(styled_ycc, mode="YCbCr").convert("RGB"))


def finish(image, content: Image.Image, config: StyleConfig) -> np.ndarray:
    array = to_array(image)
    if config.preserve_colour:
        array = luminance_transfer(array, np.asarray(content.convert("RGB")))
    return array
