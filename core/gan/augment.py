"""Augmentation: what D sees of a picture. Random crops and flips of the training pictures, and
DiffAugment (Zhao et al. 2020) on real and fake alike, optionally at a probability that ADA
(Karras et al. 2020) steers."""

from __future__ import annotations

import numpy as np
import torch


def augment_batch(batch, size: int):
    """Random square crops of ``size`` (from pictures stored slightly larger) and horizontal flips."""
    if batch.shape[-1] > size:
        offset_y, offset_x = np.random.randint(0, batch.shape[-1] - size + 1, 2)
        batch = batch[:, :, offset_y : offset_y + size, offset_x : offset_x + size]
    flip = torch.rand(batch.shape[0], device=batch.device) < 0.5
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


def diff_augment(batch, policy: str, probability: float = 1.0):
    """DiffAugment: differentiable colour, translation and cutout, the same kinds for real and
    fake. With ``probability`` < 1 (ADA) each picture gets each kind with that chance."""
    for name in [p for p in policy.split(",") if p]:
        if probability <= 0:
            break
        n = batch.shape[0]
        if name == "color":
            changed = batch + (torch.rand(n, 1, 1, 1, device=batch.device) - 0.5)
            mean = changed.mean(dim=1, keepdim=True)
            changed = (changed - mean) * (torch.rand(n, 1, 1, 1, device=batch.device) * 2) + mean
            mean = changed.mean(dim=[1, 2, 3], keepdim=True)
            changed = (changed - mean) * (torch.rand(n, 1, 1, 1, device=batch.device) + 0.5) + mean
        elif name == "translation":
            shift = batch.shape[-1] // 8
            dx, dy = np.random.randint(-shift, shift + 1, 2)
            changed = torch.roll(batch, shifts=(int(dy), int(dx)), dims=(2, 3))
        else:  # cutout
            side = batch.shape[-1] // 2
            y, x = np.random.randint(0, batch.shape[-1] - side + 1, 2)
            mask = torch.ones_like(batch)
            mask[:, :, y : y + side, x : x + side] = 0
            changed = batch * mask
        if probability < 1:
            chosen = torch.rand(n, 1, 1, 1, device=batch.device) < probability
            changed = torch.where(chosen, changed, batch)
        batch = changed
    return batch


class AdaptiveAugment:
    """ADA's controller (Karras et al. 2020): ``probability`` rises while D is too sure of the real
    pictures and falls when it is not.

    The overfitting signal is r = E[sign(D(real))], the share of real pictures D scores as real
    minus the share it scores as fake; every ``interval`` iterations p moves by
    sign(r - target) * (pictures seen since) / ``speed`` and stays in [0, 1]. The paper's speed is
    500,000 pictures from 0 to 1, for runs of tens of millions; a CPU run sees about 100,000, so
    the default speed is 50,000: p can reach 1 within the first half of such a run."""

    def __init__(self, target: float = 0.6, speed: int = 50_000, interval: int = 4, probability: float = 0.0):
        self.target, self.speed, self.interval, self.probability = target, speed, interval, probability
        self.signs, self.pictures, self.calls = 0.0, 0, 0

    def observe(self, real_logits) -> None:
        """Note D's logits on this batch of (augmented) real pictures."""
        logits = real_logits.detach().float().flatten(1).mean(dim=1)
        self.signs += float(torch.sign(logits).sum())
        self.pictures += len(logits)
        self.calls += 1
        if self.calls % self.interval == 0:
            overfitting = self.signs / max(self.pictures, 1)
            step = self.pictures / self.speed
            self.probability = float(
                min(1.0, max(0.0, self.probability + (step if overfitting > self.target else -step)))
            )
            self.signs, self.pictures = 0.0, 0

    def state_dict(self) -> dict:
        return {"probability": self.probability}
