"""GAN Studio's settings (``GanConfig``), each declared once, and the names the page and the
command line share; light (no torch)."""

from __future__ import annotations

import dataclasses

from core.configs import check_choices, setting

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# The two model families: the paper's DCGAN, and the light FastGAN for small picture sets.
ARCHITECTURES = ("dcgan", "fastgan")
ARCHITECTURE_NAMES = {"dcgan": "DCGAN (the paper's)", "fastgan": "FastGAN (for small sets)"}
# What the small-set model starts from, in the page and on the command line (``--small-set``):
# batch 16 (a few dozen pictures still give many distinct batches), the paper's Adam settings,
# all three DiffAugment policies under ADA's control, the EMA generator for samples.
SMALL_SET_DEFAULTS = {
    "architecture": "fastgan",
    "size": 64,
    "ngf": 16,
    "ndf": 32,
    "batch_size": 16,
    "g_learning_rate": 2e-4,
    "d_learning_rate": 2e-4,
    "diffaugment": "color,translation,cutout",
    "ada_target": 0.6,
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


@dataclasses.dataclass
class GanConfig:
    """Every setting of a GAN Studio run, each declared once (``core.configs.setting``): the
    command line (core/cli/gan.py) and the page (pages/4_GAN_Studio.py) offer it from here."""

    dataset: str = setting(
        "fashion-mnist",
        "fashion-mnist, abstract-art (Debian wallpapers), a folder of pictures "
        "or a zip of them (with --conditional: one folder per class)",
    )
    classes: tuple[int, ...] = setting((), "Fashion-MNIST classes to keep (0-9); empty = all")
    size: int = setting(32, "picture side (default 32 for Fashion-MNIST, 64 for folders)", options=(16, 32, 64, 128))
    channels: int = setting(1, "default 1 for Fashion-MNIST, 3 for folders", choices=(1, 3))
    latent: int = setting(100, "length of the noise vector z", label="Latent size", options=(16, 32, 64, 100, 128))
    ngf: int = setting(
        64,
        "generator width: channels of its last hidden layer (FastGAN: of its finest level)",
        label="Generator width",
        options=(8, 16, 24, 32, 48, 64),
    )
    ndf: int = setting(
        64, "discriminator width: channels of its first layer", label="Discriminator width", options=(16, 32, 48, 64)
    )
    epochs: int = setting(5, "passes over the training pictures", low=1, high=50)
    batch_size: int = setting(128, "pictures per iteration", options=(8, 16, 32, 64, 128, 256))
    g_learning_rate: float = setting(
        2e-4, "Adam's step for G", label="Generator learning rate", options=(5e-5, 1e-4, 2e-4, 5e-4, 1e-3)
    )
    d_learning_rate: float = setting(
        2e-4, "Adam's step for D", label="Discriminator learning rate", options=(5e-5, 1e-4, 2e-4, 5e-4, 1e-3)
    )
    beta1: float = 0.5  # Adam's first-moment decay; the paper's 0.5 steadies training
    label_smoothing: float = setting(
        0.0, "real labels become 1 - this (0.1 is common; DCGAN only)", low=0.0, high=0.3, step=0.05
    )
    diffaugment: str = setting(
        "",
        "comma list of color, translation, cutout: the same random change to real and "
        "fake pictures before D (Zhao et al. 2020); helps on small sets (a few hundred)",
        label="DiffAugment",
    )
    limit: int = setting(
        0,
        "use at most this many pictures (0 = all); fewer for a quick look: epochs finish "
        "sooner, samples come out rougher",
        label="Pictures per epoch",
        options=(1000, 5000, 20000, 0),
    )
    crops: int = setting(
        1,
        "random crops per picture of a folder (1 = centre): a few large pictures become a few "
        "hundred training pictures",
    )
    grid: int = 64  # pictures in the fixed-noise grid
    seed: int = setting(0, "the random seed (data order, noise, weights)")
    device: str = setting("auto", "auto (CUDA, then MPS, then the CPU)", choices=("auto", "cuda", "mps", "cpu"))
    precision: str = "auto"  # auto (bfloat16 convolutions where the hardware has them) | float32 | bfloat16
    resume: str = setting("", "continue from this checkpoint")
    fid_every: int = setting(
        0,
        "VGG-FID every N epochs and after the last (0 = off): 500 generated against 500 "
        "training pictures through the offline VGG19 (about 15 s on a CPU each time); lower "
        "is better. Compare it across epochs of a run, not with published FIDs",
        label="VGG-FID every N epochs",
        options=(0, 1, 2, 5, 10),
    )
    fid_count: int = setting(500, "pictures per set for that FID (the reported protocol uses 2,000)")
    # Class-conditional (models.py): G and D are told each picture's class. Fashion-MNIST's
    # labels, or a folder (an unpacked zip) with one sub-folder of pictures per class.
    conditional: bool = setting(
        False,
        "class-conditional (Fashion-MNIST's classes, or a folder with one sub-folder per class)",
        label="By class (conditional GAN)",
    )
    class_names: tuple[str, ...] = ()  # filled in by training: the classes, in label order
    # A preview grid of the fixed noise every this many iterations (and at the first one and
    # every epoch's end): several times a minute at the defaults on a 2-core CPU (bench/results/gan.txt
    # has the iteration times), so the first grid shows at once and training is watched from the first
    # minute. 0 = epoch ends.
    preview_every: int = setting(
        75,
        "iterations between preview grids (0 = epoch ends); every grid is a frame of the run's film",
        label="Preview grid every N iterations",
        options=(0, 10, 25, 50, 75, 150, 300),
    )
    # Against collapse on small sets: spectral normalisation in D (instead of its BatchNorm) and
    # the R1 penalty (Mescheder et al. 2018), gamma/2 * E|grad D(real)|^2, every 4th iteration.
    spectral_norm: bool = setting(
        False,
        "spectral normalisation in the discriminator, against collapse on small sets (Miyato et al. 2018)",
        label="Spectral norm in D",
    )
    r1_gamma: float = setting(
        0.0,
        "R1 penalty weight gamma on D's gradient at real pictures (Mescheder et al. 2018; 0 = off)",
        label="R1 penalty (gamma)",
        options=(0.0, 0.1, 1.0, 10.0),
        flag="--r1",
    )
    garment_metrics: bool = True  # Fashion-MNIST: the garment classifier's distance and coverage per epoch
    # An exponential moving average of G's weights (Yazici et al. 2019) draws the previews, the
    # metrics and every sample: it averages out the last iterations' oscillation, so samples are
    # cleaner for no extra training. Its decay warms up as (1 + t) / (10 + t). 0 = off.
    ema: float = 0.999
    # The networks: "dcgan" (the paper's, above) or "fastgan", the small-set model (fastgan.py:
    # skip-layer excitation in G, a self-reconstructing D, hinge loss; 64 or 128 px, no classes).
    architecture: str = setting(
        "dcgan",
        "dcgan (the paper's, the default) or fastgan (the small-set model; 64 or 128 px)",
        label="Model",
        choices=ARCHITECTURES,
    )
    # Adaptive augmentation (ADA, Karras et al. 2020): DiffAugment's policies are applied to each
    # picture D sees with a probability p, raised while D is too sure of the real pictures (the
    # share of positive logits on reals above this target) and lowered otherwise. 0 = off (every
    # policy always applied, as DiffAugment does); 0.6 is the paper's target.
    ada_target: float = setting(
        0.0,
        "adaptive augmentation: apply DiffAugment with a probability steered so that D "
        "calls this share of real pictures real (0.6 is the paper's; 0 = off)",
    )

    def __post_init__(self) -> None:
        if self.size < 16 or self.size > 128 or self.size & (self.size - 1):
            raise ValueError("size must be a power of two from 16 to 128 (32 for Fashion-MNIST, 64 for pictures).")
        if self.channels not in (1, 3):
            raise ValueError("channels must be 1 (grey) or 3 (RGB).")
        if min(self.latent, self.ngf, self.ndf, self.epochs, self.batch_size, self.grid) < 1:
            raise ValueError("latent, ngf, ndf, epochs, batch size and grid must be at least 1.")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError("label_smoothing must be between 0 and 0.5.")
        if min(self.g_learning_rate, self.d_learning_rate) <= 0 or not 0 <= self.beta1 < 1:
            raise ValueError("learning rates must be positive and beta1 in [0, 1).")
        check_choices(self)  # channels, device, architecture
        self._check_augmentation_and_measures()
        self._check_model()

    def _check_augmentation_and_measures(self) -> None:
        unknown = {policy for policy in self.diffaugment.split(",") if policy} - {"color", "translation", "cutout"}
        if unknown:
            raise ValueError(
                f"Unknown DiffAugment policy {', '.join(sorted(unknown))}; use color, translation, cutout."
            )
        if self.precision not in ("auto", "float32", "bfloat16"):
            raise ValueError("precision must be auto, float32 or bfloat16.")
        if not 1 <= self.crops <= 1000:
            raise ValueError("crops must be between 1 and 1000 per picture.")
        if self.fid_every < 0 or self.fid_count < 50:
            raise ValueError("fid_every must be 0 (off) or more, and fid_count at least 50 pictures.")
        if any(not 0 <= label <= 9 for label in self.classes):
            raise ValueError("Fashion-MNIST classes are 0 to 9.")
        if self.preview_every < 0 or self.r1_gamma < 0:
            raise ValueError("preview_every and r1_gamma cannot be negative.")

    def _check_model(self) -> None:
        if not 0 <= self.ema < 1:
            raise ValueError("ema must be 0 (off) or a decay below 1, such as 0.999.")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}.")
        if self.architecture == "fastgan" and self.size not in (64, 128):
            raise ValueError("The small-set model (fastgan) draws 64 or 128 px pictures.")
        if self.architecture == "fastgan" and self.conditional:
            raise ValueError("The small-set model (fastgan) has no classes: use the DCGAN for a conditional run.")
        if not 0 <= self.ada_target < 1:
            raise ValueError("ada_target must be 0 (off) or a share below 1, such as 0.6.")
        if self.conditional and self.class_names and len(self.class_names) < 2:
            raise ValueError("A conditional GAN needs at least two classes.")

    @property
    def class_count(self) -> int:
        """Classes a conditional model knows (Fashion-MNIST's 10 until training names them)."""
        return len(self.class_names) or len(FASHION_CLASSES)

    def class_index(self, wanted: str | int) -> int:
        """A class by name (any case) or number; a ValueError naming the classes it has."""
        names = self.class_names or FASHION_CLASSES
        if not self.conditional:
            raise ValueError("This generator was trained without classes, so it cannot draw a chosen class.")
        if isinstance(wanted, int) or str(wanted).isdigit():
            if 0 <= int(wanted) < len(names):
                return int(wanted)
        else:
            lowered = [name.lower() for name in names]
            if str(wanted).lower() in lowered:
                return lowered.index(str(wanted).lower())
        raise ValueError(
            f"This generator has no class {wanted!r}; it knows {', '.join(names)} (or 0-{len(names) - 1})."
        )


