"""The migration review for driver.py: the plan, the SQL Django will run, unsafe operations.

Before anything is applied, review_plan() lists the pending migrations of a connection with
the SQL each one runs on that database (what `manage.py sqlmigrate` prints for its vendor,
collected with schema_editor(collect_sql=True) along the plan as `migrate` would apply it),
and lints them for operations that break the release still serving traffic during a rolling
deploy (each finding with the line of the operation, found with ast, and the safe pattern).
A migration file opts out of a rule, visibly in the diff, with a comment:

    # setup-django: allow remove-field -- the column is unused since release 41

apply_session_timeouts() sets lock_timeout and statement_timeout on PostgreSQL sessions of the
migrate connection; timeout_failure() turns the error PostgreSQL raises into a message that
names the migration and the timeout.

Stdlib and Django only (imported by driver.py inside the project's process).
"""

from __future__ import annotations

import ast
import os
import re
import sys

LINT_LEVELS = ("none", "warn", "error")

# rule: (what it breaks, the safe pattern)
RULES = {
    "remove-field": (
        "drops a column the release still serving traffic reads",
        "Remove the field from the model but keep the column in this release (wrap the "
        "operation in migrations.SeparateDatabaseAndState(state_operations=[...]) and make the "
        "column nullable or give it a db_default), then drop the column in a later release.",
    ),
    "delete-model": (
        "drops a table the release still serving traffic uses",
        "Stop using the model in this release (remove its code, keep the table with "
        "migrations.SeparateDatabaseAndState(state_operations=[DeleteModel(...)])), then drop "
        "the table in a later release.",
    ),
    "rename-field": (
        "renames a column the release still serving traffic reads under its old name",
        "Keep the column: give the renamed field db_column='<old name>' (no database change), "
        "or add the new field, write both, backfill, move the reads, and drop the old column "
        "in later releases.",
    ),
    "rename-model": (
        "renames a table the release still serving traffic uses under its old name",
        "Keep the table: set Meta.db_table = '<old table>' on the renamed model (no database "
        "change), or copy to a new model over several releases.",
    ),
    "alter-model-table": (
        "renames a table the release still serving traffic uses under its old name",
        "Keep db_table in this release; rename the table once no running release uses the old "
        "name (or create a view with the new name first).",
    ),
    "add-field-not-null": (
        "adds a NOT NULL column without a database default: the release still serving traffic "
        "inserts rows without it, and they fail",
        "Add the column nullable (null=True), backfill, then set NOT NULL in a later release; "
        "or give the field a db_default (Django 5.0+) so the database fills it in.",
    ),
    "alter-field-type": (
        "changes a column's type: PostgreSQL and most databases rewrite the table under an "
        "exclusive lock, and the running release may write values the new type rejects",
        "Add a new field of the new type, write both, backfill, move the reads, then drop the "
        "old column in a later release (widening a varchar is metadata-only on PostgreSQL: "
        "allow it with a comment when that is the change).",
    ),
    "runsql-without-reverse": (
        "has no reverse_sql: the release cannot be rolled back past this migration",
        "Give the RunSQL a reverse_sql (migrations.RunSQL.noop when undoing needs nothing).",
    ),
    "runpython-without-reverse": (
        "has no reverse_code: the release cannot be rolled back past this migration",
        "Give the RunPython a reverse_code (migrations.RunPython.noop when undoing needs "
        "nothing).",
    ),
    "add-index-not-concurrent": (
        "builds an index with a plain CREATE INDEX, which blocks every write to the table "
        "until it is built",
        "Create the index with django.contrib.postgres.operations.AddIndexConcurrently (for a "
        "field: db_index=False on the field, then AddIndexConcurrently) in a migration with "
        "atomic = False.",
    ),
}

ALLOW_COMMENT = re.compile(
    r"#\s*setup-django:\s*allow\s+(?P<rules>[A-Za-z0-9_,\s-]+?)\s*(?:--\s*(?P<reason>.*?))?\s*$"
)


# --------------------------------------------------------------------------- migration files


def allowances(source):
    """{rule: reason} from `# setup-django: allow RULE[, RULE] -- reason` comments ('' = none)."""
    allowed = {}
    for line in source.splitlines():
        match = ALLOW_COMMENT.search(line)
        if not match:
            continue
        reason = (match.group("reason") or "").strip()
        for rule in re.split(r"[,\s]+", match.group("rules").strip()):
            if rule:
                allowed[rule] = reason
    return allowed


