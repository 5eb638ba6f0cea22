"""`make mail`: every email the local stack sent through moto's SES (subject, recipient, text,
attachments), read from the local moto server, then the letters queued for offices."""
from __future__ import annotations

import email
import email.policy
import json
import os
import sys
import urllib.error
import urllib.request


def sent_emails(moto_url: str) -> list[dict]:
    """From the local moto server's SES-only view; /moto-api/data.json has the same messages
    under "ses" but serializes every table too."""
    try:
        with urllib.request.urlopen(f"{moto_url}/infopass/sent-mail.json", timeout=10) as response:
            state = json.load(response)
    except urllib.error.HTTPError:  # a plain moto server: read its full state
        with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=60) as response:
            state = json.load(response)
    ses = state.get("ses", {})
    out = []
    for raw in ses.get("RawMessage", []):
        message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        out.append({"id": raw["id"], "subject": str(message["Subject"] or ""),
                    "to": str(message["To"] or ", ".join(raw.get("destinations", []))),
                    "language": str(message["Content-Language"] or ""),
                    "text": text.get_content() if text else "",
                    "html": html.get_content() if html else "",
                    "attachments": [part.get_filename() for part in message.iter_attachments()]})
    for simple in ses.get("Message", []):
        out.append({"id": simple.get("id"), "subject": simple.get("subject", ""),
                    "to": ", ".join((simple.get("destinations") or {}).get("ToAddresses", [])),
                    "language": "", "text": simple.get("body", ""), "html": "",
                    "attachments": []})
    return out


def queued_letters() -> list[dict]:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from chalicelib import wiring
    from chalicelib.notices.records import LetterRecord

    wiring.rewire()
    try:
        return [{"office": r.office_id, "notice": r.notice_key.split("#")[2],
                 "language": r.language, "subject": r.subject, "text": r.text}
                for r in LetterRecord.scan()]
    except (BotoCoreError, ClientError, PynamoDBException):
        return []


def main() -> int:
    moto_url = f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"
    try:
        emails = sent_emails(moto_url)
    except OSError:
        print(f"No local stack answers at {moto_url}; start it with `make run` "
              "(or set MOTO_PORT).", file=sys.stderr)
        return 1
    rule = "=" * 78
    for number, item in enumerate(emails, 1):
        print(f"{rule}\n#{number}  To: {item['to']}\nSubject: {item['subject']}")
        if item["language"]:
            print(f"Language: {item['language']}")
        print(f"Attachments: {', '.join(item['attachments']) or '(none)'}\n")
        print(item["text"].rstrip())
    print(f"{rule}\n{len(emails)} email(s) sent by the local stack.")
    from local.stack import LOCAL_ENV
    for name, value in {**LOCAL_ENV, "AWS_ENDPOINT_URL": moto_url}.items():
        os.environ.setdefault(name, value)
    letters = queued_letters()
    for item in letters:
        print(f"{rule}\nLetter for the {item['office']} office ({item['notice']}, "
              f"{item['language']}): {item['subject']}\n\n{item['text'].rstrip()}")
    if letters:
        print(f"{rule}\n{len(letters)} letter(s) queued for printing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
