"""The login service authctl serves, as fastapi-users' own SQLAlchemy example builds it.

fastapi-users 15.0.5 with fastapi-users-db-sqlalchemy 7.0.0: a `user` table from
`SQLAlchemyBaseUserTableUUID` (uuid ids, email, hashed_password, is_active, is_superuser,
is_verified), created with `create_all` at start-up; login by email with the JWT strategy
(HS256, aud "fastapi-users:auth", 1 h) behind a bearer transport; pwdlib Argon2 + bcrypt
hashes (the library's default PasswordHelper). Everything below is the example's code, put in
one file: fastapi-users/fastapi-users at 9ef8cd8 (v15.0.5),
`examples/sqlalchemy/app/{app.py,db.py,users.py,schemas.py}`. Written for authctl's interop
tests; it adds only what the tests need:

- DATABASE_URL and SECRET_KEY come from the environment (the example hard-codes
  `sqlite+aiosqlite:///./test.db` and `SECRET = "SECRET"`). DATABASE_URL is a plain SQLAlchemy
  URL, `sqlite:///users.db` or `postgresql://…?sslmode=disable&options=-csearch_path%3DX`;
  `async_database_url` below turns it into the async drivers the example uses.
- RESET_PASSWORD_TOKEN_SECRET and VERIFICATION_TOKEN_SECRET, when set, are the user manager's
  `reset_password_token_secret` and `verification_token_secret` (the example gives both
  SECRET): the library lets the three secrets differ.
- `on_after_verify` and `on_after_reset_password` write a line to stderr (the tests read the
  server's log), to show the application's own hooks ran.
- REQUIRE_VERIFIED=1 passes `requires_verification=True` to `get_auth_router`, the library's
  own switch for refusing unverified users at login (LOGIN_USER_NOT_VERIFIED).
"""

import os
import shlex
import sys
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any, Optional

from fastapi import Depends, FastAPI, Request
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, models, schemas
from fastapi_users.authentication import (
    AuthenticationBackend,
    BearerTransport,
    JWTStrategy,
)
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

SECRET = os.environ["SECRET_KEY"]
RESET_SECRET = os.environ.get("RESET_PASSWORD_TOKEN_SECRET", SECRET)
VERIFY_SECRET = os.environ.get("VERIFICATION_TOKEN_SECRET", SECRET)
REQUIRE_VERIFIED = os.environ.get("REQUIRE_VERIFIED") == "1"


def async_database_url(url: str) -> tuple[str, dict[str, Any]]:
    """Turns the tests' plain SQLAlchemy URL into (async URL, connect_args).

    The glue between the tests' URL and the example's async engine, and nothing else:
    - `sqlite:///users.db` -> `sqlite+aiosqlite:///users.db` (a relative path resolves
      against the working directory, as with the sync driver);
    - `postgresql://…` -> `postgresql+asyncpg://…`. asyncpg takes neither libpq's `sslmode`
      nor its `options`, and SQLAlchemy hands every query parameter to `asyncpg.connect`,
      so both are taken out of the query: `sslmode=disable` becomes `ssl=False` (any other
      mode is passed on as asyncpg's `ssl=<mode>`), and each `-c name=value` (or
      `-cname=value`) in `options` becomes `server_settings={name: value}`, the startup
      parameters asyncpg sends, e.g. `-csearch_path=t123` -> {"search_path": "t123"}.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(
            hide_password=False
        ), {}
    if backend != "postgresql":
        raise ValueError(f"DATABASE_URL must be sqlite:// or postgresql://, not {backend}")
    query = dict(parsed.query)
    connect_args: dict[str, Any] = {}
    sslmode = query.pop("sslmode", None)
    if sslmode is not None:
        connect_args["ssl"] = False if sslmode == "disable" else sslmode
    options = query.pop("options", None)
    if options is not None:
        settings: dict[str, str] = {}
        words = shlex.split(options)
        i = 0
        while i < len(words):
            word = words[i]
            if word == "-c" and i + 1 < len(words):
                setting, i = words[i + 1], i + 2
            elif word.startswith("-c"):
                setting, i = word[2:], i + 1
            elif word.startswith("--"):
                setting, i = word[2:], i + 1
            else:
                raise ValueError(f"unsupported libpq option {word!r} in DATABASE_URL")
            name, _, value = setting.partition("=")
            settings[name.replace("-", "_")] = value
        connect_args["server_settings"] = settings
    async_url = parsed.set(drivername="postgresql+asyncpg", query=query)
    return async_url.render_as_string(hide_password=False), connect_args


# --- examples/sqlalchemy/app/db.py ---

DATABASE_URL, CONNECT_ARGS = async_database_url(os.environ["DATABASE_URL"])


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


engine = create_async_engine(DATABASE_URL, connect_args=CONNECT_ARGS)
async_session_maker = async_sessionmaker(engine, expire_on_commit=False)


async def create_db_and_tables():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
    async with async_session_maker() as session:
        yield session


async def get_user_db(session: AsyncSession = Depends(get_async_session)):
    yield SQLAlchemyUserDatabase(session, User)


# --- examples/sqlalchemy/app/schemas.py ---


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


# --- examples/sqlalchemy/app/users.py ---


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = RESET_SECRET
    verification_token_secret = VERIFY_SECRET

    async def on_after_register(self, user: User, request: Optional[Request] = None):
        print(f"User {user.id} has registered.")

    async def on_after_forgot_password(
        self, user: User, token: str, request: Optional[Request] = None
    ):
        print(f"User {user.id} has forgot their password. Reset token: {token}")

    async def on_after_verify(self, user: User, request: Optional[Request] = None):
        print(f"hook on_after_verify: user {user.id}", file=sys.stderr, flush=True)

    async def on_after_reset_password(self, user: User, request: Optional[Request] = None):
        print(f"hook on_after_reset_password: user {user.id}", file=sys.stderr, flush=True)

    async def on_after_request_verify(
        self, user: User, token: str, request: Optional[Request] = None
    ):
        print(f"Verification requested for user {user.id}. Verification token: {token}")


async def get_user_manager(user_db: SQLAlchemyUserDatabase = Depends(get_user_db)):
    yield UserManager(user_db)


bearer_transport = BearerTransport(tokenUrl="auth/jwt/login")


def get_jwt_strategy() -> JWTStrategy[models.UP, models.ID]:
    return JWTStrategy(secret=SECRET, lifetime_seconds=3600)


auth_backend = AuthenticationBackend(
    name="jwt",
    transport=bearer_transport,
    get_strategy=get_jwt_strategy,
)

fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])

current_active_user = fastapi_users.current_user(active=True)


# --- examples/sqlalchemy/app/app.py ---


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Not needed if you setup a migration system like Alembic
    await create_db_and_tables()
    yield


app = FastAPI(lifespan=lifespan)

app.include_router(
    fastapi_users.get_auth_router(auth_backend, requires_verification=REQUIRE_VERIFIED),
    prefix="/auth/jwt",
    tags=["auth"],
)
app.include_router(
    fastapi_users.get_register_router(UserRead, UserCreate),
    prefix="/auth",
    tags=["auth"],
)
app.include_router(
    fastapi_users.get_reset_password_router(),
    prefix="/auth",
    tags=["auth"],
)
app.include_router(
    fastapi_users.get_verify_router(UserRead),
    prefix="/auth",
    tags=["auth"],
)
app.include_router(
    fastapi_users.get_users_router(UserRead, UserUpdate),
    prefix="/users",
    tags=["users"],
)


@app.get("/authenticated-route")
async def authenticated_route(user: User = Depends(current_active_user)):
    return {"message": f"Hello {user.email}!"}