def operation_lines(source):
    """The line of each element of the Migration class's `operations` list, and a fallback.

    Returns (lines, fallback): lines is None when `operations` is not a literal list (built
    by code), fallback the line of the class (or 1).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, 1
    fallback = 1
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            targets = []
            if isinstance(item, ast.Assign):
                targets = item.targets
            elif isinstance(item, ast.AnnAssign):
                targets = [item.target]
            if not any(isinstance(t, ast.Name) and t.id == "operations" for t in targets):
                continue
            fallback = item.lineno
            if isinstance(item.value, (ast.List, ast.Tuple)):
                return [element.lineno for element in item.value.elts], fallback
            return None, fallback
        if node.name == "Migration":
            fallback = node.lineno
    return None, fallback


def migration_file(migration):
    module = sys.modules.get(type(migration).__module__)
    return getattr(module, "__file__", None)


def read_source(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError, TypeError):
        return ""


# --------------------------------------------------------------------------- lint rules


def not_provided():
    from django.db.models.fields import NOT_PROVIDED

    return NOT_PROVIDED


def model_state(state, app_label, model_name):
    return state.models.get((app_label, model_name.lower()))


def table_of(state, app_label, model_name):
    model = model_state(state, app_label, model_name)
    if model is not None and model.options.get("db_table"):
        return model.options["db_table"]
    return "%s_%s" % (app_label, model_name.lower())


def column_of(field, name):
    clone = field.clone()
    clone.set_attributes_from_name(name)
    return clone.column


def has_db_default(field):
    return getattr(field, "db_default", not_provided()) is not not_provided()


def type_of(field, connection):
    """A comparable description of a field's column type."""
    if field.is_relation:
        _, path, _, kwargs = field.deconstruct()
        return "%s(to=%s)" % (path, str(kwargs.get("to", "")).lower())
    try:
        return field.db_type(connection) or type(field).__name__
    except Exception:  # a custom field that needs a bound model
        _, path, _, kwargs = field.deconstruct()
        params = ",".join(
            "%s=%s" % (key, kwargs[key])
            for key in ("max_length", "max_digits", "decimal_places")
            if key in kwargs
        )
        return "%s(%s)" % (path, params)


def is_indexed(field):
    return bool(getattr(field, "db_index", False) or getattr(field, "unique", False)) and not (
        getattr(field, "primary_key", False)
    )


def finding(rule, subject):
    harm, fix = RULES[rule]
    return {"rule": rule, "message": "%s %s." % (subject, harm), "fix": fix}


