#!/usr/bin/env python3
"""make profile: an instruction-level profile of kds operations in the guest.

Three commands, run by bench/profile.sh:

  guest-args   the kdsctl bench options of each step, ';'-separated, for
               the guest's /init (bench/guest-init, pass "profile")
  trace        drives gdb (gdb -batch -nx -x this file) against QEMU's
               gdbstub: at each sync of the guest (a hardware breakpoint
               on ksys_sync) it arms the next step's trigger, a breakpoint
               on entry_SYSCALL_64 whose condition looks at the system
               call's number and arguments; the first matching call after
               the step's warm-up is single-stepped from its entry to the
               return to user space, and every pc (with rax: return
               values) is written to <out>/<step>.pcs
  report       symbolises the pcs (the kernel's /proc/kallsyms, the kds
               modules' symbols of the same boot) and writes
               <out>/PROFILE.md

Under gdb (this file sourced by gdb), the tracer runs instead.
"""
import argparse
import bisect
import errno
import json
import os
import re
import subprocess
import sys
import time

try:
    import gdb  # pylint: disable=import-error
except ImportError:
    gdb = None

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
UAPI = os.path.join(TOP, "src", "include", "uapi", "linux", "kds.h")

SYS_IOCTL = 16
SYS_IO_URING_ENTER = 426
USER_TOP = 0xFFFF800000000000
MASK64 = (1 << 64) - 1
# A runaway trace (a call that never returns to user space) stops here.
MAX_STEPS = 3000000

# The store every kds step measures: the hash backend, N keys 1..N (seq),
# 16-byte values.
N = 1000
KDS_ARGS = ("--backends=hash -n 1e3 -s 16 --orders=seq --batches=64 "
            "--depths=32 --samples=1 --warmup=1 --format=tsv")

