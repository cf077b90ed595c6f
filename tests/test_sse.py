"""hub.sse, the one way the live pages stream: what goes on the wire, sent only on change, the end."""

from __future__ import annotations

from hub import sse


def test_an_event_with_several_lines_gives_each_its_data_field() -> None:
    assert sse.message('{"a": 1}') == 'data: {"a": 1}\n\n'
    assert sse.message("one\ntwo", "gone") == "event: gone\ndata: one\ndata: two\n\n"


def test_the_stream_sends_on_change_keeps_alive_between_and_ends_on_time() -> None:
    answers = iter(["a", "a", "b", "b", "b"])
    clock = [0.0]
    stream = sse.watch(lambda: next(answers), every_s=1.0, for_s=3.5,
                       sleep=lambda s: clock.__setitem__(0, clock[0] + s), clock=lambda: clock[0])
    assert list(stream) == [f"retry: {sse.RETRY_MS}\n\n", "data: a\n\n", ": still here\n\n", "data: b\n\n",
                            ": still here\n\n"]


def test_a_thing_gone_ends_the_stream_with_a_gone_event() -> None:
    answers = iter(["a", None, "never"])
    stream = sse.watch(lambda: next(answers), every_s=0.0, for_s=60, sleep=lambda s: None)
    assert list(stream)[-2:] == ["data: a\n\n", "event: gone\ndata: {}\n\n"]
