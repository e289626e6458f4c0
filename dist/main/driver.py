"""Runs a Django project's deploy steps (check, migrate, collectstatic) in one process.

Protocol (run with the project's venv Python, cwd = the project directory):

    python driver.py --project-dir DIR --manage-py manage.py --result RESULT.json
        [--settings MODULE] [--migrate] [--database ALIAS] [--collectstatic]
        [--check none|system|deploy] [--check-fail-level ERROR|WARNING] [--check-migrations]
        [--migrate-plan] [--migration-lint none|warn|error] [--lock-timeout S]
        [--statement-timeout S] [--expect-django VERSION] [--expect-settings MODULE]

The project's own manage.py runs as __main__ (so its .env loading, settings choice and
sys.path changes happen as with `python manage.py migrate`); the driver takes over where it
calls django.core.management.execute_from_command_line (or ManagementUtility.execute), then
does django.setup() once and, in order: reads the settings facts, runs the system checks,
looks for model changes lacking migrations, migrates --database, collects static files.
--migrate and --migrate-plan first review the pending migrations (migration_review.py beside
this file: the SQL of each on this database, lint findings; --migration-lint error fails before
anything is applied); --migrate-plan stops there. --expect-* (deploying an artifact) fail before
any phase when this runner's Django or settings module differ from the build's.

The result JSON is written to --result (stdout belongs to the project), even on SystemExit:
    success, exit 0: {"ok": true, "django_version", "settings_module", "static_root",
        "static_url", "wsgi_application", "asgi_application",
        "databases": {alias: {engine, name, host, port, user}}, "secrets": [db passwords],
        "checks": [{id, level, msg, hint, obj}], "missing_migrations": {app: [ops]} | null,
        "migrations": {"planned": ["app.name"], "applied": [...],
            "database": {alias, vendor, engine, name, host, port}} | null,
        "migration_plan": [{label, app, name, file, atomic, sql, sql_error, operations,
            findings: [{rule, message, fix, operation, line, allowed, allow_reason}],
            lint_error}] | null,
        "lint": {"level", "findings", "allowed"} | null,
        "timeouts": {"lock_timeout", "statement_timeout", "applied"} | null,
        "static": {"copied", "unmodified", "post_processed", "total"} | null,
        "timings": {"setup", "check", "check_migrations", "migrate", "collectstatic": secs}}
    failure, exit 2: the same keys as far as known, "ok": false and
        "error": {"code", "message", "detail": {...}, "traceback": str | null}
    codes: manage_py_missing, django_missing, manage_py_failed, manage_py_no_django,
        settings_import, improperly_configured, check_failed, missing_migrations,
        database_unreachable, migration_failed, migration_lint, migration_timeout,
        artifact_mismatch, static_root_unset, collectstatic_failed, unexpected.
Database passwords are listed in "secrets" and redacted from the free text (the error, the check
messages), never from structured values such as paths: the action masks them in the log.
Stdlib only; Python 3.8+, Django 3.2+.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import runpy
import sys
import time
import traceback

LEVEL_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
LEVEL_NUMBERS = {name: number for number, name in LEVEL_NAMES.items()}
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "site-packages"}


class Failure(Exception):
    """A failure with a stable code, a message saying how to fix it, and details."""

    def __init__(self, code, message, detail=None, tb=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or {}
        self.tb = tb


class HookDone(BaseException):
    """Raised from the hook to unwind out of manage.py once the driver's work is done."""


# --------------------------------------------------------------------------- arguments


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", required=True)
    parser.add_argument("--manage-py", default="manage.py")
    parser.add_argument("--result", required=True)
    parser.add_argument("--settings", default="")
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--database", default="default")
    parser.add_argument("--collectstatic", action="store_true")
    parser.add_argument("--check", choices=["none", "system", "deploy"], default="system")
    parser.add_argument(
        "--check-fail-level", type=str.upper, choices=sorted(LEVEL_NUMBERS), default="ERROR"
    )
    parser.add_argument("--check-migrations", action="store_true")
    add_review_args(parser)
    return parser.parse_args(argv)


