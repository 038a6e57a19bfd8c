from ui.placeholder import coming_soon

coming_soon(
    "Style Transfer", ":material/palette:",
    "Gatys et al.: optimise a picture so that VGG19 sees your photo's content in a painting's style.",
    [
        "Content and style pictures (Starry Night is bundled); several styles blended.",
        "Content, style and smoothness weights on log-scale sliders; Adam or L-BFGS.",
        "Runs in the background with a live preview, loss curves and Stop that keeps the best picture.",
        "Works offline: the ImageNet VGG19 weights come with the app.",
    ],
)
