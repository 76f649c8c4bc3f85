"""The sandbox's recordings, ``baseEntry``, ``eventNotificationTemplate`` and signed notifications, against the real
client over loopback HTTP, and the set-up script against it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from kaltura_discord.kaltura import KalturaClient, KalturaError, KalturaRooms, SessionType, generate_ks
from kaltura_discord.kaltura import notifications as kn
from kaltura_discord.kaltura.entries import KalturaEntries
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.local.kaltura_sandbox.notifications import http_build_query
from tests.integration.kaltura.conftest import ADMIN_SECRET, PARTNER_ID
from tests.unit.commands.loader import load_script

pytestmark = pytest.mark.integration

setup_script = load_script("setup_kaltura_notifications")
SERVICE = kn.SERVICE


class Receiver:
    """A loopback endpoint that records what Kaltura (the sandbox) sends and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/kaltura/notifications"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def call(client: KalturaClient, action: str, **params: Any) -> Any:
    return client.call(SERVICE, action, params)


def test_recordings_are_media_entries_of_the_room_listed_ready_by_default(
    sandbox: KalturaSandbox, make_client: Callable[..., KalturaClient]
) -> None:
    client = make_client()
    room = KalturaRooms(client).add_room("Weekly", reference_id="ptc4k6dgjm")
    ready = sandbox.add_recording(room.id, duration=3725)["entry"]
    converting = sandbox.add_recording(room.id, duration=5, ready=False)["entry"]
    assert (ready["rootEntryId"], ready["status"], ready["objectType"]) == (room.id, 2, "KalturaMediaEntry")
    assert [e.id for e in KalturaEntries(client).list_recordings(room.id)] == [ready["id"]]
    listed = client.call(
        "baseentry", "list", {"filter": {"objectType": "KalturaBaseEntryFilter", "rootEntryIdEqual": room.id}}
    )
    assert [o["id"] for o in listed["objects"]] == [ready["id"]]  # no status filter: READY only (setDefaultStatus)
    both = client.call(
        "baseentry",
        "list",
        {"filter": {"objectType": "KalturaBaseEntryFilter", "rootEntryIdEqual": room.id, "statusIn": "1,2"}},
    )
    assert {o["id"] for o in both["objects"]} == {ready["id"], converting["id"]}
    assert KalturaEntries(client).get_entry(ready["id"]).duration == 3725
    with pytest.raises(KalturaError) as unknown:
        client.call("baseentry", "list", {"filter": {"objectType": "KalturaBaseEntryFilter", "tagsLike": "x"}})
    assert unknown.value.code == "SANDBOX_UNSUPPORTED_FILTER"
    with pytest.raises(KalturaError) as missing:
        KalturaEntries(client).get_entry("0_missing1")
    assert (missing.value.code, missing.value.arguments) == ("ENTRY_ID_NOT_FOUND", {"ENTRY_ID": "0_missing1"})


def test_a_recording_of_a_missing_room_is_refused_over_http(sandbox: KalturaSandbox) -> None:
    answer = httpx.post(f"{sandbox.url}/_sandbox/recordings", json={"room_id": "0_nothere1", "duration": 5}, timeout=5)
    assert answer.status_code == 404 and answer.json()["code"] == "ENTRY_ID_NOT_FOUND"
    bad = httpx.post(f"{sandbox.url}/_sandbox/recordings", json={"room_id": "0_x", "duration": "long"}, timeout=5)
    assert bad.status_code == 400


def test_templates_follow_the_services_rules(
    sandbox: KalturaSandbox, make_client: Callable[..., KalturaClient]
) -> None:
    client = make_client()
    system = call(client, "listTemplates", filter={"objectType": "KalturaEventNotificationTemplateFilter"})
    assert [t["systemName"] for t in system["objects"]] == ["HTTP_ENTRY_STATUS_CHANGED", "HTTP_ENTRY_STATUS_EQUALS"]
    assert all(t["status"] == 1 and t["partnerId"] == 0 for t in system["objects"])  # installed disabled
    assert call(client, "list")["totalCount"] == 0
    equals = system["objects"][1]["id"]
    copy = call(client, "clone", id=equals, eventNotificationTemplate={"objectType": "KalturaHttpNotificationTemplate"})
    assert (copy["partnerId"], copy["status"], copy["systemName"]) == (PARTNER_ID, 1, "HTTP_ENTRY_STATUS_EQUALS")
    with pytest.raises(KalturaError) as duplicate:
        call(client, "clone", id=equals)
    assert duplicate.value.code == "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME"
    assert duplicate.value.arguments == {"NAME": "HTTP_ENTRY_STATUS_EQUALS"}
    for wrong, code in [
        ({"objectType": "KalturaEmailNotificationTemplate"}, "EVENT_NOTIFICATION_WRONG_TYPE"),
        ({"objectType": "KalturaHttpNotificationTemplate", "signSecret": "x"}, "SANDBOX_UNSUPPORTED_PROPERTY"),
        ({"objectType": "KalturaHttpNotificationTemplate", "status": 2}, "PROPERTY_VALIDATION_NOT_UPDATABLE"),
        ({"objectType": "KalturaHttpNotificationTemplate", "connectTimeout": 0}, "PROPERTY_VALIDATION_MIN_VALUE"),
        ({"objectType": "KalturaHttpNotificationTemplate", "secureHashingAlgo": 9}, "INVALID_ENUM_VALUE"),
    ]:
        with pytest.raises(KalturaError) as refused:
            call(client, "update", id=copy["id"], eventNotificationTemplate=wrong)
        assert refused.value.code == code
    with pytest.raises(KalturaError) as not_ours:
        call(client, "updateStatus", id=equals, status=2)  # a system template is not the partner's to change
    assert not_ours.value.code == "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"
    user_ks = generate_ks(ADMIN_SECRET, PARTNER_ID, "someone", SessionType.USER, 600)
    with pytest.raises(KalturaError) as forbidden:
        client.call(SERVICE, "list", {}, ks=user_ks)
    assert forbidden.value.code == "SERVICE_FORBIDDEN"


