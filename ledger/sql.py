"""The ledger's guarantees inside the database, for PostgreSQL and for SQLite.

Both databases get the same rules, so that no code path — the ORM, a raw cursor, a
future app — can break them:

- journals and postings are append-only (UPDATE and DELETE raise;
  ``core.db.append_only``, whose triggers guard the security log too);
- a journal's postings are written *before* the journal row, and a journal row is
  accepted only if its postings number two or more and sum to zero in every currency;
  postings for a journal that already exists are refused, so a balanced journal stays
  balanced;
- an account that forbids a negative available balance can never have one (a CHECK
  constraint, declared on the model).

PostgreSQL also gets ``ledger_post``: the whole posting — idempotency check, row locks in
ascending id order, validations, balance updates with running balances, postings and
journal — in one round trip. SQLite runs the same algorithm in Python
(``ledger.services``); its writers are serialized by ``BEGIN IMMEDIATE``.

This module is the *current* version of that SQL: what the code expects every database to
have installed now. Migrations never import it. Each version of each function and trigger
is frozen in the migration that installs it (``migration=`` below names it); a test
asserts that the latest frozen copy equals the text here, and a system check
(``ledger/checks.py``, run by ``migrate`` and ``check --database default``) fails when a
database has other code installed. To change anything here, follow docs/ledger.md,
"Versions of the database code": copy, edit, new migration, bump.
"""

from core.db import append_only
from ledger.dbcode import DatabaseObject, Function, SqliteTrigger, Trigger

# The migration that froze the current version of each object below that names it; a new
# version of an object names its own migration (docs/ledger.md).
LEDGER_0002 = "ledger.0002_database_guarantees"

# --- postings only for a journal not yet written ----------------------------------------
POSTING_BEFORE_JOURNAL = Function(
    "ledger_posting_before_journal()",
    migration=LEDGER_0002,
    sql="""
    CREATE OR REPLACE FUNCTION ledger_posting_before_journal() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM ledger_journal j WHERE j.id = NEW.journal_id) THEN
            RAISE EXCEPTION 'ledger: postings cannot be added to a written journal'
                USING ERRCODE = 'CP003';
        END IF;
        RETURN NEW;
    END $$
    """,
)
POSTING_BEFORE_JOURNAL_TRIGGER = Trigger(
    migration=LEDGER_0002,
    sql="""
    CREATE TRIGGER ledger_posting_before_journal BEFORE INSERT ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_before_journal()
    """,
)

# --- a journal is balanced when it is written -------------------------------------------
JOURNAL_BALANCED = Function(
    "ledger_journal_balanced()",
    migration=LEDGER_0002,
    sql="""
    CREATE OR REPLACE FUNCTION ledger_journal_balanced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        v_lines bigint;
        v_worst bigint;
    BEGIN
        SELECT coalesce(sum(t.n), 0), coalesce(max(abs(t.total)), 0) INTO v_lines, v_worst
        FROM (SELECT count(*) AS n, sum(p.amount_minor) AS total
              FROM ledger_posting p WHERE p.journal_id = NEW.id GROUP BY p.currency) t;
        IF v_lines < 2 OR v_worst <> 0 THEN
            RAISE EXCEPTION 'ledger: journal % is not balanced (% postings)', NEW.id, v_lines
                USING ERRCODE = 'CP003';
        END IF;
        RETURN NULL;
    END $$
    """,
)
JOURNAL_BALANCED_TRIGGER = Trigger(
    migration=LEDGER_0002,
    sql="""
    CREATE TRIGGER ledger_journal_balanced AFTER INSERT ON ledger_journal
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_balanced()
    """,
)