class Linter:
    """Follows the plan on an unrendered ProjectState and checks each operation before it."""

    def __init__(self, state, connection):
        self.state = state
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        # Tables that exist before this deploy: what the running release uses.
        self.existing = set(state.models)

    def is_existing(self, app_label, model_name):
        return (app_label, model_name.lower()) in self.existing

    def check(self, app_label, operation):
        """Findings for one operation, checked against the state before it."""
        name = type(operation).__name__
        found = []
        if name == "SeparateDatabaseAndState":
            for inner in getattr(operation, "database_operations", []):
                found.extend(self.check(app_label, inner))
            return found
        if name in ("RunSQL", "RunPython"):
            if not operation.reversible:
                rule = "runsql-without-reverse" if name == "RunSQL" else "runpython-without-reverse"
                found.append(finding(rule, name))
            return found
        model_name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
        if name in ("RenameModel",):
            model_name = operation.old_name
        if not model_name or not self.is_existing(app_label, model_name):
            return found  # a table created by this deploy: nothing running uses it yet
        state = self.state
        table = table_of(state, app_label, model_name)
        model = model_state(state, app_label, model_name)
        if name == "RemoveField":
            field = model.fields.get(operation.name)
            if field is not None and not field.many_to_many:
                subject = "RemoveField %s.%s" % (table, column_of(field, operation.name))
                found.append(finding("remove-field", subject))
        elif name == "DeleteModel":
            found.append(finding("delete-model", "DeleteModel %s" % table))
        elif name == "RenameField":
            field = model.fields.get(operation.old_name)
            if field is not None and not field.many_to_many:
                old = column_of(field, operation.old_name)
                new = column_of(field, operation.new_name)
                if old != new:
                    subject = "RenameField %s.%s to %s" % (table, old, new)
                    found.append(finding("rename-field", subject))
        elif name == "RenameModel":
            if not model.options.get("db_table"):
                new_table = "%s_%s" % (app_label, operation.new_name.lower())
                found.append(finding("rename-model", "RenameModel %s to %s" % (table, new_table)))
        elif name == "AlterModelTable":
            new_table = operation.table or "%s_%s" % (app_label, operation.name.lower())
            if new_table != table:
                subject = "AlterModelTable %s to %s" % (table, new_table)
                found.append(finding("alter-model-table", subject))
        elif name == "AddField":
            found.extend(self.check_add_field(operation, table))
        elif name == "AlterField":
            found.extend(self.check_alter_field(operation, model, table))
        elif name in ("AddIndex", "AddConstraint") and self.postgres:
            if name == "AddIndex":
                subject = "AddIndex %s on %s" % (operation.index.name, table)
                found.append(finding("add-index-not-concurrent", subject))
            elif type(operation.constraint).__name__ == "UniqueConstraint":
                subject = "AddConstraint %s (unique) on %s" % (operation.constraint.name, table)
                found.append(finding("add-index-not-concurrent", subject))
        return found

    def check_add_field(self, operation, table):
        field = operation.field
        found = []
        if field.many_to_many or getattr(field, "generated", False):
            return found
        column = column_of(field, operation.name)
        if not field.null and not has_db_default(field):
            found.append(finding("add-field-not-null", "AddField %s.%s" % (table, column)))
        if self.postgres and is_indexed(field):
            subject = "AddField %s.%s (with an index)" % (table, column)
            found.append(finding("add-index-not-concurrent", subject))
        return found

    def check_alter_field(self, operation, model, table):
        old = model.fields.get(operation.name)
        new = operation.field
        found = []
        if old is None or old.many_to_many or new.many_to_many:
            return found
        column = column_of(new, operation.name)
        old_type, new_type = type_of(old, self.connection), type_of(new, self.connection)
        if old_type != new_type:
            subject = "AlterField %s.%s from %s to %s" % (table, column, old_type, new_type)
            found.append(finding("alter-field-type", subject))
        if self.postgres and is_indexed(new) and not is_indexed(old):
            subject = "AlterField %s.%s (adds an index)" % (table, column)
            found.append(finding("add-index-not-concurrent", subject))
        return found

    def follow(self, app_label, operation):
        """Moves the state past the operation (a renamed existing model stays existing)."""
        name = type(operation).__name__
        if name == "RenameModel" and self.is_existing(app_label, operation.old_name):
            self.existing.add((app_label, operation.new_name.lower()))
        operation.state_forwards(app_label, self.state)


# --------------------------------------------------------------------------- the plan


def relative(path, project_dir):
    if not path:
        return None
    path = os.path.abspath(path)
    if path.startswith(project_dir + os.sep):
        return os.path.relpath(path, project_dir).replace(os.sep, "/")
    return path


def describe(operation):
    try:
        return operation.describe()
    except Exception:
        return type(operation).__name__


def initial_state(executor):
    """The project state of the applied migrations, as `migrate` starts from it."""
    create = getattr(executor, "_create_project_state", None)
    if create is not None:
        return create(with_applied_migrations=True)
    applied = [key for key in executor.loader.applied_migrations if key in executor.loader.graph.nodes]
    return executor.loader.project_state(applied, at_end=True)


def collect_sql(connection, migration, state):
    """(state after, sqlmigrate's text for the migration): BEGIN/COMMIT when it is atomic."""
    with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
        state = migration.apply(state, editor, collect_sql=True)
    statements = list(editor.collected_sql)
    if migration.atomic and connection.features.can_rollback_ddl:
        statements = (
            [connection.ops.start_transaction_sql()]
            + statements
            + [connection.ops.end_transaction_sql()]
        )
    return state, "\n".join(statements)


