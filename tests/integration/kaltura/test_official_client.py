"""The official Kaltura Python client (PyPI ``KalturaApiClient``, dev-only) against the local sandbox.

What 23.10.0 puts on the wire (``KalturaClient.Client.KalturaClient.openRequestUrl``): every call is a POST of a
JSON object with ``Content-Type: application/json`` (multipart/form-data only when uploading files), carrying
``format=2`` (its configuration's only accepted format: ``doQueue`` refuses anything but XML) plus ``clientTag``,
``apiVersion``, ``partnerId``, ``ks`` and an md5 ``kalsig``; scalars are sent as strings. The sandbox reads that body
and answers Kaltura's XML, which the client parses with lxml.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from KalturaClient import KalturaClient as OfficialClient
from KalturaClient import KalturaConfiguration
from KalturaClient.exceptions import KalturaException
from KalturaClient.Plugins.Core import KalturaSessionType
from KalturaClient.Plugins.Room import KalturaRoomEntry, KalturaRoomEntryFilter, KalturaRoomType

from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

from .conftest import ADMIN_SECRET, PARTNER_ID

pytestmark = pytest.mark.integration

ADMIN_USER = "official-client-admin"
ENTRY_STATUS_READY = "2"
ENTRY_STATUS_NO_CONTENT = "7"


def official_client(sandbox: KalturaSandbox, ks: str | None) -> OfficialClient:
    config = KalturaConfiguration(sandbox.url)
    config.requestTimeout = 5
    client = OfficialClient(config)
    client.setPartnerId(PARTNER_ID)
    if ks is not None:
        client.setKs(ks)
    return client


@pytest.fixture
def client(sandbox: KalturaSandbox) -> Iterator[OfficialClient]:
    """Configured like a real deployment: the sandbox as serviceUrl, an admin KS generated locally by the client."""
    ks = OfficialClient.generateSessionV2(ADMIN_SECRET, ADMIN_USER, KalturaSessionType.ADMIN, PARTNER_ID, 600, "")
    yield official_client(sandbox, ks.decode("ascii"))


def new_room(client: OfficialClient, reference_id: str, name: str = "Official client room") -> KalturaRoomEntry:
    entry = KalturaRoomEntry()
    entry.roomType = KalturaRoomType.ROOM
    entry.name = name
    entry.referenceId = reference_id
    return client.room.room.add(entry)


def test_add_get_delete(sandbox: KalturaSandbox, client: OfficialClient) -> None:
    reference = f"ref-{uuid.uuid4().hex[:12]}"
    added = new_room(client, reference)

    assert isinstance(added, KalturaRoomEntry)
    assert added.id.startswith("0_")
    assert added.name == "Official client room"
    assert added.referenceId == reference
    assert added.roomType.getValue() == KalturaRoomType.ROOM
    assert added.partnerId == PARTNER_ID
    assert added.userId == ADMIN_USER
    stored = sandbox.room(added.id)
    assert stored is not None
    assert stored["referenceId"] == reference
    assert stored["roomType"] == 1

    fetched = client.room.room.get(added.id)
    assert isinstance(fetched, KalturaRoomEntry)
    assert (fetched.id, fetched.name, fetched.referenceId) == (added.id, added.name, reference)
    assert fetched.roomType.getValue() == KalturaRoomType.ROOM

    assert client.room.room.delete(added.id) is None
    assert sandbox.room(added.id) is None
    with pytest.raises(KalturaException) as missing:
        client.room.room.get(added.id)
    assert missing.value.code == "ENTRY_ID_NOT_FOUND"
    assert added.id in str(missing.value)


def test_list_by_reference_id_with_status_filter(client: OfficialClient) -> None:
    """The real server stores a new room as NO_CONTENT (7) and lists only READY (2) rooms unless the filter names a
    status, so a room list must carry ``statusIn``; the sandbox is expected to model both."""
    reference = f"ref-{uuid.uuid4().hex[:12]}"
    room = new_room(client, reference)
    new_room(client, f"other-{uuid.uuid4().hex[:12]}", name="Someone else's room")

    room_filter = KalturaRoomEntryFilter()
    room_filter.referenceIdEqual = reference
    room_filter.statusIn = f"{ENTRY_STATUS_READY},{ENTRY_STATUS_NO_CONTENT}"
    listed = client.room.room.list(room_filter)

    assert listed.totalCount == 1
    assert [entry.id for entry in listed.objects] == [room.id]
    (entry,) = listed.objects
    assert isinstance(entry, KalturaRoomEntry)
    assert entry.referenceId == reference
    assert entry.roomType.getValue() == KalturaRoomType.ROOM
    assert entry.status is not NotImplemented, "the answer carries no status"
    assert entry.status.getValue() == ENTRY_STATUS_NO_CONTENT

    without_status = KalturaRoomEntryFilter()
    without_status.referenceIdEqual = reference
    unfiltered = client.room.room.list(without_status)
    assert unfiltered.totalCount == 0, "a list without a status filter is READY-only on the real server"
    assert unfiltered.objects == []


def test_session_start_gives_an_admin_ks_the_rooms_accept(sandbox: KalturaSandbox) -> None:
    anonymous = official_client(sandbox, None)
    ks = anonymous.session.start(ADMIN_SECRET, ADMIN_USER, KalturaSessionType.ADMIN, PARTNER_ID, 600)

    parsed = sandbox.inspect_ks(ks)
    assert (parsed.partner_id, parsed.user_id, parsed.session_type) == (PARTNER_ID, ADMIN_USER, 2)
    client = official_client(sandbox, ks)
    room = new_room(client, f"ref-{uuid.uuid4().hex[:12]}")
    assert client.room.room.get(room.id).id == room.id
    assert sandbox.call_count("session", "start") == 1


def test_errors_come_back_as_kaltura_exceptions(sandbox: KalturaSandbox) -> None:
    widget_ks = official_client(sandbox, None).session.startWidgetSession(f"_{PARTNER_ID}").ks
    wrong_secret = OfficialClient.generateSessionV2(
        "not-the-secret", ADMIN_USER, KalturaSessionType.ADMIN, PARTNER_ID, 600, ""
    )
    entry = KalturaRoomEntry()
    entry.roomType = KalturaRoomType.ROOM

    with pytest.raises(KalturaException) as no_ks:
        official_client(sandbox, None).room.room.add(entry)
    assert no_ks.value.code == "MISSING_KS"
    with pytest.raises(KalturaException) as bad_ks:
        official_client(sandbox, wrong_secret.decode("ascii")).room.room.add(entry)
    assert bad_ks.value.code == "INVALID_KS"
    with pytest.raises(KalturaException) as forbidden:
        official_client(sandbox, widget_ks).room.room.add(entry)
    assert forbidden.value.code == "SERVICE_FORBIDDEN"
    with pytest.raises(KalturaException) as no_type:
        ks = OfficialClient.generateSessionV2(ADMIN_SECRET, ADMIN_USER, KalturaSessionType.ADMIN, PARTNER_ID, 600, "")
        official_client(sandbox, ks.decode("ascii")).room.room.add(KalturaRoomEntry())
    assert no_type.value.code == "PROPERTY_VALIDATION_CANNOT_BE_NULL"
    assert sandbox.rooms == []


def test_wire_format(sandbox: KalturaSandbox, client: OfficialClient) -> None:
    """A JSON body with the exact content type the server reads, asking for XML (format 2)."""
    room = new_room(client, f"ref-{uuid.uuid4().hex[:12]}")
    client.room.room.get(room.id)

    add, get = sandbox.requests
    for request in (add, get):
        assert request.method == "POST"
        assert request.service == "room_room"
        assert request.content_type == "application/json"
        assert request.params["format"] == "2"
        assert request.params["partnerId"] == str(PARTNER_ID)
        assert request.params["apiVersion"] == "23.10.0"
        assert request.params["clientTag"].startswith("python-")
        assert sandbox.inspect_ks(request.params["ks"]).user_id == ADMIN_USER
        assert len(request.params["kalsig"]) == 32
    assert (add.action, get.action) == ("add", "get")
    assert add.params["entry"]["objectType"] == "KalturaRoomEntry"
    assert add.params["entry"]["roomType"] == "1"
    assert get.params["roomId"] == room.id
