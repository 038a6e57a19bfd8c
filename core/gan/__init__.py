"""GAN Studio: DCGAN (Radford, Metz and Chintala, 2016) on Fashion-MNIST or a folder of pictures,
and FastGAN (Liu et al. 2021) for small picture sets.

One generator/discriminator pair parameterised by picture size (32 or 64, any power of two from
16) and channels (1 or 3): the generator is ConvTranspose2d + BatchNorm2d + ReLU up to a tanh
output, the discriminator Conv2d + BatchNorm2d + LeakyReLU(0.2) down to one logit; all weights
from N(0, 0.02), BatchNorm scales from N(1, 0.02); Adam at 2e-4 with beta1 = 0.5; one D update
then one G update per batch, as in the paper.

Departures from the paper, each optional or harmless: the discriminator outputs a logit and the
loss is BCE-with-logits (the paper's sigmoid + BCE, computed stably); one-sided label smoothing
(Salimans et al. 2016) and DiffAugment (Zhao et al. 2020: the same random colour/translation/
cutout applied to real and fake pictures before D) help on small folders of images.

For small picture sets the other model, FastGAN (fastgan.py: skip-layer excitation, a
discriminator that must redraw its input, the hinge loss), with DiffAugment under an adaptive
probability (ADA, augment.AdaptiveAugment); ``architecture`` picks it.

``train`` is a generator of progress events: per iteration the G and D losses, D(x) and D(G(z))
(and FastGAN's reconstruction loss, ADA's probability);
a grid from a fixed noise batch (the preview and the result) at the first iteration, every
``preview_every`` iterations and at each epoch's end; a checkpoint at each epoch's end and when
it is stopped between two iterations.
"""

from __future__ import annotations

from core.lazy import lazy_attributes

# One file per concern, each name loaded on first use (pages import this package for the
# settings without loading torch):
#   config       the settings (GanConfig), light
#   models       the generator and discriminator (unconditional and class-conditional)
#   fastgan      the small-set model (FastGAN: skip-layer excitation, a self-reconstructing D)
#   data         Fashion-MNIST, picture folders and class folders, zips
#   augment      random crops and flips, DiffAugment, ADA's adaptive probability
#   checkpoints  saving, exporting, loading and checking checkpoints
#   training     the training loop as steps and hooks (Trainer) and its job target
#   sampling     grids, samples (the truncation trick), latent walks, the training film (GIF / MP4)
#   evaluation   VGG-FID, the garment classifier's distance, class coverage, memorisation
#   classifier   the small garment classifier that the Fashion-MNIST metrics use
_WHERE = {
    "config": (
        "GanConfig",
        "SamplingConfig",
        "FASHION_CLASSES",
        "ARCHITECTURES",
        "ARCHITECTURE_NAMES",
        "SMALL_SET_DEFAULTS",
        "IMAGE_SUFFIXES",
    ),
    "models": ("build_generator", "build_discriminator"),
    "fastgan": ("FastGenerator", "FastDiscriminator"),
    "data": (
        "read_idx",
        "fashion_mnist",
        "fashion_mnist_labelled",
        "picture_folder",
        "class_folders",
        "distinct_pictures",
        "load_dataset",
        "extract_pictures_zip",
        "picture_set",
        "check_batch",
    ),
    "augment": ("augment_batch", "diff_augment", "AdaptiveAugment"),
    "checkpoints": (
        "ARCHITECTURE",
        "save_checkpoint",
        "export_generator",
        "load_checkpoint",
        "checkpoint_step",
        "checkpoint_config",
        "check_compatible",
        "load_generator",
    ),
    "training": ("train", "TrainingWatch", "job"),
    "sampling": (
        "diversity",
        "make_grid",
        "sample",
        "noise",
        "sampled_grid",
        "slerp",
        "interpolate",
        "ProgressFilm",
        "class_rows",
        "labels_for",
    ),
    "evaluation": (
        "FID_LAYER",
        "FID_SIZE",
        "FID_COUNT",
        "vgg_features",
        "frechet_distance",
        "fid",
        "training_fid",
        "nearest_training",
        "nearest_training_rows",
        "nearest_crops_grid",
        "garment_metrics",
        "garment_reference",
        "picture_report",
        "held_out_fid",
    ),
}
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
