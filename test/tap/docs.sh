#!/usr/bin/env bash
# The docs say what the code does (no cluster needed):
#  1. every function, aggregate and view of pg_learn--<default_version>.sql has
#     a section in docs/sql-reference.md: a "## " heading naming it (the
#     transition, combine and final functions of an aggregate are documented
#     with their aggregate, a planner support function with its function);
#  2. every documented error message still exists: each line starting with
#     "ERROR:  " inside a fenced code block of docs/*.md or README.md, and
#     the example of each row of the SQLSTATE table in docs/errors.md, occurs
#     in a regression output (expected/*.out) or matches a message format of
#     src/ (an errmsg/elog string, or "what: message" pieces of two such
#     strings, as pgl_report composes them); "..." in a documented message
#     stands for any text;
#  3. every SQLSTATE the C code raises (ERRCODE_* in src/) has a row in
#     docs/errors.md, with the SQLSTATE and condition name PostgreSQL gives it
#     (errcodes.txt), and no row names a SQLSTATE the code does not raise.
# Convention for writers: quote an error as psql prints it, "ERROR:  " and
# the message on one line, in a ``` block; "..." may stand for a variable
# part, and a remark after two or more spaces in parentheses at the end of
# the line is not part of the message.  A new function needs a "## " heading
# in docs/sql-reference.md; a new SQLSTATE a row in docs/errors.md.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ERRCODES=""
if command -v pg_config >/dev/null 2>&1; then
  ERRCODES="$(pg_config --sharedir)/errcodes.txt"
fi
exec python3 - "$ROOT" "$ERRCODES" <<'PY'
import glob, os, re, sys

root, errcodes_path = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def check(ok, what, problems=()):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what))
    if not ok:
        failed += 1
        for p in problems[:40]:
            print("#   " + p)
        if len(problems) > 40:
            print("#   ... and %d more" % (len(problems) - 40))


def read(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


# ---- 1. every SQL object has a section in the reference
control = read("pg_learn.control")
version = re.search(r"default_version\s*=\s*'([^']+)'", control).group(1)
install = read("pg_learn--%s.sql" % version)
code = re.sub(r"/\*.*?\*/", "", install, flags=re.S)
code = re.sub(r"--[^\n]*", "", code)
objects = set(re.findall(r"CREATE\s+(?:FUNCTION|AGGREGATE|VIEW)\s+@extschema@\.(\w+)", code))
support = set()
for agg in re.findall(r"CREATE\s+AGGREGATE.*?\);", code, flags=re.S):
    support |= set(re.findall(r"(?:SFUNC|COMBINEFUNC|FINALFUNC)\s*=\s*@extschema@\.(\w+)", agg))
# planner support functions are documented with the function they support
support |= set(re.findall(r"\bSUPPORT\s+@extschema@\.(\w+)", code))
reference = read("docs/sql-reference.md")
headings = [l for l in reference.split("\n") if l.startswith("## ")]
undocumented = sorted(o for o in objects - support
                      if not any(re.search(r"(?<!\w)%s(?!\w)" % o, h) for h in headings))
check(len(objects) > 50 and not undocumented,
      "every function, aggregate and view of pg_learn--%s.sql (%d, %d of them aggregate "
      "support functions) has a section in docs/sql-reference.md" % (version, len(objects), len(support)),
      ["no \"## \" heading names %s" % o for o in undocumented])

# ---- 2. every documented error message still exists
expected_errors = []
for f in sorted(glob.glob(os.path.join(root, "expected", "*.out"))):
    with open(f, encoding="utf-8") as fh:
        expected_errors += [l[len("ERROR:  "):] for l in fh.read().split("\n") if l.startswith("ERROR:  ")]

# C string literals of src/ (adjacent literals and INT64_FORMAT joined) as patterns
formats = set()
spec = r"%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfgGsc]"
for f in glob.glob(os.path.join(root, "src", "**", "*.[ch]"), recursive=True):
    with open(f, encoding="utf-8", errors="replace") as fh:
        src = fh.read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*|(?:INT64_FORMAT|UINT64_FORMAT)\s*)+', src):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"|(U?INT64_FORMAT)', m.group(0))
        text = "".join(p[0] if not p[1] else "%lld" for p in parts)
        text = text.replace('\\"', '"').replace("\\\\", "\\").replace("\\n", "\n")
        # a format with little literal text ("%s: %s") would match anything
        if len(re.sub(spec, "", text).strip(" :.,\"()")) >= 8:
            formats.add(text)
