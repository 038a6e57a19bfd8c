"""Photo to Sketch: a network that learned a slow pencil drawing draws photos, uploads and the
live camera in one fast pass; train your own (U-Net or the plain autoencoder) and watch it learn.

TensorFlow never loads in this (the server's) process: sketches come from a child process
(``core.sketch.SketchService``) and training runs as a background job.
"""

import streamlit as st

from ui import sketch as sketch_ui
from ui import tool_page
from ui.inputs import image_input

tool_page.tool_page(
    "Photo to Sketch",
    ":material/draw:",
    "A small U-Net (Keras) learned a slow, classical pencil drawing (strokes along the edges, hatched tone) "
    "and makes it in one fast pass. Sketch a photo with the shipped 256 or 512 px model beside the method it "
    "learned, sketch your camera live, or train your own on pairs and watch it learn.",
)
models = sketch_ui.available_models()

photo_column, settings_column = tool_page.inputs_and_settings((1, 1))
with photo_column:
    photo = image_input("Photo", "sketch_photo", default_sample="Grace Hopper", show=False, min_side=16)
with settings_column:
    tool_page.open_result(
        {"sketch-train": sketch_ui.restored_train_widgets, "sketch-video": sketch_ui.restored_video_widgets}
    )
    drawing = sketch_ui.drawing_controls(models)

tabs = tool_page.tabs("Result", "Train", "Live camera", "Video file", "Sweep", "Batch", "Earlier runs")
with tabs["Result"]:
    if photo is None:
        st.info("Pick a photo to begin.")
    elif drawing is not None:
        sketch_ui.sketch_panel(photo, drawing)
with tabs["Train"]:
    training = sketch_ui.train_panel()
with tabs["Live camera"]:
    sketch_ui.live_panel(models)
with tabs["Video file"]:
    sketch_ui.video_panel(models)
with tabs["Sweep"]:
    sketch_ui.sweep_panel(training)
with tabs["Batch"]:
    sketch_ui.batch_panel(drawing)
with tabs["Earlier runs"]:
    tool_page.earlier_runs(
        (sketch_ui.TOOL, "Trainings"),
        (sketch_ui.VIDEO_TOOL, "Video files"),
        (sketch_ui.SWEEP_TOOL, "Sweeps"),
        (sketch_ui.BATCH_TOOL, "Batches"),
    )
