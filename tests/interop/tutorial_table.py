"""The tutorial's `users` table as the interop services share it: the SQLAlchemy model, its
engine (DATABASE_URL from the environment; POOLER=transaction for a transaction pooler), the
pwdlib hasher (PASSWORD_HASHERS=recommended: Argon2 only) and the look-up by username.

tests/interop/app.py (the security tutorial) and tests/interop/scopes/app.py (its OAuth2 scopes
chapter) both replace the tutorial's `fake_users_db` with this one table.
"""

import os

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from sqlalchemy import Boolean, Column, Integer, String, create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker
from sqlalchemy.pool import NullPool

DATABASE_URL = os.environ["DATABASE_URL"]

# The tutorial's SQLite option; PostgreSQL's driver takes none.
connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
engine_args = {}
if os.environ.get("POOLER") == "transaction":
    # Behind a transaction pooler, as SQLAlchemy's and psycopg's docs say: no client-side pool
    # (the pooler is one) and no server-side prepared statements.
    connect_args["prepare_threshold"] = None
    engine_args["poolclass"] = NullPool
engine = create_engine(DATABASE_URL, connect_args=connect_args, **engine_args)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
Base = declarative_base()


class UserRow(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True, index=True)
    username = Column(String, unique=True, index=True)
    email = Column(String, unique=True, index=True)
    full_name = Column(String, index=True)
    disabled = Column(Boolean, default=False)
    hashed_password = Column(String)


Base.metadata.create_all(bind=engine)

# The full-stack template and fastapi-users verify both kinds; the current tutorial uses
# PasswordHash.recommended(), Argon2 only (PASSWORD_HASHERS=recommended).
if os.environ.get("PASSWORD_HASHERS") == "recommended":
    password_hash = PasswordHash.recommended()
else:
    password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))
DUMMY_HASH = password_hash.hash("dummypassword")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_user(db: Session, username: str) -> UserRow | None:
    return db.query(UserRow).filter(UserRow.username == username).first()
