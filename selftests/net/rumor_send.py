#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send hand-made rumor datagrams, well-formed or broken on purpose.

The layout is that of core/wire.h; this is a test peer, not a second
implementation: it writes bytes, it never parses them.
"""
import argparse
import socket
import struct
import sys

MAGIC = 0x524D
VERSION = 1
GOSSIP = 1


def gossip(origin, seq, payload, sender=1, hops=0, version=VERSION,
           mtype=GOSSIP, flags=0, length=None, magic=MAGIC):
    total = 32 + len(payload)
    hdr = struct.pack("!HBBHBBQ", magic, version, mtype,
                      total if length is None else length, flags, hops, sender)
    return hdr + struct.pack("!QQ", origin, seq) + payload


KINDS = {
    "valid": lambda o, s, p: gossip(o, s, p),
    "truncated": lambda o, s, p: gossip(o, s, p)[:10],
    "bad_magic": lambda o, s, p: gossip(o, s, p, magic=0x5858),
    "bad_version": lambda o, s, p: gossip(o, s, p, version=VERSION + 1),
    "bad_flags": lambda o, s, p: gossip(o, s, p, flags=0x80),
    "bad_type": lambda o, s, p: gossip(o, s, p, mtype=99),
    "bad_length": lambda o, s, p: gossip(o, s, p, length=32 + len(p) + 10),
    "bad_body": lambda o, s, p: gossip(o, 0, p),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("dst")
    ap.add_argument("--port", type=int, default=7866)
    ap.add_argument("--sport", type=int, default=0)
    ap.add_argument("--origin", type=lambda x: int(x, 0), default=0xA11CE)
    ap.add_argument("--seq", type=int, default=1)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--payload", default="crafted")
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if args.sport:
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", args.sport))
    for i in range(args.count):
        pkt = KINDS[args.kind](args.origin, args.seq + i, args.payload.encode())
        sock.sendto(pkt, (args.dst, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
