#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The netlink spec (docs/netlink/rumor.yaml) and the uapi header
(include/uapi/linux/rumor.h) describe one interface: check they agree on
every constant, attribute, command and multicast group. KTAP output."""
import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def c_name(s):
    return s.upper().replace("-", "_")


def header_enums(text):
    """Every enum in the header as {enum name: [member, ...]} in order."""
    enums = {}
    for name, body in re.findall(r"enum (\w+) \{(.*?)\};", text, re.S):
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        enums[name] = [m.strip() for m in body.split(",") if m.strip()]
    return enums


def main():
    spec = yaml.safe_load(open(os.path.join(REPO, "docs/netlink/rumor.yaml")))
    text = open(os.path.join(REPO, "include/uapi/linux/rumor.h")).read()
    enums = header_enums(text)
    defines = dict(re.findall(r"#define (\w+)[ \t]+([^\s/]+)", text))
    checks = []

    def check(name, ok, why=""):
        checks.append((name, ok, why))

    check("family_name", defines.get("RUMOR_GENL_NAME") == '"%s"' % spec["name"])

    for d in spec["definitions"]:
        if d["type"] == "const":
            got = defines.get("RUMOR_" + c_name(d["name"]))
            check("const_" + d["name"], got == str(d["value"]),
                  "header %s, spec %s" % (got, d["value"]))
        elif d["type"] == "enum":
            prefix = c_name(d.get("name-prefix", "rumor-%s-" % d["name"]))
            want = [prefix + c_name(e) for e in d["entries"]]
            got = enums.get("rumor_" + d["name"].replace("-", "_"), [])
            check("enum_" + d["name"], got == want, "header %s, spec %s" % (got, want))

    for aset in spec["attribute-sets"]:
        prefix = c_name(aset["name-prefix"])
        want = [prefix + "UNSPEC"] + [prefix + c_name(a["name"]) for a in aset["attributes"]]
        want.append("__" + prefix + "MAX")
        got = next((v for v in enums.values() if v and v[0] == prefix + "UNSPEC"), [])
        check("attrs_" + aset["name"], got == want,
              "header %s, spec %s" % (got, want))

    prefix = c_name(spec["operations"]["name-prefix"])
    want = [prefix + "UNSPEC"] + [prefix + c_name(o["name"]) for o in spec["operations"]["list"]]
    want.append("__" + prefix + "MAX")
    check("commands", enums.get("rumor_cmd") == want,
          "header %s, spec %s" % (enums.get("rumor_cmd"), want))

    groups = [g["name"] for g in spec["mcast-groups"]["list"]]
    check("mcast_groups", ['"%s"' % g for g in groups] ==
          [v for k, v in defines.items() if k.startswith("RUMOR_MCGRP_")])

    print("KTAP version 1")
    print("1..%d" % len(checks))
    failed = 0
    for i, (name, ok, why) in enumerate(checks, 1):
        if not ok:
            print("# " + why)
            failed += 1
        print("%s %d spec_%s" % ("ok" if ok else "not ok", i, name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
