"""A tiny SMTP server for `hub demo`: it accepts every message on 127.0.0.1 and keeps it, so the demo shows the
customer emails the hub really sent over SMTP, without a mail server or another dependency. It speaks the part of
SMTP (RFC 5321) that smtplib uses without TLS or login: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

# A demo day's emails are a few KB each; anything far larger is not from the hub.
MAX_MESSAGE_BYTES = 1024 * 1024


class _Session(socketserver.StreamRequestHandler):
    server: "_Server"

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self._say("220 hub-demo-smtp ready")
        while line := self.rfile.readline(1024):
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":  # one write: two small ones would wait on each other (Nagle, delayed ACKs)
                self._say(f"250-hub-demo-smtp\r\n250 SIZE {MAX_MESSAGE_BYTES}")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                self._data()
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")

    def _data(self) -> None:
        lines = []
        while (line := self.rfile.readline(MAX_MESSAGE_BYTES)) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # dot-stuffing undone
        message = message_from_bytes(b"".join(lines), policy=policy.default)
        with self.server.lock:
            self.server.inbox.append(message)  # type: ignore[arg-type]
        self._say("250 OK: kept")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.inbox: list[EmailMessage] = []
        self.lock = threading.Lock()


class SmtpSink:
    """Start it, point the tenant's SMTP settings at `port`, read `inbox`."""

    def __init__(self) -> None:
        self._server = _Server()
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def inbox(self) -> list[EmailMessage]:
        with self._server.lock:
            return list(self._server.inbox)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
