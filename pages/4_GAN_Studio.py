"""GAN Studio: train a DCGAN (or FastGAN on small picture sets) and watch it learn; sample and
interpolate from generators."""

from ui import gan as gan_ui
from ui import gan_sweep, tool_page

tool_page.tool_page(
    "GAN Studio",
    ":material/blur_on:",
    "Train a DCGAN (Radford et al. 2016) on Fashion-MNIST, or a FastGAN (Liu et al. 2021) made for small sets "
    "on abstract art or your own pictures, and watch it learn; then sample new pictures and walk between them.",
)
tool_page.open_result({"gan": gan_ui.restored_widgets})
tabs = tool_page.tabs("Train", "Generate", "Sweep", "Earlier runs")
with tabs["Train"]:
    data, config = gan_ui.train_panel()
with tabs["Generate"]:
    gan_ui.generate_panel()
with tabs["Sweep"]:
    gan_sweep.sweep_panel(data, config)
with tabs["Earlier runs"]:
    tool_page.earlier_runs(
        (gan_ui.TOOL, "Trainings"),
        (gan_sweep.SWEEP_TOOL, "Training sweeps"),
        (gan_sweep.SAMPLE_SWEEP_TOOL, "Sampling sweeps"),
    )