# One step: a kdsctl bench run in the guest, and the call in it to trace.
#   nr, arg1:  system call number and its second argument (the ioctl
#              command's name, or io_uring_enter's to_submit)
#   pred:      a further condition (see Trigger.match)
#   skip:      matching calls to let pass first (warm-up), all of them in
#              the bench's untimed warm-up sample
#   ops:       operations the traced call carries
#   figure:    the bench's figure of the same operation (what, backend,
#              batch), printed beside the profile
#   hit:       every lookup in the path must find its key (the return
#              value of kds_<backend>_get): gets of present keys; a
#              batch's runs of gets go through kds_<backend>_get_many,
#              which returns nothing: there the bench's own check counts
#   ret:       what the ioctl must return (default 0)
STEPS = [
    {
        "name": "noop",
        "title": "an unknown command (ENOTTY): the crossing cost",
        "args": "--only=floor --backends=hash --samples=1 --warmup=1 "
                "--ops=100 --format=tsv",
        "nr": SYS_IOCTL, "arg1": "KDS_IOC_RETIRED", "pred": None, "skip": 50,
        "ops": 1, "figure": ["noop", "hash", "-"], "ret": -errno.ENOTTY,
        "why": "the 51st unknown command (ENOTTY) of the floor's warm-up "
               "sample (100 calls)",
    },
    {
        "name": "get",
        "title": "KDS_IOC_GET of a present key (16-byte value, N=1000)",
        "args": "--only=kds --ops=100 " + KDS_ARGS,
        "nr": SYS_IOCTL, "arg1": "KDS_IOC_GET", "pred": "kv_present",
        "skip": 50, "ops": 1, "figure": ["get-hit", "hash", "-"], "hit": True,
        "why": "the 51st KDS_IOC_GET whose struct kds_kv holds a key in "
               "1..N (a hit), in the warm-up sample",
    },
    {
        "name": "put",
        "title": "KDS_IOC_PUT of a fresh key (16-byte value, N=1000)",
        "args": "--only=kds --ops=100 " + KDS_ARGS,
        "nr": SYS_IOCTL, "arg1": "KDS_IOC_PUT", "pred": "kv_fresh",
        "skip": 50, "ops": 1, "figure": ["put", "hash", "-"],
        "why": "the 51st KDS_IOC_PUT of a key above N (a new entry), in "
               "the warm-up sample",
    },
    {
        "name": "del",
        "title": "KDS_IOC_DEL of a present key (N=1000)",
        "args": "--only=kds --ops=100 " + KDS_ARGS,
        "nr": SYS_IOCTL, "arg1": "KDS_IOC_DEL", "pred": "kv_fresh",
        "skip": 50, "ops": 1, "figure": ["del", "hash", "-"],
        "why": "the 51st KDS_IOC_DEL, of a key above N that the sample's "
               "put inserted, in the warm-up sample",
    },
    {
        "name": "batch-get",
        "title": "KDS_IOC_BATCH of 64 gets of present keys",
        "args": "--only=kds --ops=256 " + KDS_ARGS,
        "nr": SYS_IOCTL, "arg1": "KDS_IOC_BATCH", "pred": "batch_get_present",
        "skip": 2, "ops": 64, "figure": ["get-hit", "hash", "64"],
        "hit": True,
        "why": "the 3rd KDS_IOC_BATCH of 64 KDS_OP_GET whose first key is "
               "in 1..N, of 4 in the warm-up sample",
    },
    {
        "name": "uring-get",
        "title": "io_uring_enter submitting 32 IORING_OP_URING_CMD gets "
                 "of present keys",
        "args": "--only=kds,uring --ops=128 " + KDS_ARGS,
        "nr": SYS_IO_URING_ENTER, "arg1": 32, "pred": "uring_cmd_ring",
        "skip": 2, "ops": 32, "figure": ["uring-get-hit", "hash", "32"],
        "hit": True,
        "why": "the 3rd io_uring_enter of 32 on the uring_cmd ring (the "
               "ring of the bench's 1-SQE probe), of 4 get-hit submits in "
               "the warm-up sample; the bench's IORING_OP_NOP floor runs "
               "on a ring of its own",
    },
    {
        "name": "uring-nop",
        "title": "io_uring_enter submitting 32 IORING_OP_NOP",
        "args": "--only=uring --depths=32 --samples=1 --warmup=1 --ops=128 "
                "--format=tsv",
        "nr": SYS_IO_URING_ENTER, "arg1": 32, "pred": None, "skip": 2,
        "ops": 32, "figure": ["uring-nop", "-", "32"],
        "why": "the 3rd io_uring_enter of 32, of 4 in the NOP floor's "
               "warm-up sample",
    },
]


def uapi_consts():
    """KDS_IOC_* and KDS_OP_* of the uapi header, as numbers, and
    KDS_IOC_RETIRED: 0x08, the no-op of API version 1, now an unknown
    command (ENOTTY) that the bench's crossing floor times."""
    with open(UAPI, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"#define\s+KDS_TYPE\s+(0x[0-9a-fA-F]+|\d+)", text)
    kds_type = int(m.group(1), 0)
    consts = {}
    for m in re.finditer(r"#define\s+(KDS_IOC_\w+)\s+_IO\(KDS_TYPE,\s*"
                         r"(0x[0-9a-fA-F]+|\d+)\)", text):
        # _IO(type, nr): no direction, no size
        consts[m.group(1)] = (kds_type << 8) | int(m.group(2), 0)
    consts["KDS_IOC_RETIRED"] = (kds_type << 8) | 0x08
    for m in re.finditer(r"#define\s+(KDS_OP_\w+)\s+(\d+)", text):
        consts[m.group(1)] = int(m.group(2))
    return consts


def select_steps(names):
    if not names:
        return STEPS
    want = names.replace(",", " ").split()
    known = {s["name"]: s for s in STEPS}
    bad = [w for w in want if w not in known]
    if bad:
        sys.exit("profile.py: unknown step(s) %s (known: %s)" %
                 (", ".join(bad), " ".join(known)))
    return [known[w] for w in want]


# ---- symbols ------------------------------------------------------------

def read_ksyms(path):
    """The kernel's text symbols: lines "ADDR TYPE NAME"."""
    syms = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                syms.append((int(p[0], 16), p[1] in "TW", p[2]))
    return syms


