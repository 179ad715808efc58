"""Crockford base32: the alphabet of tracking numbers and activation codes.

No I, L, O, U, so nothing read aloud or copied by hand is ambiguous; what people type
for what they mean is forgiven by TYPOS (I and L read as 1, O as 0).
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPOS = str.maketrans({"I": "1", "L": "1", "O": "0"})
