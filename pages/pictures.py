"""What pages draw in the browser's own terms: pictures inlined in the HTML, and scrolling to a part of the page."""

import base64
import html
import json

import streamlit as st


def picture_html(jpeg: bytes, caption: str, width: str = "100%") -> str:
    """A JPEG inlined as a data URL, with its caption (a visitor's file name stays text).

    It survives a live panel's reruns, which make Streamlit drop the media files of st.image drawn outside them.
    """
    data = base64.b64encode(jpeg).decode()
    return (
        f'<figure style="margin:0;text-align:center"><img src="data:image/jpeg;base64,{data}" '
        f'style="width:{width};border-radius:6px" alt="{html.escape(caption)}">'
        f'<figcaption style="font-size:0.8rem;color:#666">{html.escape(caption)}</figcaption></figure>'
    )


def scroll_into_view(key: str) -> None:
    """Scroll the page to the container with this key, once its content is drawn (a fragment's may come later)."""
    selector = json.dumps(f".st-key-{key}")
    st.html(
        f"""<script>
        (function find(tries) {{
          const panel = document.querySelector({selector});
          if (panel && panel.innerText.trim()) {{
            panel.style.scrollMarginTop = "4rem";  // below Streamlit's fixed header
            panel.scrollIntoView({{behavior: "smooth", block: "start"}});
          }}
          else if (tries > 0) setTimeout(find, 100, tries - 1);
        }})(300);  // up to 30 s: a busy server may take that long to draw it
        </script>""",
        unsafe_allow_javascript=True,
    )
