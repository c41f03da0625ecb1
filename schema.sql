-- The users table of the FastAPI login service, as authctl creates it.
--
-- Same columns, names and indexes as the service's SQLAlchemy model emits with
-- create_all, so the service adopts this table as is (create_all skips a table
-- that exists). Stricter where that cannot break the service:
--   * username and hashed_password are NOT NULL;
--   * disabled is NOT NULL DEFAULT 0 and must be integer 0 or 1: a text value
--     such as 'false' would be read back by SQLAlchemy as True.
CREATE TABLE users (
    id INTEGER NOT NULL,
    username VARCHAR NOT NULL CHECK (username <> ''),
    email VARCHAR,
    full_name VARCHAR,
    disabled BOOLEAN NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    hashed_password VARCHAR NOT NULL CHECK (hashed_password <> ''),
    PRIMARY KEY (id)
);
CREATE INDEX ix_users_id ON users (id);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_full_name ON users (full_name);
PRAGMA user_version = 1;
