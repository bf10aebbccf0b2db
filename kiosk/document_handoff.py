"""Hand a filled-in document to the visitor's phone: upload the PDF through the terminal's
signed channel; the server keeps it 30 minutes behind a one-time link (the QR code).

Nothing is kept on the terminal: the PDF is uploaded from memory. Call from a worker thread.
"""

from __future__ import annotations

import logging

from protocol.handoff import HANDOFF_PATH, HandoffStored
from provisioning.client import ServerError, ServerRefused, TerminalClient

log = logging.getLogger(__name__)

UNREACHABLE = ("无法连接服务器，文书未能发送到手机。您可以打印，或稍后再试；"
               "本机不保存您填写的内容。",
               "The server cannot be reached, so the document was not sent to your phone. You "
               "can print it or try again later; this terminal keeps nothing you filled in.")
REFUSED = ("服务器未能接收文书，未能发送到手机。您可以打印，或请工作人员协助；"
           "本机不保存您填写的内容。",
           "The server did not take the document, so it was not sent to your phone. You can "
           "print it or ask the staff; this terminal keeps nothing you filled in.")


class HandoffFailed(Exception):
    """The document could not be handed off; message_zh / message_en tell the visitor."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.message_zh, self.message_en = REFUSED if refused else UNREACHABLE


def hand_off(client: TerminalClient, pdf: bytes) -> HandoffStored:
    """Upload the PDF; return the one-time link the QR code carries."""
    try:
        return client.typed_request("POST", HANDOFF_PATH, HandoffStored, data=pdf,
                                    headers={"Content-Type": "application/pdf"})
    except ServerError as error:
        log.warning("document handoff failed: %s", error)
        raise HandoffFailed(str(error), refused=isinstance(error, ServerRefused)) from error
