"""``qnb bench fuzz``: malformed and hostile circuits through validation, watched for crashes, hangs
and memory (FR-003, FR-014; docs/circuit-limits.md).

Programs: a fixed catalogue of hostile patterns (huge registers and literals, power towers, deep
nesting of every kind, runaway loops, exponential gate and subroutine nesting, include escapes,
oversized sources, ...; each at several sizes) followed by random mutations of the bundled
circuits (token insertion and deletion, hostile numbers and register sizes, duplicated, wrapped,
truncated or spliced lines, exponential definitions, bad includes), all from ``--seed``.

Each program goes through what ``qnb validate --json`` does (:func:`qnb.circuits.loads` with the
default ``[parse]`` limits, then the CLI summary, fingerprint included) in one of ``--workers``
long-lived worker processes. The parent kills a worker that takes longer than ``--timeout``
seconds (a *hang*) or grows past ``--kill-rss-mb`` (*over memory*), and restarts it. A worker resets
its peak-RSS counter (``/proc/self/clear_refs``) before each program and reports the peak after.

Outcomes: *valid*, *structured error* (a :class:`~qnb.errors.QnbError`; *located* when it has a
line), *crash* (any other exception, a QasmError marked ``internal`` by the loader's last line of
defence, or a dead worker). The loader's deadline (``parse.deadline_s``) is set to ``--deadline``
(default: 1 s under the timeout) so that slow programs end in their structured deadline error;
the watchdog is there for whatever does not honour it. Exit status 1 when anything crashed, hung,
was killed for memory or peaked above 1 GiB.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import dataclass

__all__ = ["register_bench", "generate", "run_fuzz", "render", "HOSTILE"]

GIB_KB = 1024 * 1024
H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'
H2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def register_bench(subparsers) -> None:
    p = subparsers.add_parser("fuzz", help="malformed circuits through validation: crashes, hangs, memory",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--programs", type=int, default=1000, help="programs to run (default 1000; the hostile "
                                                              "catalogue first, then mutants)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the mutants (default 0)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds before a program counts as hung (5)")
    p.add_argument("--deadline", type=float, default=None, help="parse.deadline_s for the loads (default: "
                                                                "timeout - 1)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs, at most 4)")
    p.add_argument("--kill-rss-mb", type=int, default=3072, help="kill a worker above this RSS (3072)")
    p.add_argument("--save", metavar="DIR", help="write every crashing, hanging or oversized program here")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    from ..errors import QnbError

    if args.programs < 1:
        raise QnbError(f"--programs must be >= 1, got {args.programs}")
    if args.timeout <= 0:
        raise QnbError(f"--timeout must be > 0, got {args.timeout}")
    deadline = args.deadline if args.deadline is not None else max(args.timeout - 1.0, 0.1)
    workers = args.workers or max(1, min(4, os.cpu_count() or 1))
    programs = generate(args.programs, args.seed)
    result = run_fuzz(programs, timeout=args.timeout, deadline=deadline, workers=workers,
                      kill_rss_mb=args.kill_rss_mb, save=args.save)
    result["seed"] = args.seed
    print(json.dumps(result) if args.json else render(result))
    bad = result["crashes"] + result["hangs"] + result["over_memory"] + result["over_1gib"]
    return 1 if bad else 0


# ------------------------------------------------------------------------------------- programs

@dataclass(frozen=True)
class Program:
    kind: str   # "hostile" or "mutant"
    name: str
    text: str


def _rep(s: str, n: int) -> str:
    return s * n


def _chain(kind: str, n: int, empty: bool = False, qasm2: bool = False) -> str:
    """``gate g_k a { g_{k-1} a; g_{k-1} a; }`` (or the same with subroutines): a 2**n expansion."""
    if kind == "gate":
        head = (H2 + "qreg q[1];\n") if qasm2 else (H3 + "qubit q;\n")
        base = "gate g0 a { }\n" if empty else "gate g0 a { x a; }\n"
        body = "".join(f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, n + 1))
        return head + base + body + (f"g{n} q[0];\n" if qasm2 else f"g{n} q;\n")
    base = "def f0(qubit a) { }\n" if empty else "def f0(qubit a) { x a; }\n"
    body = "".join(f"def f{i}(qubit a) {{ f{i - 1}(a); f{i - 1}(a); }}\n" for i in range(1, n + 1))
    return H3 + "qubit q;\n" + base + body + f"f{n}(q);\n"


def _hostile() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    add = out.append
    big_digits = "7" * 1_000_000
    for n in ("4097", "100000000", "1000000000", "2147483648", "9223372036854775808", "1" + "0" * 30, "9" * 500):
        add((f"qubit[{n[:12]}]", f"OPENQASM 3.0;\nqubit[{n}] q;\n"))
        add((f"bit[{n[:12]}]", f"OPENQASM 3.0;\nbit[{n}] c;\n"))
        add((f"qreg[{n[:12]}]", f"OPENQASM 2.0;\nqreg q[{n}];\n"))
        add((f"creg[{n[:12]}]", f"OPENQASM 2.0;\ncreg c[{n}];\n"))
    add(("many qubit registers", "OPENQASM 3.0;\n" + "".join(f"qubit[100] r{i};\n" for i in range(50))))
    add(("many qregs", "OPENQASM 2.0;\n" + "".join(f"qreg r{i}[100];\n" for i in range(50))))
    add(("many physical qubits", H3 + "".join(f"x ${i};\n" for i in range(5000))))
    add(("huge physical index", H3 + "x $" + "9" * 300 + ";\n"))
    add(("const qubit count", H3 + "const int n = 10**8;\nqubit[n] q;\n"))
    for expr in ("10**10**10", "2**2**2**2**2**2", "pow(10, pow(10, 10))", "1e308*1e308", "1e400", "-1e400",
                 "(1 << 100000)", "2.0**1024", "0.5**-100000", "exp(1e6)", "ceiling(1e300)", "0x" + "f" * 300,
                 "1/0", "1.0 % 0.0", "mod(1, 0)", "sqrt(-1)", "log(0)", "arccos(2)", "9" * 399,
                 "1" + "0" * 35, "popcount(-1)", "~0 << 200"):
        add((f"rz({expr[:20]})", H3 + f"qubit q;\nrz({expr}) q;\n"))
        add((f"rz({expr[:20]}) slow", H3 + f"qubit q;\nif (true) {{ }}\nrz({expr}) q;\n"))
    add(("qasm2 1e400", H2 + "qreg q[1];\nU(1e400, 0, 0) q[0];\n"))
    add(("qasm2 overflow", H2 + "qreg q[1];\nU(1e308*1e308, 0, 0) q[0];\n"))
    add(("qasm2 huge literal", H2 + "qreg q[1];\nU(" + "9" * 5000 + ", 0, 0) q[0];\n"))
    add(("million-digit literal", H3 + f"qubit q;\nrz({big_digits}) q;\n"))
    add(("million-digit qasm2", H2 + f"qreg q[1];\nU({big_digits},0,0) q[0];\n"))
    add(("huge bitstring", H3 + 'bit[8] b = "' + "01" * 50_000 + '";\n'))
    add(("version 10**30", "OPENQASM " + "1" * 40 + ".0;\nqubit q;\n"))
    for n in (300, 10_000, 100_000):
        add((f"parens {n}", H3 + "qubit q;\nrz(" + "(" * n + "1" + ")" * n + ") q;\n"))
        add((f"unary {n}", H3 + "qubit q;\nrz(" + "-" * n + "1) q;\n"))
        add((f"sum {n}", H3 + "qubit q;\nrz(" + "+".join(["1"] * n) + ") q;\n"))
        add((f"pow chain {n}", H3 + "qubit q;\nrz(" + "**".join(["1"] * n) + ") q;\n"))
        add((f"calls {n}", H3 + "qubit q;\nrz(" + "sin(" * n + "1" + ")" * n + ") q;\n"))
        add((f"if chain {n}", H3 + "qubit q;\n" + "if (true) " * n + "x q;\n"))
        add((f"if blocks {n}", H3 + "qubit q;\n" + "if (true) {" * n + "x q;" + "}" * n + "\n"))
        add((f"else-if {n}", H3 + "qubit q;\n" + "if (false) {} else " * n + "x q;\n"))
        add((f"blocks {n}", H3 + "qubit q;\n" + "{" * n + "x q;" + "}" * n + "\n"))
        add((f"for nest {n}", H3 + "qubit q;\n" + "for int i in [0:0] {" * n + "x q;" + "}" * n + "\n"))
        add((f"index chain {n}", H3 + "qubit[2] q;\nx q" + "[0]" * n + ";\n"))
        add((f"qasm2 parens {n}", H2 + "qreg q[1];\nU(" + "(" * n + "1" + ")" * n + ",0,0) q[0];\n"))
        add((f"qasm2 sum {n}", H2 + "qreg q[1];\ngate g(t) a { U(t" + "+t" * n + ",0,0) a; }\ng(1) q[0];\n"))
        add((f"qasm2 unary {n}", H2 + "qreg q[1];\nU(" + "-" * n + "1,0,0) q[0];\n"))
        add((f"unclosed {n}", H3 + "qubit q;\nrz(" + "(" * n + "\n"))
        add((f"closers {n}", H3 + "qubit q;\n" + ")" * n + "}" * n + "\n"))
    for lo, hi in (("0", "10**12"), ("0", "999999999"), ("0", "1000000"), ("-1000000000", "1000000000")):
        add((f"for [{lo}:{hi[:8]}]", H3 + f"qubit q;\nfor int i in [{lo}:{hi}] {{ x q; }}\n"))
    add(("for empty 10**12", H3 + "qubit q;\nfor int i in [0:10**12] { }\n"))
    add(("nested loops", H3 + "qubit q;\nfor int i in [0:100000] { for int j in [0:100000] { x q; } }\n"))
    add(("nested empty loops", H3 + "qubit q;\nfor int i in [0:100000] { for int j in [0:100000] { } }\n"))
    add(("triple loops", H3 + "qubit q;\nfor int i in [0:1000] { for int j in [0:1000] { for int k in [0:1000] "
                               "{ x q; } } }\n"))
    add(("step tiny", H3 + "qubit q;\nfor int i in [0:1:10**9] { x q; }\n"))
    add(("huge set", H3 + "qubit q;\nfor int i in {" + ",".join(["1"] * 100_000) + "} { x q; }\n"))
    for n in (20, 40, 64):
        add((f"gate chain {n}", _chain("gate", n)))
        add((f"empty gate chain {n}", _chain("gate", n, empty=True)))
        add((f"qasm2 gate chain {n}", _chain("gate", n, qasm2=True)))
        add((f"def chain {n}", _chain("def", n)))
        add((f"empty def chain {n}", _chain("def", n, empty=True)))
    add(("inv ctrl chain", H3 + "qubit[3] q;\ngate g0 a { x a; }\n" + "".join(
        f"gate g{i} a {{ inv @ g{i - 1} a; pow(2) @ g{i - 1} a; }}\n" for i in range(1, 40)) + "ctrl(2) @ g39 q;\n"))
    add(("pow huge", H3 + "qubit q;\npow(1000000000) @ x q;\n"))
    add(("pow 10**30", H3 + "qubit q;\npow(10**30) @ x q;\n"))
    add(("pow negative huge", H3 + "qubit q;\npow(-10**12) @ h q;\n"))
    add(("ctrl huge", H3 + "qubit[2] q;\nctrl(10**12) @ x q[0], q[1];\n"))
    add(("many modifiers", H3 + "qubit q;\n" + "inv @ " * 20_000 + "x q;\n"))
    add(("sym doubling", H3 + "input float th;\nqubit q;\nfloat b = th;\n" + "b = b + b;\n" * 200 + "rz(b) q;\n"))
    add(("sym loop", H3 + "input float th;\nqubit q;\nfloat b = th;\nfor int i in [0:100000] { b = b * th + 1; }\n"
                          "rz(b) q;\n"))
    add(("broadcast qasm3", H3 + "qubit[4096] q;\n" + "h q;\n" * 1000))
    add(("broadcast qasm2", H2 + "qreg q[4096];\n" + "h q;\n" * 1000))
    add(("broadcast measure", H2 + "qreg q[4096];\ncreg c[4096];\n" + "measure q -> c;\n" * 1000))
    add(("big valid qasm3", H3 + "qubit[4096] q;\n" + "h q;\n" * 480))
    add(("big loop valid", H3 + "qubit q;\nfor int i in [0:999999] { x q; }\n"))
    for name in ("../../../../etc/hostname", "/etc/passwd", "../../etc/passwd", "/dev/zero", "/proc/self/environ",
                 "..", ".", "", "~/.ssh/id_rsa", "C:\\Windows\\win.ini", "stdgates.inc/../../x", "a" * 100_000,
                 "a\x00b", "sub/../../x.inc", "nope.inc", "qnbgates.inc", "./qnbgates.inc", "__init__.py"):
        shown = name[:24].replace("\x00", "\\0")
        add((f"include {shown}", f'include "{name}";\nqubit q;\n'))
        add((f"qasm2 include {shown}", f'OPENQASM 2.0;\ninclude "{name}";\nqreg q[1];\n'))
    add(("qasm2 include single quotes", "OPENQASM 2.0;\ninclude '/etc/passwd';\nqreg q[1];\n"))
    add(("qasm2 include comment trick", 'OPENQASM 2.0;\ninclude "..//..//etc//passwd";\nqreg q[1];\n'))
    add(("qasm2 include no string", "OPENQASM 2.0;\ninclude etc;\nqreg q[1];\n"))
    add(("oversized 1MiB+1", H3 + "qubit q;\n" + "x q;" * 262_144))
    add(("oversized comment", H3 + "qubit q;\n//" + "c" * (1 << 20)))
    add(("1MiB slow path", H3 + "qubit q;\nif (true) {}\n" + "x q;" * 250_000))
    add(("256kB slow path", H3 + "qubit q;\nif (true) {}\n" + "x q;" * 60_000))
    add(("long identifier", H3 + "qubit " + "a" * 500_000 + ";\n"))
    add(("many inputs", H3 + "".join(f"input float p{i};\n" for i in range(20_000)) + "qubit q;\n"))
    add(("zero qubits", "OPENQASM 3.0;\n"))
    add(("empty", ""))
    add(("whitespace", " \n\t " * 1000))
    add(("nul bytes", H3 + "qubit q;\x00\x00\nx q;\n"))
    add(("lone surrogate", H3 + "qubit q;\nx q; // \udcff\n"))
    add(("bom crlf", "\ufeffOPENQASM 3.0;\r\ninclude \"stdgates.inc\";\r\nqubit q;\r\nh q;\r\n"))
    add(("unterminated comment", H3 + "qubit q;\n/* never closed\n"))
    add(("unterminated string", 'OPENQASM 3.0;\ninclude "stdgates.inc\nqubit q;\n'))
    add(("while", H3 + "qubit q;\nwhile (true) { x q; }\n"))
    add(("recursive def", H3 + "qubit q;\ndef f(qubit a) { f(a); }\nf(q);\n"))
    add(("recursive gate", H3 + "qubit q;\ngate g a { g a; }\ng q;\n"))
    add(("mutual gates", H3 + "qubit q;\ngate g a { h a; }\ngate h2 a { g a; h2 a; }\nh2 q;\n"))
    add(("measure feed-forward", H3 + "qubit q;\nbit b;\nb = measure q;\nif (b) x q;\n"))
    add(("garbage", "".join(chr(33 + (i * 7919) % 90) for i in range(5000))))
    add(("random unicode", "".join(chr(0x100 + (i * 104729) % 0x2000) for i in range(3000))))
    return out


HOSTILE = _hostile


_VOCAB = ["{", "}", "(", ")", "[", "]", ";", ",", "->", "@", "$", "$99999999", "=", "==", "**", "<<", "+", "-",
          "qubit", "bit", "qreg", "creg", "gate", "def", "for", "in", "if", "else", "while", "measure", "reset",
          "barrier", "ctrl @", "inv @", "pow(2) @", "pow(10**9) @", "negctrl @", "include", "\"", "/*", "//",
          "\x00", "\n", "end", "break", "return", "const", "input float", "output bit", "duration", "box",
          "let", "OPENQASM 3;", "OPENQASM 2.0;", "x", "h", "cx", "U", "CX", "q", "q[0]", "q[99]", "c",
          "10**10**10", "1e400", "9" * 450, "0x" + "f" * 64, "2147483648", "-0", "pi", "π", "τ", "\u00e9",
          "#pragma", "@annotation", "defcal", "cal {", "sizeof(q)", "\"0101\"", "1_000_000", "1.5e-3ns"]
_HOSTILE_NUMBERS = ["10**10**10", "1e400", "9" * 450, "2147483648", "1000000000", "4097", "-1", "0",
                    "1" + "0" * 30, "0x" + "f" * 40, "2**2**2**2**2**2", "(1 << 200)", "1.0/0.0", "nan", "inf"]


def _bundled_texts() -> list[tuple[str, str]]:
    from ..circuits.loader import bundled
    return [(name, path.read_text()) for name, path in bundled().items()]


def _mutate(rng: random.Random, text: str, others: list[str]) -> tuple[str, str]:
    """One random mutation of ``text``; returns (what, new text)."""
    import re
    lines = text.split("\n")
    qasm2 = text.lstrip().startswith("OPENQASM 2")
    op = rng.randrange(16)
    if op == 0:
        pos = rng.randrange(len(text) + 1)
        tok = rng.choice(_VOCAB)
        return f"insert {tok[:12]!r}", text[:pos] + " " + tok + " " + text[pos:]
    if op == 1:
        pos = rng.randrange(len(text) + 1)
        n = rng.randint(1, 20)
        return f"delete {n}", text[:pos] + text[pos + n:]
    if op == 2:
        nums = list(re.finditer(r"\d+(?:\.\d*)?(?:e-?\d+)?", text))
        if nums:
            m = rng.choice(nums)
            new = rng.choice(_HOSTILE_NUMBERS)
            return f"number {new[:12]}", text[:m.start()] + new + text[m.end():]
    if op == 3:
        i = rng.randrange(len(lines))
        k = rng.choice([2, 10, 1000, 100_000])
        return f"duplicate line x{k}", "\n".join(lines[:i] + [lines[i]] * k + lines[i + 1:])
    if op == 4 and not qasm2:
        i = rng.randrange(len(lines))
        n = rng.choice(["10", "1000000", "999999999", "10**12", "-5"])
        return f"loop {n}", "\n".join(lines[:i] + [f"for int _i in [0:{n}] {{ {lines[i]} }}"] + lines[i + 1:])
    if op == 5:
        i = rng.randrange(len(lines))
        d = rng.choice([5, 60, 150, 400, 5000])
        wrap = "if (true) { " * d + lines[i] + " }" * d
        return f"nest {d}", "\n".join(lines[:i] + [wrap] + lines[i + 1:])
    if op == 6:
        cut = rng.randrange(len(text) + 1)
        return f"truncate {cut}", text[:cut]
    if op == 7 and len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "swap lines", "\n".join(lines)
    if op == 8:
        v = rng.choice(["4.0", "1.x", "99999999999999999999", "2", "3", "", "3.0.0"])
        return f"version {v}", re.sub(r"OPENQASM\s+[^;]*;", f"OPENQASM {v};", text, count=1)
    if op == 9:
        sizes = list(re.finditer(r"(qubit|bit|qreg\s+\w+|creg\s+\w+)\s*\[\s*(\d+)\s*\]", text))
        if sizes:
            m = rng.choice(sizes)
            new = rng.choice(["0", "4097", "100000000", "2147483648", "9" * 30, "-3", "n"])
            return f"register {new[:10]}", text[:m.start(2)] + new + text[m.end(2):]
    if op == 10:
        ids = list(re.finditer(r"\b[a-z_][a-z0-9_]*\b", text))
        if ids:
            m = rng.choice(ids)
            new = rng.choice(["undeclared", "for", "qubit", "pi", "U", "$3", "gate", "măgar", "measure"])
            return f"identifier {new}", text[:m.start()] + new + text[m.end():]
    if op == 11:
        chars = list(text)
        for _ in range(rng.randint(1, 8)):
            if chars:
                chars[rng.randrange(len(chars))] = chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x2fff)]))
        return "flip chars", "".join(chars)
    if op == 12 and others:
        other = rng.choice(others).split("\n")
        i = rng.randrange(len(lines) + 1)
        j = rng.randrange(len(other))
        return "splice", "\n".join(lines[:i] + other[j:j + rng.randint(1, 10)] + lines[i:])
    if op == 13:
        n = rng.choice([10, 25, 40])
        chain = "".join(f"gate zz{k} a {{ zz{k - 1} a; zz{k - 1} a; }}\n" for k in range(1, n + 1))
        target = "q[0]" if re.search(r"\bq\s*\[", text) else "q"
        return f"gate chain {n}", text + "\ngate zz0 a { x a; }\n" + chain + f"zz{n} {target};\n"
    if op == 14:
        name = rng.choice(["/etc/passwd", "../../../../etc/hostname", "a" * 5000, "nope.inc", "/dev/zero", ".."])
        return f"include {name[:16]}", text.replace("\n", f'\ninclude "{name}";\n', 1)
    return "repeat program", text * rng.choice([2, 50])


def generate(n: int, seed: int = 0) -> list[Program]:
    """The hostile catalogue (all of it when ``n`` allows), then mutants of the bundled circuits."""
    rng = random.Random(seed)
    out = [Program("hostile", name, text) for name, text in _hostile()][:n]
    base = _bundled_texts()
    texts = [t for _, t in base]
    while len(out) < n:
        name, text = rng.choice(base)
        what = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            w, text = _mutate(rng, text, texts)
            what.append(w)
        out.append(Program("mutant", f"{name}: {', '.join(what)}", text))
    return out


# --------------------------------------------------------------------------------------- workers

def _peak_kb(reset: bool = False) -> int:
    """This process's peak RSS in kB (VmHWM), reset to the current RSS first if asked (Linux)."""
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _worker(conn, deadline: float) -> None:  # pragma: no cover - runs in a child process
    import traceback

    from ..circuits import loads
    from ..circuits.limits import default_limits
    from ..cli.validate import summary
    from ..errors import QnbError

    limits = default_limits().replace(deadline_s=deadline)
    for warm in (H3 + "qubit[2] q;\nh q[0];\nif (true) { cx q[0], q[1]; }\n", H2 + "qreg q[1];\nh q[0];\n"):
        summary(loads(warm, settings=limits))
    conn.send(("ready", _peak_kb()))
    while True:
        job = conn.recv()
        if job is None:
            return
        index, text = job
        _peak_kb(reset=True)
        t0 = time.perf_counter()
        detail: dict = {}
        try:
            summary(loads(text, settings=limits))
            status = "valid"
        except QnbError as e:
            body = e.to_json()["error"]
            status = "internal" if body.get("internal") else "error"
            detail = {k: body.get(k) for k in ("type", "construct", "limit", "line", "column", "exception")}
            detail["message"] = str(body.get("message"))[:300]
        except BaseException as e:  # noqa: BLE001 - exactly what this bench looks for
            status = "crash"
            detail = {"exception": type(e).__name__, "traceback": traceback.format_exc()[-3000:]}
        conn.send((index, status, detail, time.perf_counter() - t0, _peak_kb()))


