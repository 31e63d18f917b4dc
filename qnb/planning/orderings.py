"""Deterministic vertex orderings that seed the partitioner (contiguous, BFS, spectral, seeded random).

Cutting an ordering into consecutive chunks, one per node, gives the initial partitions that the
Fiduccia-Mattheyses refinement (:mod:`qnb.planning.partition`) improves. Each ordering keeps
strongly interacting qubits close: BFS from a pseudo-peripheral vertex follows chains, the
spectral ordering (Fiedler vector of the clique-expanded Laplacian) follows the global structure.
Everything is tie-broken by vertex index, never by set or hash order.
"""

from __future__ import annotations

import random
from collections import deque

from .interaction import Hypergraph

__all__ = ["orderings", "contiguous", "bfs_order", "spectral_order", "random_orders"]

#: above this many vertices the dense eigen-decomposition is skipped (it would dominate run time)
SPECTRAL_MAX_VERTICES = 200


def contiguous(n: int) -> list[int]:
    return list(range(n))


def _components(adj: list[dict[int, float]]) -> list[list[int]]:
    seen = [False] * len(adj)
    comps = []
    for s in range(len(adj)):
        if seen[s]:
            continue
        seen[s] = True
        comp, queue = [], deque([s])
        while queue:
            u = queue.popleft()
            comp.append(u)
            for v in sorted(adj[u]):
                if not seen[v]:
                    seen[v] = True
                    queue.append(v)
        comps.append(sorted(comp))
    return comps


def _bfs(adj: list[dict[int, float]], start: int, allowed: set[int] | None = None) -> list[int]:
    order, seen, queue = [start], {start}, deque([start])
    while queue:
        u = queue.popleft()
        for v in sorted(adj[u], key=lambda x: (-adj[u][x], x)):
            if v not in seen and (allowed is None or v in allowed):
                seen.add(v)
                order.append(v)
                queue.append(v)
    return order


def bfs_order(adj: list[dict[int, float]]) -> list[int]:
    """BFS per connected component from a pseudo-peripheral vertex (the last one a BFS reaches)."""
    out: list[int] = []
    for comp in _components(adj):
        members = set(comp)
        far = _bfs(adj, comp[0], members)[-1]
        out.extend(_bfs(adj, far, members))
    return out


def _fiedler(lap):
    """Eigenvector of the second-smallest Laplacian eigenvalue.

    Small matrices use a dense solver. Larger ones use Lanczos iteration on the complement of the
    constant vector (matrix-vector products only, fixed start vector, full reorthogonalisation)
    and a tridiagonal solve: dense multi-threaded LAPACK calls were measured taking hundreds of
    milliseconds on a loaded 2-core machine for a 100x100 matrix.
    """
    import numpy as np

    n = lap.shape[0]
    if n <= 24:
        return np.linalg.eigh(lap)[1][:, 1]
    m = min(n - 1, 160)
    v = np.random.default_rng(20190611).standard_normal(n)
    v -= v.mean()
    v /= np.linalg.norm(v)
    ones = np.full(n, 1.0 / np.sqrt(n))
    basis = np.zeros((n, m))
    alpha: list[float] = []
    beta: list[float] = []
    for j in range(m):
        basis[:, j] = v
        w = lap @ v
        a = float(w @ v)
        alpha.append(a)
        w = w - a * v - (beta[-1] * basis[:, j - 1] if j else 0.0)
        w -= basis[:, :j + 1] @ (basis[:, :j + 1].T @ w)
        w -= ones * float(ones @ w)
        b = float(np.linalg.norm(w))
        if b < 1e-10 or j == m - 1:
            break
        beta.append(b)
        v = w / b
    k = len(alpha)
    return basis[:, :k] @ np.array(_lowest_tridiagonal(alpha, beta[:k - 1]))


