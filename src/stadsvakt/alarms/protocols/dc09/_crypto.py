"""AES-CBC with a zero IV and DC-09's leading pad, shared by parser, replies and builder.

DC-09 encrypts everything after the ``[`` of the data block through the timestamp.
Instead of PKCS#7 it pads at the *front*: pad characters (never ``|``, ``[`` or
``]``), then ``|``, then the data, to a multiple of 16 bytes. With a zero IV the
random pad is what makes two encryptions of the same event differ.
"""

from __future__ import annotations

import re
import secrets
import string

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from stadsvakt.alarms.protocols.errors import DecryptionFailed, InvalidKey

KEY_SIZES = (16, 24, 32)
_BLOCK = 16
_ZERO_IV = bytes(_BLOCK)
_PAD_ALPHABET = string.ascii_letters + string.digits
_HEX = re.compile(r"[0-9A-Fa-f]+")


def check_key(key: bytes) -> None:
    """Raise :class:`InvalidKey` unless ``key`` is 128, 192 or 256 bits."""
    if len(key) not in KEY_SIZES:
        raise InvalidKey(f"AES key is {len(key)} bytes; DC-09 allows 16, 24 or 32")


def random_pad(length: int) -> str:
    """``length`` unpredictable pad characters from a safe alphabet."""
    return "".join(secrets.choice(_PAD_ALPHABET) for _ in range(length))


def pad_length(content: str) -> int:
    """How many pad characters make ``pad + "|" + content`` a whole number of blocks."""
    return _BLOCK - (len(content) + 1) % _BLOCK


def encrypt(key: bytes, content: str, pad: str | None = None) -> str:
    """Hex (upper case) of ``pad|content`` encrypted; a fresh random pad unless given."""
    check_key(key)
    if pad is None:
        pad = random_pad(pad_length(content))
    if any(ch in "|[]" for ch in pad):
        raise ValueError("DC-09 pad characters exclude '|', '[' and ']'")
    plaintext = f"{pad}|{content}".encode("latin-1")
    if len(plaintext) % _BLOCK:
        raise ValueError("pad does not fill the last block")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).encryptor()
    return (encryptor.update(plaintext) + encryptor.finalize()).hex().upper()


def decrypt(key: bytes, hex_text: str) -> str:
    """Decrypt DC-09 hex ciphertext to text, one character per byte (latin-1)."""
    check_key(key)
    if not hex_text or len(hex_text) % (2 * _BLOCK):
        raise DecryptionFailed(
            f"encrypted part is {len(hex_text)} hex digits, not a whole number of AES blocks"
        )
    if _HEX.fullmatch(hex_text) is None:  # bytes.fromhex alone would allow spaces
        raise DecryptionFailed("encrypted part is not hexadecimal")
    ciphertext = bytes.fromhex(hex_text)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).decryptor()
    # latin-1 maps every byte to a character, so binary pad never fails to decode.
    return (decryptor.update(ciphertext) + decryptor.finalize()).decode("latin-1")
