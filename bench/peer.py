"""A peer on the same data: Datasette serving the roster's SQLite file, beside Jiangxin's roster search.

    python bench/peer.py                          # 200,000 people (a province)
    python bench/peer.py --people 2000 --repeat 5 # the test suite's run
    python bench/peer.py --database roster.db     # an SQLite file the roster fill made (kept as is)

The roster is filled by bench/generate.py (its roster part; bench/roster.py's fill where that
is missing), unless ``--database`` names a file already filled. Datasette is started on it as a
subprocess (``datasette serve``, its default settings, a free port on 127.0.0.1) and asked over
HTTP, one keep-alive connection, for its table page as JSON, filtered the way 人员名册 filters: a
county and a name fragment (``county_code=…``, ``name__contains=建国``, the deceased left out as
the roster leaves them out by default), 50 rows sorted by name. Beside it, in this process,
Jiangxin's own search: ``count_people`` + ``find_people`` + ``honours_of`` with the same
``PersonFilter`` 人员名册 builds, each run in a fresh read session, as a page's rerun does.
Datasette counts the matches too (``filtered_table_rows_count``): both counts and both pages are
checked to be the same people. Datasette, as served, also runs its facet suggestions (a query
per column) on every table page; it is timed so and with ``_nosuggest=1`` (count and page only,
what Jiangxin does). Medians of alternate rounds. Goal: Jiangxin's search at or under
Datasette's response time without the suggestions (the stricter of the two). The last line is
the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL = 1.0  # Jiangxin's time / Datasette's
COUNTY = "330182"  # 建德市
FRAGMENT = "建国"
PAGE = 50
REPEAT = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_datasette(database: Path, port: int, log: Path):
    """``datasette serve`` on ``database`` (read as it is, never written), answering on ``port``
    once this returns; the process, to stop after."""
    import httpx

    executable = shutil.which("datasette", path=str(Path(sys.executable).parent)) or "datasette"
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([executable, "serve", str(database), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    proc.log = out
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"datasette stopped (exit {proc.returncode}): {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(proc)
    raise SystemExit("datasette did not answer within 60 s")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log.close()


def searches():
    """(label, PersonFilter, Datasette's query string): each search as both ask it."""
    from plugins.registry.queries import PersonFilter
    from plugins.registry.vocab import DECEASED

    living = {"status__not": DECEASED, "_size": str(PAGE), "_sort": "name"}
    return [
        (f"one county + name fragment {FRAGMENT}", PersonFilter(counties=(COUNTY,), text=FRAGMENT),
         {"county_code": COUNTY, "name__contains": FRAGMENT, **living}),
        (f"name fragment {FRAGMENT}, whole city", PersonFilter(text=FRAGMENT),
         {"name__contains": FRAGMENT, **living}),
        ("one county, no text", PersonFilter(counties=(COUNTY,)), {"county_code": COUNTY, **living}),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000, help="the roster's size (bench/roster.py fill)")
    parser.add_argument("--database", metavar="FILE",
                        help="an SQLite file already filled by the roster fill (not filled again)")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds per figure (medians)")
    args = parser.parse_args()

    import httpx
    from people_search import medians_ms

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.database).resolve() if args.database else Path(tmp) / "roster.db"
        url = f"sqlite:///{path}"
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        from sqlalchemy import func, select

        from core.data.db import read_session
        from plugins.registry.models import Person
        from plugins.registry.queries import count_people, find_people, honours_of

        if args.database:
            if not path.exists():
                raise SystemExit(f"{path} does not exist")
            print(f"the roster in {path}")
        else:
            t0 = time.perf_counter()
            try:  # every plugin's data for the scale; the roster's is what is searched
                from generate import generate
            except ImportError:  # bench/roster.py: the same people as the roster's benchmark
                from roster import fill

                fill(url, args.people)
                how = "bench/roster.py fill"
            else:
                os.environ.setdefault("JIANGXIN_COOKIE_KEY", "bench-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz")
                generate(url, args.people, 0, 0, 0)
                how = "bench/generate.py, the roster's part"
            print(f"filled {args.people:,} people ({how}) in {time.perf_counter() - t0:.1f} s (SQLite, WAL)")
        with read_session() as s:
            people = s.scalar(select(func.count()).select_from(Person))
        port = free_port()
        proc = start_datasette(path, port, Path(tmp) / "datasette.log")
        try:
            version = httpx.get(f"http://127.0.0.1:{port}/-/versions.json").json()["datasette"]["version"]
            print(f"{people:,} people; Datasette {version} on 127.0.0.1:{port}, default settings\n")
            rows = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                for label, flt, query in searches():
                    page_url = f"/{path.stem}/registry_person.json?" + urllib.parse.urlencode(query)

                    def peer(page_url=page_url):
                        reply = client.get(page_url)
                        reply.raise_for_status()
                        return reply.json()

                    def lean(page_url=page_url + "&_nosuggest=1"):  # count + page, as Jiangxin
                        return peer(page_url)

                    def ours(flt=flt):
                        with read_session() as s:
                            total = count_people(s, flt)
                            found = find_people(s, flt)
                            honours_of(s, [p.id for p in found])
                            return total, found

                    answer, (total, found) = peer(), ours()
                    names = [dict(zip(answer["columns"], row, strict=True))["name"] for row in answer["rows"]] \
                        if answer["rows"] and isinstance(answer["rows"][0], list) else [r["name"] for r in answer["rows"]]
                    same = answer.get("filtered_table_rows_count") == total and \
                        names == [p.name for p in found]
                    same = same and len(lean()["rows"]) == len(found)
                    ours_ms, peer_ms, lean_ms = medians_ms(ours, peer, lean, repeat=args.repeat)
                    rows.append({"label": label, "matches": total, "peer_count": answer.get("filtered_table_rows_count"),
                                 "rows": len(found), "same": same, "ms": ours_ms, "floor_ms": lean_ms,
                                 "peer_default_ms": peer_ms, "ratio": ours_ms / lean_ms,
                                 "ratio_default": ours_ms / peer_ms, "url": page_url})
        finally:
            stop(proc)
        goal = f"Jiangxin ≤ {GOAL} × Datasette's count + page (over HTTP), the same people"
        for r in rows:
            r.update(goal=goal, holds=r["same"] and r["ratio"] <= GOAL)
        print(f"| search (page of {PAGE}, medians of {args.repeat}) | matches (Jiangxin / Datasette) | same people "
              "| Jiangxin: count + page + honours (ms) | floor: Datasette, count + page, `_nosuggest=1` (ms) "
              "| ratio | holds | Datasette as served, with its facet suggestions (ms) | ratio |")
        print("| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |")
        for r in rows:
            print(f"| {r['label']} | {r['matches']:,} / {r['peer_count']:,} | {'yes' if r['same'] else 'NO'} "
                  f"| {r['ms']:.2f} | {r['floor_ms']:.2f} | {r['ratio']:.2f} | {'yes' if r['holds'] else 'no'} "
                  f"| {r['peer_default_ms']:.2f} | {r['ratio_default']:.2f} |")
        print(f"\nDatasette's URL for the first: {rows[0]['url']}")
        missed = [r["label"] for r in rows if not r["holds"]]
        print(f"goal {goal}: " + ("met" if not missed else "missed by " + "; ".join(missed)))
        print(json.dumps({"bench": "peer", "people": people, "datasette": version,
                          "figures": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                                      for r in rows]}, ensure_ascii=False))
    return 0 if all(r["same"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
