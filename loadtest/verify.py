"""After Task 2: every upload the server acknowledged (201) must be stored, listed and (with
the classifier on) classified. Checks each one through the API as its owner and prints the
counts side by side as JSON; exits 1 on any difference.

    python verify.py URL USERS_CSV ACKNOWLEDGED_JSONL CLASSIFY(on|off) OUT_JSON
"""
import csv
import json
import re
import sys
import urllib.error
import urllib.request

url, users_csv, acknowledged_file, classify, out = sys.argv[1:6]


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}{path}", data=data, method=method, headers=headers)
    return urllib.request.urlopen(request, timeout=60)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


no_redirect = urllib.request.build_opener(NoRedirect)

passwords = {row["email"]: row["password"] for row in csv.DictReader(open(users_csv))}
acknowledged = {}
try:
    with open(acknowledged_file) as f:
        for line in f:
            if line.strip():
                entry = json.loads(line)
                acknowledged.setdefault(entry["email"], set()).add(entry["id"])
except FileNotFoundError:
    pass

counts = {"acknowledged": 0, "stored": 0, "listed": 0, "classified": 0}
missing = []
for email, ids in sorted(acknowledged.items()):
    token = json.load(call("POST", "/api/v1/auth/login", body={"email": email, "password": passwords[email]}))["token"]
    listed, path = {}, "/api/v1/images?limit=1000"
    while path:
        res = call("GET", path, token)
        for image in json.load(res):
            listed[image["id"]] = image["status"]
        link = res.headers.get("Link") or ""
        match = re.search(r"<([^>]+)>;\s*rel=\"next\"", link)
        path = match.group(1) if match else None
    for image_id in sorted(ids):
        counts["acknowledged"] += 1
        request = urllib.request.Request(
            f"{url}/api/v1/images/{image_id}/original", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with no_redirect.open(request, timeout=60) as res:
                stored = res.status == 200
        except urllib.error.HTTPError as err:
            stored = err.code == 307
        counts["stored"] += stored
        counts["listed"] += image_id in listed
        counts["classified"] += listed.get(image_id) == "done"
        if not stored or image_id not in listed or (classify == "on" and listed.get(image_id) != "done"):
            missing.append({"email": email, "id": image_id, "stored": stored, "status": listed.get(image_id)})

expected = ["stored", "listed"] + (["classified"] if classify == "on" else [])
ok = all(counts[k] == counts["acknowledged"] for k in expected)
result = {"counts": counts, "checked": expected, "ok": ok, "missing": missing[:20]}
json.dump(result, open(out, "w"), indent=1)
print(json.dumps(result))
sys.exit(0 if ok else 1)
