"""Email over SMTP (the standard library's smtplib and email): STARTTLS, SSL or plain, with a login when a user
is set. The SMTP host is checked by the hub's egress guard like any other outbound address (public addresses
only unless private targets are allowed) and the connection goes to the address that was checked.

Errors are classified once: a server that is down, or answers 4xx, is transient (the send is retried); 5xx
for the message is permanent; a refused login is a configuration error the tenant must fix.
"""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from hub.egress import policy
from hub.egress.targets import check_target
from hub.errors import ConfigurationError, PermanentError, TransientError

# SMTP servers answer within seconds; a minute covers a slow greylisting pause without holding a worker long.
TIMEOUT_S = 60.0


class _PinnedSMTP(smtplib.SMTP):
    """Connects to the address the egress check approved, while TLS still checks the host's name."""

    def __init__(self, pinned: str | None, **kwargs: Any) -> None:
        self._pinned = pinned
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._pinned or host, port), timeout, self.source_address)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, pinned: str | None, **kwargs: Any) -> None:
        self._pinned = pinned
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._pinned or host, port), timeout, self.source_address)
        return self.context.wrap_socket(raw, server_hostname=host)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One per process: loading the system's CA certificates costs a fifth of a second, every send would pay it."""
    return ssl.create_default_context()


def build_email(settings: dict[str, Any], *, to: str, subject: str, text: str, html: str | None,
                message_id: str, unsubscribe_url: str | None) -> EmailMessage:
    """The MIME message: text with an HTML alternative, and List-Unsubscribe headers for one-click mail clients."""
    mail = EmailMessage()
    mail["From"] = formataddr((settings.get("from_name") or "", settings["from_address"]))
    mail["To"] = to
    mail["Subject"] = subject
    domain = settings["from_address"].rsplit("@", 1)[-1]
    mail["Message-ID"] = make_msgid(idstring=message_id, domain=domain)
    mail["X-Hub-Message-Id"] = message_id
    if unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail


def send_email(settings: dict[str, Any], mail: EmailMessage) -> str:
    """Hand the message to the tenant's SMTP server; returns its Message-ID (the provider id we keep)."""
    host, port, security = settings["host"], int(settings.get("port") or 587), settings.get("security", "starttls")
    pinned = check_target(f"http://{host}:{port}/", allow_private=policy.allows_private())
    context = tls_context() if security != "none" else None
    # We greet as the sender's domain: smtplib's default asks DNS for this machine's name on every connection.
    helo = settings["from_address"].rsplit("@", 1)[-1]
    try:
        if security == "ssl":
            server: smtplib.SMTP = _PinnedSMTPSSL(pinned, host=host, port=port, timeout=TIMEOUT_S, context=context,
                                                  local_hostname=helo)
        else:
            server = _PinnedSMTP(pinned, host=host, port=port, timeout=TIMEOUT_S, local_hostname=helo)
        with server:
            if security == "starttls":
                server.starttls(context=context)
            if settings.get("username"):
                server.login(settings["username"], settings.get("password") or "")
            server.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise ConfigurationError(f"the SMTP server refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ConfigurationError(f"the SMTP server does not support what the settings ask ({exc})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise TransientError(f"the SMTP server deferred the recipient ({codes})") from None
        raise PermanentError(f"the SMTP server refused the recipient ({codes})") from None
    except smtplib.SMTPResponseException as exc:
        kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
        raise kind(f"the SMTP server answered {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS failed: the server may be back
        raise TransientError(f"the SMTP server {host}:{port} could not be reached: {type(exc).__name__}: {exc}") from None
    return str(mail["Message-ID"])
