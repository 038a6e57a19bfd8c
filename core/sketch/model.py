"""The networks: the design's plain convolutional autoencoder, and a U-Net variant.

Imports Keras (through ``backend.import_keras``, which picks the backend first): only job,
command-line and service processes import this file, never the Streamlit server.

The design (kept as ``plain``): three strided ``Conv2D`` layers down, each followed by LeakyReLU
and BatchNormalization, three ``Conv2DTranspose`` layers back up to full size, and a sigmoid on
one grey channel; Adam at 1e-3 on the mean absolute error. Departures, and why:
- 4x4 kernels (not 3x3): with stride 2 a kernel the stride divides evenly gives transposed
  convolutions without checkerboard artefacts (Odena et al., 2016).
- The hidden transposed convolutions get the same LeakyReLU + BatchNormalization as the
  encoder; the design names no activation there, and without one the decoder is linear.
- BatchNormalization momentum 0.9 instead of Keras' 0.99: an epoch here is ~20 batches, and at
  0.99 the running statistics used at validation lagged the batch statistics by epochs.
- The output bias starts at sigmoid^-1(0.9): drawings are mostly white paper.

``unet`` (the design's future work): the same encoder and decoder, and each decoder level also
sees the encoder's features at its resolution (concatenated), the last one the photo itself at
full resolution. Pencil strokes must land exactly on the photo's edges, which a bottleneck 1/8
or 1/16 of the size can only blur; the skips carry where the edges are, so the network can be
much narrower (16 filters at the top instead of 64) and still faster than the plain design.

Both are fully convolutional: a model trained on 256 px crops draws any photo whose sides are
multiples of ``2 ** depth`` (inference pads to that).

Input: the RGB photo plus a fourth channel, its luminance histogram-equalised over the whole
picture (``model_input``; a bincount and a lookup, about a millisecond at 512 px). The method's
tone is its histogram matched to a pencil drawing's (a pointwise function of exactly that
equalised value) and its strokes are normalised by the picture's own 99.5th gradient
percentile: both depend on the whole picture, which no stack of local convolutions can see.
Without the channel a U-Net reached SSIM 0.47 against the method's drawings. For the same reason
the U-Net's bottleneck gets a global context: its features averaged over the whole picture, through
a dense layer, added back at every position (as Iizuka et al. 2016 do for colourisation).

A fifth channel is the paper: the method's own procedural pencil texture for the picture's size
(``pencil.pencil_texture``, seed 0), the sheet the method shades. The network still has to learn
how deep each stroke and tone presses into it; the texture itself is a fixed asset of the method
(the paper uses a scanned sheet), not something to be guessed from the photo.

Models saved with three or four input channels (before these) still load and draw.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from core.sketch import pencil
from core.sketch.backend import import_keras
from core.sketch.config import ARCHITECTURES, SIZES

keras = import_keras()
layers = keras.layers

BATCH_NORM_MOMENTUM = 0.9
KERNEL = 4
INPUT_CHANNELS = 5  # RGB, the equalised luminance and the paper texture (model_input)


def build_model(size: int = 256, architecture: str = "unet", width: int = 16, depth: int = 4):
    """A sketch network. ``size`` only names the model (its training size, read back by
    ``model_size``); the network accepts any input whose sides are multiples of ``2 ** depth``."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {architecture!r}.")
    photo = keras.Input(shape=(None, None, INPUT_CHANNELS), name="photo")
    scaled = layers.Rescaling(1.0 / 255.0, name="scale_to_unit")(photo)
    features, skips = scaled, []
    for level in range(1, depth + 1):
        features = _block(layers.Conv2D, width * 2 ** (level - 1), f"down{level}")(features)
        skips.append(features)
    if architecture == "unet":
        context = layers.GlobalAveragePooling2D(keepdims=True, name="context_pool")(features)
        context = layers.Dense(features.shape[-1], name="context_dense")(context)
        context = layers.LeakyReLU(negative_slope=0.2, name="context_leaky_relu")(context)
        features = layers.Add(name="context_add")([features, context])  # broadcast over every position
    for level in range(depth - 1, 0, -1):
        features = _block(layers.Conv2DTranspose, width * 2 ** (level - 1), f"up{depth - level}")(features)
        if architecture == "unet":
            features = layers.Concatenate(name=f"skip{level}")([features, skips[level - 1]])
    bias = keras.initializers.Constant(2.2)
    if architecture == "plain":
        sketch = layers.Conv2DTranspose(
            1,
            KERNEL,
            strides=2,
            padding="same",
            activation="sigmoid",
            bias_initializer=bias,
            name=f"up{depth}_conv_sigmoid",
        )(features)
    else:
        # Full resolution is where a CPU spends its time on thin layers (512x512 pixels, few
        # channels, memory-bound), so the last level is kept to width/4 channels and a 1x1
        # convolution: 16% faster at 512 px than 8 channels and a 3x3 one, which the 10x target needs.
        features = _block(layers.Conv2DTranspose, max(4, width // 4), f"up{depth}")(features)
        features = layers.Concatenate(name="skip0")([features, scaled])
        sketch = layers.Conv2D(1, 1, activation="sigmoid", bias_initializer=bias, name="out_conv_sigmoid")(features)
    return keras.Model(photo, sketch, name=f"sketch_{architecture}_{size}")


def _block(convolution, filters: int, name: str):
    def apply(features):
        features = convolution(filters, KERNEL, strides=2, padding="same", name=f"{name}_conv")(features)
        features = layers.LeakyReLU(negative_slope=0.2, name=f"{name}_leaky_relu")(features)
        return layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_batch_norm")(features)

    return apply


def model_input(photos: np.ndarray, channels: int = INPUT_CHANNELS) -> np.ndarray:
    """NxHxWx3 uint8 photos to the network's float32 input, 0-255: RGB, then (models with four
    or five channels) each photo's luminance histogram-equalised, i.e. the share of its pixels at
    most as bright as each pixel, then (five) the paper texture."""
    photos = np.asarray(photos)
    batch = photos.astype(np.float32)
    if channels == 3:
        return batch
    equalised = np.empty(photos.shape[:3] + (1,), np.float32)
    for index, photo in enumerate(photos):
        rgb = photo if photo.dtype == np.uint8 else np.clip(np.nan_to_num(photo), 0, 255).astype(np.uint8)
        luminance = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        cumulative = np.cumsum(np.bincount(luminance.ravel(), minlength=256)).astype(np.float32)
        equalised[index, ..., 0] = (cumulative * (255.0 / luminance.size))[luminance]
    planes = [batch, equalised]
    if channels == 5:
        paper = paper_texture(*photos.shape[1:3])
        planes.append(np.broadcast_to(paper[None, :, :, None], equalised.shape))
    return np.concatenate(planes, axis=-1)


@functools.lru_cache(maxsize=8)
def paper_texture(height: int, width: int) -> np.ndarray:
    """The method's pencil texture for this size, 0-255 (cached: a live camera asks for one size)."""
    return pencil.pencil_texture(height, width, seed=0) * np.float32(255.0)


def input_channels(model) -> int:
    return int(model.input_shape[-1])


def compile_model(model, learning_rate: float, perceptual: float = 0.0) -> None:
    """Adam on MAE, plus the VGG19 feature loss at weight ``perceptual`` when it is above 0.
    The mean absolute error is always a metric, so early stopping watches the same number
    whichever loss trains."""
    if perceptual > 0:
        from core.sketch.perceptual import PerceptualLoss

        loss = PerceptualLoss(perceptual)
    else:
        loss = "mean_absolute_error"
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss,
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )


def model_size(model) -> int:
    """The size a model was trained at, from its name (``sketch_unet_256``); 256 if unknown."""
    suffix = model.name.rsplit("_", 1)[-1]
    return int(suffix) if suffix.isdigit() and int(suffix) in SIZES else 256


def model_multiple(model) -> int:
    """What the input's sides must be multiples of: 2 to the number of stride-2 levels."""
    return 2 ** sum(1 for layer in model.layers if layer.name.startswith("down") and layer.name.endswith("_conv"))


def save_model(model, path: str | Path) -> Path:
    """``.keras`` (architecture and weights, no optimiser state) or ``.weights.h5`` (weights only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".partial-" + path.name)  # Keras checks the suffix, so keep it
    if path.name.endswith(".weights.h5"):
        model.save_weights(temporary)
    elif path.suffix == ".keras":
        clean = keras.Model.from_config(model.get_config())  # an uncompiled twin: no optimiser state, no loss
        clean.set_weights(model.get_weights())
        clean.save(temporary)
    else:
        raise ValueError(f"Save the model as .keras or .weights.h5, not {path.name!r}.")
    temporary.replace(path)  # never a half-written file where the last good one was
    return path


def load_model(path: str | Path, size: int = 256, **architecture):
    """Load a ``.keras`` model (Keras safe mode: no code from the file runs) or ``.weights.h5``
    weights into ``build_model(size, **architecture)``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No model file at {path}.")
    if not (path.name.endswith(".weights.h5") or path.suffix == ".keras"):
        raise ValueError(f"A sketch model is a .keras or .weights.h5 file, not {path.name!r}.")
    try:
        if path.suffix == ".keras":
            model = keras.models.load_model(path, compile=False, safe_mode=True)
        else:
            model = build_model(size, **architecture)
            model.load_weights(path)
    except Exception as error:  # Keras reports a corrupt file in many ways; the user needs one sentence
        raise ValueError(f"{path.name} is not a model this app can load: {str(error)[:200]}") from None
    if (
        tuple(model.input_shape[1:]) not in ((None, None, 3), (None, None, 4), (None, None, 5))
        or model.output_shape[-1] != 1
    ):
        raise ValueError(
            f"{path.name} is a Keras model, but not a photo-to-sketch one (it maps "
            f"{model.input_shape[1:]} to {model.output_shape[1:]}; expected RGB (and the equalised "
            "luminance) in, one grey channel out)."
        )
    return model
