"""The ``jiangxin`` command line. Exit codes: 0 done, 1 refused (nothing written), 2 wrong usage."""

from __future__ import annotations

import argparse
import getpass
import os
import random
import sys
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.exc import DatabaseError

from core.access import auth
from core.access.grants import grant_app_role, require_roles
from core.access.permissions import PermissionDenied
from core.data.audit import Actor
from core.data.db import (
    DatabaseMissing,
    DatabaseUnavailable,
    create_database,
    earlier_use,
    file_identity,
    get_engine,
    leftovers,
    read_session,
    recorded_databases,
    remember_database,
    session_scope,
    sqlite_file,
    unavailable,
)
from core.data.migrate import SchemaOutOfDate, check_schema, unloaded_revisions, upgrade
from core.data.models import ROLE_LABELS, ROLES, User
from core.host.loader import SOURCE_LABELS, PluginError, get_host
from core.settings.config import ConfigError, load_settings
from core.settings.counties import county_name, load_counties
from core.spreadsheet import UnreadableFile

DEMO_PASSWORD = "jiangxin-demo"
DEMO_ACCOUNTS = (  # username, display name, role, county
    ("demo_admin", "演示管理员", "admin", None),
    ("demo_reviewer", "演示审核员", "reviewer", None),
    ("demo_manager", "演示领导", "manager", None),
    ("demo_staff", "演示建德工作人员", "staff", "330182"),
    ("demo_staff_ca", "演示淳安工作人员", "staff", "330127"),  # several counties' staff file the
    ("demo_staff_xs", "演示萧山工作人员", "staff", "330109"),  # demo's change requests
)
CLI_ACTOR = Actor(f"cli:{os.environ.get('USER', 'unknown')}", "admin", None)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_APP = PROJECT_ROOT / "dashboard" / "app.py"


class Refused(Exception):
    """The input was refused: print the message, exit 1."""


