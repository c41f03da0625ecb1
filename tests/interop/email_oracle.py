"""The application's own verdict on each address: pydantic's EmailStr, as the full-stack
template's and fastapi-users' models declare their email. Reads one JSON string per line on
stdin; writes one JSON line per address: {"input", "normalized"} (normalized null if refused)."""
import json
import sys

import pydantic

email_str = pydantic.TypeAdapter(pydantic.EmailStr)

for line in sys.stdin.buffer.read().decode("utf-8").split("\n"):
    if not line.strip():
        continue
    address = json.loads(line)
    try:
        normalized = email_str.validate_python(address)
    except pydantic.ValidationError:
        normalized = None
    print(json.dumps({"input": address, "normalized": normalized}))
