"""SIA DC-09 (ANSI/SIA DC-09-2013/2021): the IP transport for alarm events.

A frame runs ``LF crc 0LLL "id" seq Rrcvr Lpref #acct [data][x-data]_timestamp CR``.
This package frames a byte stream (:mod:`.framing`), checks CRC and length and
decrypts (:mod:`.message`), answers (:mod:`.responses`) and, for senders and tests,
builds frames (:mod:`.builder`).
"""