def read_results(path):
    """The results port of the profile boot: module symbols, steps, figures."""
    mods, steps, info = [], [], {}
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#sym "):
                p = line.split()
                if len(p) == 4:
                    mods.append((int(p[1], 16), True,
                                 "%s %s" % (p[2], p[3])))
            elif line.startswith("#info step "):
                cur = {"args": line[len("#info step "):], "figures": [],
                       "rc": None, "notes": []}
                steps.append(cur)
            elif line.startswith("#info step-rc "):
                if cur is not None:
                    cur["rc"] = line.split()[2]
            elif line.startswith("#info "):
                p = line[len("#info "):].split(" ", 1)
                info.setdefault(p[0], p[1] if len(p) > 1 else "")
            elif line.startswith("#note\t") and cur is not None:
                cur["notes"].append(line.split("\t", 1)[1])
            elif cur is not None and line and not line.startswith("#"):
                cols = line.split("\t")
                if len(cols) >= 13:
                    cur["figures"].append(cols)
    return mods, steps, info


class Symbols:
    def __init__(self, ksyms, mods):
        best = {}
        for addr, glob, name in ksyms + mods:
            # one name per address: a global one first, then the first
            old = best.get(addr)
            if old is None or (glob and not old[0]):
                best[addr] = (glob, name)
        self.addrs = sorted(best)
        self.names = [best[a][1] for a in self.addrs]

    def lookup(self, pc):
        """(name, start) of the symbol holding pc."""
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return "?%x" % pc, pc
        return self.names[i], self.addrs[i]


# ---- the trace (under gdb) ----------------------------------------------

def say(msg):
    print(msg, file=sys.stderr, flush=True)


def gdb_reg(name):
    return int(gdb.parse_and_eval("$" + name)) & MASK64


def gdb_mem(addr, size):
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def u32(b, off):
    return int.from_bytes(b[off:off + 4], "little")


def u64(b, off):
    return int.from_bytes(b[off:off + 8], "little")