def add_review_args(parser):
    """The migration review and the deploy-from-artifact expectations."""
    parser.add_argument("--migrate-plan", action="store_true")
    parser.add_argument("--migration-lint", choices=["none", "warn", "error"], default="warn")
    parser.add_argument("--lock-timeout", type=float, default=0)
    parser.add_argument("--statement-timeout", type=float, default=0)
    parser.add_argument("--expect-django", default="")
    parser.add_argument("--expect-settings", default="")


def load_review_module():
    """migration_review.py beside this file, under a name no project module can shadow."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migration_review.py")
    spec = importlib.util.spec_from_file_location("_setup_django_migration_review", path)
    module = importlib.util.module_from_spec(spec)
    # No __pycache__ in the action's own folder (dist/ is the action as committed).
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


def manage_py_argv(opts, manage_py):
    """The sys.argv manage.py sees: the command `python manage.py ...` would be run with."""
    if opts.migrate:
        return [manage_py, "migrate", "--noinput"]
    if opts.migrate_plan:
        return [manage_py, "migrate", "--plan"]
    if opts.collectstatic:
        return [manage_py, "collectstatic", "--noinput"]
    return [manage_py, "check"] + (["--deploy"] if opts.check == "deploy" else [])


# --------------------------------------------------------------------------- the report


def new_report():
    return {
        "ok": False,
        "django_version": None,
        "settings_module": None,
        "static_root": None,
        "static_url": None,
        "wsgi_application": None,
        "asgi_application": None,
        "databases": {},
        "secrets": [],
        "checks": [],
        "missing_migrations": None,
        "migrations": None,
        "migration_plan": None,
        "lint": None,
        "timeouts": None,
        "static": None,
        "timings": {},
    }


def error_entry(failure):
    return {
        "code": failure.code,
        "message": failure.message,
        "detail": failure.detail,
        "traceback": failure.tb,
    }


def redact(value, secrets):
    """Replaces every secret inside the strings of value (a JSON-able structure)."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    return value


def redact_free_text(report, secrets):
    """Redacts the secrets in what is printed as text (the error, the check messages) only.

    Structured values (paths, names, counts) are kept as they are: a password that is also a
    path segment ("postgres", "app") must not turn STATIC_ROOT into ".../***/staticfiles". The
    action registers the secrets with the runner (add-mask), which masks them in the log.
    """
    public = dict(report)
    if public.get("error"):
        error = dict(public["error"])
        for key in ("message", "detail", "traceback"):
            error[key] = redact(error.get(key), secrets)
        public["error"] = error
    public["checks"] = [
        dict(entry, msg=redact(entry.get("msg"), secrets), hint=redact(entry.get("hint"), secrets))
        for entry in public.get("checks") or []
    ]
    if public.get("migration_plan"):
        # The SQL is printed (migrate: plan); the labels and files are names.
        public["migration_plan"] = [
            dict(entry, sql=redact(entry.get("sql"), secrets)) if isinstance(entry, dict) else entry
            for entry in public["migration_plan"]
        ]
    return public


def write_report(path, report):
    secrets = sorted(set(report.get("secrets") or []), key=len, reverse=True)
    public = redact_free_text({k: v for k, v in report.items() if k != "secrets"}, secrets)
    public["secrets"] = secrets
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(public, handle, indent=2, default=str)
        handle.write("\n")


class Timer:
    """Context manager adding the seconds spent in a phase to report['timings']."""

    def __init__(self, report, phase):
        self.report, self.phase = report, phase

    def __enter__(self):
        self.start = time.monotonic()

    def __exit__(self, *exc):
        elapsed = time.monotonic() - self.start
        self.report["timings"][self.phase] = round(elapsed, 3)
        return False


# --------------------------------------------------------------------------- exceptions


def describe(exc):
    """'ModuleNotFoundError: No module named 'foo'' (type name and message)."""
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def format_traceback(exc):
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def is_project_file(filename, project_dir):
    """A file of the project itself: inside project_dir but not in a venv or site-packages."""
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    path = os.path.abspath(filename)
    if not path.startswith(project_dir + os.sep):
        return False
    prefixes = {os.path.abspath(sys.prefix), os.path.abspath(sys.base_prefix)}
    if any(path.startswith(prefix + os.sep) for prefix in prefixes):
        return False
    return "site-packages" not in path.split(os.sep)


