"""A small garment classifier: the feature space of GAN Studio's Fashion-MNIST metrics.

Why our own: the Inception network of published FIDs cannot be fetched here, and ImageNet
features (VGG-FID) say little about 32 px grey garments. A classifier trained on Fashion-MNIST
itself knows what separates a shirt from a pullover, so distances in its penultimate layer are
about garments, and its predictions give per-class coverage and, for a conditional generator,
whether it drew the class it was asked for.

Network: three 3x3 conv blocks (32, 64, 128 channels; BatchNorm, ReLU, 2x2 max-pool) on the
GAN's 32x32 pictures in [-1, 1], then a 128-unit layer (the features) and 10 logits. Trained on
the 60,000 training pictures (random flips and 2 px shifts), tested on the 10,000 test pictures;
``python -m core gan-classifier`` trains it and prints its test accuracy (weights/README.md has
the shipped one's command, seed and accuracy).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from core import assets, device
from core.progress import Progress

SIDE = 32
FEATURES = 128
SHIPPED = Path(__file__).resolve().parent.parent.parent / "weights" / "garment-classifier.pt"


class GarmentClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = []
        for before, after in ((1, 32), (32, 64), (64, 128)):
            blocks += [
                nn.Conv2d(before, after, 3, padding=1, bias=False),
                nn.BatchNorm2d(after),
                nn.ReLU(True),
                nn.MaxPool2d(2),
            ]
        self.body = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * 4 * 4, FEATURES), nn.ReLU(True))
        self.head = nn.Linear(FEATURES, 10)

    def forward(self, pictures):
        return self.head(self.body(pictures))

    def features_and_logits(self, pictures):
        features = self.body(pictures)
        return features, self.head(features)


def as_input(pictures) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] (grey or RGB, any size) -> (N, 1, 32, 32), what the classifier reads."""
    pictures = pictures.detach().float().cpu()
    if pictures.shape[1] == 3:
        pictures = pictures.mean(dim=1, keepdim=True)
    if pictures.shape[-1] != SIDE:
        pictures = F.interpolate(pictures, size=(SIDE, SIDE), mode="bilinear", align_corners=False)
    return pictures.clamp(-1, 1)


def fashion_split(split: str) -> tuple[torch.Tensor, np.ndarray]:
    """('train' or 'test') pictures (N, 1, 32, 32) in [-1, 1] and labels."""
    from core.gan.data import read_idx

    root = assets.fashion_mnist_dir()
    if root is None:
        raise ValueError("Fashion-MNIST is needed: sudo apt-get install dataset-fashion-mnist.")
    prefix = "train" if split == "train" else "t10k"
    pictures = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    tensor = torch.from_numpy(np.array(pictures)).float().div(127.5).sub(1).unsqueeze(1)
    return F.interpolate(tensor, size=(SIDE, SIDE), mode="bilinear", align_corners=False), labels


def train(epochs: int = 4, seed: int = 0, batch_size: int = 128, output: Path | None = None) -> Iterator[Progress]:
    """Train on the training split; after each epoch, the test accuracy (metric ``test_accuracy``)."""
    device.seed_everything(seed)
    pictures, labels = fashion_split("train")
    test_pictures, test_labels = fashion_split("test")
    model = GarmentClassifier()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=3e-3, total_steps=epochs * (len(pictures) // batch_size)
    )
    targets = torch.from_numpy(labels)
    total, step, started = epochs * (len(pictures) // batch_size), 0, time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(pictures))
        for index in range(len(pictures) // batch_size):
            chosen = order[index * batch_size : (index + 1) * batch_size]
            batch = pictures[chosen]
            flip = torch.rand(len(batch)) < 0.5
            batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
            dy, dx = np.random.randint(-2, 3, 2)
            batch = torch.roll(batch, shifts=(int(dy), int(dx)), dims=(2, 3))
            loss = F.cross_entropy(model(batch), targets[chosen])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            metrics = {"loss": float(loss)}
            if index == len(pictures) // batch_size - 1:
                metrics["test_accuracy"] = accuracy(model, test_pictures, test_labels)
                if output is not None:
                    save(model, output, metrics["test_accuracy"], epoch + 1, seed, time.time() - started)
            yield Progress(step=step, total=total, metrics=metrics, message=f"epoch {epoch + 1} of {epochs}")


def accuracy(model: GarmentClassifier, pictures: torch.Tensor, labels: np.ndarray) -> float:
    return float((predict(model, pictures) == labels).mean())


def accuracy_by_class(model: GarmentClassifier, names: tuple[str, ...]) -> dict[str, float]:
    """On the real test pictures, how often the classifier names each class right: the yardstick
    for a conditional generator's agreement in that class (a class the classifier confuses on
    real garments, Shirt above all, cannot reach a high agreement however well it is drawn;
    prototypical samples of an easy class can score above the real pictures)."""
    pictures, labels = fashion_split("test")
    predicted = predict(model, pictures)
    return {name: round(float((predicted[labels == index] == index).mean()), 4) for index, name in enumerate(names)}


def predict(model: GarmentClassifier, pictures: torch.Tensor) -> np.ndarray:
    return features(model, pictures)[1].argmax(axis=1)


def features(model: GarmentClassifier, pictures) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128) float64, logits (N, 10)) for pictures in [-1, 1]."""
    model.eval()
    found, logits = [], []
    with torch.no_grad():
        for chunk in as_input(pictures).split(500):
            feature, logit = model.features_and_logits(chunk)
            found.append(feature.double())
            logits.append(logit)
    return torch.cat(found).numpy(), torch.cat(logits).numpy()


def save(model: GarmentClassifier, path: Path, test_accuracy: float, epochs: int, seed: int, seconds: float) -> None:
    temporary = Path(path).with_suffix(".tmp")
    torch.save(
        {
            "classifier": model.state_dict(),
            "test_accuracy": test_accuracy,
            "epochs": epochs,
            "seed": seed,
            "seconds": round(seconds, 1),
        },
        temporary,
    )
    temporary.replace(path)


def load(path: str | Path | None = None) -> tuple[GarmentClassifier, dict]:
    """The classifier (eval mode) and what its file says of it (test accuracy, epochs, seed)."""
    path = Path(path) if path else SHIPPED
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = GarmentClassifier()
        model.load_state_dict(saved["classifier"])
    except FileNotFoundError:
        raise ValueError(f"No garment classifier at {path}: python -m core gan-classifier --output {path}") from None
    except (RuntimeError, KeyError, TypeError):
        raise ValueError(f"{path.name} is not a garment classifier.") from None
    return model.eval(), {key: value for key, value in saved.items() if key != "classifier"}