patterns = []
for fmt in formats:
    pieces = re.split(spec, fmt.replace("%%", "\x00"))
    patterns.append(".+?".join(re.escape(p).replace("\x00", "%") for p in pieces))
expected_set = set(expected_errors)
full = re.compile("^(?:%s)$" % "|".join(patterns), re.S)


def documented_ok(msg):
    if "..." in msg:  # "..." stands for any text, in the docs and in expected/
        rx = re.compile("^" + ".*".join(re.escape(p) for p in msg.split("...")) + "$", re.S)
        if any(rx.match(e) for e in expected_errors):
            return True
        msg = msg.replace("...", "0")  # where src/ has a format specifier
    if msg in expected_set:
        return True
    if full.match(msg):
        return True
    # pgl_report / layer_fail: "what: message", each piece a format of its own
    pieces = msg.split(": ")
    for i in range(1, len(pieces)):
        head, tail = ": ".join(pieces[:i]), ": ".join(pieces[i:])
        if full.match(head) and (full.match(tail) or documented_tail(tail)):
            return True
    return False


def documented_tail(tail):
    pieces = tail.split(": ")
    return len(pieces) > 1 and full.match(pieces[0]) and full.match(": ".join(pieces[1:]))


docs = sorted(glob.glob(os.path.join(root, "docs", "*.md"))) + [os.path.join(root, "README.md")]
documented = []  # (where, message)
for f in docs:
    inblock = False
    with open(f, encoding="utf-8") as fh:
        for i, line in enumerate(fh.read().split("\n"), 1):
            if line.startswith("```"):
                inblock = not inblock
            elif inblock and line.startswith("ERROR:  "):
                msg = re.sub(r"\s{2,}\(.*\)$", "", line[len("ERROR:  "):].rstrip())
                documented.append(("%s:%d" % (os.path.relpath(f, root), i), msg))
table = []  # (sqlstate, condition, example)
for i, line in enumerate(read("docs/errors.md").split("\n"), 1):
    m = re.match(r"\|\s*`([0-9A-Z]{5})`\s*\|\s*`(\w+)`\s*\|[^|]*\|\s*`(.*)`\s*\|\s*$", line)
    if m:
        table.append(m.groups())
        documented.append(("docs/errors.md:%d" % i, m.group(3)))
missing = ["%s: %s" % (where, msg) for where, msg in documented if not documented_ok(msg)]
check(len(documented) > 100 and not missing,
      "every documented error message (%d in code blocks of the docs and the SQLSTATE table) "
      "occurs in expected/ or matches a message of src/" % len(documented), missing)

# ---- 3. the SQLSTATE table covers what src/ raises
raised = set()
for f in glob.glob(os.path.join(root, "src", "**", "*.c"), recursive=True):
    with open(f, encoding="utf-8", errors="replace") as fh:
        raised |= set(re.findall(r"\bERRCODE_[A-Z_]+", fh.read()))
raised.discard("ERRCODE_SUCCESSFUL_COMPLETION")
if errcodes_path and os.path.exists(errcodes_path):
    states = {}
    with open(errcodes_path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"^([0-9A-Z]{5})\s+[EWS]\s+(ERRCODE_\w+)\s*(\w*)", line)
            if m:
                states[m.group(2)] = (m.group(1), m.group(3))
    rows = {s: c for s, c, _ in table}
    problems = []
    for e in sorted(raised):
        if e not in states:
            problems.append("%s is not in errcodes.txt" % e)
            continue
        s, c = states[e]
        if s not in rows:
            problems.append("%s (%s) is raised in src/ but has no row in docs/errors.md" % (s, e))
        elif c and rows[s] != c:
            problems.append("docs/errors.md names %s \"%s\", PostgreSQL \"%s\"" % (s, rows[s], c))
    known = {states[e][0] for e in raised if e in states}
    problems += ["docs/errors.md lists %s, which src/ never raises" % s for s in rows if s not in known]
    check(len(table) > 10 and not problems,
          "docs/errors.md has one row for each of the %d SQLSTATEs src/ raises, named as PostgreSQL names them"
          % len(known), problems)
else:
    check(len(table) > 10, "docs/errors.md has a SQLSTATE table (errcodes.txt not found: names not checked)")

print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
