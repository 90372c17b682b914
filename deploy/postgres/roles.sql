-- The portal's two roles, run once by the superuser in the portal's database (the
-- postgres image runs it from /docker-entrypoint-initdb.d; by hand:
-- psql -v ON_ERROR_STOP=1 -d cooprogreso -f deploy/postgres/roles.sql). Needs psql 15+.
--
--   owner  owns the database and every table: `manage.py migrate` connects as it
--          (DATABASE_OWNER_URL) and then grants the application role its privileges;
--   app    the portal's web, worker and beat (DATABASE_URL): rows only, no DDL, and no
--          UPDATE, DELETE or TRUNCATE on the ledger's history (docs/security.md).
--
-- Environment: COOPROGRESO_OWNER_PASSWORD and COOPROGRESO_APP_PASSWORD (required);
-- COOPROGRESO_OWNER and COOPROGRESO_APP name the roles (cooprogreso_owner, cooprogreso_app).
-- Running it again changes only the passwords.

\getenv owner COOPROGRESO_OWNER
\getenv app COOPROGRESO_APP
\getenv owner_password COOPROGRESO_OWNER_PASSWORD
\getenv app_password COOPROGRESO_APP_PASSWORD
\if :{?owner}
\else
  \set owner cooprogreso_owner
\endif
\if :{?app}
\else
  \set app cooprogreso_app
\endif
\if :{?owner_password}
\else
  \echo 'roles.sql: falta COOPROGRESO_OWNER_PASSWORD'
  SELECT 1 / 0 AS missing_password;
\endif
\if :{?app_password}
\else
  \echo 'roles.sql: falta COOPROGRESO_APP_PASSWORD'
  SELECT 1 / 0 AS missing_password;
\endif

SELECT format('CREATE ROLE %I', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec

ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'app_password';

-- The owner owns the database and the public schema, where only it creates tables.
ALTER DATABASE :"DBNAME" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";
