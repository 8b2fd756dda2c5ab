"""Foreign keys of the bulk-written tables, checked once per statement instead of once per row.

A foreign key constraint checks every inserted row on its own: one lookup of the referenced row,
with its `FOR KEY SHARE` lock, per row, queued until commit (Django makes them `DEFERRABLE
INITIALLY DEFERRED`). A batch of 10,000 ledger events that all name one organisation paid for
10,000 identical checks of that organisation and 10,000 of their customers at commit: 40 % of
an import batch's database time, and of a suppress-contacts call's.

The tables that are written in bulk (the ledger, customers, suppressions, email logs, opt-ins)
declare these references with `db_constraint=False` and get the same guarantee from triggers
that their migrations install (`migration_operation`) for every such foreign key of the model:

- **Insert (PostgreSQL):** one statement-level trigger per table reads the statement's inserted
  rows (a transition table) and, per reference, locks the distinct referenced rows `FOR KEY
  SHARE` in one query; if fewer rows are locked than were named, a referenced row is missing and
  the statement fails with SQLSTATE 23503 (foreign_key_violation), as a constraint would. The
  lock, as a foreign key's, keeps a concurrent delete of those rows waiting until commit.
- **Update of a referencing column:** a row trigger that fires only when the column changes
  (its WHEN clause is evaluated without calling a function) checks and locks the new row.
- **Delete (or id change) of a referenced row:** a row trigger on the referenced table refuses
  it while a row still references it (the "no action" rule of Django's constraints, checked at
  once). It sees rows committed by a writer it waited for: the writer's lock made it wait, and
  each statement of the trigger reads the latest committed rows.
- **SQLite** (development and tests) gets the insert and update checks as plain row triggers;
  deletes there are left to the ORM's `on_delete` rules (see `_sqlite_install`).

The migrations install this module's SQL as it is when they run: a change to it needs a new
migration that installs it again. What differs from a constraint: the insert check runs at the
end of the statement, not at commit, so a row must be inserted after the row it references
(every writer here does, and `loaddata` needs a fixture in that order too); `TRUNCATE` of a
referenced table alone is not refused; and a referenced row is deleted at READ COMMITTED or
SERIALIZABLE only (REPEATABLE READ is refused: its snapshot could miss a committed reference).
`tests/test_references.py` checks that every foreign key declared without a constraint has its
triggers after all migrations (a later migration that rebuilds a table on SQLite drops its
triggers: install them again there).
"""

from dataclasses import dataclass

FOREIGN_KEY_VIOLATION = "23503"


@dataclass(frozen=True)
class Reference:
    table: str
    column: str
    referenced_table: str


def references_of(model) -> list[Reference]:
    """The model's foreign keys declared without a constraint: the ones these triggers check."""
    return [
        Reference(model._meta.db_table, field.column, field.related_model._meta.db_table)
        for field in model._meta.concrete_fields
        if field.is_relation and not field.db_constraint
    ]


def checked_references() -> list[Reference]:
    """Every reference checked by these triggers, from the installed models."""
    from django.apps import apps

    return [reference for model in apps.get_models() for reference in references_of(model)]


def install(schema_editor, model) -> None:
    """Create the triggers that check `model`'s references (after their constraints went)."""
    uninstall(schema_editor, model)  # so that a later migration can install them again
    references = references_of(model)
    if schema_editor.connection.vendor == "postgresql":
        statements = _postgresql_install(model._meta.db_table, references)
    else:
        statements = _sqlite_install(references)
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor, model) -> None:
    table, references = model._meta.db_table, references_of(model)
    if schema_editor.connection.vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {table}_refs_insert ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_refs_insert()",
        ]
        for ref in references:
            statements += [
                f"DROP TRIGGER IF EXISTS {_name(ref)}_update ON {table}",
                f"DROP FUNCTION IF EXISTS {_name(ref)}_update()",
                f"DROP TRIGGER IF EXISTS {_name(ref)}_referenced ON {ref.referenced_table}",
                f"DROP TRIGGER IF EXISTS {_name(ref)}_rekey ON {ref.referenced_table}",
                f"DROP FUNCTION IF EXISTS {_name(ref)}_referenced()",
            ]
    else:
        statements = []
        for ref in references:
            statements += [
                f"DROP TRIGGER IF EXISTS {_name(ref)}_insert",
                f"DROP TRIGGER IF EXISTS {_name(ref)}_update",
            ]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def trigger_names(vendor: str, reference: Reference) -> set[str]:
    """The triggers that enforce `reference` (for the test that they all exist)."""
    name = _name(reference)
    if vendor == "postgresql":
        return {
            f"{reference.table}_refs_insert",
            f"{name}_update",
            f"{name}_referenced",
            f"{name}_rekey",
        }
    return {f"{name}_insert", f"{name}_update"}


def _name(ref: Reference) -> str:
    # PostgreSQL names are at most 63 bytes; these stay well below.
    return f"{ref.table}_{ref.column}_ref"


def _violation(ref: Reference, value: str) -> str:
    return (
        f'RAISE EXCEPTION \'insert or update on table "{ref.table}" violates foreign key '
        f"\"{_name(ref)}\"' USING ERRCODE = '{FOREIGN_KEY_VIOLATION}', "
        f"DETAIL = format('Key ({ref.column})=(%s) is not present in table "
        f'"{ref.referenced_table}".\', {value});'
    )


