"""Opens a lock with Python and requests.

Set LATCHKEY_URL, LATCHKEY_API_KEY, LATCHKEY_API_SECRET and LOCK_ID (a lockId or
objectId). Prints each status the lock went through; exits 1 unless it opened.
"""

import os
import sys

import requests

url = os.environ.get("LATCHKEY_URL", "http://127.0.0.1:8080")
headers = {
    "Nexkey-Api-Key": os.environ["LATCHKEY_API_KEY"],
    "Nexkey-Api-Secret": os.environ["LATCHKEY_API_SECRET"],
}
body = {"lockId": os.environ["LOCK_ID"], "user": {"externalId": "desk-1", "name": "Front desk"}}

response = requests.post(f"{url}/rest/functions/performUnlock", json=body, headers=headers, timeout=30)
answer = response.json()
if "result" not in answer:
    print(f"error {answer['code']}: {answer['error']}", file=sys.stderr)
    sys.exit(1)
for step in answer["result"]["history"]:
    print(step["status"], step["statusName"])
sys.exit(0 if answer["result"]["success"] else 1)
