#!/usr/bin/env python3
"""Generate `CommandSpec` entries for core/src/table/defs.rs from Redis's
command JSON (src/commands/*.json of a Redis git checkout, tag 7.0.15 by
default), with Redis's load-time derivations applied the way Redis 7.0 does
them, so `COMMAND INFO` / `COMMAND DOCS` print what Redis prints:

  * flags: JSON `command_flags`, hidden ones dropped (may_replicate,
    sentinel, only_sentinel, protected, touches_arbitrary_keys), plus
    `movablekeys` as populateCommandLegacyRangeSpec sets it, in
    addReplyFlagsForCommand's print order;
  * first_key/last_key/step: the legacy range populateCommandLegacyRangeSpec
    derives from the key specs (addReplyCommandInfo's view of it);
  * acl_categories: JSON categories plus setImplicitACLCategories' (@write,
    @read, @admin+@dangerous, @pubsub, @fast, @blocking, else @slow), in
    ACLCommandCategories' order;
  * group `sorted_set` printed as `sorted-set`; tips lowercased; argument
    names lowercased and tokens uppercased (utils/generate-command-code.py);
    subcommands sorted by name.

Route and handler are corekv's, not Redis's: they come from options or a map
file. Defaults: a command with keys gets `Route::Keyed { write: <is write> }`,
a container `Route::Keyed { write: false }` (like OBJECT), anything else
`Route::Server`; the handler is `Handler::Missing` with a `// TODO` unless
mapped (or derived with --auto-handlers). Output goes through rustfmt
(edition 2024) when it is on PATH, so it is paste-ready for `COMMANDS`.

Usage:
  gen_command_defs.py --repo PATH [--tag 7.0.15] [options] NAME...
      NAME is a command (`hset`) or a container subcommand (`xinfo|stream`).
      A container alone (`xinfo`) is emitted with all its subcommands; a
      container named together with some of its subcommands
      (`xinfo xinfo|stream`) gets only those; a subcommand named without
      its container is emitted as a standalone entry.
  gen_command_defs.py --repo PATH --check core/src/table/defs.rs
      Regenerates every listed entry of defs.rs (each container with the
      subcommands defs.rs has) and diffs it against the hand-written one,
      ignoring route/handler/heavy/heavy_size/visibility. Exit status 1 on a
      difference.
  gen_command_defs.py --repo PATH --verify HOST:PORT [NAME...]
      Compares the derived values (what the entries print) of NAMEs, or of
      every command, with a running redis-server's COMMAND INFO and COMMAND
      DOCS (RESP2), subcommands included. Start one for it with e.g.
      `redis-server --port 16399 --save '' --daemonize yes`.

Options:
  --repo PATH           Redis git repository (bare or not), e.g.
                        /work/.mirror/redis+redis/repo
  --tag TAG             tag or commit to read (default 7.0.15); an empty
                        TAG reads PATH/src/commands/*.json from disk
  --handler NAME=FN     read: `Handler::Read(FN)`; write:
                        `Handler::Write { precheck: None, apply: FN }`
  --precheck NAME=FN    the write's precheck: `precheck: Some(FN)`
  --route NAME=RUST     the route expression, verbatim Rust
  --heavy NAME[,NAME]   emit `heavy: true`
  --note NAME=TEXT      a `// TEXT` comment line above the entry
  --map FILE            JSON {"name": {"handler": .., "precheck": ..,
                        "route": .., "heavy": true, "note": ..}}
  --auto-handlers       unmapped data commands get `<family>::<name>`
                        (family from the group: list hash set zset stream
                        bitmap hll geo strings keys; `|` and `-` become `_`)
  --no-rustfmt          print the unformatted entries

Example:
  tools/scripts/gen_command_defs.py --repo /work/.mirror/redis+redis/repo \\
      --handler hset=hash::hset --handler hget=hash::hget hset hget xinfo

Standard library only (plus `git`, and `rustfmt` when present).
"""

import argparse
import difflib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile

# addReplyFlagsForCommand's table (server.c), in print order.
FLAG_ORDER = [
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
    "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
    "fast", "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi",
    "movablekeys", "allow_busy",
]
# Commented out of that table ("Hidden on purpose").
HIDDEN_FLAGS = {
    "may_replicate", "sentinel", "only_sentinel", "protected",
    "touches_arbitrary_keys",
}
# ACLCommandCategories (acl.c), in print order.
ACL_ORDER = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
    "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
    "blocking", "dangerous", "connection", "transaction", "scripting",
]
# addReplyFlagsForKeyArgs, in print order.
KEY_FLAG_ORDER = [
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
    "incomplete", "variable_flags",
]
DOC_FLAG_ORDER = ["deprecated", "syscmd"]
# COMMAND_GROUP_STR (server.c) where it differs from the JSON name.
GROUP_NAMES = {"sorted_set": "sorted-set"}
ARG_TYPES = {
    "string": "String", "integer": "Integer", "double": "Double", "key": "Key",
    "pattern": "Pattern", "unix-time": "UnixTime", "pure-token": "PureToken",
    "oneof": "OneOf", "block": "Block",
}
# JSON group -> core/src/cmd module, for --auto-handlers.
FAMILIES = {
    "list": "list", "hash": "hash", "set": "set", "sorted_set": "zset",
    "stream": "stream", "bitmap": "bitmap", "hyperloglog": "hll", "geo": "geo",
    "string": "strings", "generic": "keys",
}
IGNORED_FIELDS = ("route", "handler", "heavy", "heavy_size", "visibility")


