"""The PostgreSQL fast path of customers.services.customers_import_rows.

A batch is COPYed into a temporary staging table, rows whose correlation id belongs to another
customer are set aside, and then one statement upserts every changed customer, appends one
"customer.profile" ledger event per created or updated customer (through the ledger's writer,
customers.ledger.record_changes_from_sql, the only code that knows the ledger's table) and counts
both.
"""

import json

import orjson
from django.db import connection

from .ledger import record_changes_from_sql
from .uuids import uuid7s

STAGE = "import_customer_stage"

# Each profile column: what the row gives, else what is stored, else the column's default.
_MERGED = """
    SELECT s.pos, s.email_key, s.uuid, s.import_digest, c.id, c.import_digest AS stored_digest,
           COALESCE(c.email, s.email) AS email,
           COALESCE(s.phone, c.phone) AS phone,
           COALESCE(s.correlation_id, c.correlation_id) AS correlation_id,
           COALESCE(s.first_name, c.first_name, '') AS first_name,
           COALESCE(s.last_name, c.last_name, '') AS last_name,
           COALESCE(s.locale, c.locale, '') AS locale,
           COALESCE(c.data_fields, '{}'::jsonb) || COALESCE(s.data_fields, '{}'::jsonb)
               AS data_fields,
           -- Sorted field names, as customers.services.profile_change records them.
           array_remove(ARRAY[
               CASE WHEN s.correlation_id IS DISTINCT FROM c.correlation_id
                    AND s.correlation_id IS NOT NULL THEN 'correlation_id' END,
               CASE WHEN s.data_fields IS NOT NULL AND COALESCE(c.data_fields, '{}'::jsonb)
                    || s.data_fields IS DISTINCT FROM c.data_fields THEN 'data_fields' END,
               CASE WHEN c.id IS NULL THEN 'email' END,
               CASE WHEN s.first_name IS DISTINCT FROM c.first_name
                    AND s.first_name IS NOT NULL THEN 'first_name' END,
               CASE WHEN s.last_name IS DISTINCT FROM c.last_name
                    AND s.last_name IS NOT NULL THEN 'last_name' END,
               CASE WHEN s.locale IS DISTINCT FROM c.locale
                    AND s.locale IS NOT NULL THEN 'locale' END,
               CASE WHEN s.phone IS DISTINCT FROM c.phone
                    AND s.phone IS NOT NULL THEN 'phone' END
           ], NULL) AS changed
    FROM {stage} s
    -- LATERAL … LIMIT 1 keeps this an index lookup per staged row: during a long import the
    -- table's statistics lag far behind its size, and a hash join over the whole organisation
    -- per batch would make the import quadratic.
    LEFT JOIN LATERAL (
        SELECT id, email, phone, correlation_id, first_name, last_name, locale, data_fields,
               import_digest
        FROM customers_customer
        WHERE organisation_id = %(org)s AND email_key = s.email_key
        LIMIT 1
    ) c ON true
"""

# The statement's own work: merge each staged row with what is stored, upsert the changed ones.
_UPSERT_CTES = f"""
merged AS MATERIALIZED ({_MERGED}),
up AS (
    INSERT INTO customers_customer AS c (
        uuid, organisation_id, email, email_key, phone, correlation_id, first_name, last_name,
        locale, data_fields, email_type, opt_in_type, created_at, updated_at, import_digest)
    SELECT uuid, %(org)s, email, email_key, phone, correlation_id, first_name,
           last_name, locale, data_fields, 'Html', 'Unknown', %(now)s, %(now)s, import_digest
    FROM merged
    WHERE cardinality(changed) > 0
    ON CONFLICT (organisation_id, email_key) DO UPDATE SET
        phone = EXCLUDED.phone,
        correlation_id = EXCLUDED.correlation_id,
        first_name = EXCLUDED.first_name,
        last_name = EXCLUDED.last_name,
        locale = EXCLUDED.locale,
        data_fields = EXCLUDED.data_fields,
        updated_at = EXCLUDED.updated_at,
        import_digest = EXCLUDED.import_digest
    -- A row written by someone else since our snapshot is only touched if it still differs.
    WHERE (c.phone, c.correlation_id, c.first_name, c.last_name, c.locale, c.data_fields)
          IS DISTINCT FROM (EXCLUDED.phone, EXCLUDED.correlation_id, EXCLUDED.first_name,
                            EXCLUDED.last_name, EXCLUDED.locale, EXCLUDED.data_fields)
    RETURNING c.id, c.email_key, (c.xmax = 0) AS created
),
-- A customer the record leaves as it is but whose stored digest is not the record's (a new
-- DIGEST_VERSION, a file spelt otherwise, a digest another writer cleared): store the record's,
-- so that the next run skips it. Nothing else is written, not even updated_at or the ledger. A
-- row written by someone else since our snapshot keeps its digest unless it still has these
-- values (the WHERE is checked again on the row as it is then).
refreshed AS (
    UPDATE customers_customer AS c SET import_digest = m.import_digest
    FROM merged m
    WHERE c.id = m.id AND cardinality(m.changed) = 0 AND m.import_digest IS NOT NULL
      AND m.stored_digest IS DISTINCT FROM m.import_digest
      AND c.organisation_id = %(org)s
      AND (c.phone, c.correlation_id, c.first_name, c.last_name, c.locale, c.data_fields)
          IS NOT DISTINCT FROM (m.phone, m.correlation_id, m.first_name, m.last_name, m.locale,
                                m.data_fields)
)
""".replace("{stage}", STAGE)

