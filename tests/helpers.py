"""Constants and helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_PLUGINS = ROOT / "tests" / "plugins"
BROKEN_PLUGINS = ROOT / "tests" / "broken_plugins"
APP = ROOT / "dashboard" / "app.py"
COOKIE_KEY = "test-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"
CORE_ONLY = "registry,workshops,events"  # the built-in plugins core's own tests run without
PASSWORD = "correct-horse-9"
# username, display name, role, county
ACCOUNTS = (
    ("admin", "管理员甲", "admin", None),
    ("reviewer", "审核员乙", "reviewer", None),
    ("manager", "领导丙", "manager", None),
    ("staff_jd", "建德工作人员", "staff", "330182"),
    ("staff_ca", "淳安工作人员", "staff", "330127"),
)
NOTES = (("建德便签一", "330182"), ("建德便签二", "330182"), ("淳安便签", "330127"),
         ("上城便签", "330102"))


class EarlyWork:
    """Slow work a test runs in a process of its own and only waits for, started from the
    beginning of the run (tests/conftest.py) one process after another, so that it uses the
    second core while the other tests run on the first. A test module lists its own as
    START_EARLY = {test name: function that starts the process and returns it}. In a
    pytest-xdist worker (``make test``) nothing is begun early: the worker cannot tell which of
    the collected tests it will be handed, and the other worker keeps the second core busy; each
    such test starts its process itself (``take``)."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._pending: dict = {}  # test name -> start, not begun
        self._begun: dict = {}  # test name -> process, not yet taken by its test

    def begin(self, jobs: dict) -> None:
        """Run ``jobs`` (test name -> start) in order, one at a time, in a thread."""
        import threading

        with self._lock:
            self._pending.update(jobs)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                name = next(iter(self._pending))
                proc = self._begun[name] = self._pending.pop(name)()
            proc.wait()

    def take(self, test_name: str, start):
        """The process begun early for ``test_name``; or, not begun yet (or run alone), started now."""
        with self._lock:
            self._pending.pop(test_name, None)
            proc = self._begun.pop(test_name, None)
        return proc if proc is not None else start()

    def stop(self) -> None:
        """Kill what no test took (the run stopped before those tests)."""
        with self._lock:
            self._pending.clear()
            left, self._begun = list(self._begun.values()), {}
        for proc in left:
            proc.kill()


early_work = EarlyWork()


def take_started(test_name: str, start):
    """What ``start()`` returned when the run began for ``test_name`` (see ``EarlyWork``), or
    (run alone, or not begun yet) what it returns now."""
    return early_work.take(test_name, start)


def start_process(args: list[str], **kwargs):
    """``subprocess.Popen(args, **kwargs)`` with its output kept in temporary files (a pipe nobody
    reads yet could fill and stop it); ``finish`` waits for it."""
    import subprocess
    import tempfile

    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    proc = subprocess.Popen(args, stdout=out, stderr=err, **kwargs)
    proc.out, proc.err = out, err
    return proc


def finish(proc, timeout: float = 300):
    """Wait for a process of ``start_process`` (killed if it outlives ``timeout``); its exit code
    and output as ``subprocess.run(..., capture_output=True, text=True)`` gives them."""
    import subprocess

    try:
        code = proc.wait(timeout=timeout)
    finally:
        proc.kill()  # (nothing if it ended)
    output = []
    for file in (proc.out, proc.err):
        file.seek(0)
        output.append(file.read().decode("utf-8", "replace"))
        file.close()
    return subprocess.CompletedProcess(proc.args, code, *output)


def testkit():
    """The test plugin's module as the host loaded it (importing it again would redefine its
    tables)."""
    from core.host.loader import get_host

    return get_host().pm.get_plugin("jx_testkit")


def signed_in_app(username: str | None, page: str | None = None, query: dict | None = None):
    """The real app under AppTest, signed in as ``username`` (None: signed out), first run done.

    Sign-in is seeded the way streamlit-authenticator leaves it after a successful form.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=30)
    if username is not None:
        role = next(a[2] for a in ACCOUNTS if a[0] == username)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["roles"] = [role]
        at.session_state["jiangxin_session_generation"] = _generation(username)
    if page is not None:
        at.session_state["jiangxin_start_page"] = page
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _generation(username: str) -> int | None:
    """The account's current session generation (a seeded session belongs to it)."""
    from core.access import auth
    from core.data.db import read_session

    with read_session() as session:
        return auth.session_generation(session, username)


def texts(at) -> str:
    """Everything an AppTest run shows as text, joined (for "does the page show X" checks)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "metric", "text"):
        for el in at.get(kind):
            parts.append(shown(getattr(el, "value", "")))
            parts.append(shown(getattr(el, "label", "")))
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(parts)


def shown(source) -> str:
    """The text a Markdown string shows once data in it went through ``core.ui.text.literal``:
    its backslash escapes, word joiners and hard breaks undone (AppTest sees the source)."""
    import re
    import string

    from core.ui.text import JOINER

    text = str(source).replace(JOINER, "").replace("  \n", "\n")
    text = re.sub(r"&#(32|9);", lambda m: chr(int(m[1])), text)
    return re.sub(rf"\\([{re.escape(string.punctuation)}])", r"\1", text)
