#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send hand-made rumor datagrams, well-formed or broken on purpose, or act
as a hostile neighbour that joins and then floods.

The layout is that of core/wire.h; this is a test peer, not a second
implementation: it writes bytes and reads only the type of what it gets.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

MAGIC = 0x524D
VERSION = 1
GOSSIP, IHAVE, GRAFT, PRUNE, JOIN = 1, 2, 3, 4, 5
PING, PONG = 12, 13


def header(mtype, body_len, sender, hops=0, flags=0, version=VERSION,
           length=None, magic=MAGIC):
    total = 16 + body_len
    return struct.pack("!HBBHBBQ", magic, version, mtype,
                       total if length is None else length, flags, hops, sender)


def gossip(origin, seq, payload, sender=1, mtype=GOSSIP, **kw):
    return header(mtype, 16 + len(payload), sender, **kw) + \
        struct.pack("!QQ", origin, seq) + payload


def ihave(sender, ids):
    body = struct.pack("!HH", len(ids), 0) + b"".join(
        struct.pack("!QQB3x", o, s, 1) for o, s in ids)
    return header(IHAVE, len(body), sender) + body


def graft(sender, origin, seq):
    return header(GRAFT, 20, sender) + struct.pack("!QQB3x", origin, seq, 0)


KINDS = {
    "valid": lambda o, s, p: gossip(o, s, p),
    "truncated": lambda o, s, p: gossip(o, s, p)[:10],
    "bad_magic": lambda o, s, p: gossip(o, s, p, magic=0x5858),
    "bad_version": lambda o, s, p: gossip(o, s, p, version=VERSION + 1),
    "bad_flags": lambda o, s, p: gossip(o, s, p, flags=0x80),
    "bad_type": lambda o, s, p: gossip(o, s, p, mtype=99),
    "bad_length": lambda o, s, p: gossip(o, s, p, length=32 + len(p) + 10),
    "bad_body": lambda o, s, p: gossip(o, 0, p),
    "stranger_ihave": lambda o, s, p: ihave(0x5742, [(o, s)]),
}


def hostile(sock, dst, args):
    """JOIN, answer PINGs, and flood IHAVEs or GRAFTs for ids that do not
    exist. The target takes us into its active view on the JOIN."""
    me = int.from_bytes(os.urandom(8), "big") | 1
    sock.sendto(header(JOIN, 0, me), dst)
    time.sleep(0.3)
    sent = 0
    seq = 1
    while sent < args.count:
        if args.kind == "flood_ihave":
            ids = [(0xBAD, seq + i) for i in range(64)]
            seq += 64
            sock.sendto(ihave(me, ids), dst)
        else:
            sock.sendto(graft(me, 0xBAD, seq), dst)
            seq += 1
        sent += 1
        # Stay a live neighbour: answer its PINGs.
        while select.select([sock], [], [], 0)[0]:
            data, src = sock.recvfrom(2048)
            if len(data) >= 16 and data[3] == PING:
                sock.sendto(header(PONG, 0, me), src)
        if sent % 64 == 0:
            time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kind", choices=sorted(KINDS) + ["flood_ihave", "flood_graft"])
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
    sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", args.sport))
    dst = (args.dst, args.port)
    if args.kind.startswith("flood_"):
        hostile(sock, dst, args)
        return 0
    for i in range(args.count):
        sock.sendto(KINDS[args.kind](args.origin, args.seq + i,
                                     args.payload.encode()), dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