def project_frame(exc, project_dir):
    """The last traceback frame in the project's own files, as {file, line, code}, or None."""
    found = None
    while exc is not None and found is None:  # else look at the exception it came from
        for frame in traceback.extract_tb(exc.__traceback__):
            if is_project_file(frame.filename, project_dir):
                found = frame
        exc = exc.__cause__ or exc.__context__
    if found is None:
        return None
    return {
        "file": os.path.relpath(found.filename, project_dir),
        "line": found.lineno,
        "code": found.line,
    }


def location_suffix(frame):
    return " (at %s:%s)" % (frame["file"], frame["line"]) if frame else ""


def sentence(text):
    """text ending in a full stop (not doubling one an exception message already has)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def passes_through(exc, filename_part, function):
    """Whether exc's traceback passes through function in a file whose path has filename_part."""
    return any(
        frame.name == function and filename_part in frame.filename.replace(os.sep, "/")
        for frame in traceback.extract_tb(exc.__traceback__)
    )


def improperly_configured(exc, ctx):
    frame = project_frame(exc, ctx.project_dir)
    return Failure(
        "improperly_configured",
        "Django is improperly configured (settings module %s): %s Fix the settings (or the "
        "environment variables they read), or install the package the message names."
        % (ctx.settings_label(), sentence("%s%s" % (exc, location_suffix(frame)))),
        {"settings_module": ctx.settings_module(), "exception": describe(exc), "frame": frame},
        format_traceback(exc),
    )


def settings_import_failure(exc, module, ctx):
    frame = project_frame(exc, ctx.project_dir)
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if missing and (module == missing or module.startswith(missing + ".")):
        fix = (
            "No module '%s' on sys.path: check the settings-module input or "
            "DJANGO_SETTINGS_MODULE, and the working-directory." % missing
        )
    elif missing:
        fix = "Add the package that provides '%s' to the project's requirements." % missing
    elif isinstance(exc, SystemExit):
        fix = "The settings module called sys.exit(%s); give it the environment it needs." % (
            exc.code,
        )
    else:
        fix = "Fix the error in the settings module."
    return Failure(
        "settings_import",
        "Could not import the settings module '%s': %s %s"
        % (module, sentence(describe(exc) + location_suffix(frame)), fix),
        {"settings_module": module, "exception": describe(exc), "frame": frame},
        format_traceback(exc),
    )


def unexpected(exc, ctx, doing):
    frame = project_frame(exc, ctx.project_dir)
    return Failure(
        "unexpected",
        sentence("%s failed: %s%s" % (doing, describe(exc), location_suffix(frame))),
        {"exception": describe(exc), "frame": frame},
        format_traceback(exc),
    )


def classify(exc, ctx, doing):
    """Maps an exception raised while doing something to a Failure."""
    if isinstance(exc, Failure):
        return exc
    from django.core.exceptions import ImproperlyConfigured

    if isinstance(exc, ImproperlyConfigured):
        return improperly_configured(exc, ctx)
    if passes_through(exc, "django/conf/__init__.py", "__init__") and ctx.settings_module():
        return settings_import_failure(exc, ctx.settings_module(), ctx)
    return unexpected(exc, ctx, doing)


# --------------------------------------------------------------------------- context


class Context:
    """What every phase needs: the options, the project directory and the report."""

    def __init__(self, opts, report):
        self.opts = opts
        self.report = report
        self.project_dir = os.path.abspath(opts.project_dir)
        self.manage_py = os.path.join(self.project_dir, opts.manage_py)

    def settings_module(self):
        return os.environ.get("DJANGO_SETTINGS_MODULE") or None

    def settings_label(self):
        return self.settings_module() or "(DJANGO_SETTINGS_MODULE unset)"


# --------------------------------------------------------------------------- before manage.py