# One "customer.profile" change per created or updated customer (customers.services.profile_change
# in SQL), appended by the ledger's writer in the same statement.
_PROFILE_CHANGES = """
SELECT up.id, '', 'customer.profile', CASE WHEN up.created THEN 'created' ELSE 'updated' END,
       NULL::jsonb, to_jsonb(m.changed)
FROM up JOIN merged m ON m.email_key = up.email_key
"""

_COUNTS = "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up"

# Staged rows whose correlation id is another customer's: inserting them would break
# customer_correlation_id_unique_per_org and abort the whole batch.
_CORRELATION_CONFLICTS = f"""
DELETE FROM {STAGE} s
USING (
    SELECT staged.pos
    FROM {STAGE} staged
    CROSS JOIN LATERAL (  -- an index lookup per staged row, as in _MERGED
        SELECT email_key FROM customers_customer
        WHERE organisation_id = %(org)s AND correlation_id = staged.correlation_id
        LIMIT 1
    ) owner
    WHERE staged.correlation_id IS NOT NULL AND owner.email_key IS DISTINCT FROM staged.email_key
) conflict
WHERE s.pos = conflict.pos
RETURNING s.pos
"""


# One round trip per batch. For this transaction only: JIT would compile the upsert anew for every
# batch (its estimated cost is high, its run time short), and an import re-run after a crash is
# idempotent, so a batch's commit need not wait for the WAL flush. The staging table lives as long
# as the connection and is emptied at every commit (and here, for imports in one transaction).
# The upsert may store record digests (migration 0008's trigger clears them for other writers);
# _END_BATCH turns that off again before anything else in the transaction writes customers.
_PREPARE_BATCH = f"""
SET LOCAL jit = off;
SET LOCAL synchronous_commit = off;
SET LOCAL consent.import_digest_writer = 'on';
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    pos integer, uuid uuid, email text, email_key text, phone text, correlation_id text,
    first_name text, last_name text, locale text, data_fields jsonb, import_digest bigint
) ON COMMIT DELETE ROWS;
TRUNCATE {STAGE};
"""
_END_BATCH = "SET LOCAL consent.import_digest_writer = 'off'"

# The records (email key as typed, digest) that are NOT known unchanged: no customer has that key,
# or its stored digest differs (positions from 0). An index lookup per record, as in _MERGED; the
# answer names only the records to parse, so a re-run of an unchanged file fetches nothing. Keys
# and digests travel as two texts (newline- and space-separated): psycopg's list adaptation in
# Python cost more than the lookups.
_CHANGED = """
SELECT t.pos - 1
FROM unnest(string_to_array(%(keys)s, E'\\n'), string_to_array(%(digests)s, ' ')::bigint[])
     WITH ORDINALITY AS t(email_key, digest, pos)
LEFT JOIN LATERAL (
    SELECT import_digest FROM customers_customer
    WHERE organisation_id = %(org)s AND email_key = t.email_key
    LIMIT 1
) c ON true
WHERE c.import_digest IS DISTINCT FROM t.digest
ORDER BY t.pos
"""


def changed_positions(organisation, keys: list[str], digests: list[int]) -> list[int]:
    """Positions (ascending) of the (key, digest) pairs whose digest is not stored on their
    customer: every pair but those imported before and unchanged since.

    A key holding a newline or a NUL (never a valid address) is always changed."""
    if not keys:
        return []
    text = "\n".join(keys)
    if text.count("\n") != len(keys) - 1 or "\x00" in text:
        usable = [i for i, key in enumerate(keys) if "\n" not in key and "\x00" not in key]
        found = set(
            usable[pos]
            for pos in changed_positions(
                organisation, [keys[i] for i in usable], [digests[i] for i in usable]
            )
        )
        unusable = set(range(len(keys))).difference(usable)
        return sorted(found | unusable)
    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGED,
            {"org": organisation.pk, "keys": text, "digests": " ".join(map(str, digests))},
        )
        return [pos for (pos,) in cursor.fetchall()]


def _json_text(value) -> str:
    """JSON text of data fields: orjson's, a tenth of json.dumps' cost; json.dumps for what
    orjson refuses (integers beyond 64 bits), which jsonb keeps as numerics."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def upsert_email_rows(organisation, rows, provenance, result) -> None:
    """Upsert email-keyed rows (distinct email keys) through COPY and one set-based statement."""
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(_PREPARE_BATCH)
        with cursor.cursor.copy(f"COPY {STAGE} FROM STDIN") as copy:
            # A new customer's UUID, used only when the row creates one.
            for pos, (row, uuid) in enumerate(zip(rows, uuid7s(len(rows)), strict=True)):
                copy.write_row(
                    (
                        pos,
                        uuid,
                        row.email,
                        row.email_key,
                        row.phone,
                        row.correlation_id,
                        row.first_name,
                        row.last_name,
                        row.locale,
                        None if row.data_fields is None else _json_text(row.data_fields),
                        None if row.fingerprint is None else row.fingerprint[1],
                    )
                )
        params = {"org": organisation.pk}
        set_aside = 0
        if any(row.correlation_id is not None for row in rows):
            cursor.execute(_CORRELATION_CONFLICTS, params)
            for (pos,) in cursor.fetchall():
                set_aside += 1
                result.rejected.append(
                    (rows[pos], "correlation_id: already used by another customer.")
                )
    now = timezone.now()
    [(created, updated)] = record_changes_from_sql(
        organisation=organisation,
        provenance=provenance,
        ctes=_UPSERT_CTES,
        changes=_PROFILE_CHANGES,
        result=_COUNTS,
        params={**params, "now": now},
        occurred_at=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(_END_BATCH)
    result.counts["created"] += created
    result.counts["updated"] += updated
    result.counts["unchanged"] += len(rows) - set_aside - created - updated
