"""The Python way authctl is measured against: what an operator would script with the service's
own libraries (sqlite3 + pwdlib / argon2-cffi, whose hashing is C and releases the GIL, over a
thread pool with one worker per core, rows written with executemany). Prints seconds.

  python_way.py import-service CSV DB   pwdlib's PasswordHash.recommended() (m=65536 t=3 p=4)
  python_way.py import-test CSV DB      argon2-cffi at m=8 t=1 p=1 (authctl's test profile)
  python_way.py verify HASH PASSWORD N  fastest of N in-process pwdlib verify() calls
"""

import csv
import os
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import argon2
from pwdlib import PasswordHash

DDL = """CREATE TABLE users (id INTEGER NOT NULL, username VARCHAR, email VARCHAR,
  full_name VARCHAR, disabled BOOLEAN, hashed_password VARCHAR, PRIMARY KEY (id));
CREATE INDEX ix_users_id ON users (id);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_full_name ON users (full_name);"""


def import_users(csv_path, db_path, hash_one):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        hashes = list(pool.map(hash_one, (r["password"] for r in rows), chunksize=64))
    conn = sqlite3.connect(db_path)
    conn.executescript(DDL)
    conn.executemany(
        "INSERT INTO users (username, email, full_name, disabled, hashed_password) VALUES (?, ?, NULL, 0, ?)",
        [(r["username"], r["email"], h) for r, h in zip(rows, hashes)],
    )
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def main():
    op = sys.argv[1]
    if op == "import-service":
        hasher = PasswordHash.recommended()
        print(f"{import_users(sys.argv[2], sys.argv[3], hasher.hash):.4f}")
    elif op == "import-test":
        hasher = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        print(f"{import_users(sys.argv[2], sys.argv[3], hasher.hash):.4f}")
    elif op == "verify":
        hasher = PasswordHash.recommended()
        stored, password, repeats = sys.argv[2], sys.argv[3], int(sys.argv[4])
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            assert hasher.verify(password, stored)
            best = min(best, time.perf_counter() - started)
        print(f"{best:.4f}")
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
