"""The Datasette peer benchmark runs (small) in every test run, so it cannot rot: Datasette started
on a 6,000-person roster file the roster's fill made, asked over HTTP for the roster's searches,
beside Jiangxin's own. What is asserted is that both found the same people (count and page), that
each figure was reported and that Datasette was stopped after, never a time."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

from tests.helpers import ROOT


def test_datasette_and_the_roster_find_the_same_people_and_each_is_timed(tmp_path):
    database = tmp_path / "roster.db"
    env = {**os.environ, "JIANGXIN_DATABASE_URL": f"sqlite:///{database}", "JIANGXIN_VAR_DIR": str(tmp_path / "var"),
           "JIANGXIN_PLUGIN_PATH": "", "JIANGXIN_DISABLED_PLUGINS": ""}
    subprocess.run([sys.executable, "-c", "import sys; sys.path[:0] = ['.', 'bench']; from roster import fill; "
                    f"fill('sqlite:///{database}', 6000)"], cwd=ROOT, env=env, check=True, timeout=120)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "peer.py"), "--database", str(database),
                           "--repeat", "3"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"the roster in {database}" in out and "6,000 people; Datasette " in out
    for label in ("one county + name fragment 建国", "name fragment 建国, whole city", "one county, no text"):
        assert f"| {label} |" in out, label
    assert "| NO |" not in out
    # Datasette's own filter syntax, on the file's name
    assert "/roster/registry_person.json?county_code=330182&name__contains=%E5%BB%BA%E5%9B%BD" in out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["bench"] == "peer" and result["people"] == 6000 and len(result["figures"]) == 3
    for figure in result["figures"]:
        assert figure["same"] is True and figure["matches"] == figure["peer_count"]
        assert figure["ms"] > 0 and figure["floor_ms"] > 0 and figure["peer_default_ms"] > 0
    both, whole, county = result["figures"]
    assert county["matches"] > 50 and county["rows"] == 50  # a full page of the county's people
    assert 1 <= both["matches"] <= min(whole["matches"], county["matches"])
    port = int(re.search(r"on 127\.0\.0\.1:(\d+)", out).group(1))
    with socket.socket() as sock:  # stopped: nothing answers on its port any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0
