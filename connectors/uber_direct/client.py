"""All I/O with Uber Direct: OAuth client-credentials token, quotes, deliveries, cancellation."""

from __future__ import annotations

import time
from typing import Any, Mapping

import requests

from hub.plugins import http_session

SCOPE = "eats.deliveries"
# Refresh the token a minute before Uber says it expires, so no call goes out with a stale one.
TOKEN_MARGIN_S = 60


class UberDirectClient:
    def __init__(self, settings: Mapping[str, Any], session: requests.Session | None = None) -> None:
        self._settings = settings
        self._http = session or http_session()
        self._token: tuple[str, float] | None = None
        self.timeout_s = float(settings.get("acceptance_timeout_s", 30))

    def __repr__(self) -> str:
        return f"UberDirectClient(customer={self._settings['customer_id']!r})"

    def _access_token(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        response = self._http.post(self._settings["auth_url"], data={
            "client_id": self._settings["client_id"], "client_secret": self._settings["client_secret"],
            "grant_type": "client_credentials", "scope": SCOPE}, timeout=self.timeout_s)
        response.raise_for_status()
        body = response.json()
        self._token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)) - TOKEN_MARGIN_S)
        return self._token[0]

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> requests.Response:
        url = f"{self._settings['api_url'].rstrip('/')}/customers/{self._settings['customer_id']}{path}"
        return self._http.post(url, json=body or {}, timeout=self.timeout_s,
                               headers={"Authorization": f"Bearer {self._access_token()}"})

    def create_delivery(self, request: Mapping[str, Any]) -> requests.Response:
        """The raw response: the connector decides which 4xx answers are a refusal rather than an error."""
        return self._post("/deliveries", request)

    def quote(self, request: Mapping[str, Any]) -> Mapping[str, Any]:
        response = self._post("/delivery_quotes", request)
        response.raise_for_status()
        return response.json()

    def cancel(self, delivery_id: str) -> None:
        self._post(f"/deliveries/{delivery_id}/cancel").raise_for_status()