def find_manage_py_candidates(project_dir, max_depth=3):
    """manage.py files below project_dir (a few levels), to suggest a working-directory."""
    found = []
    for root, dirs, files in os.walk(project_dir):
        depth = os.path.relpath(root, project_dir).count(os.sep)
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and depth < max_depth]
        if "manage.py" in files:
            found.append(os.path.relpath(os.path.join(root, "manage.py"), project_dir))
    return sorted(found)[:10]


def require_manage_py(ctx):
    if os.path.isfile(ctx.manage_py):
        return
    candidates = find_manage_py_candidates(ctx.project_dir)
    hint = (
        " Found %s: set working-directory to its folder." % ", ".join(candidates)
        if candidates
        else " Set working-directory to the folder that holds manage.py."
    )
    raise Failure(
        "manage_py_missing",
        "No %s in %s.%s" % (ctx.opts.manage_py, ctx.project_dir, hint),
        {"path": ctx.manage_py, "candidates": candidates},
    )


def require_django(ctx):
    try:
        import django
        import django.core.management  # noqa: F401 (where the hook goes)
    except ImportError as exc:
        raise Failure(
            "django_missing",
            "Django cannot be imported by %s (%s). Add Django to the project's requirements."
            % (sys.executable, describe(exc)),
            {"python": sys.executable, "exception": describe(exc)},
            format_traceback(exc),
        )
    ctx.report["django_version"] = django.get_version()


# --------------------------------------------------------------------------- running manage.py


class Hook:
    """Replaces execute_from_command_line: runs the driver's work once, then unwinds."""

    def __init__(self, work):
        self.work = work
        self.called = False
        self.failure = None

    def __call__(self, argv=None):
        if self.called:
            return
        self.called = True
        try:
            self.work()
        except BaseException as exc:  # SystemExit from project code too
            self.failure = exc
        raise HookDone()

    def install(self):
        from django.core import management

        hook = self
        management.execute_from_command_line = hook

        def execute(utility):
            hook(getattr(utility, "argv", None))

        management.ManagementUtility.execute = execute


def run_manage_py(ctx, hook):
    """Runs manage.py as __main__ as `python manage.py ...` would; returns once it stops."""
    os.chdir(ctx.project_dir)
    sys.argv = manage_py_argv(ctx.opts, ctx.manage_py)
    sys.path[0] = os.path.dirname(ctx.manage_py)
    try:
        runpy.run_path(ctx.manage_py, run_name="__main__")
    except HookDone:
        return
    except SystemExit as exc:
        if not hook.called and exc.code not in (0, None):
            raise Failure(
                "manage_py_failed",
                "manage.py exited with status %s before starting Django." % (exc.code,),
                {"exit_code": exc.code if isinstance(exc.code, int) else str(exc.code)},
            )
    except BaseException as exc:  # whatever manage.py raised
        if not hook.called:
            raise manage_py_failure(exc, ctx)


def manage_py_failure(exc, ctx):
    """An exception manage.py raised before it called Django (settings it read, or its own)."""
    failure = classify(exc, ctx, "manage.py")
    if failure.code != "unexpected":
        return failure
    frame = project_frame(exc, ctx.project_dir)
    return Failure(
        "manage_py_failed",
        "manage.py raised %s before starting Django. Run `python manage.py check` "
        "locally to see the same error." % sentence(describe(exc) + location_suffix(frame)),
        {"exception": describe(exc), "frame": frame},
        format_traceback(exc),
    )


# --------------------------------------------------------------------------- Django setup


def apply_settings_override(ctx):
    """--settings wins even over a manage.py that assigns DJANGO_SETTINGS_MODULE outright."""
    if ctx.opts.settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = ctx.opts.settings


def import_settings(ctx):
    from django.conf import settings

    module = ctx.settings_module()
    ctx.report["settings_module"] = module
    if settings.configured:
        return
    if not module:
        raise Failure(
            "improperly_configured",
            "No settings module: DJANGO_SETTINGS_MODULE is not set and manage.py did not "
            "choose one. Pass the settings-module input.",
            {"settings_module": None},
        )
    try:
        importlib.import_module(module)
    except (Exception, SystemExit) as exc:
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured):
            raise improperly_configured(exc, ctx)
        raise settings_import_failure(exc, module, ctx)


