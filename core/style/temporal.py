"""Steady stylised video: the previous stylised frame, carried along the clip's own motion, is
blended into the next one wherever that motion can be trusted.

Per-frame stylisation flickers: the feed-forward network answers small changes of its input (noise,
a moved highlight) with different brush strokes. Ruder, Dosovitskiy and Brox (2016, "Artistic
style transfer for videos") keep the optimisation's result temporally consistent with a loss on
the previous output warped by optical flow, masked where the flow is unreliable. Our network is not
optimised per frame, so the same idea is applied as a blend after it (their feed-forward follow-up,
2018, feeds the warped frame to the network instead, which needs a network trained for it):

    flow        DIS optical flow (OpenCV) between the two source frames, both ways;
    reliable    a pixel is trusted when the forward and backward flows cancel (no occlusion; the
                test of Sundaram et al. that Ruder et al. use: |w + w^|^2 <= 0.01 (|w|^2 + |w^|^2) + 0.5)
                and it is not on a motion boundary (|grad u|^2 + |grad v|^2 <= 0.01 |w|^2 + 0.002);
    blend       out_t = stylised_t + steadiness * reliable * (warp(out_t-1) - stylised_t).

``steadiness`` is how much of the carried-over frame a trusted pixel keeps (0 = per frame). New or
uncovered regions (occlusions) always take the fresh stylisation, so nothing smears into them.

``warping_error`` is the flicker measure the bench and the tests state: the mean absolute
difference (0-255) between each output frame and the previous output warped by the source's flow,
over the pixels the check trusts.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.style.config import DEFAULT_STEADINESS


def _grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


class Flow:
    """Dense optical flow with DIS (Kroeger et al. 2016), OpenCV's fast CPU method."""

    def __init__(self) -> None:
        self.method = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def between(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """For each pixel of ``source`` (grey), where it went in ``target``: (H, W, 2) in pixels."""
        return self.method.calc(source, target, None)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at each pixel plus its flow (bilinear; edges repeat)."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(
        image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Boolean (H, W): where the current frame's pixel can be traced into the previous frame.
    ``backward``: current -> previous; ``forward``: previous -> current."""
    returned = warp(forward, backward)  # the forward flow, read where each current pixel came from
    total = backward + returned
    consistent = (total**2).sum(-1) <= 0.01 * ((backward**2).sum(-1) + (returned**2).sum(-1)) + 0.5
    gradient = sum(
        cv2.Sobel(backward[..., channel], cv2.CV_32F, dx, dy, ksize=1) ** 2 / 4
        for channel in range(2)
        for dx, dy in ((1, 0), (0, 1))
    )
    boundary = gradient > 0.01 * (backward**2).sum(-1) + 0.002
    return consistent & ~boundary


class Stabiliser:
    """Feed it (source frame, stylised frame) pairs in order; it returns the steadied frames."""

    def __init__(self, steadiness: float = DEFAULT_STEADINESS):
        if not 0.0 <= steadiness < 1.0:
            raise ValueError(f"steadiness must be at least 0 and below 1, not {steadiness}.")
        self.steadiness = steadiness
        self.flow = Flow()
        self.previous_source: np.ndarray | None = None
        self.previous_output: np.ndarray | None = None

    def __call__(self, source: np.ndarray, stylised: np.ndarray) -> np.ndarray:
        grey = _grey(source)
        output = stylised
        if self.previous_source is not None and self.steadiness > 0:
            backward = self.flow.between(grey, self.previous_source)
            forward = self.flow.between(self.previous_source, grey)
            trusted = reliable(backward, forward).astype(np.float32)
            # Soften the mask's edge by a pixel, so a trusted region does not end in a hard seam.
            weight = self.steadiness * cv2.blur(trusted, (3, 3))[..., None]
            carried = warp(self.previous_output, backward).astype(np.float32)
            output = (stylised + weight * (carried - stylised) + 0.5).clip(0, 255).astype(np.uint8)
        self.previous_source, self.previous_output = grey, output
        return output


def warping_error(sources: list[np.ndarray], outputs: list[np.ndarray]) -> float:
    """Mean |out_t - warp(out_t-1 by the source's flow)| in grey levels (0-255) over the pixels the
    forward-backward check trusts, averaged over the frames: lower is steadier."""
    flow = Flow()
    errors = []
    for index in range(1, len(sources)):
        current, previous = _grey(sources[index]), _grey(sources[index - 1])
        backward, forward = flow.between(current, previous), flow.between(previous, current)
        trusted = reliable(backward, forward)
        if not trusted.any():
            continue
        carried = warp(outputs[index - 1], backward).astype(np.float32)
        difference = np.abs(outputs[index].astype(np.float32) - carried).mean(-1)
        errors.append(float(difference[trusted].mean()))
    return float(np.mean(errors)) if errors else 0.0