def test_an_enabled_template_sends_a_signed_form_when_a_recording_becomes_ready(
    sandbox: KalturaSandbox, make_client: Callable[..., KalturaClient], receiver: Receiver
) -> None:
    client = make_client()
    created = kn.set_up(client, receiver.url)
    assert created.created and created.calls[-1].endswith("updateStatus")
    again = kn.set_up(client, receiver.url)
    assert (again.template_id, again.created) == (created.template_id, False)  # running it twice changes nothing
    room = KalturaRooms(client).add_room("Weekly sync ~ Q&A", reference_id="ptc4k6dgjm")
    converting = sandbox.add_recording(room.id, duration=60, ready=False)["entry"]
    assert receiver.received == []  # not READY yet: the status-equals condition does not hold
    [sent] = sandbox.set_recording_status(converting["id"], 2)
    [(headers, body)] = receiver.received
    assert sent["status"] == 200 and body.decode() == sent["body"]
    assert (
        body
        == (
            f"trigger_status=2&entry_id={converting['id']}&entry_name=Weekly+sync+%7E+Q%26A+%28recording%29"
            "&entry_status=2"
        ).encode()
    )
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-kaltura-hash-algo"] == "sha256"
    assert headers["x-kaltura-signature"] == hashlib.sha256(ADMIN_SECRET.encode() + body).hexdigest()
    assert kn.verify(ADMIN_SECRET, body, headers["x-kaltura-signature"], headers["x-kaltura-hash-algo"])
    assert kn.parse(body, headers["content-type"]).entry_id == converting["id"]
    quiet = sandbox.add_recording(room.id, duration=60, notify=False)
    assert quiet["notifications"] == [] and len(receiver.received) == 1
    call(client, "updateStatus", id=created.template_id, status=1)
    assert sandbox.add_recording(room.id, duration=60)["notifications"] == []  # disabled: nothing sent


def test_without_secure_hashing_the_server_signs_with_sha1(
    sandbox: KalturaSandbox, make_client: Callable[..., KalturaClient], receiver: Receiver
) -> None:
    client = make_client()
    [equals] = call(client, "listTemplates", filter={"systemNameEqual": "HTTP_ENTRY_STATUS_EQUALS"})["objects"]
    overrides = {
        "objectType": "KalturaHttpNotificationTemplate",
        "url": receiver.url,
        "data": {"objectType": "KalturaHttpNotificationDataFields"},
    }
    copy = call(client, "clone", id=equals["id"], eventNotificationTemplate=overrides)
    call(client, "updateStatus", id=copy["id"], status=2)
    room = KalturaRooms(client).add_room("Room", reference_id="ab")
    sandbox.add_recording(room.id, duration=1)
    [(headers, body)] = receiver.received
    assert headers["x-kaltura-hash-algo"] == "sha1"
    assert not kn.verify(ADMIN_SECRET, body, headers["x-kaltura-signature"], headers["x-kaltura-hash-algo"])


def test_http_build_query_encodes_as_php_does() -> None:
    assert http_build_query([("a b", "c~d&e"), ("skip", None), ("t", True), ("n", 2)]) == "a+b=c%7Ed%26e&t=1&n=2"


def test_the_set_up_script_against_the_sandbox(
    sandbox: KalturaSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KALTURA_SERVICE_URL", sandbox.url)
    monkeypatch.setenv("KALTURA_PARTNER_ID", str(PARTNER_ID))
    monkeypatch.setenv("KALTURA_ADMIN_SECRET", ADMIN_SECRET)
    monkeypatch.delenv("KALTURA_APP_TOKEN_ID", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)

    assert setup_script.main(["--url", "https://api.example.com/v1", "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert (
        planned[2]["params"]["eventNotificationTemplate"]["url"] == "https://api.example.com/v1/kaltura/notifications"
    )
    assert sandbox.call_count(SERVICE) == 0  # a dry run calls nothing

    assert setup_script.main(["--url", "https://api.example.com"]) == 0
    assert "created and enabled" in capsys.readouterr().out
    [mine] = [t for t in sandbox.notification_templates if t["partnerId"] == PARTNER_ID]
    assert (mine["url"], mine["status"], mine["secureHashingAlgo"]) == (
        "https://api.example.com/v1/kaltura/notifications",
        2,
        2,
    )
    assert setup_script.main(["--url", "https://api.example.com"]) == 0
    assert "updated" in capsys.readouterr().out
    assert setup_script.main(["--url", "http://evil.example.com"]) == 2
    assert setup_script.main([]) == 2
    sandbox.inject("error", 1, service=SERVICE, action="list", code="SERVICE_FORBIDDEN")
    assert setup_script.main(["--url", "https://api.example.com"]) == 4
