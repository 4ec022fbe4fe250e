# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nftables tables: validating a declarative description, rendering it as one atomic ``nft -f``
transaction, and normalising ``nft -j`` listings so that a desired and a current table compare.

nft rewrites what it is given (``ct state related,established`` lists as
``established,related``, ``dnat to`` in an inet table as ``dnat ip to``), so a desired
table is never compared as text. Instead the exact transaction is loaded into a private scratch
network namespace and listed there: both sides of the comparison are nft's own rendering.
"""

from __future__ import annotations

import binascii
import json
import os
import re
from contextlib import contextmanager

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._process import Runner

FAMILIES = ("ip", "ip6", "inet", "bridge", "netdev")
CHAIN_TYPES = ("filter", "nat", "route")
HOOKS = ("prerouting", "input", "forward", "output", "postrouting", "ingress", "egress")
POLICIES = ("accept", "drop")
SET_FLAGS = ("constant", "interval", "timeout", "dynamic")

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.:+-]{1,15}$")
_PRIORITY_RE = re.compile(r"^(-?\d+|[a-z]+ ?([+-] ?\d+)?)$")
_SET_TYPE_RE = re.compile(r"^[a-z0-9_]+( \. [a-z0-9_]+)*$")
_STDIN_LINE_RE = re.compile(r"^(?:/dev/stdin|-):(\d+):", re.MULTILINE)
_STDIN_PREFIX_RE = re.compile(r"^(?:/dev/stdin|-):[\d:-]+ ", re.MULTILINE)
# The standard priorities (nft's "dstnat", "srcnat", "mangle", "filter") as numbers.
_NAT_PRIORITY = {"prerouting": -100, "output": -100, "postrouting": 100, "input": 100}


def _ident(field, value):
    if not _IDENT_RE.match(value or ""):
        raise InvalidInput(field, "%r is not a valid nftables name: use letters, digits, '_', '.' and '-', "
                                  "starting with a letter or '_' (at most 64 characters)" % (value,))
    return value


def check_statement(field, text, what="rule"):
    """Reject text that could end its line, chain or table early: one item is one statement."""
    if not text or not text.strip():
        raise InvalidInput(field, "must not be empty")
    if "\n" in text or "\r" in text:
        raise InvalidInput(field, "%s %r spans several lines: give one %s per list item" % (what, text, what))
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and (char in ";#" or (char == "," and depth == 0 and what == "element")):
            raise InvalidInput(field, "%s %r contains %r outside double quotes: give one %s per list item"
                               % (what, text, char, what))
        elif not quoted and char in "{}":
            depth += 1 if char == "{" else -1
            if depth < 0:
                break
    if quoted or depth:
        raise InvalidInput(field, "%s %r has unbalanced quotes or braces" % (what, text))
    return text.strip()


def _default_priority(chain_type, hook):
    if chain_type == "nat":
        return _NAT_PRIORITY.get(hook, 0)
    return -150 if chain_type == "route" else 0


def _priority(field, value, chain_type, hook):
    if value is None or value == "":
        return _default_priority(chain_type, hook)
    text = str(value).strip()
    if not _PRIORITY_RE.match(text):
        raise InvalidInput(field, "%r is not a priority: give a number or a name such as filter, dstnat, srcnat+10"
                           % (value,))
    return int(text) if text.lstrip("-").isdigit() else text


def _base_chain(field, chain):
    """The hook part of a base chain, with defaults filled; None for a regular chain."""
    if not chain.get("hook"):
        for key in ("type", "priority", "policy", "device"):
            if chain.get(key) not in (None, ""):
                raise InvalidInput(field + ".hook", "is required when %s is set (a chain without hook is a regular "
                                                    "chain, reached only by jump or goto)" % key)
        return None
    chain_type = chain.get("type") or "filter"
    device = chain.get("device")
    if device is not None and not _IFNAME_RE.match(device):
        raise InvalidInput(field + ".device", "%r is not an interface name" % (device,))
    return {
        "type": chain_type, "hook": chain["hook"], "device": device,
        "priority": _priority(field + ".priority", chain.get("priority"), chain_type, chain["hook"]),
        "policy": chain.get("policy") or "accept",
    }


def _chain(index, chain):
    field = "chains[%d]" % index
    rules = chain.get("rules") or []
    return {
        "name": _ident(field + ".name", chain.get("name")),
        "base": _base_chain(field, chain),
        "rules": [check_statement("%s.rules[%d]" % (field, pos), rule) for pos, rule in enumerate(rules)],
    }


def _set(index, spec):
    field = "sets[%d]" % index
    set_type = (spec.get("type") or "").strip()
    if not _SET_TYPE_RE.match(set_type):
        raise InvalidInput(field + ".type", "%r is not a set type such as ipv4_addr, inet_service or "
                                            "'ipv4_addr . inet_service'" % (spec.get("type"),))
    elements = spec.get("elements") or []
    return {
        "name": _ident(field + ".name", spec.get("name")),
        "type": set_type,
        "flags": sorted(set(spec.get("flags") or [])),
        "elements": [check_statement("%s.elements[%d]" % (field, pos), str(elem), "element")
                     for pos, elem in enumerate(elements)],
    }


def _unique(field, items):
    seen = set()
    for index, item in enumerate(items):
        if item["name"] in seen:
            raise InvalidInput("%s[%d].name" % (field, index), "%r is defined twice" % item["name"])
        seen.add(item["name"])
    return items


def normalize_table(family, name, chains, sets):
    """The validated desired table with every default filled in."""
    return {
        "family": family,
        "name": _ident("name", name),
        "chains": _unique("chains", [_chain(index, chain) for index, chain in enumerate(chains or [])]),
        "sets": _unique("sets", [_set(index, spec) for index, spec in enumerate(sets or [])]),
    }


def _set_lines(index, spec):
    field, label = "sets[%d]" % index, "set %s" % spec["name"]
    lines = [("\tset %s {" % spec["name"], field, label),
             ("\t\ttype %s" % spec["type"], field + ".type", "the type of " + label)]
    if spec["flags"]:
        lines.append(("\t\tflags %s" % ", ".join(spec["flags"]), field + ".flags", "the flags of " + label))
    if spec["elements"]:
        lines.append(("\t\telements = {", field + ".elements", "the elements of " + label))
        lines.extend(("\t\t\t%s," % elem, "%s.elements[%d]" % (field, pos), "element %d of %s" % (pos, label))
                     for pos, elem in enumerate(spec["elements"]))
        lines.append(("\t\t}", field + ".elements", "the elements of " + label))
    lines.append(("\t}", field, label))
    return lines


def _chain_lines(index, chain):
    field, label = "chains[%d]" % index, "chain %s" % chain["name"]
    lines = [("\tchain %s {" % chain["name"], field, label)]
    base = chain["base"]
    if base:
        device = ' device "%s"' % base["device"] if base["device"] else ""
        lines.append(("\t\ttype %s hook %s%s priority %s; policy %s;" % (
            base["type"], base["hook"], device, base["priority"], base["policy"]), field, "the hook of " + label))
    lines.extend(("\t\t%s" % rule, "%s.rules[%d]" % (field, pos), "rule %d of %s" % (pos, label))
                 for pos, rule in enumerate(chain["rules"]))
    lines.append(("\t}", field, label))
    return lines


def replace_script(table):
    """The one-transaction nft script replacing the table, and (option path, label) for each line.

    ``table X`` creates the table if missing so that ``delete table X`` cannot fail; the new
    definition follows in the same transaction, so the kernel swaps the tables atomically.
    """
    head = "%s %s" % (table["family"], table["name"])
    label = "table " + head
    lines = [("table " + head, "name", label), ("delete table " + head, "name", label),
             ("table %s {" % head, "name", label)]
    for index, spec in enumerate(table["sets"]):
        lines.extend(_set_lines(index, spec))
    for index, chain in enumerate(table["chains"]):
        lines.extend(_chain_lines(index, chain))
    lines.append(("}", "name", label))
    return "".join(line[0] + "\n" for line in lines), [line[1:] for line in lines]


def _rejected(cmd, rc, stderr, fields, script):
    """InvalidInput naming the option (chain and rule index) of the first line nft complained about."""
    match = _STDIN_LINE_RE.search(stderr or "")
    lineno = int(match.group(1)) if match else 0
    if not 0 < lineno <= len(fields):
        return None
    field, label = fields[lineno - 1]
    text = script.splitlines()[lineno - 1].strip().rstrip(",")
    # nft goes on parsing after the first error; the rest is mostly its consequence (still in stderr).
    detail = _STDIN_PREFIX_RE.sub("", stderr.strip()).split("\nError:")[0]
    return InvalidInput(field, "nft rejected %s (%s): %s" % (label, text, detail), cmd=cmd, rc=rc, stderr=stderr)


def _sort_sets(value):
    """Anonymous set members and set elements are unordered: sort them so listings compare."""
    if isinstance(value, dict):
        return dict((key, _sort_sets(item) if key not in ("set", "elem") or not isinstance(item, list)
                     else sorted((_sort_sets(member) for member in item), key=_json_key))
                    for key, item in value.items() if key != "expires")
    if isinstance(value, list):
        return [_sort_sets(item) for item in value]
    return value


def _json_key(value):
    return json.dumps(value, sort_keys=True)


def without_handles(objects):
    """``nft -j`` objects minus the metainfo entry and the kernel-assigned handles."""
    result = []
    for obj in objects:
        for kind, body in obj.items():
            if kind != "metainfo":
                result.append({kind: dict((key, val) for key, val in body.items() if key != "handle")})
    return result


def canonical(objects):
    """A handle-free listing as a comparable value: objects order-free, rules in order per chain.

    Elements of ``dynamic`` sets are left out: the packet path adds them at run time.
    """
    named, rules = [], {}
    for obj in without_handles(objects):
        kind, body = next(iter(obj.items()))
        body = _sort_sets(body)
        if kind == "rule":
            rules.setdefault(body.get("chain"), []).append(body)
            continue
        if kind == "set" and "dynamic" in (body.get("flags") or []):
            body.pop("elem", None)
        named.append({kind: body})
    return {"objects": sorted(named, key=_json_key), "rules": rules}


class Nft(object):
    """The gateway to ``nft`` in one network namespace (None: the module's own namespace)."""

    def __init__(self, module, netns=None):
        self.runner = Runner(module, "nft", netns)

    def read(self, family, name):
        """(text, objects) of the table, stateless (no counter values); None when there is no such table."""
        args = ["-s", "list", "table", family, name]
        rc, out, err = self.runner.run(args, expect_rc=(0, 1))
        if rc == 1 and "No such file or directory" in err:
            return None
        if rc == 1 and "syntax error" in err:
            raise InvalidInput("name", "nft does not accept %r as a table name (it is an nft keyword?): %s"
                               % (name, err.strip()))
        if rc == 1:
            raise self.runner.failed(args, rc, out, err)
        _rc, data, _err = self.runner.run(["-s", "-j", "list", "table", family, name])
        return out, json.loads(data).get("nftables", [])

    def apply(self, script, fields):
        """Load ``script`` as one transaction; nft's error becomes InvalidInput naming the option."""
        rc, out, err = self.runner.run(["-f", "-"], data=script, expect_rc=(0, 1))
        if rc != 0:
            raise (_rejected(self.runner.argv(["-f", "-"]), rc, err or out, fields, script)
                   or self.runner.failed(["-f", "-"], rc, out, err))

    def delete(self, family, name):
        self.runner.run(["delete", "table", family, name])


def _interface_names(module, netns):
    _rc, out, _err = Runner(module, "ip", netns).run(["-j", "link", "show"])
    return [link["ifname"] for link in json.loads(out or "[]") if link.get("ifname") != "lo"]


@contextmanager
def scratch_namespace(module, like_netns, script):
    """A private, empty network namespace for loading a table, deleted afterwards.

    Rules such as ``oif "eth0"`` only load where the interface exists, so every interface of
    ``like_netns`` whose name occurs in ``script`` gets a placeholder bridge of the same name.
    """
    ip = Runner(module, "ip")
    name = "stackling-nft-%s" % binascii.hexlify(os.urandom(5)).decode()
    ip.run(["netns", "add", name])
    try:
        names = [ifname for ifname in _interface_names(module, like_netns) if ifname in script]
        if names:
            batch = "".join("link add %s type bridge\n" % ifname for ifname in names)
            Runner(module, "ip", name).run(["-batch", "-"], data=batch)
        yield name
    finally:
        rc, _out, err = module.run_command(ip.argv(["netns", "delete", name]))
        if rc != 0:
            module.warn("could not delete the scratch network namespace %s: %s" % (name, err.strip()))