class Usage(Exception):
    """Wrong usage or an unreadable file: print the message, exit 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except (Refused, auth.AccountError, ConfigError, SchemaOutOfDate, PermissionDenied,
            PluginError) as exc:  # PluginError: a broken plugin in strict mode
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (Usage, UnreadableFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:  # missing, removed under us, damaged
        print(f"error: {exc.en}", file=sys.stderr)
        return 1
    except DatabaseError as exc:  # SQLAlchemy's, OperationalError included
        problem = unavailable(exc)
        print(f"error: {problem.en}" if problem else f"error: cannot use the database: {exc.orig}",
              file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jiangxin", description="Jiangxin (匠心) dashboard")
    sub = p.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="start the dashboard")
    run.add_argument("--port", type=int, default=8501)
    run.set_defaults(func=cmd_run)

    init = sub.add_parser("init-db", help="create or upgrade the database schema")
    init.add_argument("--create", action="store_true",
                      help="create an empty SQLite file even though this folder was used before")
    init.add_argument("--grant-to", metavar="ROLE",
                      help="PostgreSQL: then grant ROLE (owning nothing) what the app needs")
    init.set_defaults(func=cmd_init_db)

    health = sub.add_parser("health", help="check that the database opens and is current")
    health.add_argument("--integrity", action="store_true",
                        help="also read every page of an SQLite file (PRAGMA quick_check)")
    health.set_defaults(func=cmd_health)

    demo = sub.add_parser("demo", help="fill an empty database with demo data and accounts")
    demo.add_argument("--password", default=DEMO_PASSWORD)
    demo.add_argument("--seed", type=int, default=20260926)
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing (exit 0) when the database already has accounts")
    demo.set_defaults(func=cmd_demo)

    sub.add_parser("plugins", help="list plugins, loaded or failed").set_defaults(func=cmd_plugins)

    tpl = sub.add_parser("template", help="write an empty spreadsheet to fill in")
    tpl.add_argument("table")
    tpl.add_argument("file", type=Path)
    tpl.set_defaults(func=cmd_template)
    imp = sub.add_parser("import", help="import a spreadsheet: all rows or none")
    imp.add_argument("table")
    imp.add_argument("file", type=Path)
    imp.add_argument("--county", help="county code: rows must belong to it (blank ones get it)")
    imp.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser("export", help="export a table to .xlsx")
    exp.add_argument("table")
    exp.add_argument("file", type=Path)
    exp.add_argument("--county", help="county code; omit for the whole city")
    exp.set_defaults(func=cmd_export)

    rep = sub.add_parser("report", help="write the yearly report (年度工作报告) to .docx or .xlsx")
    rep.add_argument("--year", type=int, required=True, help="the year reported on")
    rep.add_argument("--county", help="county code; omit for the whole city")
    rep.add_argument("file", type=Path, help="FILE.docx (Word) or FILE.xlsx (Excel)")
    rep.set_defaults(func=cmd_report)

    users = sub.add_parser("users", help="manage accounts")
    usub = users.add_subparsers(metavar="ACTION", required=True)
    add = usub.add_parser("add", help="create an account (its user must choose their own "
                          "password at the first sign-in)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--county", help="county code; omit for the whole city")
    add.add_argument("--password", help="read from the terminal when omitted")
    add.set_defaults(func=cmd_users_add)
    usub.add_parser("list", help="list accounts").set_defaults(func=cmd_users_list)
    dis = usub.add_parser("disable", help="disable (or --enable) an account")
    dis.add_argument("username")
    dis.add_argument("--enable", action="store_true")
    dis.set_defaults(func=cmd_users_disable)
    pw = usub.add_parser("passwd", help="set an account's password (and lift a lockout); "
                         "its user must choose their own at the next sign-in")
    pw.add_argument("username")
    pw.add_argument("--password", help="read from the terminal when omitted")
    pw.set_defaults(func=cmd_users_passwd)
    return p


def _ready_host():
    """The plugin host, after checking that the schema is current."""
    host = get_host()
    check_schema(get_engine(), host)
    return host


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise Refused("the two passwords differ")
    return first


def cmd_run(args) -> int:
    settings = load_settings()
    settings.require_cookie_key()
    _ready_host()
    if not settings.demo:
        _refuse_demo_passwords()
    # Streamlit reads .streamlit/config.toml from its working directory and puts that directory
    # first on the import path: start it from the project, with every setting made absolute.
    os.environ["JIANGXIN_VAR_DIR"] = str(settings.var_dir)
    os.environ["JIANGXIN_DATABASE_URL"] = settings.database_url
    os.environ["JIANGXIN_PLUGIN_PATH"] = os.pathsep.join(str(p) for p in settings.plugin_path)
    if settings.counties_file:
        os.environ["JIANGXIN_COUNTIES_FILE"] = str(settings.counties_file.resolve())
    os.chdir(PROJECT_ROOT)
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    # dashboard/pages/ holds the core pages' modules, but Streamlit takes a pages/ folder beside
    # the main script for an old-style multipage app until st.navigation first runs: a fresh
    # server's first session would answer a deep link with its English "Page not found" notice.
    # The app navigates itself, so tell Streamlit so before it starts.
    PagesManager.uses_pages_directory = False
    sys.argv = [
        "streamlit", "run", str(DASHBOARD_APP),
        "--server.port", str(args.port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
        # data leaves only through the audited exports: no CSV download from the grids
        "--client.disableDataExport", "true",
        # A set address also stops Streamlit from asking an outside host for our public IP.
        "--browser.serverAddress", os.environ.get("STREAMLIT_BROWSER_SERVER_ADDRESS", "localhost"),
        # no upload larger than the largest file the app accepts: a spreadsheet (the roster's
        # attachments, at most 5 MB, are checked by their size before they are read)
        "--server.maxUploadSize", str(settings.max_upload_mb),
    ]
    streamlit_cli.main()  # the Streamlit server, in this process, until it stops
    return 0


def _refuse_demo_passwords() -> None:
    """Outside demo mode, a demo account that still has the published password is a door
    anyone can open: refuse to serve until it is changed or disabled."""
    names = [username for username, *_ in DEMO_ACCOUNTS]
    with read_session() as session:
        found = session.execute(select(User.username, User.password_hash)
                                .where(User.username.in_(names), User.disabled.is_(False))).all()
    open_doors = [name for name, hashed in found if auth.check_password(DEMO_PASSWORD, hashed)]
    if open_doors:
        raise Refused(
            f"demo accounts still have the demo password ({', '.join(open_doors)}): this is not "
            "demo mode, so disable them (`jiangxin users disable NAME`) or set a password "
            "(`jiangxin users passwd NAME`) before serving")


def cmd_init_db(args) -> int:
    host = get_host()
    if args.grant_to:
        require_roles(load_settings().database_url)  # SQLite: refused before anything is done
    db_file = _create_sqlite_file(args.create)
    upgrade(get_engine(), host)
    if args.grant_to:
        print(f"granted to {args.grant_to}: {len(grant_app_role(get_engine(), args.grant_to))} tables")
    if db_file is not None:
        remember_database(db_file)  # this folder has a database now: losing it will be reported
    print(f"database at head: {get_engine().url.render_as_string(hide_password=True)}")
    for plugin, path in host.migration_dirs.items():
        print(f"  {plugin}: {path}")
    for revision in unloaded_revisions(get_engine(), host):
        print(f"  kept: {revision} (a plugin that is not loaded now: its tables are left as they are)")
    return 0


def _create_sqlite_file(create: bool) -> Path | None:
    """init-db's first step: the SQLite file (None for PostgreSQL), created when missing —
    unless this var folder was used before and ``create`` was not given."""
    url = load_settings().database_url
    path = sqlite_file(url)
    if path is None or path.exists():
        return path
    earlier = earlier_use(path)
    if earlier and not create:
        raise DatabaseMissing(str(path), earlier)
    for old in leftovers(path):
        print(f"moved aside (not replayed into the new database): {old}")
    create_database(url)
    print(f"created an empty database: {path}")
    return path


def cmd_health(args) -> int:
    """Exit 0 when the database opens, is the file init-db recorded, and has a current schema."""
    settings = load_settings()
    host = get_host()
    engine = get_engine()
    check_schema(engine, host)  # opens the file and reads it: missing, damaged, out of date
    where = engine.url.render_as_string(hide_password=True)
    path = sqlite_file(settings.database_url)
    if path is None:
        print(f"ok: {where}, schema current")
        return 0
    inode = file_identity(engine)[1]
    recorded = recorded_databases().get(str(path), {}).get("inode")
    if recorded is not None and recorded != inode:
        raise Refused(
            f"the database file {path} is not the one `jiangxin init-db` recorded (inode "
            f"{recorded}, now {inode}): it was replaced while in use, or restored. Running "
            "servers refuse to use a replaced file: if this file is the right one, run "
            "`jiangxin init-db` to record it and restart the servers")
    if args.integrity:
        with engine.connect() as conn:
            found = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
        if found != ["ok"]:
            raise Refused(f"the database file {path} is damaged ({'; '.join(found[:5])}): "
                          "restore it from a backup")
    note = "" if recorded is not None else " (not recorded by init-db: run it once to record it)"
    print(f"ok: {where}, schema current, file inode {inode}{note}"
          + (", integrity ok" if args.integrity else ""))
    return 0


def cmd_demo(args) -> int:
    from faker import Faker

    if not load_settings().demo:
        raise Refused("the demo creates accounts with a published password: it runs only in demo "
                      "mode (JIANGXIN_DEMO=1, as `make run` sets it), never on a real server")
    host = _ready_host()
    with read_session() as session:
        has_accounts = session.scalar(select(exists().where(User.id.is_not(None))))
    if has_accounts:
        if args.if_empty:
            print("database already has data: demo not loaded")
            return 0
        raise Refused("the database already has accounts: the demo only fills an empty database")
    faker = Faker("zh_CN")
    faker.seed_instance(args.seed)
    random.seed(args.seed)
    with session_scope(Actor("demo", "admin", None)) as session:
        for username, name, role, county in DEMO_ACCOUNTS:
            auth.create_user(session, username, name, role, county, args.password)
        host.call_each("jiangxin_demo_data", savepoints=session, session=session, faker=faker,
                       seed=args.seed)
    for record in host.failed():
        for problem in record.problems:
            if problem.startswith("jiangxin_demo_data"):
                print(f"warning: plugin {record.name} added no demo data: {problem}", file=sys.stderr)
    print(f"demo accounts (password: {args.password}):")
    for username, _name, role, county in DEMO_ACCOUNTS:
        print(f"  {username:<14} {ROLE_LABELS[role]} · {county_name(county)}")
    return 0


def cmd_plugins(_args) -> int:
    host = get_host()
    for r in host.records.values():
        state = {"loaded": "loaded", "failed": "FAILED", "disabled": "disabled"}[r.status]
        print(f"{r.name:<20} {state:<9} {r.version or '-':<8} {SOURCE_LABELS.get(r.source, r.source)}"
              f"  {r.location}")
        if r.hooks:
            print(f"    hooks: {', '.join(r.hooks)}")
        if r.error:
            print(f"    error: {r.error}")
        for problem in r.problems:
            print(f"    problem: {problem}")
    return 1 if host.failed() else 0


def _table(host, name: str):
    table = host.spreadsheet_tables.get(name)
    if table is None:
        known = ", ".join(host.spreadsheet_tables) or "none"
        raise Usage(f"unknown table {name!r} (tables: {known})")
    return table


def _county_scope(code: str | None) -> tuple[str, ...] | None:
    if code is None:
        return None
    if code not in {c.code for c in load_counties()}:
        raise Usage(f"unknown county code {code}")
    return (code,)


def cmd_template(args) -> int:
    from core.spreadsheet import template_bytes

    table = _table(get_host(), args.table)
    try:
        args.file.write_bytes(template_bytes(table))
    except OSError as exc:
        raise Usage(f"cannot write {args.file}: {exc.strerror}") from exc
    print(f"template for {table.name} ({table.title}) written to {args.file}")
    return 0


def cmd_import(args) -> int:
    from core.spreadsheet import import_file

    table = _table(_ready_host(), args.table)
    if table.write_rows is None:
        raise Usage(f"table {table.name} can only be exported")
    counties = _county_scope(args.county)
    if not args.file.is_file():
        raise Usage(f"no such file: {args.file}")
    result = import_file(table, args.file, CLI_ACTOR, counties=counties, dry_run=args.dry_run)
    if result.sheet_position:  # not the first sheet: say which one was read
        print(f"sheet: {result.sheet}")
    for problem in result.problems:
        where = f"row {problem.row}" if problem.row else "file"
        print(f"{where}, {problem.header}: {problem.reason}" if problem.header
              else f"{where}: {problem.reason}")
    if result.ignored_columns:
        print(f"ignored columns: {result.ignored_text(', ')}")
    if result.already_present:
        rows = ", ".join(map(str, result.already_present[:20]))
        more = " ..." if len(result.already_present) > 20 else ""
        print(f"already present, skipped: {len(result.already_present)} rows ({rows}{more})")
    if not result.ok:
        print(f"refused: {len(result.problems)} problems in {result.rows} rows; nothing was written")
        return 1
    if args.dry_run:
        print(f"dry run: {result.rows} rows read, {result.to_write} would be imported; nothing was written")
    else:
        print(f"imported {result.written} of {result.rows} rows into {table.name}")
    return 0


def cmd_export(args) -> int:
    from core.spreadsheet import export_file

    table = _table(_ready_host(), args.table)
    if table.export_rows is None:
        raise Usage(f"table {table.name} can only be imported")
    counties = _county_scope(args.county)
    if not args.file.parent.is_dir():
        raise Usage(f"cannot write {args.file}: no such folder")
    count = export_file(table, args.file, CLI_ACTOR, counties)
    print(f"exported {count} rows of {table.name} to {args.file}")
    return 0


def cmd_report(args) -> int:
    from core.report.build import report_years
    from core.report.files import MIME, write_report

    if args.file.suffix.lower().lstrip(".") not in MIME:
        raise Usage(f"cannot write {args.file}: the file must end in .docx (Word) or .xlsx (Excel)")
    if not args.file.parent.is_dir():
        raise Usage(f"cannot write {args.file}: no such folder")
    years = report_years()
    if args.year not in years:
        raise Usage(f"no report for {args.year}: the year must be from {years.start} to {years.stop - 1}")
    counties = _county_scope(args.county)
    _ready_host()
    try:
        report = write_report(CLI_ACTOR, args.year, counties, args.file)
    except OSError as exc:
        raise Usage(f"cannot write {args.file}: {exc.strerror}") from exc
    for plugin in report.missing:
        print(f"warning: plugin {plugin} added no section (see `jiangxin plugins`)", file=sys.stderr)
    print(f"wrote the {args.year} report ({county_name(counties[0]) if counties else 'whole city'}, "
          f"{len(report.sections)} section{'' if len(report.sections) == 1 else 's'}) to {args.file}")
    return 0


def cmd_users_add(args) -> int:
    _ready_host()
    county = args.county
    if county is not None and county not in {c.code for c in load_counties()}:
        raise Refused(f"unknown county code {county}")
    with session_scope(CLI_ACTOR) as session:
        # the operator chose the password: the user chooses their own at the first sign-in
        auth.create_user(session, args.username, args.name, args.role, county,
                         _password(args.password), must_change_password=True)
    print(f"created {args.username.lower()}")
    return 0


def cmd_users_list(_args) -> int:
    _ready_host()
    with read_session() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        for u in users:
            state = "disabled" if u.disabled else "active"
            print(f"{u.username:<20} {u.role:<9} {u.county_code or 'city':<7} {state:<9} {u.display_name}")
    return 0


def cmd_users_disable(args) -> int:
    _ready_host()
    with session_scope(CLI_ACTOR) as session:
        auth.update_user(session, args.username, disabled=not args.enable)
    print(f"{'enabled' if args.enable else 'disabled'} {args.username}")
    return 0


def cmd_users_passwd(args) -> int:
    _ready_host()
    with session_scope(CLI_ACTOR) as session:
        auth.set_password(session, args.username, _password(args.password),
                          must_change_password=True)
    print(f"password set for {args.username}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