def setup_django(ctx):
    """Imports the settings, reads the facts (secrets first of all), then django.setup()."""
    import django

    import_settings(ctx)
    try:
        read_facts(ctx)
        django.setup()
    except Exception as exc:
        raise classify(exc, ctx, "django.setup()")


def database_summary(config):
    def text(value):
        return str(value) if value not in (None, "") else None

    return {
        "engine": config.get("ENGINE"),
        "name": text(config.get("NAME")),
        "host": text(config.get("HOST")),
        "port": text(config.get("PORT")),
        "user": text(config.get("USER")),
    }


def database_identity(alias, connection):
    """Which database migrate ran against, from the live connection (never the password)."""
    summary = database_summary(connection.settings_dict)
    return {
        "alias": alias,
        "vendor": connection.vendor,
        "engine": summary["engine"],
        "name": summary["name"],
        "host": summary["host"],
        "port": summary["port"],
    }


def database_secrets(databases):
    secrets = []
    for config in databases.values():
        options = config.get("OPTIONS") or {}
        for value in (config.get("PASSWORD"), options.get("password"), options.get("passwd")):
            if isinstance(value, str) and value and value not in secrets:
                secrets.append(value)
    return secrets


def read_facts(ctx):
    from django.conf import settings

    report = ctx.report
    databases = getattr(settings, "DATABASES", {}) or {}
    report["secrets"] = database_secrets(databases)
    report["databases"] = {alias: database_summary(c) for alias, c in databases.items()}
    report["settings_module"] = getattr(settings, "SETTINGS_MODULE", None) or ctx.settings_module()
    static_root = getattr(settings, "STATIC_ROOT", None)
    report["static_root"] = os.path.abspath(str(static_root)) if static_root else None
    report["static_url"] = getattr(settings, "STATIC_URL", None)
    report["wsgi_application"] = getattr(settings, "WSGI_APPLICATION", None)
    report["asgi_application"] = getattr(settings, "ASGI_APPLICATION", None)


# --------------------------------------------------------------------------- system checks


def check_entry(message):
    from django.db import models

    obj = message.obj
    if obj is not None:
        obj = obj._meta.label if isinstance(obj, models.base.ModelBase) else str(obj)
    return {
        "id": message.id,
        "level": LEVEL_NAMES.get(message.level, str(message.level)),
        "msg": message.msg,
        "hint": message.hint,
        "obj": obj,
    }


def run_system_checks(ctx):
    from django.core import checks

    deploy = ctx.opts.check == "deploy"
    found = checks.run_checks(include_deployment_checks=deploy)
    visible = [m for m in found if not m.is_silenced()]
    ctx.report["checks"] = [check_entry(m) for m in visible]
    fail_level = LEVEL_NUMBERS[ctx.opts.check_fail_level]
    failing = [m for m in visible if m.level >= fail_level]
    if failing:
        listed = ", ".join(m.id or sentence(m.msg) for m in failing)
        raise Failure(
            "check_failed",
            "`manage.py check%s` found %d issue(s) at or above %s (%s). Fix them, silence them "
            "with SILENCED_SYSTEM_CHECKS, or change check-fail-level."
            % (" --deploy" if deploy else "", len(failing), ctx.opts.check_fail_level, listed),
            {"count": len(failing), "ids": [m.id for m in failing]},
        )


# --------------------------------------------------------------------------- missing migrations


def detect_changes(log):
    """What `makemigrations --check --dry-run` would write: {app_label: [Migration]}."""
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
    from django.db.migrations.state import ProjectState

    loader = MigrationLoader(None, ignore_no_migrations=True)
    conflicts = loader.detect_conflicts()
    if conflicts:
        names = {app: sorted(leaves) for app, leaves in conflicts.items()}
        raise Failure(
            "missing_migrations",
            "Conflicting migrations (several leaf nodes) in %s. Run `manage.py makemigrations "
            "--merge` and commit the merge migration." % ", ".join(sorted(names)),
            {"apps": {}, "conflicts": names},
        )
    questioner = NonInteractiveMigrationQuestioner(specified_apps=set(), dry_run=True)
    questioner.verbosity, questioner.log = 1, log  # Django 4+ log through these
    autodetector = MigrationAutodetector(
        loader.project_state(), ProjectState.from_apps(apps), questioner
    )
    return autodetector.changes(graph=loader.graph)


