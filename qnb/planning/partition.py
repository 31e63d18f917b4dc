"""k-way Fiduccia-Mattheyses refinement of qubit placements under capacities (FR-004).

Objective, for a placement ``part`` of the qubits over ``k`` selected nodes::

    sum_e w_e * sum(C[part[root_e]][m] for m in parts(e) if m != part[root_e])   # ebit cost
    + sum_v unary[v][part[v]]                                                     # node quality

``C[a][b]`` prices one ebit between nodes ``a`` and ``b`` (hops, path fidelity), ``unary`` the
fidelity risk of running a qubit's attributed operations on a node. Two-pin edges do not depend on
their root (``C`` is symmetric), so they are merged into a weighted graph whose per-vertex
"connection weight per part" is kept up to date on every move; larger hyperedges keep per-part pin
counts, and only pins of edges whose counts cross the critical values 0/1/2 are re-evaluated.

Each FM pass moves every vertex at most once, always the best-gain feasible move (one heap per
source part), lets one node overflow by one qubit so that pairs of moves act as swaps when
capacities are tight, stops after ``max_bad`` moves without a new best, and rolls back to the best
balanced prefix. Passes repeat while they improve. Candidate targets of a vertex are the parts it
is connected to, at most ``max_targets`` of them by connection weight. All ties are broken by
index, so the result is deterministic.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Sequence

from .interaction import Hypergraph

__all__ = ["PartitionProblem", "objective", "fill", "refine", "rank_starts", "partition"]


class PartitionProblem:
    """Immutable inputs of one partitioning run (a hypergraph over a selected node set)."""

    def __init__(self, hg: Hypergraph, caps: Sequence[int], C: Sequence[Sequence[float]],
                 unary: Sequence[Sequence[float]], allowed: Sequence[frozenset[int] | None],
                 max_targets: int = 8) -> None:
        n = hg.num_vertices
        self.n = n
        self.k = len(caps)
        self.caps = list(caps)
        self.C = [list(r) for r in C]
        self.unary = [list(r) for r in unary]
        self.allowed = list(allowed)
        self.max_targets = max_targets
        off = {self.C[i][j] for i in range(self.k) for j in range(self.k) if i != j}
        self.uniform: float | None = off.pop() if len(off) == 1 else (0.0 if not off else None)
        pairs: dict[tuple[int, int], float] = {}
        roots, pins, weights = [], [], []
        for r, ps, w in zip(hg.roots, hg.pins, hg.weights):
            if len(ps) == 2:
                key = (ps[0], ps[1]) if ps[0] < ps[1] else (ps[1], ps[0])
                pairs[key] = pairs.get(key, 0.0) + w
            else:
                roots.append(r)
                pins.append(ps)
                weights.append(w)
        self.graph = list(pairs.items())
        nbr: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for (u, v), w in self.graph:
            nbr[u].append((v, w))
            nbr[v].append((u, w))
        self.nbr = nbr
        self.roots, self.pins, self.weights = roots, pins, weights
        inc: list[list[int]] = [[] for _ in range(n)]
        for e, ps in enumerate(pins):
            for v in ps:
                inc[v].append(e)
        self.inc = inc
        self.movable = [bool(nbr[v] or inc[v]) for v in range(n)]


class _State:
    __slots__ = ("p", "part", "load", "conn", "cnt")

    def __init__(self, p: PartitionProblem, part: Sequence[int]) -> None:
        self.p = p
        self.part = list(part)
        self.load = [0] * p.k
        for x in self.part:
            self.load[x] += 1
        self.conn: list[dict[int, float]] = []
        for v in range(p.n):
            d: dict[int, float] = {}
            for u, w in p.nbr[v]:
                x = self.part[u]
                d[x] = d.get(x, 0.0) + w
            self.conn.append(d)
        self.cnt: list[dict[int, int]] = []
        for ps in p.pins:
            d2: dict[int, int] = {}
            for v in ps:
                x = self.part[v]
                d2[x] = d2.get(x, 0) + 1
            self.cnt.append(d2)

    def total(self) -> float:
        p, part, C = self.p, self.part, self.p.C
        s = 0.0
        for (u, v), w in p.graph:
            s += w * C[part[u]][part[v]]
        for e, ce in enumerate(self.cnt):
            r = part[p.roots[e]]
            row = C[r]
            s += p.weights[e] * sum(row[m] for m in ce if m != r)
        return s + sum(p.unary[v][x] for v, x in enumerate(part))

    def gains(self, v: int) -> dict[int, float]:
        """Gain of moving ``v`` to each candidate part (adjacent, allowed, best connected first)."""
        p, part, cnt, C = self.p, self.part, self.cnt, self.p.C
        a = part[v]
        cv = self.conn[v]
        score: dict[int, float] = {}
        for m, wt in cv.items():
            if m != a:
                score[m] = wt
        inc = p.inc[v]
        for e in inc:
            w = p.weights[e]
            for m in cnt[e]:
                if m != a:
                    score[m] = score.get(m, 0.0) + w
        allowed = p.allowed[v]
        if allowed is not None:
            score = {m: s for m, s in score.items() if m in allowed}
        if len(score) > p.max_targets:
            keep = sorted(score, key=lambda m: (-score[m], m))[:p.max_targets]
            score = {m: score[m] for m in sorted(keep)}
        if not score:
            return score
        ua = p.unary[v]
        g = {b: ua[a] - ua[b] for b in score}
        uni = p.uniform
        if cv:
            if uni is not None:
                ca = cv.get(a, 0.0)
                for b in g:
                    g[b] += uni * (cv.get(b, 0.0) - ca)
            else:
                items = list(cv.items())
                row_a = C[a]
                base = sum([wt * row_a[m] for m, wt in items])
                for b in g:
                    row_b = C[b]
                    g[b] += base - sum([wt * row_b[m] for m, wt in items])
        if not inc:
            return g
        roots, weights = p.roots, p.weights
        # non-root pins: moving v out of a saves C[R][a] when v was a's last pin; moving into b
        # costs C[R][b] unless b already holds a pin. The "into b" terms are summed per root part.
        by_root: dict[int, float] = {}
        base = 0.0
        for e in inc:
            w = weights[e]
            ce = cnt[e]
            r = roots[e]
            if r == v:
                row_a = C[a]
                before = 0.0
                for m in ce:
                    if m != a:
                        before += row_a[m]
                for b in g:
                    row_b = C[b]
                    after = 0.0
                    for m, c2 in ce.items():
                        if m != b and not (m == a and c2 == 1):
                            after += row_b[m]
                    g[b] += w * (before - after)
                continue
            R = part[r]
            row = C[R]
            if a != R and ce[a] == 1:
                base += w * row[a]
            by_root[R] = by_root.get(R, 0.0) + w
            for m in ce:
                if m in g:
                    g[m] += w * row[m]
        if by_root:
            if uni is not None:
                total = sum(by_root.values())
                for b in g:
                    g[b] += base - uni * (total - by_root.get(b, 0.0))
            else:
                for b in g:
                    g[b] += base - sum([W * C[R][b] for R, W in by_root.items()])
        return g

    def move(self, v: int, b: int, touched: dict[int, None] | None = None) -> None:
        """Move ``v`` to ``b``; add to ``touched`` every vertex whose gains may have changed."""
        p = self.p
        a = self.part[v]
        if a == b:
            return
        for u, w in p.nbr[v]:
            cu = self.conn[u]
            left = cu[a] - w
            if left <= 1e-9:
                del cu[a]
            else:
                cu[a] = left
            cu[b] = cu.get(b, 0.0) + w
            if touched is not None:
                touched[u] = None
        for e in p.inc[v]:
            ce = self.cnt[e]
            ca = ce[a]
            cb = ce.get(b, 0)
            if ca == 1:
                del ce[a]
            else:
                ce[a] = ca - 1
            ce[b] = cb + 1
            if touched is not None and (ca <= 2 or cb <= 1 or p.roots[e] == v):
                for u in p.pins[e]:
                    touched[u] = None
        self.part[v] = b
        self.load[a] -= 1
        self.load[b] += 1


def objective(p: PartitionProblem, part: Sequence[int]) -> float:
    """The objective of a placement, computed from scratch."""
    C = p.C
    s = 0.0
    for (u, v), w in p.graph:
        s += w * C[part[u]][part[v]]
    for r, ps, w in zip(p.roots, p.pins, p.weights):
        R = part[r]
        row = C[R]
        seen = {R}
        for v in ps:
            x = part[v]
            if x not in seen:
                seen.add(x)
                s += w * row[x]
    return s + sum(p.unary[v][x] for v, x in enumerate(part))


def fill(order: Sequence[int], part_order: Sequence[int], targets: Sequence[int],
         allowed: Sequence[frozenset[int] | None]) -> list[int] | None:
    """Cut ``order`` into consecutive chunks of ``targets[part]`` vertices along ``part_order``.

    A vertex not allowed on the current part goes to the next part along the order that has room
    and allows it. Returns None when some vertex fits nowhere.
    """
    part = [-1] * len(order)
    load = [0] * len(targets)
    pos = 0
    k = len(part_order)
    for v in order:
        while pos < k and load[part_order[pos]] >= targets[part_order[pos]]:
            pos += 1
        for step in range(k):
            x = part_order[(pos + step) % k]
            if load[x] < targets[x] and (allowed[v] is None or x in allowed[v]):
                part[v] = x
                load[x] += 1
                break
        else:
            return None
    return part


def _fm_pass(st: _State, max_bad: int) -> float:
    p = st.p
    caps, k, n = p.caps, p.k, p.n
    locked = [False] * n
    ver = [0] * n
    gtab: list[dict[int, float]] = [{} for _ in range(n)]
    heaps: list[list] = [[] for _ in range(k)]
    deferred: list[list[int]] = [[] for _ in range(k)]
    load = st.load
    over = -1

    def best_feasible(u: int) -> tuple[float, int] | None:
        best_g, best_b = 0.0, -1
        for b, g in gtab[u].items():
            limit = caps[b] if over >= 0 else caps[b] + 1
            if load[b] + 1 <= limit and (best_b < 0 or g > best_g or (g == best_g and b < best_b)):
                best_g, best_b = g, b
        return None if best_b < 0 else (best_g, best_b)

    def push(u: int) -> None:
        ver[u] += 1
        g = st.gains(u)
        gtab[u] = g
        best_g, best_b = 0.0, -1
        for b, x in g.items():
            if best_b < 0 or x > best_g or (x == best_g and b < best_b):
                best_g, best_b = x, b
        if best_b >= 0:
            heappush(heaps[st.part[u]], (-best_g, u, best_b, ver[u], best_g))

    for v in range(n):
        if p.movable[v]:
            push(v)
    cur = best = st.total()
    moves: list[tuple[int, int, int]] = []
    best_len = 0
    bad = 0
    while True:
        sources = (over,) if over >= 0 else range(k)
        pick = None
        src = -1
        for s in sources:
            h = heaps[s]
            while h:
                top = h[0]
                u, b = top[1], top[2]
                if locked[u] or top[3] != ver[u]:
                    heappop(h)
                    continue
                limit = caps[b] if over >= 0 else caps[b] + 1
                if load[b] + 1 > limit:
                    heappop(h)
                    alt = best_feasible(u)
                    if alt is None:
                        deferred[b].append(u)
                    else:
                        heappush(h, (-alt[0], u, alt[1], ver[u], alt[0]))
                    continue
                break
            if h and (pick is None or h[0] < pick):
                pick, src = h[0], s
        if pick is None:
            break
        heappop(heaps[src])
        _, v, b, _, g = pick
        a = st.part[v]
        touched: dict[int, None] = {}
        st.move(v, b, touched)
        locked[v] = True
        cur -= g
        moves.append((v, a, b))
        over = b if load[b] > caps[b] else -1
        if deferred[a]:
            for u in deferred[a]:
                touched[u] = None
            deferred[a] = []
        for u in touched:
            if not locked[u] and p.movable[u]:
                push(u)
        if over < 0 and cur < best - 1e-9:
            best, best_len, bad = cur, len(moves), 0
        else:
            bad += 1
            if bad > max_bad:
                break
    for v, a, b in reversed(moves[best_len:]):
        st.move(v, a)
    return best


def refine(p: PartitionProblem, part: Sequence[int], max_passes: int = 8,
           max_bad: int | None = None) -> tuple[list[int], float]:
    """Run FM passes from ``part`` until a pass stops improving; return (placement, cost)."""
    st = _State(p, part)
    cost = st.total()
    if max_bad is None:
        max_bad = max(8, min(p.n // 4, 40))
    for _ in range(max_passes):
        new = _fm_pass(st, max_bad)
        if new >= cost - 1e-9:
            break
        cost = new
    return st.part, st.total()


def rank_starts(p: PartitionProblem, starts: Sequence[Sequence[int]]) -> list[tuple[float, list[int]]]:
    """Distinct starts with their objective, best first (ties: earlier start, i.e. non-random first)."""
    scored = []
    seen: set[tuple[int, ...]] = set()
    for i, s in enumerate(starts):
        key = tuple(s)
        if key in seen:
            continue
        seen.add(key)
        scored.append((round(objective(p, s), 9), i, list(s)))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [(obj, s) for obj, _, s in scored]


def partition(p: PartitionProblem, ranked: Sequence[tuple[float, Sequence[int]]], keep: int = 3,
              max_passes: int = 8) -> tuple[list[int], float] | None:
    """Refine the first ``keep`` ranked starts; return the best result (ties: the earlier start)."""
    best: tuple[list[int], float] | None = None
    for _, s in ranked[:keep]:
        part, cost = refine(p, s, max_passes)
        if best is None or cost < best[1] - 1e-9:
            best = (part, cost)
    return best