@dataclasses.dataclass
class SamplingConfig:
    """How pictures are drawn from a trained generator, each setting declared once: the Generate tab,
    ``gan-sample`` and the sampling sweep offer them from here. Sampling takes no training, so a sweep
    over these is instant next to a training sweep."""

    seed: int = setting(0, "the noise's seed: the same seed draws the same pictures", low=0, high=2**31 - 1)
    label: str = setting(
        "",
        "a class by name or number (generators trained by class); empty = every class in turn",
        label="Class",
        flag="--class",
    )
    # The truncation trick (Brock et al. 2019, BigGAN): each noise value beyond +-t is drawn again
    # until it lies inside, trading variety for pictures nearer the generator's best. The paper
    # sampled a model trained on untruncated noise, as here; 0 leaves the noise as trained.
    truncation: float = setting(
        0.0,
        "truncation trick (Brock et al. 2019): noise values beyond this are drawn again, so samples "
        "keep nearer the generator's typical pictures, with less variety (0 = off; 0.5-1 is strong, 2 mild)",
        low=0.0,
        high=3.0,
        step=0.1,
    )
    count: int = setting(16, "pictures in each grid", label="Pictures", low=1, high=256)

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**31:
            raise ValueError("seed must be between 0 and 2147483647.")
        if self.truncation != 0 and not 0.05 <= self.truncation <= 3:
            raise ValueError("truncation must be 0 (off) or between 0.05 and 3.")
        if not 1 <= self.count <= 256:
            raise ValueError("count must be between 1 and 256 pictures.")