def describe_operation(operation):
    try:
        return operation.describe()
    except Exception:  # a third-party operation without describe()
        return type(operation).__name__


def find_missing_migrations(ctx):
    notes = []
    try:
        changes = detect_changes(notes.append)
    except SystemExit:  # the questioner gives up on a non-nullable field without default
        changes = None
    if changes is None:
        ctx.report["missing_migrations"] = {}
        raise Failure(
            "missing_migrations",
            "Models have changes that need a migration, and makemigrations cannot write it "
            "without asking: %s. Run `manage.py makemigrations` and commit the result."
            % " ".join(notes),
            {"apps": {}, "notes": notes},
        )
    missing = {
        app: [describe_operation(op) for migration in migrations for op in migration.operations]
        for app, migrations in sorted(changes.items())
    }
    ctx.report["missing_migrations"] = missing
    if missing:
        raise Failure(
            "missing_migrations",
            "Models changed without a migration in: %s. Run `manage.py makemigrations` and "
            "commit the new migration files." % ", ".join(missing),
            {"apps": missing},
        )


# --------------------------------------------------------------------------- migrate


def migration_label(migration):
    return "%s.%s" % (migration.app_label, migration.name)


def connect(ctx, alias):
    """Opens the connection for alias, mapping a failure to database_unreachable."""
    from django.conf import settings
    from django.db import OperationalError, connections

    if alias not in settings.DATABASES:
        raise Failure(
            "improperly_configured",
            "The database alias '%s' is not in DATABASES (settings module %s has: %s). Fix "
            "the database input." % (alias, ctx.settings_label(), ", ".join(settings.DATABASES)),
            {"database": alias},
        )
    connection = connections[alias]
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        db = database_summary(settings.DATABASES[alias])
        raise Failure(
            "database_unreachable",
            "Cannot connect to the '%s' database (ENGINE %s, HOST %s, PORT %s, NAME %s) "
            "configured by settings module %s. Start the database (for example a service "
            "container), point the settings (e.g. DATABASE_URL) at a reachable one, or pass "
            "`migrate: false`. The database driver said: %s"
            % (
                alias,
                db["engine"],
                db["host"] or "(default)",
                db["port"] or "(default)",
                db["name"],
                ctx.settings_label(),
                str(exc).strip(),
            ),
            dict(db, database=alias, exception=describe(exc)),
            format_traceback(exc),
        )
    return connection


def plan_migrations(connection):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [migration_label(migration) for migration, backwards in plan if not backwards]


class ApplyRecorder:
    """Wraps MigrationExecutor.apply_migration to record applied and in-progress migrations."""

    def __init__(self, applied):
        self.applied = applied
        self.current = None

    def __enter__(self):
        from django.db.migrations.executor import MigrationExecutor

        original = self.original = MigrationExecutor.apply_migration
        recorder = self

        def apply_migration(executor, state, migration, *args, **kwargs):
            recorder.current = migration_label(migration)
            result = original(executor, state, migration, *args, **kwargs)
            recorder.applied.append(recorder.current)
            recorder.current = None
            return result

        MigrationExecutor.apply_migration = apply_migration
        return self

    def __exit__(self, *exc):
        from django.db.migrations.executor import MigrationExecutor

        MigrationExecutor.apply_migration = self.original
        return False


