"""Time-ordered UUIDs (version 7, RFC 9562) for new rows of large, indexed tables.

A random UUID (version 4) lands anywhere in its unique index, so inserting a million customers
touches index pages all over the table; a version 7 UUID starts with the Unix time in
milliseconds, so new keys go to the right-hand edge of the index, as a sequence would, and stay
unguessable (74 random bits). Existing version 4 UUIDs remain valid: both are plain UUIDs.
"""

import os
import time
import uuid

_RANDOM_62 = (1 << 62) - 1


def uuid7() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds, version, 12 + 62 random bits, variant."""
    return uuid7s(1)[0]


def uuid7s(count: int) -> list[uuid.UUID]:
    """`count` version 7 UUIDs from one read of the system's random source (an import makes
    thousands per batch: a read each cost a system call, which also hands the GIL to the import's
    parser thread and waits to get it back)."""
    millis = (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << 80
    entropy = os.urandom(10 * count)
    uuids = []
    for start in range(0, 10 * count, 10):
        random = int.from_bytes(entropy[start : start + 10], "big")
        value = millis | 0x7 << 76 | (random >> 62 & 0xFFF) << 64 | 0b10 << 62 | random & _RANDOM_62
        uuids.append(uuid.UUID(int=value))
    return uuids
