-- The users table of the FastAPI login service on PostgreSQL, as authctl creates it.
--
-- What the service's SQLAlchemy model emits there with create_all (id SERIAL, the same
-- unique and plain indexes), so the service adopts it as is. Stricter where that cannot
-- break the service: username and hashed_password NOT NULL and not empty, disabled
-- NOT NULL DEFAULT false. The comment carries authctl's schema version.
CREATE TABLE users (
    id SERIAL NOT NULL,
    username VARCHAR NOT NULL CHECK (username <> ''),
    email VARCHAR,
    full_name VARCHAR,
    disabled BOOLEAN NOT NULL DEFAULT false,
    hashed_password VARCHAR NOT NULL CHECK (hashed_password <> ''),
    PRIMARY KEY (id)
);
CREATE INDEX ix_users_id ON users (id);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_full_name ON users (full_name);
COMMENT ON TABLE users IS 'authctl schema 1';
