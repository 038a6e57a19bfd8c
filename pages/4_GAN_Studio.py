from ui.placeholder import coming_soon

coming_soon(
    "GAN Studio", ":material/blur_on:",
    "Train a DCGAN on Fashion-MNIST or a folder of abstract art, and watch it learn.",
    [
        "Live generator and discriminator curves, and a fixed-noise grid every epoch to scrub through.",
        "Stop, resume and download checkpoints; warnings for collapse and divergence.",
        "Generate grids from a seed and interpolate between seeds with the bundled generators.",
    ],
)
