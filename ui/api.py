"""The API page: a person's API tokens (make, list, revoke) and a first program that uses one."""

from __future__ import annotations

import datetime

import streamlit as st

from core.api import tokens
from ui import files, identity
from ui.common import RUNS_DIR

NEW_TOKEN = "api_new_token"  # (name, token): shown until its owner hides it, never again

EXAMPLE = """import json, requests

API = "{base}/api/v1"
HEADERS = {{"Authorization": "Bearer {token}"}}

# Style Transfer: a photo, a painting and a few settings (the tool's schema: GET {base}/api/v1/tools/style/schema)
with open("photo.jpg", "rb") as photo, open("painting.jpg", "rb") as painting:
    job = requests.post(
        f"{{API}}/jobs",
        headers={{**HEADERS, "Idempotency-Key": "my-first-job"}},
        data={{"tool": "style", "settings": json.dumps({{"steps": 50, "size": 256}})}},
        files={{"content": photo, "style": painting}},
    ).json()

# Its progress, as server-sent events, until it ends
with requests.get(f"{{API}}/jobs/{{job['id']}}/events", headers=HEADERS, stream=True) as events:
    for line in events.iter_lines(decode_unicode=True):
        if line.startswith("data:"):
            print(line[5:].strip())

done = requests.get(f"{{API}}/jobs/{{job['id']}}", headers=HEADERS).json()
result = requests.get("{base}" + done["files"][0]["url"], headers=HEADERS)
open("result.png", "wb").write(result.content)  # its settings are inside it
"""


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M")


def api_page() -> None:
    who = identity.owner()
    if not who:
        st.info("Sign in to make API tokens.")
        return
    base = files.service_url()
    tokens_panel(who)
    st.divider()
    st.subheader("Use it")
    if base is None:
        st.warning(f"The API is off for now: {files.UNAVAILABLE}")
        return
    st.markdown(
        f"The API is at `{base}/api/v1`; its interactive documentation (every route, try them in the "
        f"browser) is at [{base}/api/docs]({base}/api/docs). A job sent through it joins the same fair "
        "queue and caps as the pages', and shows in your History like any other."
    )
    shown = st.session_state.get(NEW_TOKEN)
    st.code(EXAMPLE.format(base=base, token=shown[1] if shown else "YOUR-TOKEN"), language="python")


def tokens_panel(who: str) -> None:
    st.subheader("Your tokens")
    shown = st.session_state.get(NEW_TOKEN)
    if shown:
        with st.container(border=True):
            st.success(
                f"Your new token “{shown[0]}”. Copy it now: Atelier keeps only a fingerprint of it and cannot "
                "show it again."
            )
            st.code(shown[1], language=None)
            if st.button("I have copied it", key="api_token_hide", icon=":material/visibility_off:"):
                del st.session_state[NEW_TOKEN]
                st.rerun()
    with st.form("api_token_new", clear_on_submit=True, border=False):
        name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
        name = name_column.text_input(
            "Name", placeholder="what uses it: my notebook, the gallery script…", max_chars=tokens.MAX_NAME
        )
        if button_column.form_submit_button("Make a token", type="primary", icon=":material/key:"):
            try:
                token, kept = tokens.create(RUNS_DIR, who, name)
            except ValueError as error:
                st.error(str(error))
            else:
                st.session_state[NEW_TOKEN] = (kept.name, token)
                st.rerun()
    listed = tokens.listed(RUNS_DIR, who)
    if not listed:
        st.caption("No tokens yet: a program needs one to act as you.")
        return
    for token in listed:
        with st.container(border=True, key=f"api-token-{token.id}"):
            words, button = st.columns([5, 1], vertical_alignment="center")
            words.markdown(
                f"**{token.name}** · made {_when(token.created)} · last used {_when(token.last_used)} · `{token.id}…`"
            )
            if button.button("Revoke", key=f"api_revoke_{token.id}", icon=":material/key_off:"):
                tokens.revoke(RUNS_DIR, who, token.id)
                st.toast(f"Revoked “{token.name}”: it no longer opens anything.", icon=":material/key_off:")
                st.rerun()
