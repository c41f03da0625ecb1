"""Test-side tools that must be the service's own libraries, not authctl's.

Reads one JSON request on stdin, writes one JSON answer on stdout:
  {"op": "hash", "password": P, "scheme": "argon2", "type": "id"|"i"|"d", "m": M, "t": T, "p": P}
  {"op": "hash", "password": P, "scheme": "bcrypt", "rounds": R, "prefix": "2a"|"2b"}
      -> {"hash": H}            (argon2-cffi via pwdlib, or the bcrypt package)
  {"op": "needs_rehash", "hashes": [H, ...]}
      -> {"needs_rehash": [bool, ...]}   (pwdlib's recommended hasher)
  {"op": "token", "secret": K, "claims": {...}}
      -> {"token": T}           (PyJWT, HS256)
  {"op": "insert", "database_url": D, "username": N, "hash": H}
      -> {"id": I}              (a row added through the service's own model and session)
  {"op": "load", "url": U, "username": N, "password": P, "requests": R}
      -> {"sent": R, "status": {"200": n, ...}, "errors": [..]}   (a bounded login loop)
"""

import json
import sys

import argon2
import bcrypt
import httpx
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


def hash_password(req):
    if req["scheme"] == "bcrypt":
        salt = bcrypt.gensalt(req.get("rounds", 12), req.get("prefix", "2b").encode())
        return {"hash": bcrypt.hashpw(req["password"].encode(), salt).decode()}
    kind = {"id": argon2.Type.ID, "i": argon2.Type.I, "d": argon2.Type.D}[req.get("type", "id")]
    if "m" in req:
        hasher = Argon2Hasher(
            time_cost=req["t"], memory_cost=req["m"], parallelism=req["p"], type=kind
        )
    else:
        hasher = Argon2Hasher(type=kind)
    return {"hash": hasher.hash(req["password"])}


def insert_user(req):
    """Adds a user as the service's own code would: its model, its session, its id."""
    import os

    os.environ["DATABASE_URL"] = req["database_url"]
    os.environ.setdefault("SECRET_KEY", "unused-by-this-helper-" * 2)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import app

    with app.SessionLocal() as db:
        row = app.UserRow(username=req["username"], hashed_password=req["hash"], disabled=False)
        db.add(row)
        db.commit()
        return {"id": row.id}


def needs_rehash(req):
    recommended = PasswordHash.recommended()
    return {
        "needs_rehash": [
            recommended.current_hasher.check_needs_rehash(h) for h in req["hashes"]
        ]
    }


def token(req):
    return {"token": jwt.encode(req["claims"], req["secret"], algorithm="HS256")}


def load(req):
    counts, errors = {}, []
    with httpx.Client(base_url=req["url"], timeout=30) as client:
        for _ in range(req["requests"]):
            try:
                r = client.post(
                    "/token",
                    data={"username": req["username"], "password": req["password"]},
                )
                counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
                if r.status_code >= 500:
                    errors.append(r.text[:200])
            except httpx.HTTPError as e:
                errors.append(repr(e))
    return {"sent": req["requests"], "status": counts, "errors": errors}


OPS = {
    "hash": hash_password,
    "needs_rehash": needs_rehash,
    "token": token,
    "load": load,
    "insert": insert_user,
}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    json.dump(OPS[request["op"]](request), sys.stdout)
