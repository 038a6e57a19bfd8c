from ui.placeholder import coming_soon

coming_soon(
    "ASCII Art", ":material/text_fields:",
    "Structure-aware image-to-text: each character cell takes the glyph whose strokes match it.",
    [
        "Upload a picture, take one with your camera, or pick a sample.",
        "Sliders for columns, contrast, gamma, edge weight and the Minkowski order p; every move re-renders live.",
        "Character sets from full printable ASCII to a classic ramp, or your own; any monospace font.",
        "Export as .txt, coloured .html, truecolour .ansi, .png or .svg.",
    ],
)
