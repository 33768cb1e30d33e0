"""One signer for every expiring link Loa hands out (media today; exports and sign-in alike).

A token is `<expiry>.<mac>`: the expiry in Unix seconds and an HMAC-SHA256 over the link's
purpose, the expiry and the exact message (a path, an id). Purposes keep one kind of link from
being replayed as another; the expiry is inside the MAC, so it cannot be stretched. The key
comes from MEDIA_URL_SECRET, which the settings refuse when shorter than 32 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import math

_MAC_LENGTH = 32  # hex characters: 128 bits


class Signer:
    """Signs and checks expiring tokens for one purpose."""

    def __init__(self, secret: str, purpose: str) -> None:
        if not secret:
            raise ValueError("a signer needs a secret")
        self._key = hashlib.sha256(b"loa-signer:" + secret.encode()).digest()
        self.purpose = purpose

    def mac(self, message: str, expires: int) -> str:
        """The MAC of `message` valid until `expires` (for links that carry the expiry apart)."""
        signed = f"{self.purpose}\n{expires}\n{message}".encode()
        return hmac.new(self._key, signed, hashlib.sha256).hexdigest()[:_MAC_LENGTH]

    def sign(self, message: str, expires_at: float) -> str:
        """A token for `message`, valid until `expires_at` (Unix seconds)."""
        expires = math.ceil(expires_at)
        return f"{expires}.{self.mac(message, expires)}"

    def verify(self, token: str, message: str, now: float) -> bool:
        """Whether `token` was signed for `message` by this signer and has not expired."""
        expiry, _dot, mac = token.partition(".")
        return self.verify_mac(expiry, mac, message, now)

    def verify_mac(self, expiry: str, mac: str, message: str, now: float) -> bool:
        """Whether `mac` signs `message` until `expiry` (digits, Unix seconds), not yet past."""
        if not expiry.isdigit() or len(expiry) > 12 or int(expiry) < now:
            return False
        return hmac.compare_digest(mac.encode(), self.mac(message, int(expiry)).encode())
