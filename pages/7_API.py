"""API: your personal tokens for Atelier's HTTP API, and how a program uses one."""

from ui import api
from ui.common import page

page(
    "API",
    ":material/api:",
    "Use Atelier from scripts, notebooks and other programs: a job sent through the API joins the same "
    "queue, shows in your History and stays yours. Each token acts as you; revoke it when a program no "
    "longer needs it.",
)
api.api_page()