def run_migrations(ctx):
    from django.core.management import call_command
    from django.db import connections

    alias = ctx.opts.database
    review = load_review_module()
    connection = connect(ctx, alias)  # the alias is checked and the database reachable first
    ctx.report["timeouts"] = {
        "lock_timeout": ctx.opts.lock_timeout,
        "statement_timeout": ctx.opts.statement_timeout,
        "applied": review.apply_session_timeouts(
            connection, ctx.opts.lock_timeout, ctx.opts.statement_timeout
        ),
    }
    migrations = {
        "planned": plan_migrations(connection),
        "applied": [],
        "database": database_identity(alias, connection),
    }
    ctx.report["migrations"] = migrations
    review_migrations(ctx, review, connection)
    if not ctx.opts.migrate:
        return  # --migrate-plan: shown, nothing applied
    with ApplyRecorder(migrations["applied"]) as recorder:
        try:
            call_command("migrate", database=alias, interactive=False, verbosity=0)
        except Exception as exc:
            raise migration_failure(exc, recorder.current, ctx, review)


def review_migrations(ctx, review, connection):
    """The plan with its SQL and lint findings; at --migration-lint error a finding stops here."""
    level = ctx.opts.migration_lint
    entries = review.review_plan(connection, ctx.project_dir, level)
    ctx.report["migration_plan"] = entries
    if level == "none":
        return
    count = review.count_findings(entries)
    allowed = sum(1 for e in entries for f in e["findings"] if f["allowed"])
    ctx.report["lint"] = {"level": level, "findings": count, "allowed": allowed}
    if level != "error" or count == 0:
        return
    listed = "; ".join(
        "%s (%s at %s:%s)" % (e["label"], f["rule"], e["file"], f["line"])
        for e in entries
        for f in e["findings"]
        if not f["allowed"] and not f["external"]
    )
    raise Failure(
        "migration_lint",
        "migration-lint is error and %d operation(s) of the pending migrations break the release "
        "still serving traffic: %s. Nothing was migrated. Follow the safe pattern each annotation "
        "names, or opt out in the migration file with a comment such as "
        "`# setup-django: allow <rule> -- <reason>`." % (count, listed),
        {"findings": count},
    )


def migration_failure(exc, current, ctx, review=None):
    planned = {e["label"]: e for e in ctx.report.get("migration_plan") or []}
    applied = (ctx.report.get("migrations") or {}).get("applied") or []
    if review is not None and current:
        atomic = planned.get(current, {}).get("atomic", True)
        message = review.timeout_failure(
            exc,
            current,
            atomic,
            ctx.opts.lock_timeout,
            ctx.opts.statement_timeout,
            len(applied),
        )
        if message:
            return Failure(
                "migration_timeout",
                message,
                {"migration": current, "database": ctx.opts.database, "exception": describe(exc)},
                format_traceback(exc),
            )
    frame = project_frame(exc, ctx.project_dir)
    where = "migration %s" % current if current else "migrate (before any migration ran)"
    cause = sentence(describe(exc) + location_suffix(frame))
    return Failure(
        "migration_failed",
        "%s failed: %s Fix the migration (or the database state) and run again; migrations "
        "applied before it stay applied." % (where, cause),
        {
            "migration": current,
            "database": ctx.opts.database,
            "exception": describe(exc),
            "frame": frame,
        },
        format_traceback(exc),
    )


def check_expected(ctx):
    """Deploying an artifact: this runner's Django and settings module must be the build's."""
    report, opts = ctx.report, ctx.opts
    mismatches = []
    if opts.expect_django and report["django_version"] != opts.expect_django:
        mismatches.append(
            "Django %s here, %s in the build" % (report["django_version"], opts.expect_django)
        )
    if opts.expect_settings and report["settings_module"] != opts.expect_settings:
        mismatches.append(
            "settings module %s here, %s in the build (set the settings-module input to "
            "deploy with %s deliberately)"
            % (report["settings_module"], opts.expect_settings, report["settings_module"])
        )
    if mismatches:
        raise Failure(
            "artifact_mismatch",
            "The artifact does not match this runner: %s. Nothing was migrated."
            % "; ".join(mismatches),
            {"mismatches": mismatches},
        )


# --------------------------------------------------------------------------- collectstatic


