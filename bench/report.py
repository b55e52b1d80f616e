#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the TSV of "kdsctl bench" into bench/RESULTS.md and a plot.

    report.py --icount FILE [--smp2 FILE] --markdown OUT.md --svg OUT.svg
              [--command CMD] [--qemu TEXT] [--host-cpu TEXT] [--seconds S]

The TSV comes from the guest (bench/guest-init): "#info" lines about the
guest, "#note" lines, then one line per figure with the columns of
kdsctl bench --format=tsv.  The plot is written by hand, no plotting
library needed.
"""

import argparse
import os
import math
import sys
from datetime import datetime, timezone

COLS = ["what", "backend", "n", "value_size", "batch", "order", "threads",
        "unit", "min", "median", "samples", "ops", "note"]
BACKENDS = ["list", "hash", "rbtree", "xarray", "maple"]
PEERS = ["bpf-hash", "user-hash"]
OPS = ["get-hit", "get-miss", "put", "del"]
BPF_OP = {"get-hit": "get-hit", "get-miss": "get-miss", "put": "put",
          "del": "del"}
BPF_BATCH_OP = {"get-hit": "dump", "put": "put", "del": "del"}


class Run:
    """One pass: its facts, notes and figures."""

    def __init__(self, path):
        self.info = {}
        self.infos = []
        self.notes = []
        self.dmesg = []
        self.figs = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("#info "):
                    key, _, val = line[6:].partition(" ")
                    self.infos.append((key, val))
                    self.info.setdefault(key, val)
                elif line.startswith("#note\t"):
                    self.notes.append(line[6:])
                elif line.startswith("#dmesg "):
                    self.dmesg.append(line[7:])
                elif line.startswith("#") or not line.strip():
                    continue
                else:
                    parts = line.split("\t")
                    if len(parts) < len(COLS) - 1:
                        continue
                    parts += [""] * (len(COLS) - len(parts))
                    self.figs.append(dict(zip(COLS, parts)))
        self.index = {}
        for fig in self.figs:
            self.index[self.key_of(fig)] = fig

    @staticmethod
    def key_of(fig):
        return (fig["what"], fig["backend"], fig["n"], fig["value_size"],
                fig["batch"], fig["order"], fig["threads"])

    def get(self, what, backend, n="-", vsize="-", batch="-", order="-",
            threads="1"):
        return self.index.get((what, backend, str(n), str(vsize), str(batch),
                               order, str(threads)))

    def median(self, *args, **kw):
        fig = self.get(*args, **kw)
        if not fig:
            return None
        try:
            return float(fig["median"])
        except ValueError:
            return None

    def values(self, col):
        seen = []
        for fig in self.figs:
            v = fig[col]
            if v not in seen and v != "-":
                seen.append(v)
        return seen

    def infos_of(self, key):
        return [v for k, v in self.infos if k == key]


def num(v):
    if v is None:
        return "n/a"
    if v >= 10000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}"


def ins(v):
    """A difference of instruction counts: whole numbers."""
    return "n/a" if v is None else f"{v:,.0f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rtxt(r):
    return "n/a" if r is None else f"{r:.2f}x"


def sizes(run):
    return sorted({int(f["n"]) for f in run.figs if f["n"].isdigit()
                   and f["unit"] == "ns/op"})


def vsizes(run):
    return sorted({int(f["value_size"]) for f in run.figs
                   if f["value_size"].isdigit() and f["unit"] == "ns/op"})


def orders(run):
    return [o for o in ("seq", "rand") if any(f["order"] == o
                                               for f in run.figs)]


def table(head, rows, left=1):
    """A markdown table; the first @left columns align left."""
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i < left else "---:"
                          for i in range(len(head))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out) + "\n"


def n_txt(n):
    n = int(n)
    e = int(round(math.log10(n))) if n > 0 else 0
    return f"10^{e}" if 10 ** e == n else str(n)


class Report:
    def __init__(self, args):
        self.a = args
        self.r = Run(args.icount) if args.icount else None
        self.s = Run(args.smp2) if args.smp2 else None
        self.out = []
        self.noop = None
        if self.r:
            self.noop = self.r.median("noop", "hash")
            if self.noop is None:
                for b in BACKENDS:
                    self.noop = self.noop or self.r.median("noop", b)

    def w(self, text=""):
        self.out.append(text)

    # ---- header -----------------------------------------------------------

    def header(self):
        r = self.r or self.s
        self.w("# kds benchmark results")
        self.w()
        self.w("Generated by `bench/run.sh` (`make bench`) on "
               + datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
               + "; do not edit by hand.")
        self.w()
        self.w("Reproduce: `" + self.a.command + "` (from a clean checkout,"
               " as root on Debian 12; the raw figures are in"
               " `bench/results-icount.tsv` and `bench/results-smp2.tsv`).")
        if self.a.remark:
            self.w()
            self.w("**Remark on this run:** " + self.a.remark)
            self.w()
        if self.a.seconds:
            self.w(f"The whole run took {int(self.a.seconds) // 60} min"
                   f" {int(self.a.seconds) % 60} s on this machine.")
        self.w()
        self.w("## The run")
        self.w()
        rows = []
        if r:
            rows.append(["guest kernel", r.info.get("kernel", "?")])
            rows.append(["kernel build", r.info.get("version", "?")])
        if self.a.qemu:
            rows.append(["QEMU", self.a.qemu])
        if self.a.host_cpu:
            rows.append(["host CPU", self.a.host_cpu])
        if self.r:
            rows.append(["pass 1 (costs)", "1 vCPU, `-accel tcg -icount"
                         " shift=0,sleep=off`: 1 ns = 1 guest instruction"])
            rows.append(["pass 1 command", "`" + self.r.info.get("args", "?")
                         + "`"])
            rows.append(["guest CPU", self.r.info.get("cpu", "?")
                         + f" ({self.r.info.get('cpus', '?')} CPU,"
                         f" MemTotal {self.r.info.get('memtotal', '?')},"
                         f" clocksource {self.r.info.get('clocksource', '?')})"])
            rows.append(["module parameters", ", ".join(
                "`" + p + "`" for p in self.r.infos_of("param"))])
            rows.append(["pass 1 time (guest)", self.guest_time(self.r)])
        if self.a.host_load:
            rows.append(["host load average (1 min) at the start and end"
                         " of each pass", self.a.host_load])
        if self.s:
            rows.append(["pass 2 (scaling)", f"{self.s.info.get('cpus', '?')}"
                         " vCPUs, plain `-accel tcg` (multi-threaded TCG):"
                         " wall-clock ops/s"])
            rows.append(["pass 2 command", "`" + self.s.info.get("args", "?")
                         + "`"])
        self.w(table(["item", "value"], rows, left=2))
        if r:
            self.w("Guest CPU flags: `" + r.info.get("flags", "?") + "`")
            self.w()
            self.w("Guest CPU vulnerabilities (mitigations in effect):")
            self.w()
            for v in r.infos_of("vuln"):
                self.w(f"- {v}")
            self.w()

    @staticmethod
    def guest_time(run):
        t = run.info.get("seconds", "").split()
        if len(t) == 2:
            try:
                return f"{float(t[1]) - float(t[0]):.0f} s of guest time" \
                    " (= 10^9 instructions per s under icount)"
            except ValueError:
                pass
        return "?"

    def reading(self):
        self.w("## How to read the figures")
        self.w()
        self.w("Pass 1 runs under QEMU's instruction counting: the guest's"
               " `CLOCK_MONOTONIC` advances one ns per guest instruction, so"
               " each figure is **guest instructions per operation** and a"
               " rerun gives the same numbers.  Instruction counts see no"
               " caches, TLB or branch predictor: a cache miss costs what a"
               " hit costs, which favours large N and pointer-chasing"
               " structures; compare ratios rather than ns with native runs.")
        self.w()
        self.w("Each figure is the median of the timed samples (the minimum"
               " is in the TSV), in ns per operation; a batched figure is"
               " per operation of the batch.  `x noop` is the ratio to"
               " an unknown command on the hash device, which kds answers"
               " with ENOTTY (the crossing, nothing else); `x bpf` the ratio to the same operation on a"
               " `BPF_MAP_TYPE_HASH` of u64 keys and values of the same size,"
               " filled with the same keys in the same order.  Keys: `seq` ="
               " 1..N visited in order; `rand` = N seeded random 64-bit keys"
               " (a bijective mix of the index).  Each sample of get-hit"
               " looks up a window of consecutive keys of that order; the"
               " windows of the samples start at even intervals across the"
               " N keys, so keys put early and late are both measured (a"
               " hash chain holds its newest entries first, a list its"
               " oldest).  A get-miss looks up keys"
               " that are absent (`seq`: just past the end).  A put inserts"
               " fresh keys into a store of N, the del that follows removes"
               " them.")
        self.w()

    # ---- targets -----------------------------------------------------------

    def targets(self):
        r = self.r
        if not r:
            return
        self.w("## Guard rails")
        self.w()
        self.w("What the code must keep, each on the worst N measured (16-byte"
               " values unless said): the ratio at every N, then the verdict,"
               " with the limit in instructions where it is a ratio to"
               " something measured here.")
        self.w()
        rows = []
        ns = sizes(r)
        vs = 16 if 16 in vsizes(r) else (vsizes(r) or [None])[0]
        noop = self.noop

        def fmt(vals):
            return ", ".join(f"{n_txt(n)}: {rtxt(v)}" for n, v, _, _ in vals
                             if v is not None) or "n/a"

        def verdict(vals, limit):
            """vals: (n, ratio, value, reference); at most @limit."""
            got = [v for v in vals if v[1] is not None]
            if not got:
                return "n/a"
            n, worst, val, ref = max(got, key=lambda v: v[1])
            if worst <= limit:
                return "met"
            need = f" (N={n_txt(n)}: {num(val)}, limit {num(limit * ref)})" \
                if val is not None and ref else ""
            return f"**missed** by {(worst / limit - 1) * 100:.0f}%{need}"

        def against(what, batch, order, ref_fn):
            out = []
            for n in ns:
                v = r.median(what, "hash", n, vs, batch, order)
                ref = ref_fn(n)
                out.append((n, ratio(v, ref), v, ref))
            return out

        for order in orders(r):
            v = against("get-hit", "-", order, lambda n: noop)
            rows.append([f"hash get <= 1.5x the crossing ({order})", fmt(v),
                         verdict(v, 1.5)])
            v = against("get-hit", "-", order,
                        lambda n, o=order: r.median("get-hit", "bpf-hash", n,
                                                    vs, "-", o))
            rows.append([f"hash get <= 0.35x BPF lookup ({order})", fmt(v),
                         verdict(v, 0.35)])
            v = against("get-hit", 64, order,
                        lambda n, o=order: r.median("dump", "bpf-hash", n, vs,
                                                    64, o))
            rows.append([f"hash batch-64 get <= BPF LOOKUP_BATCH per element"
                         f" ({order})", fmt(v), verdict(v, 1.0)])
        if ns:
            lo = ns[0]
            for order in orders(r):
                have = [n for n in ns
                        if r.median("get-hit", "hash", n, vs, "-", order)]
                if not have:
                    continue
                hi = have[-1]
                a = r.median("get-hit", "hash", lo, vs, "-", order)
                z = r.median("get-hit", "hash", hi, vs, "-", order)
                label = f"hash get at 10^6 <= 1.3x at {n_txt(lo)} ({order})"
                if hi != 1000000:
                    label += f"; largest N measured: {n_txt(hi)}"
                rows.append([label,
                             rtxt(ratio(z, a)) + f" ({num(z)} / {num(a)})",
                             verdict([(hi, ratio(z, a), z, a)], 1.3)])
        self.w(table(["guard rail", "measured", "verdict"], rows))

    def scale_ratio(self, backend, what=None):
        for x in (self.s.figs if self.s else []):
            if x["what"] == "scale-ratio" and x["backend"] == backend and \
                    (what is None or x["note"].startswith(what)):
                try:
                    return float(x["median"])
                except ValueError:
                    return None
        return None

    def scale_control(self):
        return self.scale_ratio("-", "scale-getppid")

    # ---- tables --------------------------------------------------------------

    def floors(self):
        r = self.r
        if not r:
            return
        self.w("## Floors")
        self.w()
        rows = []
        for what, be, batch, label in (
                [("getppid", "-", "-", "getppid()"),
                 ("ioctl-devnull", "-", "-",
                  "ioctl(/dev/null, unknown) -> ENOTTY")]
                + [("noop", b, "-", f"unknown command on /dev/kds/{b}"
                    " -> ENOTTY (the crossing)")
                   for b in BACKENDS]
                + [("uring-nop", "-", d, f"io_uring NOP, {d} per submit")
                   for d in r.values("batch")
                   if r.get("uring-nop", "-", "-", "-", d)]):
            fig = r.get(what, be, "-", "-", batch)
            if not fig:
                continue
            m = r.median(what, be, "-", "-", batch)
            rows.append([label, fig["min"], num(m), rtxt(ratio(m, self.noop))])
        self.w(table(["floor", "min", "median", "x noop"], rows))

    def single(self):
        r = self.r
        if not r:
            return
        self.w("## Single operations")
        self.w()
        self.w("One ioctl per operation (bpf-hash: one bpf() call;"
               " user-hash: a function call).  Cells: median ns per"
               " operation (x noop, x bpf).")
        self.w()
        for vs in vsizes(r):
            for order in orders(r):
                ns = [n for n in sizes(r)
                      if any(f["n"] == str(n) and f["value_size"] == str(vs)
                             and f["order"] == order for f in r.figs)]
                if not ns:
                    continue
                self.w(f"### {vs}-byte values, {order} keys")
                self.w()
                rows = []
                for op in OPS:
                    for be in BACKENDS + PEERS:
                        cells = []
                        for n in ns:
                            m = r.median(op, be, n, vs, "-", order)
                            bp = r.median(BPF_OP[op], "bpf-hash", n, vs, "-",
                                          order)
                            if m is None:
                                cells.append("-")
                            elif be in PEERS:
                                cells.append(f"{num(m)} ({rtxt(ratio(m, self.noop))})")
                            else:
                                cells.append(f"{num(m)} ({rtxt(ratio(m, self.noop))},"
                                             f" {rtxt(ratio(m, bp))})")
                        if any(c != "-" for c in cells):
                            rows.append([f"{op} {be}"] + cells)
                self.w(table(["op, backend"] + [f"N={n_txt(n)}" for n in ns],
                             rows))

    def batches(self):
        r = self.r
        if not r:
            return
        bs = sorted({int(f["batch"]) for f in r.figs
                     if f["batch"].isdigit() and f["what"] in OPS
                     and f["backend"] in BACKENDS})
        if not bs:
            return
        self.w("## Batches")
        self.w()
        self.w("`KDS_IOC_BATCH` with B operations per call, ns per"
               " operation; bpf-hash: `BPF_MAP_UPDATE_BATCH`,"
               " `BPF_MAP_DELETE_BATCH`, and for get `BPF_MAP_LOOKUP_BATCH`,"
               " which is a dump of whole buckets, not a lookup of given keys"
               " (at B=1 it stops at the first bucket holding two elements,"
               " so it is not taken).  Cells: median (x noop); the last"
               " column is B=64 against bpf at 64.")
        self.w()
        for vs in vsizes(r):
            for order in orders(r):
                ns = [n for n in sizes(r)
                      if r.get("get-hit", "hash", n, vs, bs[0], order)]
                if not ns:
                    continue
                n = 10000 if 10000 in ns else ns[-1]
                self.w(f"### {vs}-byte values, {order} keys, N={n_txt(n)}")
                self.w()
                rows = []
                for op in OPS:
                    for be in BACKENDS + ["bpf-hash"]:
                        what = op
                        if be == "bpf-hash":
                            if op not in BPF_BATCH_OP:
                                continue
                            what = BPF_BATCH_OP[op]
                        single = r.median(op, be, n, vs, "-", order)
                        cells = [num(single)]
                        for b in bs:
                            m = r.median(what, be, n, vs, b, order)
                            cells.append("-" if m is None else
                                         f"{num(m)} ({rtxt(ratio(m, self.noop))})")
                        m64 = r.median(what, be, n, vs, 64, order)
                        bp = r.median(BPF_BATCH_OP.get(op, "-"), "bpf-hash", n,
                                      vs, 64, order)
                        cells.append("-" if be == "bpf-hash" else
                                     rtxt(ratio(m64, bp)))
                        if any(c not in ("-", "n/a") for c in cells):
                            rows.append([f"{op} {be}" if be != "bpf-hash"
                                         else f"{op} bpf-hash ({what})"]
                                        + cells)
                self.w(table(["op, backend", "single"]
                             + [f"B={b}" for b in bs] + ["x bpf at 64"], rows))

    def ranges(self):
        r = self.r
        if not r:
            return
        figs = [f for f in r.figs if f["what"] == "range"]
        if not figs:
            return
        bs = sorted({int(f["batch"]) for f in figs})
        self.w("## Range")
        self.w()
        self.w("`KDS_IOC_RANGE` from a key in the store, B records per call,"
               " ns per record (x noop).")
        self.w()
        rows = []
        for vs in vsizes(r):
            for order in orders(r):
                for be in ("rbtree", "xarray", "maple"):
                    for n in sizes(r):
                        cells = []
                        for b in bs:
                            m = r.median("range", be, n, vs, b, order)
                            cells.append("-" if m is None else
                                         f"{num(m)} ({rtxt(ratio(m, self.noop))})")
                        if any(c != "-" for c in cells):
                            rows.append([f"{be}", f"{vs} B {order}",
                                         f"{n_txt(n)}"] + cells)
        self.w(table(["backend", "values", "N"] + [f"B={b}" for b in bs],
                     rows))

    def extra(self):
        """uring_cmd at one depth, and the in-kernel loop: a row per case."""
        r = self.r
        if not r:
            return
        depth = "32"
        for prefix, title, text, batch in (
                ("uring-", "io_uring passthrough (uring_cmd)",
                 f"get, put and del as `IORING_OP_URING_CMD` on the device,"
                 f" {depth} per submit (the other depths are in the TSV);"
                 " median ns per operation (x noop).", depth),
                ("kloop-", "In-kernel loop",
                 "The structure alone: the module's own loop over the same"
                 " keys, no crossing and no user copy; median ns per"
                 " operation (x noop).", "-")):
            cases = []
            for f in r.figs:
                if f["what"].startswith(prefix) and \
                        f["backend"] in BACKENDS and f["batch"] == batch:
                    c = (f["backend"], f["value_size"], f["order"], f["n"])
                    if c not in cases:
                        cases.append(c)
            if not cases:
                continue
            self.w(f"## {title}")
            self.w()
            self.w(text)
            self.w()
            rows = []
            for be, vs, order, n in cases:
                cells = []
                for op in OPS:
                    m = r.median(prefix + op, be, n, vs, batch, order)
                    cells.append("-" if m is None else
                                 f"{num(m)} ({rtxt(ratio(m, self.noop))})")
                rows.append([be, f"{vs} B {order}", n_txt(n)] + cells)
            self.w(table(["backend", "values", "N"] + OPS, rows))

    def split(self):
        """get-hit = crossing (noop) + dispatch and copies + structure."""
        r = self.r
        if not r or self.noop is None:
            return
        vs = 16 if 16 in vsizes(r) else (vsizes(r) or [None])[0]
        rows = []
        for order in orders(r):
            for be in BACKENDS:
                for n in sizes(r):
                    g = r.median("get-hit", be, n, vs, "-", order)
                    if g is None:
                        continue
                    k = r.median("kloop-get-hit", be, n, vs, "-", order)
                    rows.append([be, order, n_txt(n), num(g), num(self.noop),
                                 num(g - self.noop),
                                 num(k) if k is not None else "n/a",
                                 num(g - self.noop - k) if k is not None
                                 else "n/a"])
        if not rows:
            return
        self.w("## Where a get goes")
        self.w()
        self.w(f"Single get-hit ({vs}-byte values) split into the crossing"
               " (an unknown command, ENOTTY), the structure alone (the module's"
               " in-kernel loop, when it has one) and the rest: ioctl"
               " dispatch, the struct and value copies, the counters.")
        self.w()
        self.w(table(["backend", "keys", "N", "get-hit", "crossing",
                      "beyond crossing", "structure (in-kernel loop)",
                      "dispatch + copies"], rows, left=2))

    def memory(self):
        r = self.r
        if not r:
            return
        figs = [f for f in r.figs if f["what"] in ("mem-slab", "mem-meminfo")]
        if not figs:
            return
        self.w("## Memory")
        self.w()
        self.w("Bytes per entry beyond the 8-byte key and the value, from"
               " the growth of the active slab objects (`/proc/slabinfo`)"
               " and of `Slab + VmallocUsed` (`/proc/meminfo`) while the"
               " store went from empty to N entries (read after a pause for"
               " RCU frees).  The store's own `bytes` counter is in the"
               " note.")
        self.w()
        rows = []
        for be in BACKENDS:
            for vs in vsizes(r):
                for order in orders(r):
                    s = [f for f in figs if f["backend"] == be and
                         f["value_size"] == str(vs) and f["order"] == order]
                    if not s:
                        continue
                    slab = next((f for f in s if f["what"] == "mem-slab"),
                                None)
                    mi = next((f for f in s if f["what"] == "mem-meminfo"),
                              None)
                    note = (slab or mi)["note"]
                    stats = note[note.find("stats:"):] if "stats:" in note \
                        else ""
                    rows.append([be, f"{vs} B", order, n_txt(s[0]["n"]),
                                 slab["median"] if slab else "n/a",
                                 mi["median"] if mi else "n/a", stats])
        self.w(table(["backend", "value", "keys", "N", "slab B/entry",
                      "meminfo B/entry", "store counters"], rows))

    def scaling(self):
        s = self.s
        if not s:
            return
        self.w("## Reader and writer scaling (2 vCPUs, plain TCG)")
        self.w()
        self.w("Threads each pinned to a CPU with their own open file, for a"
               " fixed time on present keys (16-byte values, sequential"
               " keys): get; put of a new value, each thread on keys of its"
               " own (put-disjoint) or all on the same keys in the same order"
               " (put-shared).  ops/s summed over the threads, median of the"
               " samples.  getppid() and an unknown command are controls: they"
               " show how much two vCPUs of multi-threaded TCG on this host"
               " can scale at all.")
        self.w()
        rows = []
        for f in s.figs:
            if f["what"] != "scale-ratio":
                continue
            what = f["note"].split(":")[0] if ":" in f["note"] else "?"
            one = s.get(what, f["backend"], f["n"], f["value_size"], "-",
                        f["order"], 1) if what != "?" else None
            two = s.get(what, f["backend"], f["n"], f["value_size"], "-",
                        f["order"], f["threads"]) if what != "?" else None
            ctl = self.scale_control()
            try:
                norm = f"{float(f['median']) / ctl:.2f}x" if ctl else "n/a"
            except ValueError:
                norm = "n/a"
            best = f["note"].rsplit("best over best ", 1)
            rows.append([what, f["backend"],
                         n_txt(f["n"]) if f["n"] != "-" else "-",
                         one["median"] if one else "n/a",
                         two["median"] if two else "n/a",
                         (f["median"] + "x") if f["median"] != "n/a"
                         else f["note"],
                         best[1] + "x" if len(best) == 2 else "n/a", norm])
        self.w(table(["what", "backend", "N", "1 thread ops/s",
                      "2 threads ops/s", "ratio (medians)",
                      "ratio (best samples)", "ratio / getppid ratio"],
                     rows, left=2))

    def notes(self):
        self.w("## Notes from the runs")
        self.w()
        for name, run in (("pass 1", self.r), ("pass 2", self.s)):
            if not run:
                continue
            for n in run.notes:
                self.w(f"- {name}: {n}")
            for d in run.dmesg:
                self.w(f"- {name}: kernel log: `{d}`")
            fails = [f for f in run.figs if f["min"] == "n/a"]
            for f in fails:
                self.w(f"- {name}: {f['what']} {f['backend']} N={f['n']}"
                       f" {f['value_size']} B batch {f['batch']}"
                       f" {f['order']}: {f['note']}")
        self.w()
        self.w("The plot `cost-vs-n.svg` shows the single-operation costs"
               " against N (both axes logarithmic).")
        self.w()

    def markdown(self):
        self.header()
        self.reading()
        self.targets()
        self.floors()
        self.single()
        self.batches()
        self.ranges()
        self.extra()
        self.split()
        self.memory()
        self.scaling()
        self.notes()
        return "\n".join(self.out).rstrip() + "\n"


# ---- the plot ---------------------------------------------------------------

COLORS = {"list": "#8c564b", "hash": "#d62728", "rbtree": "#1f77b4",
          "xarray": "#2ca02c", "maple": "#9467bd", "bpf-hash": "#ff7f0e",
          "user-hash": "#7f7f7f"}


def svg(run, noop):
    """2x2 panels: get-hit, get-miss, put, del against N, per backend."""
    vs = 16 if 16 in vsizes(run) else (vsizes(run) or [0])[0]
    order = "rand" if "rand" in orders(run) else (orders(run) or ["seq"])[0]
    ns = sizes(run)
    pw, ph, ml, mt, mb, mr = 430, 300, 70, 40, 45, 20
    width, height = 2 * (pw + ml + mr), 2 * (ph + mt + mb) + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}"'
           f' height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle"'
           f' font-size="15">kds: cost per operation against N ({vs}-byte'
           f' values, {order} keys; guest instructions per operation,'
           f' {run.info.get("kernel", "")})</text>']
    if not ns:
        out.append("</svg>")
        return "\n".join(out) + "\n"
    xlo, xhi = math.log10(ns[0]), math.log10(ns[-1])
    if xhi == xlo:
        xlo, xhi = xlo - 0.5, xhi + 0.5
    for i, op in enumerate(OPS):
        ox = (i % 2) * (pw + ml + mr) + ml
        oy = (i // 2) * (ph + mt + mb) + mt + 20
        series = {}
        for be in BACKENDS + PEERS:
            pts = [(n, run.median(op, be, n, vs, "-", order)) for n in ns]
            pts = [(n, m) for n, m in pts if m]
            if pts:
                series[be] = pts
        vals = [m for pts in series.values() for _, m in pts]
        if noop:
            vals.append(noop)
        if not vals:
            continue
        ylo = math.floor(math.log10(min(vals)))
        yhi = math.ceil(math.log10(max(vals)))
        if yhi == ylo:
            yhi += 1

        def px(n, ox=ox):
            return ox + (math.log10(n) - xlo) / (xhi - xlo) * pw

        def py(v, oy=oy, ylo=ylo, yhi=yhi):
            return oy + ph - (math.log10(v) - ylo) / (yhi - ylo) * ph
        out.append(f'<rect x="{ox}" y="{oy}" width="{pw}" height="{ph}"'
                   ' fill="none" stroke="#333"/>')
        out.append(f'<text x="{ox + pw / 2}" y="{oy - 6}"'
                   f' text-anchor="middle" font-size="13">{op}</text>')
        for e in range(ylo, yhi + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{ox}" y1="{y:.1f}" x2="{ox + pw}"'
                       f' y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{ox - 6}" y="{y + 4:.1f}"'
                       f' text-anchor="end">{10 ** e:g}</text>')
        for n in ns:
            x = px(n)
            out.append(f'<line x1="{x:.1f}" y1="{oy}" x2="{x:.1f}"'
                       f' y2="{oy + ph}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{oy + ph + 16}"'
                       f' text-anchor="middle">{n_txt(n)}</text>')
        out.append(f'<text x="{ox + pw / 2}" y="{oy + ph + 34}"'
                   ' text-anchor="middle">N (keys in the store)</text>')
        out.append(f'<text x="{ox - 48}" y="{oy + ph / 2}"'
                   f' text-anchor="middle" transform="rotate(-90'
                   f' {ox - 48} {oy + ph / 2})">ns (instructions) per'
                   ' operation</text>')
        if noop:
            y = py(noop)
            out.append(f'<line x1="{ox}" y1="{y:.1f}" x2="{ox + pw}"'
                       f' y2="{y:.1f}" stroke="#000" stroke-dasharray="5,4"/>')
            out.append(f'<text x="{ox + pw - 4}" y="{y - 4:.1f}"'
                       ' text-anchor="end" font-size="11">crossing (unknown ioctl)</text>')
        for be, pts in series.items():
            d = " ".join(f"{px(n):.1f},{py(m):.1f}" for n, m in pts)
            dash = ' stroke-dasharray="2,3"' if be in PEERS else ""
            out.append(f'<polyline points="{d}" fill="none"'
                       f' stroke="{COLORS[be]}" stroke-width="2"{dash}/>')
            for n, m in pts:
                out.append(f'<circle cx="{px(n):.1f}" cy="{py(m):.1f}" r="3"'
                           f' fill="{COLORS[be]}"/>')
    lx, ly = ml, height - 22
    shown = {f["backend"] for f in run.figs if f["value_size"] == str(vs)
             and f["order"] == order and f["what"] in OPS}
    for be in [x for x in BACKENDS + PEERS if x in shown]:
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}"'
                   f' stroke="{COLORS[be]}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 30}" y="{ly + 4}">{be}</text>')
        lx += 110
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--icount", help="TSV of pass 1")
    p.add_argument("--smp2", help="TSV of pass 2")
    p.add_argument("--markdown", required=True)
    p.add_argument("--svg", required=True)
    p.add_argument("--command", default="make bench")
    p.add_argument("--qemu", default="")
    p.add_argument("--host-cpu", default="")
    p.add_argument("--seconds", type=int, default=0)
    p.add_argument("--host-load", default="")
    p.add_argument("--remark", default="",
                   help="a sentence on how this run differs from the default")
    a = p.parse_args()
    if not a.icount and not a.smp2:
        p.error("nothing to report: give --icount and/or --smp2")
    rep = Report(a)
    with open(a.markdown, "w", encoding="utf-8") as f:
        f.write(rep.markdown())
    if rep.r:
        with open(a.svg, "w", encoding="utf-8") as f:
            f.write(svg(rep.r, rep.noop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
