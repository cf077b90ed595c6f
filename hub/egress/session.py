"""The guarded `requests.Session` every outbound request of the hub goes through (connectors get it from
`hub.plugins.http_session`).

Before each request, and again before each redirect hop, the URL is checked (`hub.egress.targets`) and the
connection pinned to the address the check approved. The session's sockets are shut down when a request's
deadline passes (`hub.egress.transport`), so a server that drips its answer cannot hold a worker; an answer read
whole (not streamed) is cut at `max_bytes`, so a huge one cannot fill its memory.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from hub.egress import policy
from hub.egress.targets import check_target
from hub.egress.transport import _Deadline, _DeadlineAdapter, host_header, pin
from hub.errors import PermanentError

# An API answer the hub reads whole is JSON of a page of orders or webhooks: 10 MB is a hundred times that.
MAX_ANSWER_BYTES = 10 * 1024 * 1024
# Every API the hub calls answers within seconds; two minutes for one piece of work, redirects included.
DEADLINE_S = 120.0
# A moved API redirects once or twice; more is a loop or a chain built to reach somewhere else.
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024


class AnswerTooLarge(PermanentError, requests.RequestException):
    """The answer was longer than the session reads; what it held is not used."""


class _GuardedAdapter(_DeadlineAdapter):
    """Checks every request's URL and pins its connection to the approved address (none when private
    targets are allowed: then the request resolves as usual)."""

    def __init__(self, deadline: _Deadline, allow_private: bool) -> None:
        super().__init__(deadline)
        self.allow_private = allow_private

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        pinned = check_target(request.url or "", allow_private=self.allow_private)
        request.hub_pinned = pinned  # type: ignore[attr-defined]  # read when the pool is chosen, below
        # Never through a proxy (HTTP(S)_PROXY): it would resolve the name itself and undo the check and the pin.
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=None)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        pinned = getattr(request, "hub_pinned", None)
        return (host_params, pool_kwargs) if pinned is None else pin(host_params, pool_kwargs, pinned)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        if getattr(request, "hub_pinned", None) is not None:
            # Set, not kept: a redirect hop copies the previous hop's headers, Host included.
            request.headers["Host"] = host_header(request.url or "")


class GuardedSession(requests.Session):
    """Every hop checked and pinned; each request (its redirects included) over `deadline_s` after it began,
    a streamed answer's reading included; answers read whole cut at `max_bytes`."""

    def __init__(self, *, allow_private: bool, deadline_s: float = DEADLINE_S,
                 max_bytes: int = MAX_ANSWER_BYTES) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.max_redirects = MAX_REDIRECTS
        self._deadline = _Deadline(deadline_s, start=False)  # its timer runs only while a request does
        # Nothing from the environment per request but a CA bundle (`merge_environment_settings`): no proxy (the
        # adapter never uses one) and no ~/.netrc login sent to an outside host. Looking both up for every request
        # was a sixth of a carrier dispatch's HTTP CPU.
        self.trust_env = False
        self._sending = False
        adapter = _GuardedAdapter(self._deadline, allow_private)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        """requests' own, with the CA bundle the environment names (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) read as
        requests reads it, and nothing else from the environment."""
        if verify is True or verify is None:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        return super().merge_environment_settings(url, proxies, stream, verify, cert)

    @property
    def deadline_passed(self) -> bool:
        return self._deadline.passed

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        outermost = not self._sending  # a redirect hop runs within its first request's deadline
        if outermost:
            self._deadline.restart()
            self._sending = True
        try:
            response = self._send(request, **kwargs)
        finally:
            if outermost:
                self._sending = False
        if outermost and not kwargs.get("stream"):
            self._deadline.cancel()  # read whole: nothing left to bound (a streamed answer stays bounded)
        return response

    def _send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        stream = kwargs.pop("stream", False)
        follow = kwargs.pop("allow_redirects", True)
        response = super().send(request, stream=True, allow_redirects=False, **kwargs)
        if not stream or response.is_redirect:  # requests reads a redirect's body whole, uncapped
            _read_capped(response, self.max_bytes)
        if follow and response.is_redirect:
            # requests' own loop (max_redirects, auth stripped across hosts); each hop comes back through here
            hops = [response, *self.resolve_redirects(response, request, stream=stream, **kwargs)]
            response = hops.pop()
            response.history = hops
        return response

    def close(self) -> None:
        self._deadline.cancel()
        super().close()


def _read_capped(response: requests.Response, max_bytes: int) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise AnswerTooLarge(f"the answer declares {int(declared)} bytes, over the {max_bytes} bytes the hub reads")
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            response.close()
            raise AnswerTooLarge(f"the answer is longer than the {max_bytes} bytes the hub reads")
    response._content = bytes(body)  # what requests' own read leaves behind; .json() and .text use it
    response._content_consumed = True


def guarded_session(*, allow_private: bool | None = None, deadline_s: float = DEADLINE_S,
                    max_bytes: int = MAX_ANSWER_BYTES) -> GuardedSession:
    """A guarded session; `allow_private` None takes the process's answer (`hub.egress.policy`)."""
    return GuardedSession(allow_private=policy.allows_private() if allow_private is None else allow_private,
                          deadline_s=deadline_s, max_bytes=max_bytes)

