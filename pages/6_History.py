"""History: every run you made, in every tool, as pictures: find one, look at what made it, use its
settings again, send it on, star it, gather runs into collections, compare two."""

from ui import history
from ui.common import page

page(
    "History",
    ":material/history:",
    "Everything you made, in every tool, newest first: open a run's details, use its settings again, send "
    "its picture to another tool, star it, put it in a collection, or pick two to compare.",
)
history.history_page()