def die(msg):
    print("gen_command_defs: " + msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------
# Reading the JSON


def read_json_files(repo, tag):
    """{file name: parsed JSON} for src/commands/*.json at `tag`."""
    out = {}
    if not tag:
        d = os.path.join(repo, "src", "commands")
        for f in sorted(os.listdir(d)):
            if f.endswith(".json"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    out[f] = json.load(fh)
        return out
    try:
        blob = subprocess.run(
            ["git", "-C", repo, "archive", "--format=tar", tag, "src/commands"],
            check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        err = getattr(e, "stderr", b"") or b""
        die("cannot read src/commands at %r from %r: %s %s"
            % (tag, repo, e, err.decode(errors="replace").strip()))
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(".json"):
                out[os.path.basename(m.name)] = json.load(tar.extractfile(m))
    return out


def load_commands(repo, tag):
    """({full name: desc}, {container: [full sub names, sorted]})."""
    cmds, subs = {}, {}
    for fname, doc in read_json_files(repo, tag).items():
        for name, desc in doc.items():
            container = desc.get("container")
            full = name.lower()
            if container:
                full = container.lower() + "|" + full
                subs.setdefault(container.lower(), []).append(full)
            if full in cmds:
                die("%s defined twice (%s)" % (full, fname))
            cmds[full] = desc
    for v in subs.values():
        v.sort()  # generate-command-code.py sorts subcommands by name
    return cmds, subs


# ---------------------------------------------------------------------------
# Redis's derivations


def c_text(raw):
    """What a JSON string becomes in Redis: generate-command-code.py pastes
    it between double quotes into commands.c, so it is read as C string
    literals (MIGRATE's token `""` is two empty literals: an empty token)."""
    if raw is None or ('"' not in raw and "\\" not in raw):
        return raw
    src, out, i = '"' + raw + '"', [], 0
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    while i < len(src):
        if src[i] != '"':
            if src[i].isspace():
                i += 1
                continue
            die("%r is not a C string literal once pasted into commands.c" % raw)
        i += 1
        while src[i] != '"':
            if src[i] == "\\":
                out.append(escapes.get(src[i + 1], src[i + 1]))
                i += 2
            else:
                out.append(src[i])
                i += 1
        i += 1
    return "".join(out)


def ordered(items, order, what, name):
    unknown = set(items) - set(order)
    if unknown:
        die("%s: unknown %s %s" % (name, what, sorted(unknown)))
    return [o for o in order if o in items]


def key_spec_kinds(ks):
    bs, fk = ks["begin_search"], ks["find_keys"]
    b = "index" if bs.get("index") else "keyword" if bs.get("keyword") else \
        "unknown" if "unknown" in bs else None
    f = "range" if fk.get("range") else "keynum" if fk.get("keynum") else \
        "unknown" if "unknown" in fk else None
    if b is None or f is None:
        die("invalid key spec %r" % ks)
    return b, f


def u32(x):
    return x & 0xFFFFFFFF


def legacy_range(specs):
    """populateCommandLegacyRangeSpec + addReplyCommandInfo (Redis 7.0):
    returns (first_key, last_key, step, movablekeys)."""
    if not specs:
        return 0, 0, 0, False
    kinds = [key_spec_kinds(ks) for ks in specs]
    incomplete = ["INCOMPLETE" in ks.get("flags", []) for ks in specs]
    if len(specs) == 1 and kinds[0] == ("index", "range"):
        r = specs[0]["find_keys"]["range"]
        pos = specs[0]["begin_search"]["index"]["pos"]
        last = r["lastkey"] + pos if r["lastkey"] >= 0 else r["lastkey"]
        return pos, last, r["step"], incomplete[0]
    movable = False
    first, last, prev_last = None, 0, 0
    for ks, kind, inc in zip(specs, kinds, incomplete):
        if kind != ("index", "range"):
            movable = True
            continue
        r, pos = ks["find_keys"]["range"], ks["begin_search"]["index"]["pos"]
        if r["step"] != 1 or (prev_last and prev_last != pos - 1):
            movable = True
            continue
        if inc:
            movable = True
        first = pos if first is None else min(first, pos)
        abs_last = r["lastkey"] + pos if r["lastkey"] >= 0 else r["lastkey"]
        # Redis compares as unsigned, so a negative (from the end) wins.
        last = last if u32(last) >= u32(abs_last) else abs_last
        prev_last = last
    if first is None:
        return 0, 0, 0, True
    # Stored relative to first_key, printed absolute again: same numbers.
    return first, last, 1, movable


def derive(full, desc):
    """The printed values of one command: a dict of CommandSpec fields."""
    flags = {f.lower() for f in desc.get("command_flags", [])} - HIDDEN_FLAGS
    specs = desc.get("key_specs", [])
    first, last, step, movable = legacy_range(specs)
    if movable:
        flags.add("movablekeys")
    cats = {c.lower() for c in desc.get("acl_categories", [])}
    implied = {"write": "write", "pubsub": "pubsub", "fast": "fast",
               "blocking": "blocking"}
    for f, c in implied.items():
        if f in flags:
            cats.add(c)
    if "readonly" in flags and "scripting" not in cats:
        cats.add("read")
    if "admin" in flags:
        cats |= {"admin", "dangerous"}
    if "fast" not in cats:
        cats.add("slow")
    return {
        "name": full,
        "arity": desc["arity"],
        "flags": ordered(flags, FLAG_ORDER, "flag", full),
        "first_key": first, "last_key": last, "step": step,
        "acl_categories": ["@" + c for c in ordered(cats, ACL_ORDER, "category", full)],
        "group": GROUP_NAMES.get(desc["group"], desc["group"]),
        "since": c_text(desc.get("since")),
        "summary": c_text(desc.get("summary")),
        "complexity": c_text(desc.get("complexity")),
        "tips": [c_text(t.lower()) for t in desc.get("command_tips", [])],
        "key_specs": [norm_key_spec(ks) for ks in specs],
        "has_keys": any("NOT_KEY" not in ks.get("flags", []) for ks in specs),
        "history": [(c_text(v), c_text(c)) for v, c in desc.get("history", [])],
        "doc_flags": ordered({f.lower() for f in desc.get("doc_flags", [])},
                             DOC_FLAG_ORDER, "doc flag", full),
        "deprecated_since": c_text(desc.get("deprecated_since")),
        "replaced_by": c_text(desc.get("replaced_by")),
        "args": [norm_arg(a) for a in desc.get("arguments", [])],
    }


def norm_key_spec(ks):
    """A key spec as Redis prints it: (notes, flags in print order,
    (begin type, [(field, value)]), (find type, [(field, value)]))."""
    b, f = key_spec_kinds(ks)
    flags = {x if x in ("RO", "RW", "OW", "RM") else x.lower()
             for x in ks.get("flags", [])}
    begin = {
        "index": lambda v: [("index", v["pos"])],
        "keyword": lambda v: [("keyword", v["keyword"]), ("startfrom", v["startfrom"])],
        "unknown": lambda v: [],
    }[b](ks["begin_search"][b])
    find = {
        "range": lambda v: [("lastkey", v["lastkey"]), ("keystep", v["step"]),
                            ("limit", v["limit"])],
        "keynum": lambda v: [("keynumidx", v["keynumidx"]),
                             ("firstkey", v["firstkey"]), ("keystep", v["step"])],
        "unknown": lambda v: [],
    }[f](ks["find_keys"][f])
    return {"notes": c_text(ks.get("notes")),
            "flags": ordered(flags, KEY_FLAG_ORDER, "key spec flag", "key spec"),
            "begin": (b, begin), "find": (f, find)}


def norm_arg(a):
    """An argument as Redis prints it (generate-command-code.py lowercases
    names and uppercases tokens)."""
    if a["type"] not in ARG_TYPES:
        die("unknown argument type %r" % a["type"])
    flags = [f for f in ("optional", "multiple", "multiple_token") if a.get(f)]
    return {
        "name": a["name"].lower(),
        "type": a["type"],
        "key_spec_index": a.get("key_spec_index"),
        "token": c_text(a["token"].upper()) if a.get("token") else None,
        "summary": c_text(a.get("summary")),
        "since": c_text(a.get("since")),
        "deprecated_since": c_text(a.get("deprecated_since")),
        "flags": flags,
        "args": [norm_arg(x) for x in a.get("arguments", [])]
        if a["type"] in ("oneof", "block") else None,
    }


# ---------------------------------------------------------------------------
# Rust output


def rs(s):
    """A Rust string literal."""
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def str_slice(items):
    return "&[" + ", ".join(rs(i) for i in items) + "]"


def key_spec_rs(ks):
    b, bv = ks["begin"]
    f, fv = ks["find"]
    bv, fv = dict(bv), dict(fv)
    if b == "index":
        begin = "BeginSearch::Index(%d)" % bv["index"]
    elif b == "keyword":
        begin = "BeginSearch::Keyword { keyword: %s, start_from: %d }" % (
            rs(bv["keyword"]), bv["startfrom"])
    else:
        begin = "BeginSearch::Unknown"
    if f == "range":
        find = "FindKeys::Range { last_key: %d, key_step: %d, limit: %d }" % (
            fv["lastkey"], fv["keystep"], fv["limit"])
    elif f == "keynum":
        find = ("FindKeys::KeyNum { key_num_idx: %d, first_key: %d, key_step: %d }"
                % (fv["keynumidx"], fv["firstkey"], fv["keystep"]))
    else:
        find = "FindKeys::Unknown"
    notes = "Some(%s)" % rs(ks["notes"]) if ks["notes"] else "None"
    return ("KeySpec { notes: %s, flags: %s, begin_search: %s, find_keys: %s }"
            % (notes, str_slice(ks["flags"]), begin, find))


def arg_rs(a):
    """One `Arg` with its builder calls in defs.rs's order."""
    s = "Arg::new(%s, ArgType::%s)" % (rs(a["name"]), ARG_TYPES[a["type"]])
    if a["key_spec_index"] is not None:
        s += ".key_spec(%d)" % a["key_spec_index"]
    for field in ("token", "summary", "since", "deprecated_since"):
        if a[field] is not None:
            s += ".%s(%s)" % (field, rs(a[field]))
    for flag in a["flags"]:
        s += ".%s()" % flag
    if a["args"] is not None:
        s += ".args(&[" + ", ".join(arg_rs(x) for x in a["args"]) + "])"
    return s


def fn_name(full):
    return full.replace("|", "_").replace("-", "_").replace(".", "_")


class Mapping:
    """corekv's side of an entry: route, handler, heavy, a note."""

    def __init__(self):
        self.handler, self.precheck, self.route = {}, {}, {}
        self.heavy, self.note = set(), {}
        self.auto = False

    def load_file(self, path):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        for name, m in doc.items():
            name = name.lower()
            for key, table in (("handler", self.handler),
                               ("precheck", self.precheck),
                               ("route", self.route), ("note", self.note)):
                if m.get(key):
                    table[name] = m[key]
            if m.get("heavy"):
                self.heavy.add(name)

    def fields(self, d, desc, is_container):
        """(route, handler, heavy, note) Rust snippets for derived `d`."""
        name, write = d["name"], "write" in d["flags"]
        has_keys = d["has_keys"]
        if name in self.route:
            route = self.route[name]
        elif is_container:
            route = "Route::Keyed { write: false }"
        elif has_keys:
            route = "Route::Keyed { write: %s }" % ("true" if write else "false")
        else:
            route = "Route::Server"
        fn = self.handler.get(name)
        if fn is None and self.auto and not is_container and has_keys \
                and desc["group"] in FAMILIES:
            fn = "%s::%s" % (FAMILIES[desc["group"]], fn_name(name))
        if is_container:
            handler = "Handler::Container,"
        elif fn is None:
            handler = ("Handler::Missing, // TODO: %s handler"
                       % ("a ServerCmd" if not has_keys else "the"))
        elif write:
            pre = self.precheck.get(name)
            handler = "Handler::Write { precheck: %s, apply: %s }," % (
                "Some(%s)" % pre if pre else "None", fn)
        else:
            handler = "Handler::Read(%s)," % fn
        return route, handler, name in self.heavy, self.note.get(name)


def entry_rs(cmds, subs, full, mapping, only_subs=None):
    """One `CommandSpec { ... }` (unformatted), subcommands nested."""
    desc = cmds[full]
    d = derive(full, desc)
    children = subs.get(full, []) if "|" not in full else []
    if only_subs is not None:
        children = [c for c in children if c in only_subs]
    is_container = bool(subs.get(full)) and "|" not in full
    route, handler, heavy, note = mapping.fields(d, desc, is_container)
    lines = []
    if note:
        lines += ["// " + x for x in note.splitlines()]
    if "movablekeys" in d["flags"]:
        # core's key_positions reads only the legacy range, which misses
        # some of these keys: say so where the entry is pasted.
        lines.append("// movablekeys: first_key/last_key/step miss keys; "
                     "routing must follow key_specs.")
    lines.append("CommandSpec {")
    f = lines.append
    f("name: %s," % rs(d["name"]))
    f("arity: %d," % d["arity"])
    f("flags: %s," % str_slice(d["flags"]))
    f("first_key: %d," % d["first_key"])
    f("last_key: %d," % d["last_key"])
    f("step: %d," % d["step"])
    f("acl_categories: %s," % str_slice(d["acl_categories"]))
    f("group: %s," % rs(d["group"]))
    for field in ("since", "summary", "complexity"):
        if d[field]:
            f("%s: %s," % (field, rs(d[field])))
    f("route: %s," % route)
    f("handler: %s" % handler)
    if heavy:
        f("heavy: true,")
    if d["tips"]:
        f("tips: %s," % str_slice(d["tips"]))
    if children:
        f("subcommands: &[")
        for c in children:
            lines.extend(entry_rs(cmds, subs, c, mapping).splitlines())
        f("],")
    if d["key_specs"]:
        f("key_specs: &[" + ", ".join(key_spec_rs(k) for k in d["key_specs"]) + "],")
    if d["history"]:
        f("history: &[" + ", ".join("(%s, %s)" % (rs(v), rs(c))
                                    for v, c in d["history"]) + "],")
    if d["doc_flags"]:
        f("doc_flags: %s," % str_slice(d["doc_flags"]))
    if d["deprecated_since"]:
        f("deprecated_since: Some(%s)," % rs(d["deprecated_since"]))
    if d["replaced_by"]:
        f("replaced_by: Some(%s)," % rs(d["replaced_by"]))
    if d["args"]:
        f("args: &[" + ", ".join(arg_rs(a) for a in d["args"]) + "],")
    f("..CommandSpec::BASE")
    f("},")
    return "\n".join(lines)


def rustfmt(entries, rustfmt_bin):
    """The entries formatted as items of defs.rs's `COMMANDS` (4-space
    indent), or None when rustfmt is unavailable or fails."""
    if not rustfmt_bin:
        return None
    # A second element keeps rustfmt from hugging a lone entry
    # (`&[CommandSpec {`); it is dropped again below.
    src = ("const COMMANDS: &[CommandSpec] = &[\n" + "\n".join(entries)
           + "\n    END_OF_GENERATED,\n];\n")
    try:
        out = subprocess.run([rustfmt_bin, "--edition", "2024"], input=src,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print("gen_command_defs: rustfmt failed, output unformatted: %s %s"
              % (e, getattr(e, "stderr", "")), file=sys.stderr)
        return None
    lines = out.rstrip("\n").split("\n")
    if lines[0] != "const COMMANDS: &[CommandSpec] = &[" or lines[-2:] != [
            "    END_OF_GENERATED,", "];"]:
        print("gen_command_defs: unexpected rustfmt output, left unformatted",
              file=sys.stderr)
        return None
    return "\n".join(lines[1:-2])


# ---------------------------------------------------------------------------
# Reading defs.rs (for --check)


def scan_rust(text, start):
    """Yields (index, char, depth) outside strings and comments."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return
            continue
        if c == "/" and text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            yield i, '"', depth
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        yield i, c, depth
        if c in ")]}":
            depth -= 1
        i += 1


def matching_close(text, open_idx):
    for i, c, depth in scan_rust(text, open_idx):
        if c in ")]}" and depth == 1:
            return i
    raise ValueError("unbalanced at %d" % open_idx)


def split_top(text, open_idx, close_idx):
    """The comma-separated items between a bracket pair, as (start, end)."""
    items, begin = [], open_idx + 1
    for i, c, depth in scan_rust(text, open_idx + 1):
        if i >= close_idx:
            break
        if c == "," and depth == 0:
            items.append((begin, i))
            begin = i + 1
    if text[begin:close_idx].strip():
        items.append((begin, close_idx))
    return items


def strip_comments(s):
    out, i = [], 0
    for j, c, _ in scan_rust(s, 0):
        if c == '"':
            k = j + 1
            while s[k] != '"':
                k += 2 if s[k] == "\\" else 1
            out.append(s[j:k + 1])
        else:
            out.append(c)
    return "".join(out)


def norm(s):
    """Whitespace- and trailing-comma-insensitive form of a Rust value."""
    s = strip_comments(s)
    parts = re.split(r'("(?:\\.|[^"\\])*")', s)
    s = "".join(p if p.startswith('"') else re.sub(r"\s+", "", p) for p in parts)
    return re.sub(r",([\]\)\}])", r"\1", s)


def parse_entry(text, start, end):
    """A `CommandSpec { ... }` spanning text[start:end]: ordered fields
    {name: value text}, subcommands parsed recursively."""
    brace = text.index("{", start)
    close = matching_close(text, brace)
    fields, subs = {}, []
    for a, b in split_top(text, brace, close):
        raw = strip_comments(text[a:b])
        if raw.strip().startswith(".."):
            continue
        key, _, value = raw.partition(":")
        key = key.strip()
        fields[key] = value
        if key == "subcommands":
            ob = text.index("[", a + text[a:b].index("subcommands"))
            for sa, sb in split_top(text, ob, matching_close(text, ob)):
                subs.append(parse_entry(text, sa, sb))
    name = norm(fields["name"]).strip('"')
    return {"name": name, "fields": fields, "subs": subs,
            "text": text[start:end]}


def parse_defs(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    m = re.search(r"const COMMANDS: &\[CommandSpec\] = &\[", text)
    if not m:
        die("no `const COMMANDS: &[CommandSpec] = &[` in %s" % path)
    ob = m.end() - 1
    return [parse_entry(text, a, b)
            for a, b in split_top(text, ob, matching_close(text, ob))]


def drop_ignored_lines(text):
    """rustfmt'd entry text without the route/handler/heavy/visibility
    fields (each starts a line; a multi-line one ends at the closing
    bracket back at its own indent)."""
    out, skip_indent = [], None
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if indent > skip_indent:
                continue
            was = skip_indent
            skip_indent = None
            if indent == was and line.lstrip()[:1] in (")", "]", "}"):
                continue
        m = re.match(r"\s*(\w+):", line)
        if m and m.group(1) in IGNORED_FIELDS:
            if not line.rstrip().endswith(","):
                skip_indent = indent
            continue
        out.append(line)
    return "\n".join(out)


def entry_text_lines(text):
    """An entry's lines from `CommandSpec {` to its `},`, 4-space indent."""
    lines = text.strip("\n").split("\n")
    while lines and not lines[0].strip().startswith("CommandSpec"):
        lines.pop(0)
    if lines and lines[-1].rstrip().endswith("},"):
        lines[-1] = lines[-1].rstrip()[:-1]
    return "\n".join(lines)


def compare(hand, gen, path=""):
    """Field-level differences between two parsed entries."""
    diffs = []
    name = path + hand["name"]
    hf, gf = hand["fields"], gen["fields"]
    for key in list(dict.fromkeys(list(hf) + list(gf))):
        if key in IGNORED_FIELDS or key == "subcommands":
            continue
        if key not in hf:
            diffs.append("%s: %s only in the generated entry: %s"
                         % (name, key, norm(gf[key])))
        elif key not in gf:
            diffs.append("%s: %s only in defs.rs: %s" % (name, key, norm(hf[key])))
        elif norm(hf[key]) != norm(gf[key]):
            diffs.append("%s: %s differs\n    defs.rs:   %s\n    generated: %s"
                         % (name, key, norm(hf[key]), norm(gf[key])))
    order_h = [k for k in hf if k not in IGNORED_FIELDS]
    order_g = [k for k in gf if k not in IGNORED_FIELDS]
    if [k for k in order_h if k in order_g] != [k for k in order_g if k in order_h]:
        diffs.append("%s: field order differs: defs.rs %s, generated %s"
                     % (name, order_h, order_g))
    for hs, gs in zip(hand["subs"], gen["subs"]):
        diffs += compare(hs, gs)
    return diffs


def check(defs_path, cmds, subs, mapping, rustfmt_bin):
    listed = [e for e in parse_defs(defs_path)
              if norm(e["fields"].get("visibility", "Visibility::Listed"))
              == "Visibility::Listed"]  # the rest are corekv's own, undocumented
    n_ok, problems = 0, []
    for hand in listed:
        name = hand["name"]
        if name not in cmds:
            problems.append("%s: not a Redis command at this tag" % name)
            continue
        hand_subs = [s["name"] for s in hand["subs"]]
        diffs = ["%s: subcommand not in Redis" % s for s in hand_subs if s not in cmds]
        gen_src = entry_rs(cmds, subs, name, mapping,
                           only_subs=set(hand_subs) if subs.get(name) else None)
        gen = parse_entry(gen_src, 0, len(gen_src))
        diffs += compare(hand, gen)
        if [s["name"] for s in gen["subs"]] != hand_subs:
            diffs.append("%s: subcommands defs.rs %s, generated %s"
                         % (name, hand_subs, [s["name"] for s in gen["subs"]]))
        formatted = rustfmt([gen_src], rustfmt_bin)
        if formatted is not None:
            a = drop_ignored_lines(entry_text_lines(hand["text"])).split("\n")
            b = drop_ignored_lines(entry_text_lines(formatted)).split("\n")
            a = [x.rstrip() for x in a]
            b = [x.rstrip() for x in b]
            diffs += difflib.unified_diff(
                a, b, "defs.rs " + name, "generated " + name, lineterm="", n=2)
        if diffs:
            problems.append("\n".join(diffs))
        else:
            n_ok += 1
    print("checked the %d listed entries of %s (%d commands and subcommands): "
          "%d identical, %d differ"
          % (len(listed), defs_path, sum(1 + len(e["subs"]) for e in listed),
             n_ok, len(problems)))
    if rustfmt_bin is None:
        print("(without rustfmt: compared values only, not formatting)")
    for p in problems:
        print("\n" + p)
    return 0 if not problems else 1


# ---------------------------------------------------------------------------
# Checking the derivations against a live redis-server (--verify)


class Resp2:
    """Just enough of a RESP2 client for COMMAND INFO / COMMAND DOCS."""

    def __init__(self, addr):
        host, _, port = addr.rpartition(":")
        self.sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=10)
        self.buf = self.sock.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.buf.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed")
        kind, rest = line[:1], line[1:-2].decode()
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.buf.read(n + 2)
            return data[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected RESP2 type %r" % kind)


def flat(pairs):
    """A RESP2 map: [k1, v1, k2, v2, ...]."""
    out = []
    for k, v in pairs:
        out += [k, v]
    return out


def expected_info(cmds, subs, full, only=None):
    d = derive(full, cmds[full])
    specs = []
    for ks in d["key_specs"]:
        pairs = [("notes", ks["notes"])] if ks["notes"] else []
        pairs += [("flags", ks["flags"]),
                  ("begin_search", flat([("type", ks["begin"][0]),
                                         ("spec", flat(ks["begin"][1]))])),
                  ("find_keys", flat([("type", ks["find"][0]),
                                      ("spec", flat(ks["find"][1]))]))]
        specs.append(flat(pairs))
    children = subs.get(full, []) if "|" not in full else []
    if only is not None:
        children = [c for c in children if c in only]
    return [d["name"], d["arity"], d["flags"], d["first_key"], d["last_key"],
            d["step"], d["acl_categories"], d["tips"], specs,
            [expected_info(cmds, subs, c) for c in children]]


def expected_args(args):
    out = []
    for a in args:
        pairs = [("name", a["name"]), ("type", a["type"])]
        if a["key_spec_index"] is not None:
            pairs.append(("key_spec_index", a["key_spec_index"]))
        for f in ("token", "summary", "since", "deprecated_since"):
            if a[f] is not None:
                pairs.append((f, a[f]))
        if a["flags"]:
            pairs.append(("flags", a["flags"]))
        if a["args"] is not None:
            pairs.append(("arguments", expected_args(a["args"])))
        out.append(flat(pairs))
    return out


def expected_docs(cmds, subs, full, only=None):
    d = derive(full, cmds[full])
    pairs = []
    for f in ("summary", "since"):
        if d[f]:
            pairs.append((f, d[f]))
    pairs.append(("group", d["group"]))
    if d["complexity"]:
        pairs.append(("complexity", d["complexity"]))
    if d["doc_flags"]:
        pairs.append(("doc_flags", d["doc_flags"]))
    for f in ("deprecated_since", "replaced_by"):
        if d[f]:
            pairs.append((f, d[f]))
    if d["history"]:
        pairs.append(("history", [list(h) for h in d["history"]]))
    if d["args"]:
        pairs.append(("arguments", expected_args(d["args"])))
    children = subs.get(full, []) if "|" not in full else []
    if only is not None:
        children = [c for c in children if c in only]
    if children:
        pairs.append(("subcommands", flat([(c, expected_docs(cmds, subs, c))
                                           for c in children])))
    return flat(pairs)


def sort_subcommands(info, docs):
    """Redis lists subcommands in its dict's (seeded hash) order; corekv
    and the generator sort them by name. Sort Redis's reply likewise."""
    if info[9]:
        info[9] = sorted(info[9], key=lambda e: e[0])
    m = docs[1]
    for i in range(0, len(m), 2):
        if m[i] == "subcommands":
            pairs = sorted(zip(m[i + 1][0::2], m[i + 1][1::2]))
            m[i + 1] = [x for p in pairs for x in p]


def first_difference(a, b, path="reply"):
    if type(a) is not type(b) or (not isinstance(a, list) and a != b):
        return "%s: redis %r, derived %r" % (path, a, b)
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        if len(a) != len(b):
            return "%s: redis has %d items, derived %d" % (path, len(a), len(b))
    return None


def verify(addr, cmds, subs, names):
    """Compares the derived values of `names` (every top-level command when
    empty) with a running redis-server's COMMAND INFO and COMMAND DOCS."""
    conn = Resp2(addr)
    version = conn.call("INFO", "server")
    version = re.search(r"redis_version:(\S+)", version)
    print("redis-server %s at %s" % (version.group(1) if version else "?", addr))
    if not names:
        names = sorted(n for n in cmds if "|" not in n)
    bad, absent, partial, ok = [], [], [], 0
    for n in names:
        info = conn.call("COMMAND", "INFO", n)[0]
        if info is None:
            absent.append(n)  # sentinel-only, or unknown to this server
            continue
        docs = conn.call("COMMAND", "DOCS", n)
        sort_subcommands(info, docs)
        # corekv lists only the subcommands it implements: compare those,
        # and name the ones left out.
        listed = {e[0] for e in info[9]} if info[9] else set()
        left_out = [c for c in subs.get(n, []) if c not in listed]
        if left_out and listed:
            partial.append("%s (%s)" % (n, " ".join(c.split("|")[1] for c in left_out)))
        only = listed if listed else None
        diffs = [x for x in (
            first_difference(info, expected_info(cmds, subs, n, only), n + " INFO"),
            first_difference(docs, [n, expected_docs(cmds, subs, n, only)],
                             n + " DOCS"),
        ) if x]
        if diffs:
            bad.extend(diffs)
        else:
            ok += 1
    n_subs = sum(len(subs.get(n, [])) for n in names
                 if n not in absent) - sum(p.count(" ") for p in partial)
    print("%d commands (%d subcommands within them) match COMMAND INFO and "
          "COMMAND DOCS, %d differ, %d unknown to the server%s"
          % (ok, n_subs, len({b.split()[0] for b in bad}), len(absent),
             (": " + " ".join(absent)) if absent else ""))
    if partial:
        print("containers listing only some subcommands (left out in "
              "parentheses): " + ", ".join(partial))
    for b in bad:
        print(b)
    return 1 if bad else 0


# ---------------------------------------------------------------------------


def kv(values, what):
    out = {}
    for v in values or []:
        name, sep, val = v.partition("=")
        if not sep or not val:
            die("--%s wants NAME=VALUE, got %r" % (what, v))
        out[name.lower()] = val
    return out


def main(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the header of this script for details. Example: "
               "--repo /work/.mirror/redis+redis/repo hset xinfo",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", required=True,
                   help="Redis git repository, e.g. /work/.mirror/redis+redis/repo")
    p.add_argument("--tag", default="7.0.15",
                   help="tag or commit (default 7.0.15); '' reads the work tree")
    p.add_argument("--check", metavar="DEFS_RS",
                   help="regenerate the listed entries of DEFS_RS and diff")
    p.add_argument("--verify", metavar="HOST:PORT",
                   help="compare the derived values of NAMEs (all commands "
                   "when none) with a live redis-server's COMMAND INFO/DOCS")
    p.add_argument("--handler", action="append", metavar="NAME=FN")
    p.add_argument("--precheck", action="append", metavar="NAME=FN")
    p.add_argument("--route", action="append", metavar="NAME=RUST")
    p.add_argument("--heavy", action="append", metavar="NAME[,NAME]")
    p.add_argument("--note", action="append", metavar="NAME=TEXT")
    p.add_argument("--map", action="append", metavar="FILE")
    p.add_argument("--auto-handlers", action="store_true")
    p.add_argument("--no-rustfmt", action="store_true")
    p.add_argument("--rustfmt", default="rustfmt", help="rustfmt binary")
    p.add_argument("names", nargs="*", metavar="NAME")
    args = p.parse_args(argv)

    cmds, subs = load_commands(args.repo, args.tag)
    mapping = Mapping()
    mapping.auto = args.auto_handlers
    for f in args.map or []:
        mapping.load_file(f)
    mapping.handler.update(kv(args.handler, "handler"))
    mapping.precheck.update(kv(args.precheck, "precheck"))
    mapping.route.update(kv(args.route, "route"))
    mapping.note.update(kv(args.note, "note"))
    for h in args.heavy or []:
        mapping.heavy |= {x.strip().lower() for x in h.split(",") if x.strip()}
    rustfmt_bin = None if args.no_rustfmt else shutil.which(args.rustfmt)
    if rustfmt_bin is None and not args.no_rustfmt:
        print("gen_command_defs: %s not found, output unformatted" % args.rustfmt,
              file=sys.stderr)

    if args.check:
        return check(args.check, cmds, subs, mapping, rustfmt_bin)
    if args.verify:
        return verify(args.verify, cmds, subs, [n.lower() for n in args.names])
    if not args.names:
        p.error("name at least one command, or use --check")

    names = [n.lower().replace(" ", "|") for n in args.names]
    for n in names:
        if n not in cmds:
            die("no command %r in src/commands at %s" % (n, args.tag or "the work tree"))
    named = set(names)
    entries = []
    for n in dict.fromkeys(names):
        if "|" in n and n.split("|")[0] in named:
            continue  # nested under its named container
        only = None
        if subs.get(n):
            chosen = {s for s in named if s.startswith(n + "|")}
            only = chosen or None
        entries.append(entry_rs(cmds, subs, n, mapping, only_subs=only))
    out = rustfmt(entries, rustfmt_bin)
    print(out if out is not None else "\n".join(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