if gdb is not None:
    class Trigger(gdb.Breakpoint):
        """entry_SYSCALL_64, stopping at the step's call past its warm-up."""

        def __init__(self, addr, step, consts):
            super().__init__("*0x%x" % addr, type=gdb.BP_HARDWARE_BREAKPOINT,
                             internal=True)
            self.step = step
            self.consts = consts
            self.arg1 = step["arg1"]
            if isinstance(self.arg1, str):
                self.arg1 = consts[self.arg1]
            self.seen = 0
            self.calls = 0
            self.ring = None
            self.fired = False
            self.regs = {}

        def match(self):
            nr = gdb_reg("rax")
            if nr != self.step["nr"]:
                return False
            rdi, rsi, rdx = gdb_reg("rdi"), gdb_reg("rsi"), gdb_reg("rdx")
            pred = self.step["pred"]
            if pred == "uring_cmd_ring":
                # the bench's probe: one SQE on the uring_cmd ring, the
                # first io_uring_enter of the run
                if self.ring is None and rsi == 1:
                    self.ring = rdi
                if rdi != self.ring:
                    return False
            if rsi != self.arg1:
                return False
            self.regs = {"rdi": rdi, "rsi": rsi, "rdx": rdx}
            try:
                if pred in ("kv_present", "kv_fresh"):
                    # struct kds_kv: size, flags, key, value, value_len
                    kv = gdb_mem(rdx, 32)
                    key = u64(kv, 8)
                    self.regs["key"] = key
                    if pred == "kv_present":
                        return 1 <= key <= N
                    return key > N
                if pred == "batch_get_present":
                    # struct kds_batch: size, flags, ops, count, op_size
                    bt = gdb_mem(rdx, 24)
                    count = u32(bt, 16)
                    op = gdb_mem(u64(bt, 8), 16)
                    self.regs.update(count=count, op=u32(op, 0),
                                     key=u64(op, 8))
                    return (count == self.step["ops"] and
                            u32(op, 0) == self.consts["KDS_OP_GET"] and
                            1 <= u64(op, 8) <= N)
            except gdb.MemoryError:
                return False
            return True

        def stop(self):
            self.calls += 1
            if self.fired or not self.match():
                return False
            self.seen += 1
            if self.seen <= self.step["skip"]:
                return False
            self.fired = True
            return True

    def trace_call(out, step, entry):
        """Single-step from the system call's entry back to user space."""
        pcs = []
        pc = gdb_reg("pc")
        if pc != entry:
            raise RuntimeError("%s: stopped at 0x%x, not at the entry" %
                               (step["name"], pc))
        t0 = time.time()
        while pc >= USER_TOP:
            # rax before each instruction: after a return, the value
            pcs.append((pc, gdb_reg("rax")))
            if len(pcs) > MAX_STEPS:
                raise RuntimeError("%s: no return to user space after %d "
                                   "instructions" % (step["name"], MAX_STEPS))
            gdb.execute("stepi", to_string=True)
            pc = gdb_reg("pc")
        ret = gdb_reg("rax")
        with open(os.path.join(out, step["name"] + ".pcs"), "w",
                  encoding="utf-8") as f:
            f.write("".join("%x %x\n" % p for p in pcs))
        return pcs, ret, time.time() - t0

    def gdb_main():
        with open(os.environ["KDS_PROFILE_GDB"], encoding="utf-8") as f:
            cfg = json.load(f)
        out = cfg["out"]
        started = cfg["started"]
        for cmd in ("set pagination off", "set confirm off",
                    "set architecture i386:x86-64"):
            gdb.execute(cmd, to_string=True)
        for attempt in range(100):
            try:
                gdb.execute("target remote 127.0.0.1:%d" % cfg["port"],
                            to_string=True)
                break
            except gdb.error:
                if attempt == 99:
                    raise
                time.sleep(0.3)
        marker = cfg["ksys_sync"]
        entry = cfg["entry"]
        gdb.Breakpoint("*0x%x" % marker, type=gdb.BP_HARDWARE_BREAKPOINT,
                       internal=True)
        steps = cfg["steps"]
        done = {}
        nstep = 0
        trig = None
        while True:
            try:
                gdb.execute("continue", to_string=True)
                pc = gdb_reg("pc")
            except gdb.error as e:
                # the guest powered off: QEMU is gone
                say("[%4ds] the VM ended (%s)" %
                    (time.time() - started, str(e).strip()))
                break
            if pc == marker:
                if trig is not None:
                    st = trig.step
                    if not trig.fired:
                        say("[%4ds] %s: FAIL: no matching call (%d calls, "
                            "%d matched)" % (time.time() - started,
                                             st["name"], trig.calls,
                                             trig.seen))
                        done[st["name"]] = {"error": "no matching call"}
                    trig.delete()
                    trig = None
                if nstep < len(steps):
                    trig = Trigger(entry, steps[nstep], cfg["consts"])
                    nstep += 1
                continue
            if trig is not None and trig.fired and pc == entry:
                st = trig.step
                trig.enabled = False
                pcs, ret, secs = trace_call(out, st, entry)
                trig.delete()
                regs = dict(trig.regs)
                regs["ret"] = ret
                done[st["name"]] = {"instructions": len(pcs), "match": regs,
                                    "calls_seen": trig.calls,
                                    "seconds": round(secs, 1)}
                trig = None
                say("[%4ds] %s: %d instructions from the system call entry "
                    "to user space (%s; %.0fs stepping)" %
                    (time.time() - started, st["name"], len(pcs),
                     ", ".join("%s=%#x" % kv for kv in regs.items()), secs))
                continue
            say("[%4ds] unexpected stop at 0x%x" % (time.time() - started, pc))
        with open(os.path.join(out, "trace.json"), "w",
                  encoding="utf-8") as f:
            json.dump(done, f, indent=1)


# ---- commands -----------------------------------------------------------

def cmd_guest_args(a):
    print(";".join(s["args"] for s in select_steps(a.steps)))
    return 0