def review_plan(connection, project_dir, lint_level):
    """The pending migrations of connection, each with its SQL and lint findings."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    loader = executor.loader
    plan = [
        migration
        for migration, backwards in executor.migration_plan(loader.graph.leaf_nodes())
        if not backwards
    ]
    linter = Linter(initial_state(executor), connection) if lint_level != "none" else None
    sql_state = initial_state(executor) if plan else None
    done = [key for key in loader.applied_migrations if key in loader.graph.nodes]
    entries = []
    for migration in plan:
        key = (migration.app_label, migration.name)
        path = migration_file(migration)
        source = read_source(path)
        lines, fallback = operation_lines(source)
        entry = {
            "label": "%s.%s" % key,
            "app": migration.app_label,
            "name": migration.name,
            "file": relative(path, project_dir),
            "atomic": bool(migration.atomic),
            "sql": "",
            "sql_error": None,
            "operations": [],
            "findings": [],
            "lint_error": None,
        }
        for index, operation in enumerate(migration.operations):
            line = lines[index] if lines and index < len(lines) else fallback
            entry["operations"].append(
                {"index": index, "type": type(operation).__name__, "description": describe(operation), "line": line}
            )
        try:
            sql_state, entry["sql"] = collect_sql(connection, migration, sql_state)
        except Exception as exc:  # best effort, as sqlmigrate: introspection of tables not there yet
            entry["sql_error"] = "%s: %s" % (type(exc).__name__, exc)
            sql_state = loader.project_state(done + [key], at_end=True)
        done.append(key)
        if linter is not None:
            lint_migration(linter, migration, entry, allowances(source))
        entries.append(entry)
    return entries


def lint_migration(linter, migration, entry, allowed):
    if linter.state is None:
        entry["lint_error"] = "not linted: an earlier operation could not be followed"
        return
    try:
        for index, operation in enumerate(migration.operations):
            for item in linter.check(migration.app_label, operation):
                reason = allowed.get(item["rule"])
                item.update(
                    {
                        # A third-party app's migration (site-packages): reported, not counted,
                        # since the project cannot annotate or opt out in that file.
                        "external": bool(entry["file"]) and os.path.isabs(entry["file"]),
                        "operation": index,
                        "line": entry["operations"][index]["line"],
                        "allowed": reason is not None and reason != "",
                        "allow_reason": reason or None,
                    }
                )
                if reason == "":
                    item["message"] += (
                        " The setup-django opt-out comment for %s needs a reason after '--'."
                        % item["rule"]
                    )
                entry["findings"].append(item)
            linter.follow(migration.app_label, operation)
    except Exception as exc:  # a third-party operation the linter cannot follow
        entry["lint_error"] = "%s: %s" % (type(exc).__name__, exc)
        linter.state = None


def count_findings(entries):
    """Findings that count: in the project's own migrations and not allowed by a comment."""
    return sum(
        1
        for entry in entries
        for item in entry["findings"]
        if not item["allowed"] and not item["external"]
    )


# --------------------------------------------------------------------------- PostgreSQL timeouts


def session_settings(lock_timeout, statement_timeout):
    """[(setting, value)] for set_config; 0 leaves a setting as the server has it."""
    out = []
    if lock_timeout:
        out.append(("lock_timeout", "%dms" % round(lock_timeout * 1000)))
    if statement_timeout:
        out.append(("statement_timeout", "%dms" % round(statement_timeout * 1000)))
    return out


def apply_session_timeouts(connection, lock_timeout, statement_timeout):
    """Sets the timeouts on this connection's PostgreSQL sessions, now and on reconnects."""
    from django.db.backends.signals import connection_created

    settings = session_settings(lock_timeout, statement_timeout)
    if not settings:
        return False

    def configure(conn):
        if conn.vendor != "postgresql":
            return
        with conn.cursor() as cursor:
            for name, value in settings:
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])

    def on_connect(sender, connection, **kwargs):
        if connection.alias == alias:
            configure(connection)

    alias = connection.alias
    connection_created.connect(on_connect, weak=False, dispatch_uid="setup-django-timeouts")
    if connection.connection is not None:
        configure(connection)
    return connection.vendor == "postgresql"


def sqlstate(exc):
    """The SQLSTATE of a database error (psycopg 3 or psycopg2), looking through causes."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if code:
            return code
        exc = exc.__cause__ or exc.__context__
    return None


def timeout_failure(exc, migration, atomic, lock_timeout, statement_timeout, applied_before):
    """A message for a lock or statement timeout, or None for other errors."""
    code = sqlstate(exc)
    text = str(exc)
    if code == "55P03":
        what = "waited longer than the lock timeout (migrate-lock-timeout: %g s) for a lock" % (
            lock_timeout
        )
        what += " another session holds on a table it changes"
        fix = (
            "Deploy when the blocking session is gone (pg_stat_activity, pg_blocking_pids), "
            "or raise migrate-lock-timeout."
        )
    elif code == "57014" and "statement timeout" in text:
        what = "ran a statement longer than the statement timeout (migrate-statement-timeout: %g s)" % (
            statement_timeout
        )
        fix = "Split the work (batches, a concurrent index), or raise migrate-statement-timeout."
    else:
        return None
    if atomic:
        state = (
            "Django rolled back the migration's transaction: the database is as it was before "
            "%s" % migration
        )
    else:
        state = (
            "%s is not atomic (atomic = False): the statements before the one that timed out "
            "stay applied" % migration
        )
    if applied_before:
        state += " (the %d migration(s) applied before it stay applied)" % applied_before
    return "Migration %s %s; PostgreSQL cancelled it. %s. %s" % (migration, what, state, fix)