def _lowest_tridiagonal(alpha: list[float], beta: list[float]) -> list[float]:
    """Eigenvector of the smallest eigenvalue of a symmetric tridiagonal matrix (pure Python).

    Bisection with Sturm counts finds the eigenvalue; inverse iteration with a shift just below
    it (so the shifted matrix is positive definite and the Thomas algorithm is stable) the vector.
    """
    m = len(alpha)
    if m == 1:
        return [1.0]
    b2 = [b * b for b in beta]
    lo = min(alpha[i] - (abs(beta[i - 1]) if i else 0.0) - (abs(beta[i]) if i < m - 1 else 0.0) for i in range(m))
    hi = max(alpha[i] + (abs(beta[i - 1]) if i else 0.0) + (abs(beta[i]) if i < m - 1 else 0.0) for i in range(m))

    def below(x: float) -> int:
        count, d = 0, 1.0
        for i in range(m):
            d = alpha[i] - x - (b2[i - 1] / d if i else 0.0)
            if d == 0.0:
                d = -1e-300
            if d < 0.0:
                count += 1
        return count

    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if below(mid) >= 1:
            hi = mid
        else:
            lo = mid
    shift = lo - 1e-9 * (1.0 + abs(lo))
    y = [1.0] * m
    for _ in range(3):
        c = [0.0] * m  # Thomas algorithm on (T - shift I) x = y
        d = [0.0] * m
        diag = alpha[0] - shift
        c[0] = beta[0] / diag
        d[0] = y[0] / diag
        for i in range(1, m):
            diag = alpha[i] - shift - beta[i - 1] * c[i - 1]
            c[i] = beta[i] / diag if i < m - 1 else 0.0
            d[i] = (y[i] - beta[i - 1] * d[i - 1]) / diag
        x = [0.0] * m
        x[-1] = d[-1]
        for i in range(m - 2, -1, -1):
            x[i] = d[i] - c[i] * x[i + 1]
        norm = sum(v * v for v in x) ** 0.5
        y = [v / norm for v in x]
    return y


def spectral_order(adj: list[dict[int, float]]) -> list[int] | None:
    """Sort each component by its Fiedler vector (sign fixed, values rounded for stable ties)."""
    import numpy as np

    n = len(adj)
    if n > SPECTRAL_MAX_VERTICES:
        return None
    out: list[int] = []
    for comp in _components(adj):
        if len(comp) <= 2:
            out.extend(comp)
            continue
        idx = {v: i for i, v in enumerate(comp)}
        lap = np.zeros((len(comp), len(comp)))
        for v in comp:
            i = idx[v]
            for u, w in adj[v].items():
                j = idx[u]
                lap[i, j] -= w
                lap[i, i] += w
        fied = _fiedler(lap)
        nz = np.flatnonzero(np.abs(fied) > 1e-9)
        if len(nz) and fied[nz[0]] < 0:
            fied = -fied
        key = np.round(fied, 9)
        out.extend(sorted(comp, key=lambda v: (float(key[idx[v]]), v)))
    return out


def random_orders(n: int, seed: int, count: int) -> list[list[int]]:
    rng = random.Random(seed)
    res = []
    for _ in range(count):
        order = list(range(n))
        rng.shuffle(order)
        res.append(order)
    return res


def orderings(hg: Hypergraph, seed: int, random_count: int = 2) -> list[tuple[str, list[int]]]:
    """The named starting orderings, duplicates removed (first name wins)."""
    adj = hg.neighbours()
    named: list[tuple[str, list[int] | None]] = [
        ("contiguous", contiguous(hg.num_vertices)),
        ("bfs", bfs_order(adj)),
        ("spectral", spectral_order(adj)),
    ]
    named += [(f"random{i}", o) for i, o in enumerate(random_orders(hg.num_vertices, seed, random_count))]
    out, seen = [], set()
    for name, order in named:
        if order is None:
            continue
        key = tuple(order)
        if key not in seen:
            seen.add(key)
            out.append((name, order))
    return out
