"""The login service authctl serves, as FastAPI's full-stack template builds its backend.

fastapi/full-stack-fastapi-template at 68adb40 (auth files as in tag 0.12.0), its `backend/app`
put in one file: the SQLModel `user` and `item` tables (uuid ids, `item.owner_id` ON DELETE
CASCADE, `created_at` with a Python-side UTC default), pwdlib Argon2 + bcrypt hashing with
rehash on login and a dummy hash for unknown emails, HS256 access tokens
`{"exp": now + 8 days, "sub": str(user.id)}`, login by email at
POST /api/v1/login/access-token, HS256 password-reset tokens
`{"exp": (now + 48 h).timestamp(), "nbf": now, "sub": email}` taken at
POST /api/v1/reset-password/, and the template's own status codes and detail strings.
Each part names the template file it follows. The facts come from shared/docs/table-shapes.md
(read at 68adb40) and from the copies of these files that could be read (when the login,
users and items parts were written the commit itself could not be checked out, so those were
not compared line by line with 68adb40; the `create_all` DDL below matches the one
table-shapes.md records). The password-reset parts were read from 68adb40 itself (`utils.py`,
`api/routes/login.py`, `models.py`, `crud.py`, `core/config.py`) and follow it line by line,
but for module prefixes (`crud.`, `security.`) and `timezone.utc` for Python 3.11's `UTC`.
Written for authctl's interop tests; what differs from the template:

- settings: DATABASE_URL and SECRET_KEY, required, from `os.environ`; the template's
  `core/config.py` (pydantic-settings, at 68adb40) takes DATABASE_URL as a PostgresDsn and
  rewrites its `postgres://` or `postgresql://` prefix to `postgresql+psycopg://`, and also
  requires PROJECT_NAME (left out here), FIRST_SUPERUSER and FIRST_SUPERUSER_PASSWORD
  (optional here, see below).
  EMAIL_RESET_TOKEN_EXPIRE_HOURS (48) and FRONTEND_HOST (`http://localhost:5173`) are read as
  pydantic-settings reads them with the template's model_config (`env_setting` below); the
  template's `../.env` file is not read. DATABASE_URL is a plain
  `postgresql://…?sslmode=disable&options=-csearch_path%3DX`; psycopg takes libpq's sslmode
  and options as they are, so only the driver is named.
  A `sqlite://` URL is passed through unchanged: `create_all` works there, but the
  template's `deps.get_current_user` passes the token's `sub` (a str) to `session.get`,
  which SQLite's uuid column cannot bind, so authenticated routes answer 500 on SQLite,
  as they do in the template. PostgreSQL is the template's engine.
- tables come from `SQLModel.metadata.create_all` at start-up (the template runs Alembic;
  `core/db.py` names create_all as the way without migrations).
- FIRST_SUPERUSER / FIRST_SUPERUSER_PASSWORD, when both are set, are applied at start-up as
  the template's `core/db.py` `init_db` does (created if missing, never updated).
- only the routes the tests use: login (POST /login/access-token, POST /login/test-token,
  POST /reset-password/), users (GET /, GET /me, GET /{user_id}, POST /signup,
  DELETE /{user_id}), items (GET /, POST /). No email is sent: POST /password-recovery/{email},
  which mails the reset token as a link `{FRONTEND_HOST}/reset-password?token=...`, and
  POST /password-recovery-html-content/{email} are left out, with the email settings
  (SMTP_*, EMAILS_*).
- one route that is NOT part of the template, for the tests only:
  POST /api/v1/password-recovery-token/{email} looks the user up as the template's
  password-recovery route does and, when there is one, answers `{"token": ...}` with the token
  that route would have mailed (`generate_password_reset_token(email)`); for an unknown email
  it answers 404 with the detail string of the template's password-recovery-html-content
  route (the template's password-recovery route answers 200 either way, to hide which emails
  exist).
"""