class _Slot:
    def __init__(self, ctx, deadline: float) -> None:
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, deadline), daemon=True)
        self.proc.start()
        child.close()
        self.job: int | None = None
        self.started = 0.0
        self.sampled_kb = 0
        self.ready_kb = 0

    def wait_ready(self, timeout: float = 120.0) -> None:
        from ..errors import QnbError
        try:
            if not self.parent.poll(timeout):
                raise EOFError
            tag, self.ready_kb = self.parent.recv()
        except (EOFError, OSError):
            self.kill()
            raise QnbError(f"a fuzz worker did not start (exit code {self.proc.exitcode})") from None

    def rss_kb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.parent.close()


def run_fuzz(programs: list[Program], *, timeout: float = 5.0, deadline: float = 4.0, workers: int = 2,
             kill_rss_mb: int = 3072, save: str | None = None) -> dict:
    """Run ``programs`` through validation under the watchdog; the counts and the problems found."""
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    t_start = time.perf_counter()
    slots = [_Slot(ctx, deadline) for _ in range(max(1, workers))]
    for s in slots:
        s.wait_ready()
    baseline_kb = max(s.ready_kb for s in slots)
    results: list[dict | None] = [None] * len(programs)
    pending = list(range(len(programs)))[::-1]

    def finish(slot: _Slot, status: str, detail: dict, seconds: float, peak_kb: int) -> None:
        results[slot.job] = {"status": status, "detail": detail, "seconds": seconds,
                             "peak_kb": max(peak_kb, slot.sampled_kb)}
        slot.job = None

    while pending or any(s.job is not None for s in slots):
        for i, s in enumerate(slots):
            if s.job is None and pending:
                s.job = pending.pop()
                s.started, s.sampled_kb = time.perf_counter(), 0
                try:
                    s.parent.send((s.job, programs[s.job].text))
                except (BrokenPipeError, OSError):
                    finish(s, "crash", {"exception": "worker died"}, 0.0, 0)
                    s.kill()
                    slots[i] = s = _Slot(ctx, deadline)
                    s.wait_ready()
        busy = [s for s in slots if s.job is not None]
        if not busy:
            continue
        ready = wait([s.parent for s in busy], timeout=0.05)
        for i, s in enumerate(slots):
            if s.job is None:
                continue
            if s.parent in ready:
                try:
                    index, status, detail, seconds, peak = s.parent.recv()
                    finish(s, status, detail, seconds, peak)
                    continue
                except (EOFError, OSError):
                    finish(s, "crash", {"exception": f"worker died (exit code {s.proc.exitcode})"},
                           time.perf_counter() - s.started, s.sampled_kb)
            else:
                elapsed = time.perf_counter() - s.started
                s.sampled_kb = max(s.sampled_kb, s.rss_kb())
                if elapsed > timeout:
                    finish(s, "hang", {"seconds": round(elapsed, 2)}, elapsed, s.sampled_kb)
                elif s.sampled_kb > kill_rss_mb * 1024:
                    finish(s, "over_memory", {"rss_mb": s.sampled_kb // 1024}, elapsed, s.sampled_kb)
                elif not s.proc.is_alive():
                    finish(s, "crash", {"exception": f"worker died (exit code {s.proc.exitcode})"}, elapsed,
                           s.sampled_kb)
                else:
                    continue
            s.kill()
            slots[i] = _Slot(ctx, deadline)
            slots[i].wait_ready()
    for s in slots:
        try:
            s.parent.send(None)
        except OSError:
            pass
        s.proc.join(5)
        if s.proc.is_alive():
            s.kill()
    return _report(programs, results, timeout=timeout, deadline=deadline, workers=len(slots),
                   baseline_kb=baseline_kb, elapsed=time.perf_counter() - t_start, save=save)


def _report(programs, results, *, timeout, deadline, workers, baseline_kb, elapsed, save) -> dict:
    from collections import Counter

    status = Counter(r["status"] for r in results)
    errors = [r for r in results if r["status"] == "error"]
    located = sum(1 for r in errors if r["detail"].get("line") is not None)
    limits = Counter(r["detail"].get("limit") or "-" for r in errors)
    constructs = Counter(r["detail"].get("construct") or "-" for r in errors)
    peak = max(r["peak_kb"] for r in results)
    seconds = sorted(r["seconds"] for r in results)
    past = [r["seconds"] - deadline for r in errors if r["detail"].get("limit") == "parse.deadline_s"]
    problems = []
    for prog, r in zip(programs, results):
        over = r["peak_kb"] > GIB_KB
        if r["status"] in ("crash", "internal", "hang", "over_memory") or over:
            problems.append({"kind": prog.kind, "name": prog.name[:120], "status": r["status"] if not over or
                             r["status"] != "valid" else "over_1gib", "rss_mb": r["peak_kb"] // 1024,
                             "seconds": round(r["seconds"], 2), "detail": r["detail"], "head": prog.text[:160]})
    if save and problems:
        os.makedirs(save, exist_ok=True)
        for i, (prog, r) in enumerate(zip(programs, results)):
            if r["status"] in ("crash", "internal", "hang", "over_memory") or r["peak_kb"] > GIB_KB:
                with open(os.path.join(save, f"problem_{i:05d}.qasm"), "w", encoding="utf-8",
                          errors="surrogatepass") as f:
                    f.write(prog.text)
    unlocated = [{"name": p.name[:120], "detail": r["detail"]} for p, r in zip(programs, results)
                 if r["status"] == "error" and r["detail"].get("line") is None]
    return {
        "benchmark": "fuzz", "programs": len(programs),
        "hostile": sum(1 for p in programs if p.kind == "hostile"),
        "mutants": sum(1 for p in programs if p.kind == "mutant"),
        "timeout_s": timeout, "deadline_s": deadline, "workers": workers,
        "valid": status["valid"], "rejected": status["error"], "structured_errors": status["error"],
        "located_errors": located, "unlocated_errors": len(errors) - located,
        "crashes": status["crash"] + status["internal"], "tracebacks": status["crash"],
        "internal_errors": status["internal"], "hangs": status["hang"], "over_memory": status["over_memory"],
        "over_1gib": sum(1 for r in results if r["peak_kb"] > GIB_KB),
        "max_rss_mb": round(peak / 1024, 1), "baseline_rss_mb": round(baseline_kb / 1024, 1),
        "max_seconds": round(seconds[-1], 3), "p50_ms": round(1e3 * seconds[len(seconds) // 2], 1),
        "deadline_errors": limits.get("parse.deadline_s", 0),
        "max_past_deadline_s": round(max(past), 3) if past else None,
        "limits": dict(limits.most_common()), "constructs": dict(constructs.most_common(25)),
        "slowest": [{"name": p.name[:120], "status": r["status"], "seconds": round(r["seconds"], 3),
                     "limit": r["detail"].get("limit")}
                    for p, r in sorted(zip(programs, results), key=lambda pr: -pr[1]["seconds"])[:5]],
        "problems": problems[:50], "unlocated": unlocated[:30], "elapsed_s": round(elapsed, 1),
    }


def render(r: dict) -> str:
    lines = [
        f"qnb bench fuzz: {r['programs']} programs ({r['hostile']} hostile, {r['mutants']} mutants), seed "
        f"{r.get('seed')}, {r['workers']} workers, timeout {r['timeout_s']:g} s, parse deadline {r['deadline_s']:g} s",
        f"  valid {r['valid']}, rejected with a structured error {r['structured_errors']} "
        f"(located {r['located_errors']}, unlocated {r['unlocated_errors']})",
        f"  crashes {r['crashes']} (tracebacks {r['tracebacks']}, internal {r['internal_errors']}), hangs > "
        f"{r['timeout_s']:g} s {r['hangs']}, killed for memory {r['over_memory']}, peaks > 1 GiB {r['over_1gib']}",
        f"  max RSS {r['max_rss_mb']} MB (worker baseline {r['baseline_rss_mb']} MB), slowest {r['max_seconds']} s, "
        f"median {r['p50_ms']} ms, stopped by the deadline {r['deadline_errors']} (at most "
        f"{r['max_past_deadline_s']} s past it), {r['elapsed_s']} s in all",
        "  limits hit: " + ", ".join(f"{k} {v}" for k, v in r["limits"].items()),
        "  slowest: " + "; ".join(f"{s['name']} {s['seconds']} s ({s['limit'] or s['status']})" for s in r["slowest"]),
    ]
    for p in r["problems"][:20]:
        lines.append(f"  PROBLEM {p['status']}: {p['name']} ({p['seconds']} s, {p['rss_mb']} MB): "
                     f"{json.dumps(p['detail'])[:400]}")
    for u in r["unlocated"][:10]:
        lines.append(f"  unlocated: {u['name']}: {u['detail'].get('message', '')[:160]}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main
    sys.exit(main(["bench", "fuzz", *sys.argv[1:]]))
