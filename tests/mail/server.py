"""The tests' mail server: a real SMTP server (aiosmtpd) that keeps every message it
receives as one .eml file in a folder, for the tests to read.

    python server.py --dir DIR [--port PORT] [--starttls CERT KEY | --tls CERT KEY]

Prints "SMTP server at 127.0.0.1:PORT" once it accepts connections, and runs until it is
stopped. With --starttls it offers STARTTLS with the given certificate and requires it;
with --tls it speaks TLS from the first byte (implicit TLS, as on port 465).
"""

import argparse
import os
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        header = "X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        name = f"{time.time_ns()}.eml"
        tmp = os.path.join(self.folder, name + ".part")
        with open(tmp, "wb") as out:
            out.write(header.encode() + content)
        os.rename(tmp, os.path.join(self.folder, name))
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port or free_port()
    options, implicit = {}, None
    if args.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.starttls)
        options = {"tls_context": context, "require_starttls": True}
    if args.tls:
        implicit = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        implicit.load_cert_chain(*args.tls)
    controller = Controller(
        Keep(args.dir), hostname="127.0.0.1", port=port, server_kwargs=options,
        ssl_context=implicit,
    )
    controller.start()
    print(f"SMTP server at 127.0.0.1:{port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