import os
import uuid
from collections.abc import Generator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from jwt.exceptions import InvalidTokenError
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import DateTime
from sqlalchemy.engine import make_url
from sqlmodel import (
    Field,
    Relationship,
    Session,
    SQLModel,
    col,
    create_engine,
    delete,
    func,
    select,
)


# --- backend/app/core/config.py (the parts the login path reads) ---


def engine_url(url: str) -> str:
    """The tests' plain URL with the template's driver: postgresql:// -> postgresql+psycopg://.

    psycopg hands the query (sslmode, options=-csearch_path=X) to libpq as it is.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def env_setting(name: str, field_type: Any, default: Any) -> Any:
    """One setting as pydantic-settings' BaseSettings reads it from the environment, with the
    template's model_config (`env_ignore_empty=True`, `case_sensitive` left False).

    The name is matched case-insensitively (the last matching variable wins, as in
    pydantic-settings' `parse_env_vars`), an empty value counts as unset, the string is
    validated into the field's type in pydantic's lax mode (so "24" is 24 and "x" fails at
    start-up), and the default is used as it is when the variable is unset.
    """
    value = None
    for key, env_value in os.environ.items():
        if key.lower() == name.lower() and env_value != "":
            value = env_value
    if value is None:
        return default
    return TypeAdapter(field_type).validate_python(value)


class Settings:
    API_V1_STR = "/api/v1"
    SECRET_KEY = os.environ["SECRET_KEY"]
    # 60 minutes * 24 hours * 8 days = 8 days
    ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8
    FRONTEND_HOST: str = env_setting("FRONTEND_HOST", str, "http://localhost:5173")
    SQLALCHEMY_DATABASE_URI = engine_url(os.environ["DATABASE_URL"])
    FIRST_SUPERUSER = os.environ.get("FIRST_SUPERUSER")
    FIRST_SUPERUSER_PASSWORD = os.environ.get("FIRST_SUPERUSER_PASSWORD")

    EMAIL_RESET_TOKEN_EXPIRE_HOURS: int = env_setting(
        "EMAIL_RESET_TOKEN_EXPIRE_HOURS", int, 48
    )


settings = Settings()


# --- backend/app/models.py ---


def get_datetime_utc() -> datetime:
    return datetime.now(timezone.utc)


# Shared properties
class UserBase(SQLModel):
    email: EmailStr = Field(unique=True, index=True, max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    full_name: str | None = Field(default=None, max_length=255)


# Properties to receive via API on creation
class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=128)


class UserRegister(SQLModel):
    email: EmailStr = Field(max_length=255)
    password: str = Field(min_length=8, max_length=128)
    full_name: str | None = Field(default=None, max_length=255)


# Properties to receive via API on update, all are optional
class UserUpdate(SQLModel):
    email: EmailStr | None = Field(default=None, max_length=255)
    is_active: bool | None = None
    is_superuser: bool | None = None
    full_name: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, min_length=8, max_length=128)


# Database model, database table inferred from class name
class User(UserBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str
    created_at: datetime | None = Field(
        default_factory=get_datetime_utc,
        sa_type=DateTime(timezone=True),  # type: ignore
    )
    items: list["Item"] = Relationship(back_populates="owner", cascade_delete=True)


# Properties to return via API, id is always required
class UserPublic(UserBase):
    id: uuid.UUID
    created_at: datetime | None = None


class UsersPublic(SQLModel):
    data: list[UserPublic]
    count: int


# Shared properties
class ItemBase(SQLModel):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


# Properties to receive on item creation
class ItemCreate(ItemBase):
    pass


# Database model, database table inferred from class name
class Item(ItemBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime | None = Field(
        default_factory=get_datetime_utc,
        sa_type=DateTime(timezone=True),  # type: ignore
    )
    owner_id: uuid.UUID = Field(
        foreign_key="user.id", nullable=False, ondelete="CASCADE"
    )
    owner: User | None = Relationship(back_populates="items")


# Properties to return via API, id is always required
class ItemPublic(ItemBase):
    id: uuid.UUID
    owner_id: uuid.UUID
    created_at: datetime | None = None


class ItemsPublic(SQLModel):
    data: list[ItemPublic]
    count: int


# Generic message
class Message(SQLModel):
    message: str


# JSON payload containing access token
class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"


# Contents of JWT token
class TokenPayload(SQLModel):
    sub: str | None = None


class NewPassword(SQLModel):
    token: str
    new_password: str = Field(min_length=8, max_length=128)


# --- backend/app/core/security.py ---

password_hash = PasswordHash(
    (
        Argon2Hasher(),
        BcryptHasher(),
    )
)


ALGORITHM = "HS256"


def create_access_token(subject: str | Any, expires_delta: timedelta) -> str:
    expire = datetime.now(timezone.utc) + expires_delta
    to_encode = {"exp": expire, "sub": str(subject)}
    encoded_jwt = jwt.encode(to_encode, settings.SECRET_KEY, algorithm=ALGORITHM)
    return encoded_jwt


def verify_password(
    plain_password: str, hashed_password: str
) -> tuple[bool, str | None]:
    return password_hash.verify_and_update(plain_password, hashed_password)


def get_password_hash(password: str) -> str:
    return password_hash.hash(password)


# --- backend/app/core/db.py ---

engine = create_engine(str(settings.SQLALCHEMY_DATABASE_URI))


# --- backend/app/crud.py ---


def create_user(*, session: Session, user_create: UserCreate) -> User:
    db_obj = User.model_validate(
        user_create, update={"hashed_password": get_password_hash(user_create.password)}
    )
    session.add(db_obj)
    session.commit()
    session.refresh(db_obj)
    return db_obj


def update_user(*, session: Session, db_user: User, user_in: UserUpdate) -> Any:
    user_data = user_in.model_dump(exclude_unset=True)
    extra_data = {}
    if "password" in user_data:
        password = user_data["password"]
        hashed_password = get_password_hash(password)
        extra_data["hashed_password"] = hashed_password
    db_user.sqlmodel_update(user_data, update=extra_data)
    session.add(db_user)
    session.commit()
    session.refresh(db_user)
    return db_user


def get_user_by_email(*, session: Session, email: str) -> User | None:
    statement = select(User).where(User.email == email)
    session_user = session.exec(statement).first()
    return session_user


# Dummy hash to use for timing attack prevention when user is not found
# This is an Argon2 hash of a random password, used to ensure constant-time comparison
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$MjQyZWE1MzBjYjJlZTI0Yw$YTU4NGM5ZTZmYjE2NzZlZjY0ZWY3ZGRkY2U2OWFjNjk"


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    db_user = get_user_by_email(session=session, email=email)
    if not db_user:
        # Prevent timing attacks by running password verification even when user doesn't exist
        # This ensures the response time is similar whether or not the email exists
        verify_password(password, DUMMY_HASH)
        return None
    verified, updated_password_hash = verify_password(password, db_user.hashed_password)
    if not verified:
        return None
    if updated_password_hash:
        db_user.hashed_password = updated_password_hash
        session.add(db_user)
        session.commit()
        session.refresh(db_user)
    return db_user


# --- backend/app/utils.py (the password-reset token; the email parts are left out) ---


def generate_password_reset_token(email: str) -> str:
    delta = timedelta(hours=settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS)
    now = datetime.now(timezone.utc)
    expires = now + delta
    exp = expires.timestamp()
    encoded_jwt = jwt.encode(
        {"exp": exp, "nbf": now, "sub": email},
        settings.SECRET_KEY,
        algorithm=ALGORITHM,
    )
    return encoded_jwt


def verify_password_reset_token(token: str) -> str | None:
    try:
        decoded_token = jwt.decode(
            token, settings.SECRET_KEY, algorithms=[ALGORITHM]
        )
        return str(decoded_token["sub"])
    except InvalidTokenError:
        return None


# --- backend/app/core/db.py: init_db ---


def init_db(session: Session) -> None:
    # Tables should be created with Alembic migrations
    # But if you don't want to use migrations, create
    # the tables un-commenting the next lines
    SQLModel.metadata.create_all(engine)

    if not (settings.FIRST_SUPERUSER and settings.FIRST_SUPERUSER_PASSWORD):
        return
    user = session.exec(
        select(User).where(User.email == settings.FIRST_SUPERUSER)
    ).first()
    if not user:
        user_in = UserCreate(
            email=settings.FIRST_SUPERUSER,
            password=settings.FIRST_SUPERUSER_PASSWORD,
            is_superuser=True,
        )
        user = create_user(session=session, user_create=user_in)


# --- backend/app/api/deps.py ---

reusable_oauth2 = OAuth2PasswordBearer(
    tokenUrl=f"{settings.API_V1_STR}/login/access-token"
)


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(
            token, settings.SECRET_KEY, algorithms=[ALGORITHM]
        )
        token_data = TokenPayload(**payload)
    except (InvalidTokenError, ValidationError):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="Could not validate credentials",
        )
    user = session.get(User, token_data.sub)
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_active_superuser(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(
            status_code=403, detail="The user doesn't have enough privileges"
        )
    return current_user


# --- backend/app/api/routes/login.py ---

login_router = APIRouter(tags=["login"])


@login_router.post("/login/access-token")
def login_access_token(
    session: SessionDep, form_data: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    """
    OAuth2 compatible token login, get an access token for future requests
    """
    user = authenticate(
        session=session, email=form_data.username, password=form_data.password
    )
    if not user:
        raise HTTPException(status_code=400, detail="Incorrect email or password")
    elif not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    access_token_expires = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    return Token(
        access_token=create_access_token(user.id, expires_delta=access_token_expires)
    )


@login_router.post("/login/test-token", response_model=UserPublic)
def test_token(current_user: CurrentUser) -> Any:
    """
    Test access token
    """
    return current_user


@login_router.post("/reset-password/")
def reset_password(session: SessionDep, body: NewPassword) -> Message:
    """
    Reset password
    """
    email = verify_password_reset_token(token=body.token)
    if not email:
        raise HTTPException(status_code=400, detail="Invalid token")
    user = get_user_by_email(session=session, email=email)
    if not user:
        # Don't reveal that the user doesn't exist - use same error as invalid token
        raise HTTPException(status_code=400, detail="Invalid token")
    elif not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    user_in_update = UserUpdate(password=body.new_password)
    update_user(
        session=session,
        db_user=user,
        user_in=user_in_update,
    )
    return Message(message="Password updated successfully")


# --- NOT part of the template: a test-only route ---
# The template's POST /password-recovery/{email} mails the token below as a link and answers
# 200 whether or not the email is registered. This route looks the user up the same way and
# answers the token itself, so that the tests can compare a token this app makes with one
# another tool makes. An unknown email gets 404 with the detail string of the template's
# password-recovery-html-content route.

test_only_router = APIRouter(tags=["test-only"])


@test_only_router.post("/password-recovery-token/{email}")
def password_recovery_token(email: str, session: SessionDep) -> dict[str, str]:
    user = get_user_by_email(session=session, email=email)
    if not user:
        raise HTTPException(
            status_code=404,
            detail="The user with this username does not exist in the system.",
        )
    return {"token": generate_password_reset_token(email=email)}


# --- backend/app/api/routes/users.py ---

users_router = APIRouter(prefix="/users", tags=["users"])


@users_router.get(
    "/",
    dependencies=[Depends(get_current_active_superuser)],
    response_model=UsersPublic,
)
def read_users(session: SessionDep, skip: int = 0, limit: int = 100) -> Any:
    """
    Retrieve users.
    """

    count_statement = select(func.count()).select_from(User)
    count = session.exec(count_statement).one()

    statement = (
        select(User).order_by(col(User.created_at).desc()).offset(skip).limit(limit)
    )
    users = session.exec(statement).all()

    return UsersPublic(data=users, count=count)


@users_router.get("/me", response_model=UserPublic)
def read_user_me(current_user: CurrentUser) -> Any:
    """
    Get current user.
    """
    return current_user


@users_router.post("/signup", response_model=UserPublic)
def register_user(session: SessionDep, user_in: UserRegister) -> Any:
    """
    Create new user without the need to be logged in.
    """
    user = get_user_by_email(session=session, email=user_in.email)
    if user:
        raise HTTPException(
            status_code=400,
            detail="The user with this email already exists in the system",
        )
    user_create = UserCreate.model_validate(user_in)
    user = create_user(session=session, user_create=user_create)
    return user


@users_router.get("/{user_id}", response_model=UserPublic)
def read_user_by_id(
    user_id: uuid.UUID, session: SessionDep, current_user: CurrentUser
) -> Any:
    """
    Get a specific user by id.
    """
    user = session.get(User, user_id)
    if user == current_user:
        return user
    if not current_user.is_superuser:
        raise HTTPException(
            status_code=403,
            detail="The user doesn't have enough privileges",
        )
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


@users_router.delete("/{user_id}", dependencies=[Depends(get_current_active_superuser)])
def delete_user(
    session: SessionDep, current_user: CurrentUser, user_id: uuid.UUID
) -> Message:
    """
    Delete a user.
    """
    user = session.get(User, user_id)
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    if user == current_user:
        raise HTTPException(
            status_code=403, detail="Super users are not allowed to delete themselves"
        )
    statement = delete(Item).where(col(Item.owner_id) == user_id)
    session.exec(statement)  # type: ignore
    session.delete(user)
    session.commit()
    return Message(message="User deleted successfully")


# --- backend/app/api/routes/items.py ---

items_router = APIRouter(prefix="/items", tags=["items"])


@items_router.get("/", response_model=ItemsPublic)
def read_items(
    session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100
) -> Any:
    """
    Retrieve items.
    """

    if current_user.is_superuser:
        count_statement = select(func.count()).select_from(Item)
        count = session.exec(count_statement).one()
        statement = (
            select(Item).order_by(col(Item.created_at).desc()).offset(skip).limit(limit)
        )
        items = session.exec(statement).all()
    else:
        count_statement = (
            select(func.count())
            .select_from(Item)
            .where(Item.owner_id == current_user.id)
        )
        count = session.exec(count_statement).one()
        statement = (
            select(Item)
            .where(Item.owner_id == current_user.id)
            .order_by(col(Item.created_at).desc())
            .offset(skip)
            .limit(limit)
        )
        items = session.exec(statement).all()

    return ItemsPublic(data=items, count=count)


@items_router.post("/", response_model=ItemPublic)
def create_item(
    *, session: SessionDep, current_user: CurrentUser, item_in: ItemCreate
) -> Any:
    """
    Create new item.
    """
    item = Item.model_validate(item_in, update={"owner_id": current_user.id})
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


# --- backend/app/api/main.py and backend/app/main.py ---

api_router = APIRouter()
api_router.include_router(login_router)
api_router.include_router(users_router)
api_router.include_router(items_router)
api_router.include_router(test_only_router)  # NOT part of the template


@asynccontextmanager
async def lifespan(app: FastAPI):
    # backend/app/initial_data.py and backend_pre_start.py run init_db before the server.
    with Session(engine) as session:
        init_db(session)
    yield


app = FastAPI(
    title="Full Stack FastAPI Project",
    openapi_url=f"{settings.API_V1_STR}/openapi.json",
    lifespan=lifespan,
)
app.include_router(api_router, prefix=settings.API_V1_STR)