def ksym_addr(ksyms, name):
    for addr, _, n in ksyms:
        if n == name:
            return addr
    sys.exit("profile.py: %s is not in the kernel's symbols" % name)


def cmd_trace(a):
    ksyms = read_ksyms(a.ksyms)
    os.makedirs(a.out, exist_ok=True)
    cfg = {
        "port": a.port,
        "out": os.path.abspath(a.out),
        "ksys_sync": ksym_addr(ksyms, "ksys_sync"),
        "entry": ksym_addr(ksyms, "entry_SYSCALL_64"),
        "steps": select_steps(a.steps),
        "consts": uapi_consts(),
        "started": a.started or int(time.time()),
    }
    path = os.path.join(a.out, "trace-config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    env = dict(os.environ, KDS_PROFILE_GDB=path)
    # gdb's own output (a line per instruction stepped) goes to gdb.log,
    # the tracer's progress to stderr
    with open(os.path.join(a.out, "gdb.log"), "w", encoding="utf-8") as log:
        rc = subprocess.call(["gdb", "-batch", "-nx", "-x",
                              os.path.abspath(__file__)], env=env,
                             stdout=log)
    try:
        with open(os.path.join(a.out, "trace.json"), encoding="utf-8") as f:
            done = json.load(f)
    except (OSError, ValueError):
        print("profile.py: gdb left no trace (exit %d)" % rc, file=sys.stderr)
        return 1
    missing = [s["name"] for s in cfg["steps"]
               if "instructions" not in done.get(s["name"], {})]
    if missing:
        print("profile.py: no trace of %s" % ", ".join(missing),
              file=sys.stderr)
        return 1
    return 0


# Functions that jump to the function they are for.
JUMPERS = ("__x86_indirect_thunk", "__x86_indirect_jump_thunk",
           "__x86_indirect_call_thunk")


class Node:
    __slots__ = ("name", "self_n", "children", "parent", "ret", "_sig",
                 "_incl")

    def __init__(self, name, parent):
        self.name = name
        self.ret = None
        self.self_n = 0
        self.children = []
        self.parent = parent
        self._sig = None
        self._incl = None

    def sig(self):
        if self._sig is None:
            self._sig = (self.name, tuple(c.sig() for c in self.children))
        return self._sig

    def incl(self):
        if self._incl is None:
            self._incl = self.self_n + sum(c.incl() for c in self.children)
        return self._incl


def call_tree(names_starts, pcs, raxes):
    """
    The call path from the pcs: entering a function at its first byte is
    a call (or a tail call), landing inside one that is on the stack is a
    return to it, landing inside another is a jump (it replaces the top),
    but a function's .cold part counts below it; running from one symbol
    into the next is a fall-through.  A call returned to keeps rax at
    the landing as its return value.  Returns the root and, per
    function, the instructions run while it was on the stack
    (inclusive).
    """
    root = Node(None, None)
    stack = [root]
    incl = {}
    prev_pc = None
    cur = None
    for pc, rax, (name, start) in zip(pcs, raxes, names_starts):
        if name != cur:
            top = stack[-1]
            if pc == start and (top.name or "").startswith(JUMPERS):
                # a retpoline thunk jumps to its target: the caller's call
                stack.pop()
                top = stack[-1]
            if pc == start and not (prev_pc is not None and
                                    0 < pc - prev_pc <= 15):
                node = Node(name, top)
                top.children.append(node)
                stack.append(node)
            elif name.endswith(".cold") and name[:-5] == top.name:
                # the function's cold part: a branch out and back
                node = Node(name, top)
                top.children.append(node)
                stack.append(node)
            else:
                for i in range(len(stack) - 1, 0, -1):
                    if stack[i].name == name:
                        stack[i + 1].ret = rax - (1 << 64) \
                            if rax >> 63 else rax
                        del stack[i + 1:]
                        break
                else:
                    if len(stack) > 1:
                        stack.pop()
                    node = Node(name, stack[-1])
                    stack[-1].children.append(node)
                    stack.append(node)
            cur = name
        stack[-1].self_n += 1
        for n in {s.name for s in stack[1:]}:
            incl[n] = incl.get(n, 0) + 1
        prev_pc = pc
    return root, incl


# Longest run of sibling calls folded as one repeated block.
MAX_PERIOD = 16


def fold(children):
    """
    Runs of a repeated block of same-shaped sibling calls: a list of
    (blocks, period); each of the k blocks holds period nodes.  Of the
    periods that repeat, the one covering the most calls wins (the
    shortest of those).
    """
    sigs = [c.sig() for c in children]
    n = len(children)
    out = []
    i = 0
    while i < n:
        best_p, best_k = 1, 1
        for p in range(1, min(MAX_PERIOD, (n - i) // 2) + 1):
            k = 1
            while (i + (k + 1) * p <= n and
                   sigs[i + k * p:i + (k + 1) * p] == sigs[i:i + p]):
                k += 1
            if k > 1 and k * p > best_p * best_k:
                best_p, best_k = p, k
        out.append(([children[i + j * best_p:i + (j + 1) * best_p]
                     for j in range(best_k)], best_p))
        i += best_p * best_k
    return out


def merge(nodes):
    """Sum same-shaped nodes, node by node."""
    m = Node(nodes[0].name, None)
    m.self_n = sum(n.self_n for n in nodes)
    for i in range(len(nodes[0].children)):
        m.children.append(merge([n.children[i] for n in nodes]))
    return m


def render_tree(root, limit=400):
    """
    The path as an indented call tree: a line per call with its inclusive
    instructions; a call repeated with the same shape, or a block of
    calls repeated, is one line xN (or a line "xN:" over the block) with
    the sums of all N.
    """
    lines = []

    def line(depth, label, n, extra=""):
        lines.append("%-60s %7d%s" % ("  " * depth + label, n, extra))

    def walk(node, depth):
        for blocks, period in fold(node.children):
            if len(lines) >= limit:
                return
            k = len(blocks)
            members = [merge([b[j] for b in blocks]) if k > 1 else blocks[0][j]
                       for j in range(period)]
            d = depth
            if k > 1 and period > 1:
                total = sum(m.incl() for m in members)
                line(depth, "x%d:" % k, total, "  %.0f each" % (total / k))
                d = depth + 1
            for m in members:
                label = m.name
                extra = "  (self %d)" % m.self_n if m.children else ""
                if k > 1 and period == 1:
                    label += " x%d" % k
                    extra += "  %.0f each" % (m.incl() / k)
                line(d, label, m.incl(), extra)
                walk(m, d + 1)

    walk(root, 0)
    if len(lines) >= limit:
        lines.append("... (cut at %d lines)" % limit)
    return lines


def count_hits(root):
    """
    The backend's lookups (kds_<backend>_get, called through the ops):
    how many, and how many found their key (returned the value's length,
    not -ENOENT); and how many calls of kds_<backend>_get_many, which
    returns nothing (a batch's runs of gets).
    """
    found = [0, 0, 0]

    def walk(node):
        for c in node.children:
            if re.match(r"kds_\w+_get \[", c.name):
                found[0] += 1
                found[1] += c.ret is not None and c.ret >= 0
            elif re.match(r"kds_\w+_get_many \[", c.name):
                found[2] += 1
            else:
                walk(c)

    walk(root)
    return found[0], found[1], found[2]


def bench_figure(step, run):
    if run is None:
        return None
    what, backend, batch = step["figure"]
    for cols in run["figures"]:
        if cols[0] == what and cols[1] == backend and cols[4] == batch:
            try:
                return float(cols[8])
            except ValueError:
                return None
    return None


def cmd_report(a):
    steps = select_steps(a.steps)
    ksyms = read_ksyms(a.ksyms)
    mods, runs, info = read_results(a.results)
    syms = Symbols(ksyms, mods)
    with open(os.path.join(a.out, "trace.json"), encoding="utf-8") as f:
        done = json.load(f)
    kver = info.get("kernel", "?")
    try:
        tree = subprocess.run(["git", "-C", TOP, "describe", "--always",
                               "--dirty"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        tree = "?"
    out = []
    w = out.append
    w("# Where the instructions of one kds operation go")
    w("")
    w("Written by `make profile` (bench/profile.sh, bench/profile.py): "
      "kernel %s in QEMU (%s), one vCPU, `-accel tcg -icount "
      "shift=0,sleep=off`, `nokaslr`; the modules and kdsctl of the tree "
      "%s; %d s in all." % (kver, a.qemu or "?", tree, a.seconds))
    w("")
    w("Each step runs one `kdsctl bench` in the guest on the hash backend "
      "(N=%d keys 1..N, 16-byte values).  The debugger stops at the "
      "system call entry (`entry_SYSCALL_64`) of one chosen call, after "
      "the bench's own warm-up, and single-steps it with interrupts and "
      "timers masked until the first instruction back in user space: the "
      "count is the kernel's instructions of that one call, from the "
      "entry's first instruction to `sysret` (the `syscall` instruction "
      "and user space are outside it).  A `rep` string instruction counts "
      "once per iteration, as under -icount.  The bench's figure beside "
      "it is its own measure of the same operation in the same run "
      "(CLOCK_MONOTONIC around the calls of its timed sample, 1 ns = 1 "
      "instruction under -icount): it also holds the user-space side of "
      "each call.  (Figures the bench timed while a trigger was armed are "
      "off and not used: each stop at the breakpoint lets the guest clock "
      "jump to its next timer tick.  The traced call itself runs with "
      "interrupts masked.)" % N)
    w("")
    w("Functions are the kernel's /proc/kallsyms symbols (`[kds...]`: the "
      "modules').  *self*: instructions in the function itself; "
      "*inclusive*: while it was on the call path (its callees too), as "
      "far as the path can be told from the pcs alone (a call enters a "
      "function at its first byte, a return lands inside a caller).  A "
      "function the compiler inlined counts in its caller.")
    w("")
    w("| step | call | instructions | per operation | bench, instr/op |")
    w("|---|---|---:|---:|---:|")
    failed = 0
    reports = []
    for i, st in enumerate(steps):
        res = done.get(st["name"], {})
        run = runs[i] if i < len(runs) else None
        fig = bench_figure(st, run)
        if "instructions" not in res:
            failed += 1
            w("| %s | %s | %s | | |" % (st["name"], st["title"],
                                       res.get("error", "no trace")))
            continue
        with open(os.path.join(a.out, st["name"] + ".pcs"),
                  encoding="utf-8") as f:
            rows = [line.split() for line in f]
        pcs = [int(r[0], 16) for r in rows]
        raxes = [int(r[1], 16) for r in rows]
        total = len(pcs)
        w("| %s | %s | %d | %s | %s |" %
          (st["name"], st["title"], total,
           "%.1f" % (total / st["ops"]) if st["ops"] > 1 else total,
           "%.1f" % fig if fig is not None else "n/a"))
        reports.append((st, res, run, fig, pcs, raxes))
    w("")
    if reports and reports[0][0]["name"] == "noop":
        st, res, run, fig, pcs, _ = reports[0]
        if fig is not None:
            w("Cross-check: the traced unknown command (ENOTTY) is %d "
              "kernel instructions; the bench's noop figure of the same run is "
              "%.1f instructions per call, %.1f more: the user-space side "
              "(the loop, the libkds and libc wrappers, the `syscall` "
              "instruction) and any interrupt that fell into the timed "
              "sample." % (len(pcs), fig, fig - len(pcs)))
            w("")
    for st, res, run, fig, pcs, raxes in reports:
        ops = st["ops"]
        ns = [syms.lookup(pc) for pc in pcs]
        total = len(pcs)
        selfc = {}
        for name, _ in ns:
            selfc[name] = selfc.get(name, 0) + 1
        root, incl = call_tree(ns, pcs, raxes)
        w("## %s: %s" % (st["name"], st["title"]))
        w("")
        w("`kdsctl bench %s`; traced: %s.  Registers at the entry: %s." %
          (st["args"], st["why"],
           ", ".join("%s=%#x" % kv for kv in res["match"].items()
                     if kv[0] != "ret")))
        ret = res["match"].get("ret", 0)
        if ret >= 1 << 63:
            ret -= 1 << 64
        w("")
        line = "**%d instructions**" % total
        if ops > 1:
            line += ", %.1f per operation (%d per call)" % (total / ops, ops)
        line += "; the call returned %d" % ret
        problems = []
        if st["nr"] == SYS_IOCTL and ret != st.get("ret", 0):
            problems.append("the ioctl returned %d, not %d" %
                            (ret, st.get("ret", 0)))
        if st.get("hit"):
            looked, hits, many = count_hits(root)
            if many:
                line += "; the lookups went through %d calls of the " \
                    "backend's get_many (%d single gets besides), and " \
                    "the bench checked every result" % (many, looked)
                if hits != looked:
                    problems.append("%d single lookups, %d of them hits" %
                                    (looked, hits))
            else:
                line += "; %d of %d lookups found their key (the " \
                    "backend's get returned the length)" % (hits, looked)
                if looked != ops or hits != ops:
                    problems.append("%d lookups, %d of them hits, for %d "
                                    "gets" % (looked, hits, ops))
        if run and run["rc"] not in (None, "0"):
            problems.append("kdsctl bench exited %s" % run["rc"])
        if fig is not None:
            line += "; the bench's %s figure: %.1f instructions per " \
                "operation" % ("/".join(st["figure"]), fig)
        w(line + ".")
        if problems:
            failed += 1
            w("")
            w("**Check failed: %s.**" % "; ".join(problems))
            print("profile.py: %s: %s" % (st["name"], "; ".join(problems)),
                  file=sys.stderr)
        w("")
        hdr = "| function | self | % | inclusive |"
        sep = "|---|---:|---:|---:|"
        if ops > 1:
            hdr += " self per op |"
            sep += "---:|"
        w(hdr)
        w(sep)
        top = sorted(selfc.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = top[:30]
        for name, n in shown:
            row = "| `%s` | %d | %.1f | %d |" % (name, n, 100.0 * n / total,
                                                 incl.get(name, n))
            if ops > 1:
                row += " %.1f |" % (n / ops)
            w(row)
        rest = sum(n for _, n in top[len(shown):])
        if rest:
            row = "| %d others | %d | %.1f | |" % (len(top) - len(shown),
                                                   rest, 100.0 * rest / total)
            if ops > 1:
                row += " %.1f |" % (rest / ops)
            w(row)
        w("")
        w("Path (inclusive instructions; same-shaped calls in a row are "
          "folded into one line, xN, with their sums):")
        w("")
        w("```")
        out.extend(render_tree(root))
        w("```")
        w("")
    with open(os.path.join(a.out, "PROFILE.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    for st, res, run, fig, pcs, _ in reports:
        print("%-10s %7d instructions%s%s" %
              (st["name"], len(pcs),
               ", %.1f per op" % (len(pcs) / st["ops"]) if st["ops"] > 1
               else "",
               "; bench %.1f/op" % fig if fig is not None else ""))
    return 1 if failed else 0


def main(argv):
    p = argparse.ArgumentParser(prog="profile.py", description=__doc__.split(
        "\n", 1)[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("guest-args")
    g.add_argument("--steps")
    t = sub.add_parser("trace")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--ksyms", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--steps")
    t.add_argument("--started", type=int, help="the run's start (epoch "
                   "seconds), for the progress lines")
    r = sub.add_parser("report")
    r.add_argument("--ksyms", required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--steps")
    r.add_argument("--qemu")
    r.add_argument("--seconds", type=int, default=0)
    a = p.parse_args(argv)
    return {"guest-args": cmd_guest_args, "trace": cmd_trace,
            "report": cmd_report}[a.cmd](a)


if gdb is not None:
    gdb_main()
elif __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
