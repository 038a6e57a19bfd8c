"""Atelier's core: a plain Python library behind the Streamlit pages and the command line.

Nothing here imports streamlit, and importing this package imports neither torch nor
TensorFlow: each tool module imports its framework itself, inside the job process that needs
it (see ``core.jobs`` for why the two frameworks never share a process).
"""

__version__ = "0.1.0"
