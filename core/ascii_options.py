"""Names the ASCII command line offers, kept apart so that ``--help`` needs no numpy or OpenCV."""

CHARSET_NAMES = ("ascii", "ramp", "letters", "symbols", "custom")
EXPORT_FORMATS = ("txt", "html", "ansi", "png", "svg")