def _postgresql_install(table: str, references: list[Reference]) -> list[str]:
    checks = []
    for ref in references:
        # An array of the distinct ids: the referenced rows are then found through their
        # primary key index, however many rows the statement inserted.
        checks.append(
            f"""
    ids := ARRAY(SELECT DISTINCT {ref.column} FROM inserted WHERE {ref.column} IS NOT NULL);
    IF cardinality(ids) > 0 THEN
        PERFORM 1 FROM {ref.referenced_table} WHERE id = ANY(ids) FOR KEY SHARE;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT wanted INTO missing FROM unnest(ids) AS wanted
            WHERE NOT EXISTS (SELECT 1 FROM {ref.referenced_table} r WHERE r.id = wanted)
            LIMIT 1;
            IF missing IS NULL THEN
                -- Deleted while we waited for its lock and inserted again with its id: the
                -- statement saw a row that is gone; a retry will see the new one.
                RAISE EXCEPTION 'a row referenced from "{ref.table}" changed while it was checked'
                    USING ERRCODE = 'serialization_failure';
            END IF;
            {_violation(ref, "missing")}
        END IF;
    END IF;"""
        )
    statements = [
        f"""
CREATE FUNCTION {table}_refs_insert() RETURNS trigger LANGUAGE plpgsql
-- Through the primary key always: for 10,000 ids the planner would rather scan the whole
-- referenced table (100 ms at 100,000 customers, and growing with it); and no JIT compiling
-- (12 ms on a backend's first call) for what is a few index probes.
SET enable_seqscan = off
SET jit = off
AS $$
DECLARE
    ids bigint[];
    locked bigint;
    missing bigint;
BEGIN{"".join(checks)}
    RETURN NULL;
END;
$$""",
        f"""
CREATE TRIGGER {table}_refs_insert AFTER INSERT ON {table}
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION {table}_refs_insert()""",
    ]
    for ref in references:
        name = _name(ref)
        statements += [
            f"""
CREATE FUNCTION {name}_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {ref.referenced_table} WHERE id = NEW.{ref.column} FOR KEY SHARE;
    IF NOT FOUND THEN
        {_violation(ref, f"NEW.{ref.column}")}
    END IF;
    RETURN NEW;
END;
$$""",
            f"""
CREATE TRIGGER {name}_update BEFORE UPDATE OF {ref.column} ON {table}
FOR EACH ROW WHEN (NEW.{ref.column} IS NOT NULL
                   AND NEW.{ref.column} IS DISTINCT FROM OLD.{ref.column})
EXECUTE FUNCTION {name}_update()""",
            f"""
CREATE FUNCTION {name}_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The check below must see rows committed after this transaction began (READ COMMITTED
    -- gives each statement a new snapshot; SERIALIZABLE detects the conflict). REPEATABLE READ
    -- would read an old snapshot and could delete a row that a committed insert references.
    IF current_setting('transaction_isolation') = 'repeatable read' THEN
        RAISE EXCEPTION 'rows of "{ref.referenced_table}" are deleted at READ COMMITTED or '
            'SERIALIZABLE, not REPEATABLE READ' USING ERRCODE = 'feature_not_supported';
    END IF;
    IF EXISTS (SELECT 1 FROM {table} WHERE {ref.column} = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "{ref.referenced_table}" violates foreign key '
            '"{name}" on table "{table}"' USING ERRCODE = '{FOREIGN_KEY_VIOLATION}',
            DETAIL = format('Key (id)=(%s) is still referenced from table "{table}".', OLD.id);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$""",
            f"""
CREATE TRIGGER {name}_referenced BEFORE DELETE ON {ref.referenced_table}
FOR EACH ROW EXECUTE FUNCTION {name}_referenced()""",
            f"""
CREATE TRIGGER {name}_rekey BEFORE UPDATE OF id ON {ref.referenced_table}
FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION {name}_referenced()""",
        ]
    return statements


def _sqlite_install(references: list[Reference]) -> list[str]:
    # Inserts and updates only: SQLite empties a test database with DELETEs in no particular
    # order (no TRUNCATE), which a delete check that cannot wait for commit would refuse. Deletes
    # there are left to the ORM's on_delete rules.
    statements = []
    for ref in references:
        name = _name(ref)
        missing = (
            f"NEW.{ref.column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref.referenced_table} WHERE id = NEW.{ref.column})"
        )
        abort = "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END"
        statements += [
            f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {ref.table} "
            f"FOR EACH ROW WHEN {missing} {abort}",
            f"CREATE TRIGGER {name}_update BEFORE UPDATE OF {ref.column} ON {ref.table} "
            f"FOR EACH ROW WHEN {missing} {abort}",
        ]
    return statements


def migration_operation(*labels: str):
    """The migration step that installs the triggers of the models `labels` ("app.Model"),
    after the step that declared their references without constraints."""
    from django.db import migrations

    def forward(apps, schema_editor):
        for label in labels:
            install(schema_editor, apps.get_model(label))

    def backward(apps, schema_editor):
        for label in labels:
            uninstall(schema_editor, apps.get_model(label))

    return migrations.RunPython(forward, backward)
