"""Downloads of sensitive data: generated on click, served once, gone a minute later.

``st.download_button(label, data=bytes)`` stores the file in Streamlit's media store when the
button is drawn, at ``/media/<hash>.xlsx``; that URL needs no cookie and works for anyone who
has it for as long as the session shows the button. Given a callable instead, Streamlit 1.67
draws the button without a file, calls the callable when the user clicks it (a "deferred"
download, over the session's own websocket) and stores the result under a URL that no session
references: the store's next two clean-ups remove it, and these run when any session's script
run ends. :func:`private_file` makes that callable, and also runs those clean-ups itself
``EXPIRY_SECONDS`` after each click, so the URL stops working within about a minute even on an
idle server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

EXPIRY_SECONDS = 60


def private_file(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """``data`` for ``st.download_button``: ``make()`` runs when the user clicks, and the file
    it made is removed from the media store about ``EXPIRY_SECONDS`` later."""

    def data() -> bytes:
        content = make()
        _expire_later()
        return content

    return data


def _expire_later() -> None:
    from streamlit import runtime

    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr
    # a clean-up marks an unreferenced download, the next one deletes it
    for delay in (EXPIRY_SECONDS, EXPIRY_SECONDS + 1):
        timer = threading.Timer(delay, manager.remove_orphaned_files)
        timer.daemon = True
        timer.start()