# --- what a training costs, said before Start (core/jobs/estimates.py) --------------------------
# Work is counted in pictures seen at 32x32 (a 64 px picture is four). The first guesses stand until
# trainings have finished on the server: the DCGAN at width 32 took 585 s for 20 epochs of
# Fashion-MNIST on 2 CPU cores, the FastGAN at widths 16/32 about 93 min for 30 epochs of 57 x 100
# crops at 64 px on one shared core (weights/README.md); both scale with the width squared.
FIRST_GUESS_SECONDS_PER_PICTURE = {"dcgan": 4.9e-4, "fastgan": 8e-3}
GPU_SPEED_UP = 30.0  # a first guess for a GPU, until its own runs say
START_SECONDS = 15.0  # torch loading and the data set read (Fashion-MNIST, or the pictures cropped)


def plan(config: GanConfig, pictures: int):
    """The work of a training over ``pictures`` pictures (after crops and the limit) for its epochs."""
    from core.jobs.estimates import Plan

    seen = min(pictures, config.limit) if config.limit else pictures
    kind = f"{config.architecture}-{config.ngf}-{config.ndf}-{config.batch_size}-{config.size}" + (
        "-conditional" if config.conditional else ""
    )
    return Plan(work=config.epochs * seen * (config.size / 32) ** 2, kind=kind, start_seconds=START_SECONDS)


def first_guess_rate(config: GanConfig, device_type: str) -> float:
    reference_width = 16 if config.architecture == "fastgan" else 32
    rate = FIRST_GUESS_SECONDS_PER_PICTURE[config.architecture] * (config.ngf / reference_width) ** 2
    return rate / GPU_SPEED_UP if device_type in ("cuda", "mps") else rate
