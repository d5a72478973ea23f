"""Pure alarm-protocol cores: parsing and building frames, no I/O.

* :mod:`.dc09` — SIA DC-09 (IP transport): framing, CRC, encryption, ACK/NAK/DUH.
* :mod:`.sia_codes` — SIA DC-03 event blocks (``SIA-DCS``) and the code table.
* :mod:`.contact_id` — Contact ID (SIA DC-05, ``ADM-CID``) blocks and raw messages.
* :mod:`.events` — the normalised :class:`~.events.ParsedEvent` both payloads map to.
* :mod:`.errors` — :class:`~.errors.ProtocolError` and one subclass per failure kind.
"""
