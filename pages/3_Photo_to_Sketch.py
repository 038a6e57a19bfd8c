from ui.placeholder import coming_soon

coming_soon(
    "Photo to Sketch", ":material/draw:",
    "A convolutional autoencoder (Keras) that turns photos into pencil sketches.",
    [
        "Sketch any picture with the bundled 256 or 512 px model, side by side with classical filters.",
        "Train your own on a zip of photo/sketch pairs, with live curves and early stopping.",
        "Metrics you can trust: MAE, SSIM and PSNR on held-out pairs.",
    ],
)