def require_static_root(ctx):
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import FileSystemStorage

    if not apps.is_installed("django.contrib.staticfiles"):
        raise Failure(
            "collectstatic_failed",
            "collectstatic needs 'django.contrib.staticfiles' in INSTALLED_APPS (settings "
            "module %s); add it or pass `collectstatic: false`." % ctx.settings_label(),
            {},
        )
    if not settings.STATIC_ROOT and isinstance(staticfiles_storage, FileSystemStorage):
        raise Failure(
            "static_root_unset",
            "STATIC_ROOT is not set, so collectstatic has nowhere to put the files. Set "
            "STATIC_ROOT in %s (e.g. STATIC_ROOT = BASE_DIR / 'staticfiles') or pass "
            "`collectstatic: false`." % ctx.settings_label(),
            {"settings_module": ctx.settings_module()},
        )


def collect_static(ctx):
    from django.contrib.staticfiles.management.commands.collectstatic import Command
    from django.core.management import call_command

    require_static_root(ctx)

    class CountingCommand(Command):
        collected = None

        def collect(self):
            self.collected = super().collect()
            return self.collected

    command = CountingCommand()
    try:
        call_command(command, interactive=False, verbosity=0)
    except Exception as exc:
        frame = project_frame(exc, ctx.project_dir)
        raise Failure(
            "collectstatic_failed",
            sentence("collectstatic failed: %s%s" % (describe(exc), location_suffix(frame))),
            {"exception": describe(exc), "frame": frame},
            format_traceback(exc),
        )
    collected = command.collected or {"modified": [], "unmodified": [], "post_processed": []}
    ctx.report["static"] = {
        "copied": len(collected["modified"]),
        "unmodified": len(collected["unmodified"]),
        "post_processed": len(collected["post_processed"]),
        "total": len(collected["modified"]) + len(collected["unmodified"]),
    }


# --------------------------------------------------------------------------- orchestration


def django_work(ctx, started):
    """Everything done inside the hook, in the one Django process."""
    apply_settings_override(ctx)
    setup_django(ctx)
    ctx.report["timings"]["setup"] = round(time.monotonic() - started, 3)
    opts = ctx.opts
    phases = [
        ("expect", bool(opts.expect_django or opts.expect_settings), check_expected, "checks"),
        ("check", opts.check != "none", run_system_checks, "system checks"),
        ("check_migrations", opts.check_migrations, find_missing_migrations, "makemigrations"),
        ("migrate", opts.migrate or opts.migrate_plan, run_migrations, "migrate"),
        ("collectstatic", opts.collectstatic, collect_static, "collectstatic"),
    ]
    for name, wanted, phase, doing in phases:
        if not wanted:
            continue
        with Timer(ctx.report, name):
            try:
                phase(ctx)
            except Failure:
                raise
            except Exception as exc:
                raise classify(exc, ctx, doing)


def run(ctx):
    started = time.monotonic()
    require_manage_py(ctx)
    require_django(ctx)
    apply_settings_override(ctx)
    hook = Hook(lambda: django_work(ctx, started))
    hook.install()
    run_manage_py(ctx, hook)
    if not hook.called:
        raise Failure(
            "manage_py_no_django",
            "%s returned without calling Django's execute_from_command_line, so the driver "
            "could not take over. Make manage.py call "
            "django.core.management.execute_from_command_line(sys.argv) when run as a script."
            % ctx.opts.manage_py,
            {"settings_module": ctx.settings_module()},
        )
    if hook.failure is not None:
        raise classify(hook.failure, ctx, "Django")
    ctx.report["ok"] = True


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    report = new_report()
    ctx = Context(opts, report)
    try:
        run(ctx)
    except BaseException as exc:  # SystemExit too: every end writes the JSON
        failure = exc if isinstance(exc, Failure) else classify_outside(exc, ctx)
        report["ok"] = False
        report["error"] = error_entry(failure)
        if report["settings_module"] is None:
            report["settings_module"] = ctx.settings_module()
    finally:
        write_report(opts.result, report)
    return 0 if report["ok"] else 2


def classify_outside(exc, ctx):
    """A failure for an exception outside any phase (a bug in the driver or an odd project)."""
    try:
        return classify(exc, ctx, "the driver")
    except Exception:  # Django itself may be what is broken
        return Failure("unexpected", describe(exc), {}, format_traceback(exc))


if __name__ == "__main__":
    sys.exit(main())