# --- the posting function ---------------------------------------------------------------
# Journal ids come from ledger_journal_id_seq (created by migration 0002), allocated
# before the postings are written.
LEDGER_POST = Function(
    "ledger_post(text, text, text, text, text, bigint, text, text, date, bigint, bigint[],"
    " bigint[], text[], bigint[], timestamptz)",
    migration=LEDGER_0002,
    sql="""
    CREATE OR REPLACE FUNCTION ledger_post(
        p_key text, p_hash text, p_kind text, p_channel text, p_motive text,
        p_actor bigint, p_source_type text, p_source_id text, p_value_date date,
        p_reverses bigint, p_accounts bigint[], p_amounts bigint[], p_descriptions text[],
        p_holds bigint[], p_created_at timestamptz
    ) RETURNS TABLE (journal_id bigint, replayed boolean)
    LANGUAGE plpgsql AS $$
    DECLARE
        v_n int := coalesce(cardinality(p_accounts), 0);
        v_existing bigint;
        v_existing_hash text;
        v_id bigint;
        v_now timestamptz;
        v_expected int;
        v_found int;
        v_inactive bigint;
        v_short bigint;
        v_currency text;
        v_holds int;
        v_balance bigint;
        i int;
    BEGIN
        IF v_n < 2 OR cardinality(p_amounts) <> v_n OR cardinality(p_descriptions) <> v_n
           OR 0 = ANY (p_amounts) OR array_position(p_amounts, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: a journal needs two or more non-zero lines'
                USING ERRCODE = 'CP003';
        END IF;

        IF array_position(p_accounts, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: unknown account' USING ERRCODE = 'CP006';
        END IF;

        -- Lock every account of the journal, in ascending id order: no deadlocks.
        PERFORM 1 FROM ledger_account a WHERE a.id = ANY (p_accounts) ORDER BY a.id FOR UPDATE;

        -- The journal's time never precedes an earlier posting on its accounts, so that
        -- on every account time order, id order and running balances agree (a journal
        -- that waited for the locks may carry an older clock reading).
        SELECT greatest(p_created_at, max(a.last_posted_at)) INTO v_now
        FROM ledger_account a WHERE a.id = ANY (p_accounts);

        -- A replay (this key already committed, maybe by a concurrent request while we
        -- waited for the locks) returns the journal it wrote.
        SELECT j.id, j.request_hash INTO v_existing, v_existing_hash
        FROM ledger_journal j WHERE j.idempotency_key = p_key;
        IF FOUND THEN
            IF v_existing_hash <> p_hash THEN
                RAISE EXCEPTION 'ledger: key % reused with other content', p_key
                    USING ERRCODE = 'CP004';
            END IF;
            RETURN QUERY SELECT v_existing, true;
            RETURN;
        END IF;

        v_id := nextval('ledger_journal_id_seq');

        -- Captured holds stop reserving their amount (locked after the accounts).
        IF coalesce(cardinality(p_holds), 0) > 0 THEN
            WITH outflow AS (
                SELECT u.acc,
                       -sum(CASE WHEN a.normal_side = 'D' THEN u.amt ELSE -u.amt END) AS out
                FROM unnest(p_accounts, p_amounts) AS u(acc, amt)
                JOIN ledger_account a ON a.id = u.acc GROUP BY u.acc
            ), eligible AS (
                SELECT h.id FROM ledger_hold h JOIN outflow o ON o.acc = h.account_id
                WHERE h.id = ANY (p_holds) AND h.status = 'active'
                  AND (h.expires_at IS NULL OR h.expires_at > v_now)
                  AND o.out >= (SELECT sum(h2.amount_minor) FROM ledger_hold h2
                                WHERE h2.id = ANY (p_holds) AND h2.account_id = h.account_id)
            ), captured AS (
                UPDATE ledger_hold h SET status = 'captured', journal_id = v_id, resolved_at = v_now
                WHERE h.id IN (SELECT id FROM eligible)
                RETURNING h.account_id, h.amount_minor
            ), released AS (
                UPDATE ledger_account a SET held_minor = a.held_minor - c.total
                FROM (SELECT account_id, sum(amount_minor) AS total FROM captured
                      GROUP BY account_id) c
                WHERE a.id = c.account_id
                RETURNING 1
            )
            SELECT count(*) INTO v_holds FROM captured;
            IF v_holds <> cardinality(p_holds) THEN
                RAISE EXCEPTION 'ledger: a hold is not active on this journal''s accounts'
                    USING ERRCODE = 'CP007';
            END IF;
        END IF;

        -- Every account exists and is active; after every line, in order, no protected
        -- account's available balance is below zero; each currency balances on its own.
        WITH l AS (
            SELECT u.acc, u.amt, u.ord
            FROM unnest(p_accounts, p_amounts) WITH ORDINALITY AS u(acc, amt, ord)
        ), j AS (
            SELECT l.acc, l.amt, a.id, a.status, a.currency, a.forbid_negative,
                   a.balance_minor - a.held_minor AS available,
                   sum(CASE WHEN a.normal_side = 'D' THEN l.amt ELSE -l.amt END)
                       OVER (PARTITION BY l.acc ORDER BY l.ord) AS running
            FROM l LEFT JOIN ledger_account a ON a.id = l.acc
        )
        SELECT count(DISTINCT j.acc), count(DISTINCT j.id),
               min(j.id) FILTER (WHERE j.status <> 'active'),
               min(j.id) FILTER (
                   WHERE j.forbid_negative AND j.running < 0 AND j.available + j.running < 0),
               (SELECT k.currency FROM j k GROUP BY k.currency HAVING sum(k.amt) <> 0 LIMIT 1)
        INTO v_expected, v_found, v_inactive, v_short, v_currency
        FROM j;
        IF v_found <> v_expected THEN
            RAISE EXCEPTION 'ledger: unknown account' USING ERRCODE = 'CP006';
        END IF;
        IF v_inactive IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: account % is not active', v_inactive
                USING ERRCODE = 'CP002', DETAIL = v_inactive::text;
        END IF;
        IF v_short IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: insufficient funds on account %', v_short
                USING ERRCODE = 'CP001', DETAIL = v_short::text;
        END IF;
        IF v_currency IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: journal does not balance in %', v_currency
                USING ERRCODE = 'CP005';
        END IF;

        -- Balances and postings, each posting with the account's balance after it.
        IF v_n <= 16 THEN
            -- A member's operation: a few lines, simple statements with cached plans.
            FOR i IN 1 .. v_n LOOP
                UPDATE ledger_account a
                SET balance_minor = a.balance_minor
                    + CASE WHEN a.normal_side = 'D' THEN p_amounts[i] ELSE -p_amounts[i] END,
                    last_posted_at = v_now
                WHERE a.id = p_accounts[i]
                RETURNING a.balance_minor, a.currency INTO v_balance, v_currency;
                INSERT INTO ledger_posting (journal_id, account_id, amount_minor, currency,
                                            balance_after_minor, description, created_at)
                VALUES (v_id, p_accounts[i], p_amounts[i], v_currency, v_balance,
                        p_descriptions[i], v_now);
            END LOOP;
        ELSE
            -- A payroll chunk: hundreds of lines, set-based.
            WITH lines AS (
                SELECT u.acc, u.amt, u.descr, u.ord
                FROM unnest(p_accounts, p_amounts, p_descriptions)
                     WITH ORDINALITY AS u(acc, amt, descr, ord)
            ), deltas AS (
                SELECT l.acc, sum(CASE WHEN a.normal_side = 'D' THEN l.amt ELSE -l.amt END) AS nd
                FROM lines l JOIN ledger_account a ON a.id = l.acc GROUP BY l.acc
            ), updated AS (
                UPDATE ledger_account a
                SET balance_minor = a.balance_minor + deltas.nd, last_posted_at = v_now
                FROM deltas WHERE a.id = deltas.acc
                RETURNING a.id, a.balance_minor AS new_balance, deltas.nd, a.currency,
                          a.normal_side
            )
            INSERT INTO ledger_posting (journal_id, account_id, amount_minor, currency,
                                        balance_after_minor, description, created_at)
            SELECT v_id, l.acc, l.amt, u.currency,
                   u.new_balance - u.nd
                   + sum(CASE WHEN u.normal_side = 'D' THEN l.amt ELSE -l.amt END)
                         OVER (PARTITION BY l.acc ORDER BY l.ord),
                   l.descr, v_now
            FROM lines l JOIN updated u ON u.id = l.acc
            ORDER BY l.ord;
        END IF;

        INSERT INTO ledger_journal (id, idempotency_key, request_hash, kind, channel, motive,
                                    actor_id, source_type, source_id, reverses_id, value_date,
                                    created_at)
        VALUES (v_id, p_key, p_hash, p_kind, p_channel, p_motive, p_actor, p_source_type,
                p_source_id, p_reverses, p_value_date, v_now);

        RETURN QUERY SELECT v_id, false;
    END $$
    """,
)

