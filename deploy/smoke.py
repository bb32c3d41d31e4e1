#!/usr/bin/env python3
"""What a first user does with a freshly started gallery, through its JSON API: sign up,
sign in, upload a photo and wait for its labels (the classifier and ONNX Runtime work),
say a command in words (the intent model) and in speech (the speech model), and find the
photo by what is in it. deploy/image.sh runs it against the server in the image's file
system, where only the files the image carries exist.

Usage: deploy/smoke.py URL PHOTO.jpg   (the photo: classifier-lambda/testdata/chelsea.jpg)
Needs espeak-ng and sox for the spoken command (scripts/setup.sh --test installs them).
"""

import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

CATS = {"tabby cat", "tiger cat", "Egyptian Mau"}


def call(url, method="GET", body=None, token=None, content_type="application/json"):
    headers = {"Content-Type": content_type} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def expect(condition, message, detail=""):
    if not condition:
        print(f"FAIL {message}: {detail}")
        sys.exit(1)
    print(f"ok   {message}")


def main():
    base, photo = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    api = f"{base}/api/v1"
    email, password = f"first-{uuid.uuid4().hex[:8]}@example.org", "a long enough passphrase 7"
    status, body = call(f"{api}/auth/signup", "POST", {"email": email, "password": password})
    expect(status == 201, "sign up", body)
    status, body = call(f"{api}/auth/login", "POST", {"email": email, "password": password})
    expect(status == 200, "sign in", body)
    token = body["token"]

    boundary = uuid.uuid4().hex
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{photo.name}"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + photo.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, body = call(f"{api}/images", "POST", form, token, f"multipart/form-data; boundary={boundary}")
    expect(status == 201, "upload a photo", body)
    image = body[0]["id"]
    deadline = time.monotonic() + 120
    while True:
        status, body = call(f"{api}/images/{image}", token=token)
        if status != 200 or body["status"] in ("done", "error") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    labels = [label["label"] for label in body.get("labels", [])] if status == 200 else []
    expect(status == 200 and body["status"] == "done" and labels and labels[0] in CATS,
           f"the photo is classified: {', '.join(labels)}", body)

    status, body = call(f"{api}/voice/interpret", "POST", {"text": "could you show me the ones with cats"}, token)
    expect(status == 200 and body["intent"] == "search", f"a command in words is understood: {body}", body)

    with tempfile.TemporaryDirectory() as tmp:
        spoken, wav = Path(tmp) / "spoken.wav", Path(tmp) / "command.wav"
        # The first spoken command of speech/tests/commands.tsv, made as that table makes it.
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(spoken), "show me pictures of my dog"],
                       check=True)
        subprocess.run(["sox", str(spoken), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        status, body = call(f"{api}/voice/transcribe", "POST", wav.read_bytes(), token, "audio/wav")
    expect(status == 200 and "dog" in body["transcript"].lower() and body["intent"] == "search",
           f"a spoken command is transcribed: {body.get('transcript') if status == 200 else body!r}", body)

    status, body = call(f"{api}/images?q=kitten", token=token)
    expect(status == 200 and [i["id"] for i in body] == [image], "a search for 'kitten' finds the photo", body)


if __name__ == "__main__":
    main()
