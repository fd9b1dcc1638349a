"""Real receivers on loopback for the notification tests: an SMTP server (aiosmtpd, STARTTLS + AUTH, with a
self-signed certificate made here) and an HTTP server that takes webhooks."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from servers import free_port

SMTP_USER, SMTP_PASSWORD = "vinculo", "smtp-secret-1"


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[str] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.arrived:
            self.messages.append({"to": envelope.rcpt_tos, "tls": session.ssl is not None,
                                  "message": message_from_bytes(envelope.content, policy=policy.default)})
            self.arrived.notify_all()
        return "250 OK"

    def wait(self, n: int, timeout: float = 20) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= n, timeout)
        return list(self.messages)


@contextmanager
def smtp_server(tmp_path):
    """An SMTP server on 127.0.0.1 that requires STARTTLS and AUTH; yields (inbox, settings for the node)."""
    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        if ok:
            inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    try:
        yield inbox, {"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "starttls",
                      "smtp_user": SMTP_USER, "smtp_password": SMTP_PASSWORD, "smtp_cafile": str(cert),
                      "smtp_from": "vinculo@mx.example"}
    finally:
        controller.stop()


class Hooks:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        self.arrived = threading.Condition()

    def wait(self, n: int, timeout: float = 20) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= n, timeout)
        return list(self.received)


@contextmanager
def webhook_server():
    """An HTTP server on 127.0.0.1 that records every POST; yields (hooks, url)."""
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with hooks.arrived:
                hooks.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                       "json": json.loads(body), "status": hooks.status,
                                       "at": time.perf_counter()})
                hooks.arrived.notify_all()
            self.send_response(hooks.status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
