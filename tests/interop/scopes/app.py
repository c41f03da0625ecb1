"""The login service authctl serves, as FastAPI's security tutorial builds it with OAuth2 scopes.

The "OAuth2 scopes" chapter (docs/en/docs/advanced/security/oauth2-scopes.md) of fastapi/fastapi
at c3f316b, its `docs_src/security/tutorial005_an_py310.py` (last changed in d11f820): an OAuth2
password flow whose scheme declares the scopes `me` and `items`; POST /token puts the requested
scopes in the JWT (PyJWT, HS256) as one space-separated string,
`{"sub": username, "scope": " ".join(form_data.scopes), "exp": now + 30 min}`, and answers 400
"Incorrect username or password" to a failed login; `get_current_user` checks every scope the
route's dependency tree declares (`SecurityScopes`) and answers 401 "Could not validate
credentials" or 401 "Not enough permissions" with `WWW-Authenticate: Bearer scope="..."`;
GET /users/me/ needs `me`, GET /users/me/items/ needs `me` and `items`, GET /status/ none.
Written for authctl's interop tests; it keeps the chapter's logic and differs from it only
where tests/interop/app.py differs from the tutorial:

- users are rows of the same SQLAlchemy `users` table as tests/interop/app.py (one module for
  both, tests/interop/tutorial_table.py: `create_all` at start-up, the same engine setup,
  POOLER=transaction included) instead of the
  chapter's `fake_users_db`; `get_user` reads a row and `get_current_user` takes the session as
  a dependency and answers a `User` built from the row.
- DATABASE_URL and SECRET_KEY come from the environment (the chapter hard-codes SECRET_KEY).
- passwords are verified with pwdlib's `PasswordHash((Argon2Hasher(), BcryptHasher()))`, as in
  tests/interop/app.py, or with the chapter's `PasswordHash.recommended()` (Argon2 only) when
  PASSWORD_HASHERS=recommended; an unknown user is verified against a dummy hash, as in both.
"""

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import (
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    SecurityScopes,
)
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

# The tutorial's users table, shared with tests/interop/app.py, one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutorial_table import DUMMY_HASH, UserRow, get_db, get_user, password_hash  # noqa: E402

SECRET_KEY = os.environ["SECRET_KEY"]
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 30


class Token(BaseModel):
    access_token: str
    token_type: str


class TokenData(BaseModel):
    username: str | None = None
    scopes: list[str] = []


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="token",
    scopes={"me": "Read information about the current user.", "items": "Read items."},
)

app = FastAPI()


def verify_password(plain_password, hashed_password):
    return password_hash.verify(plain_password, hashed_password)


def get_password_hash(password):
    return password_hash.hash(password)


def authenticate_user(db: Session, username: str, password: str):
    user = get_user(db, username)
    if not user:
        verify_password(password, DUMMY_HASH)
        return False
    if not verify_password(password, user.hashed_password):
        return False
    return user


def create_access_token(data: dict, expires_delta: timedelta | None = None):
    to_encode = data.copy()
    if expires_delta:
        expire = datetime.now(timezone.utc) + expires_delta
    else:
        expire = datetime.now(timezone.utc) + timedelta(minutes=15)
    to_encode.update({"exp": expire})
    encoded_jwt = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)
    return encoded_jwt


async def get_current_user(
    security_scopes: SecurityScopes,
    token: Annotated[str, Depends(oauth2_scheme)],
    db: Annotated[Session, Depends(get_db)],
) -> User:
    if security_scopes.scopes:
        authenticate_value = f'Bearer scope="{security_scopes.scope_str}"'
    else:
        authenticate_value = "Bearer"
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": authenticate_value},
    )
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        username = payload.get("sub")
        if username is None:
            raise credentials_exception
        scope: str = payload.get("scope", "")
        token_scopes = scope.split(" ")
        token_data = TokenData(scopes=token_scopes, username=username)
    except (InvalidTokenError, ValidationError):
        raise credentials_exception
    user = get_user(db, username=token_data.username)
    if user is None:
        raise credentials_exception
    for scope in security_scopes.scopes:
        if scope not in token_data.scopes:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Not enough permissions",
                headers={"WWW-Authenticate": authenticate_value},
            )
    return User(
        username=user.username,
        email=user.email,
        full_name=user.full_name,
        disabled=user.disabled,
    )


async def get_current_active_user(
    current_user: Annotated[User, Security(get_current_user, scopes=["me"])],
):
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.post("/token")
async def login_for_access_token(
    form_data: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: Annotated[Session, Depends(get_db)],
) -> Token:
    user = authenticate_user(db, form_data.username, form_data.password)
    if not user:
        raise HTTPException(status_code=400, detail="Incorrect username or password")
    access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = create_access_token(
        data={"sub": user.username, "scope": " ".join(form_data.scopes)},
        expires_delta=access_token_expires,
    )
    return Token(access_token=access_token, token_type="bearer")


@app.get("/users/me/")
async def read_users_me(
    current_user: Annotated[User, Depends(get_current_active_user)],
) -> User:
    return current_user


@app.get("/users/me/items/")
async def read_own_items(
    current_user: Annotated[User, Security(get_current_active_user, scopes=["items"])],
):
    return [{"item_id": "Foo", "owner": current_user.username}]


@app.get("/status/")
async def read_system_status(current_user: Annotated[User, Depends(get_current_user)]):
    return {"status": "ok"}
