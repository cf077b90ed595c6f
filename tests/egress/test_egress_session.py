"""The guarded session: each request and each redirect hop checked and pinned, a deadline per request, a cap
on what is read. Public addresses are faked by the network fixture (a connect to PUBLIC reaches 127.0.0.1)."""

from __future__ import annotations

import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hub.egress import AnswerTooLarge, TargetRefused, guarded_session
from hub.errors import classify_exception
from tests.egress.conftest import PUBLIC

SHOP = "shop.example.test"
INTERNAL = "admin.internal.test"


def test_the_connection_goes_to_the_checked_address_not_a_second_dns_answer(dns, network, guarded, httpserver):
    hosts: list[str] = []
    httpserver.expect_request("/orders").respond_with_handler(
        lambda request: (hosts.append(request.headers["Host"]), Response("[]"))[1])
    dns.names[SHOP] = [[PUBLIC], ["127.0.0.1"]]  # public to the check, loopback to anyone asking again
    with guarded_session() as http:
        assert http.get(f"http://{SHOP}:{httpserver.port}/orders", timeout=5).text == "[]"
    assert dns.queries == [SHOP]
    assert [c for c in network.connects if c[1] == httpserver.port] == [(PUBLIC, httpserver.port)]
    assert hosts == [f"{SHOP}:{httpserver.port}"]


def test_a_private_target_is_refused_before_any_connection(dns, network, guarded):
    dns.names[SHOP] = [["10.0.0.5"]]
    with guarded_session() as http, pytest.raises(TargetRefused, match="10.0.0.5") as refused:
        http.get(f"https://{SHOP}/admin/api/orders.json", timeout=5)
    assert network.connects == [] and classify_exception(refused.value) == "configuration"
    with guarded_session() as http, pytest.raises(TargetRefused, match="127.0.0.1"):
        http.get("http://127.0.0.1:9/", timeout=5)
    assert network.connects == []


@pytest.mark.parametrize("location", ["http://127.0.0.1:{port}/secret", f"http://{INTERNAL}:{{port}}/secret",
                                      "http://[2002:7f00:1::]:{port}/secret"])
def test_every_redirect_hop_is_checked(dns, network, guarded, httpserver, location):
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=302, headers={"Location": location.format(port=httpserver.port)}))
    httpserver.expect_request("/secret").respond_with_data("the metadata token")
    dns.names[SHOP] = [[PUBLIC]]
    dns.names[INTERNAL] = [["100.64.0.1"]]
    with guarded_session() as http, pytest.raises(TargetRefused):
        http.get(f"http://{SHOP}:{httpserver.port}/moved", timeout=5)
    assert [r.path for r, _ in httpserver.log] == ["/moved"]


def test_a_redirect_to_a_public_host_is_followed_and_pinned(dns, network, guarded, httpserver):
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=301, headers={"Location": f"http://{INTERNAL}:{httpserver.port}/new"}))
    httpserver.expect_request("/new").respond_with_data("here")
    dns.names[SHOP] = [[PUBLIC]]
    dns.names[INTERNAL] = [[PUBLIC], ["127.0.0.1"]]
    with guarded_session() as http:
        answer = http.get(f"http://{SHOP}:{httpserver.port}/moved", timeout=5)
    assert answer.text == "here" and [h.status_code for h in answer.history] == [301]
    assert [r.headers["Host"] for r, _ in httpserver.log] == [f"{SHOP}:{httpserver.port}", f"{INTERNAL}:{httpserver.port}"]


def test_an_answer_over_the_cap_is_not_read_whole(httpserver):
    httpserver.expect_request("/declared").respond_with_data(b"x" * 4096)
    httpserver.expect_request("/chunked").respond_with_response(
        Response((b"x" * 1024 for _ in range(8)), direct_passthrough=True))  # no Content-Length
    with guarded_session(max_bytes=2048) as http:
        for path in ("/declared", "/chunked"):
            with pytest.raises(AnswerTooLarge, match="2048 bytes") as caught:
                http.get(httpserver.url_for(path), timeout=5)
            assert classify_exception(caught.value) == "permanent"
        assert http.get(httpserver.url_for("/declared"), timeout=5, stream=True).status_code == 200  # caller reads


def slow(request: Request) -> Response:
    time.sleep(float(request.args["s"]))
    return Response("done")


def test_the_deadline_bounds_each_request_not_the_sessions_life(httpserver: HTTPServer):
    httpserver.expect_request("/slow").respond_with_handler(slow)
    with guarded_session(deadline_s=1.0) as http:
        for _ in range(2):  # 1.2 s in all: each request has its own second
            assert http.get(httpserver.url_for("/slow"), params={"s": "0.6"}, timeout=10).text == "done"
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            http.get(httpserver.url_for("/slow"), params={"s": "4"}, timeout=10)
        assert time.monotonic() - started < 3  # ended by the deadline, not the 10 s read timeout


def test_no_netrc_login_goes_out_and_an_environment_ca_bundle_still_applies(httpserver, tmp_path, monkeypatch):
    # A login in ~/.netrc is for the operator's own tools; the hub must not send it to a store or a subscriber.
    (tmp_path / ".netrc").write_text(f"machine {httpserver.host} login operator password secret\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    with guarded_session() as http:
        assert http.get(httpserver.url_for("/hook"), timeout=5).text == "ok"
    assert "Authorization" not in httpserver.log[-1][0].headers
    with requests.Session() as plain:  # what requests alone would have sent
        assert plain.get(httpserver.url_for("/hook"), timeout=5).text == "ok"
    assert "Authorization" in httpserver.log[-1][0].headers

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "company-ca.pem"))  # an HTTPS store: connectors/woocommerce
    with guarded_session() as http:
        for asked in (True, None):
            settings = http.merge_environment_settings("https://shop.example/", {}, None, asked, None)
            assert settings["verify"] == str(tmp_path / "company-ca.pem")
        assert http.merge_environment_settings("https://shop.example/", {}, None, False, None)["verify"] is False