# --- SQLite: the same two rules as triggers ---------------------------------------------
SQLITE_POSTING_BEFORE_JOURNAL = SqliteTrigger(
    migration=LEDGER_0002,
    sql="""
        CREATE TRIGGER ledger_posting_before_journal BEFORE INSERT ON ledger_posting
        WHEN EXISTS (SELECT 1 FROM ledger_journal WHERE id = NEW.journal_id)
        BEGIN SELECT RAISE(ABORT, 'ledger: postings cannot be added to a written journal'); END
    """,
)
SQLITE_JOURNAL_BALANCED = SqliteTrigger(
    migration=LEDGER_0002,
    sql="""
        CREATE TRIGGER ledger_journal_balanced AFTER INSERT ON ledger_journal
        WHEN (SELECT count(*) FROM ledger_posting WHERE journal_id = NEW.id) < 2
          OR EXISTS (SELECT 1 FROM ledger_posting WHERE journal_id = NEW.id
                     GROUP BY currency HAVING sum(amount_minor) <> 0)
        BEGIN SELECT RAISE(ABORT, 'ledger: journal is not balanced'); END
    """,
)

# --- append-only: the current text is the kernel's, frozen by each guarded table's
# migration (the guard function by the ledger's; accounts/0003 installs the same text) --
APPEND_ONLY_GUARD = Function(
    "append_only_guard()", migration=LEDGER_0002, sql=append_only.POSTGRES_FUNCTION
)
APPEND_ONLY_MIGRATIONS = {
    "ledger_journal": LEDGER_0002,
    "ledger_posting": LEDGER_0002,
    "accounts_audit_event": "accounts.0003_catalogs_and_audit_guard",
}


def database_code(vendor: str) -> list[DatabaseObject]:
    """Every function and trigger the schema depends on, as the code expects it now."""
    guarded = [(table, APPEND_ONLY_MIGRATIONS[table]) for table in append_only.GUARDED_TABLES]
    if vendor == "postgresql":
        return [
            APPEND_ONLY_GUARD,
            POSTING_BEFORE_JOURNAL,
            JOURNAL_BALANCED,
            LEDGER_POST,
            *(Trigger(migration=m, sql=append_only.postgres_trigger(t)) for t, m in guarded),
            POSTING_BEFORE_JOURNAL_TRIGGER,
            JOURNAL_BALANCED_TRIGGER,
        ]
    if vendor == "sqlite":
        return [
            *(
                SqliteTrigger(migration=m, sql=trigger(t))
                for t, m in guarded
                for trigger in (
                    append_only.sqlite_update_trigger,
                    append_only.sqlite_delete_trigger,
                )
            ),
            SQLITE_POSTING_BEFORE_JOURNAL,
            SQLITE_JOURNAL_BALANCED,
        ]
    return []
