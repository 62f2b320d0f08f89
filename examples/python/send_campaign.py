"""Run a bulk send from a recipient CSV with the generated Relay Console client.

Signs in with a personal API token, creates a bulk send of the named template from the
CSV and queues it, waits until it has finished, and saves its recipients' outcomes.

    RELAY_BASE=https://relay.example.com RELAY_TOKEN=rcp_... \\
        python send_campaign.py recipients.csv "Descuento en su deuda" outcomes.csv

The client package (`relay_console_client`) is generated from the server's own OpenAPI
document: `openapi-python-client generate --url $RELAY_BASE/api/openapi.json \\
--config client-config.yaml --meta none --output-path relay_console_client`.
"""

import os
import sys
import time
import uuid
from pathlib import Path

from relay_console_client import AuthenticatedClient
from relay_console_client.api.auth import get_me
from relay_console_client.api.bulk_sends import (
    create_bulk_send,
    export_recipients_csv,
    get_bulk_send,
)
from relay_console_client.api.templates import list_templates
from relay_console_client.models import (
    BulkSend,
    BulkSendStatus,
    CreateForm,
    Me,
    TemplateList,
)
from relay_console_client.types import File

FINISHED = {BulkSendStatus.DONE, BulkSendStatus.DONE_WITH_ERRORS, BulkSendStatus.FAILED}


def fail(what: str, answer) -> None:
    detail = getattr(answer.parsed, "detail", None) or answer.content[:300]
    sys.exit(f"{what}: HTTP {answer.status_code}: {detail}")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    csv_path, template_name, output = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    client = AuthenticatedClient(
        base_url=os.environ["RELAY_BASE"],
        token=os.environ["RELAY_TOKEN"],
        timeout=120,
    )

    me = get_me.sync_detailed(client=client)
    if not isinstance(me.parsed, Me):
        fail("the API token was not accepted", me)
    print(f"signed in as {me.parsed.user.username}")

    templates = list_templates.sync_detailed(client=client, q=template_name)
    if not isinstance(templates.parsed, TemplateList):
        fail("the templates could not be listed", templates)
    matches = [t for t in templates.parsed.items if t.name == template_name]
    if not matches:
        sys.exit(f"no template named {template_name!r}")
    template = matches[0]

    form = CreateForm(
        recipients_file=File(payload=csv_path.open("rb"), file_name=csv_path.name, mime_type="text/csv"),
        template_id=template.id,
        send_now=True,
        # The same key on a retry after a lost answer gives back the same bulk send.
        client_request_id=f"example-{uuid.uuid4()}",
    )
    created = create_bulk_send.sync_detailed(client=client, body=form)
    if not isinstance(created.parsed, BulkSend):
        fail("the bulk send was not created", created)
    bulk = created.parsed
    print(f"bulk send {bulk.id}: {bulk.counts.valid} of {bulk.counts.total} rows valid, {bulk.status.value}")

    deadline = time.monotonic() + 300
    while bulk.status not in FINISHED:
        if time.monotonic() > deadline:
            sys.exit(f"bulk send {bulk.id} did not finish in time (still {bulk.status.value})")
        time.sleep(0.5)
        answer = get_bulk_send.sync_detailed(bulk.id, client=client)
        if not isinstance(answer.parsed, BulkSend):
            fail("the bulk send could not be read", answer)
        bulk = answer.parsed
    counts = bulk.counts
    print(f"bulk send {bulk.id} {bulk.status.value}: sent {counts.sent}, failed {counts.failed}, ambiguous {counts.ambiguous}")

    export = export_recipients_csv.sync_detailed(bulk.id, client=client)
    if export.status_code != 200:
        fail("the recipients could not be downloaded", export)
    output.write_bytes(export.content)
    print(f"recipients saved to {output}")


if __name__ == "__main__":
    main()
