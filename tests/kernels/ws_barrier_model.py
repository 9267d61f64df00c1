#!/usr/bin/env python3
"""A model of the barrier protocol of attention stage 3 (kernels_src/attention/flash_wgmma_ws.cu),
run under random interleavings: a check of the design, not of the compiled kernel.

Agents, per block: the producer (its K/V loading thread) and NUM_WG consumer warpgroups, each
a generator that yields at every point where another agent may run. Modelled: the K/V ring of
STAGES stages (kfull/vfull with announced bytes, kempty/vempty), the two Q buffers (qfull,
qempty) of a persistent block, the ping-pong turns (named barriers 1 and 2), PV_LAG's loop,
EPI_OVERLAP's late qempty arrival, causal tiles skipped with empty turns, and CLUSTER = 2:
every K/V tile loaded as two halves, one by each block's producer, landing in both blocks in
either order; releases in both blocks; the producer's wait for its last phases before exit.

A run fails on: a deadlock; an arrival or bytes landing in another phase than meant; a waiter
two phases behind (parity would be ambiguous); a copy overwriting a stage a consumer still
reads or has not released; a GEMM reading a stage that holds another tile; an arrival on an
exited block; a named barrier arrived at twice before its sync, or left with arrivals.

Run as a test: the protocol as built passes every case, and each mistake in MISTAKES, put
into the model, is caught."""
import random
import sys


class Mbar:
    def __init__(self, count, name):
        self.count, self.pending, self.tx, self.done, self.name = count, 0, 0, 0, name

    def _complete(self):
        if self.pending == self.count and self.tx == 0:
            self.pending, self.done = 0, self.done + 1

    def arrive(self, phase, who, tx=0):
        assert self.done == phase, f"{who}: arrival meant for phase {phase} of {self.name}, at {self.done}"
        self.pending += 1
        self.tx += tx
        self._complete()

    def complete_tx(self, phase, who):
        # the bytes may land before the arrival that announces them: tx runs negative
        assert self.done == phase, f"{who}: bytes meant for phase {phase} of {self.name}, at {self.done}"
        self.tx -= 1
        self._complete()


class Block:
    def __init__(self, b, W, stages, cluster):
        def bars(kind, count, n):
            return [Mbar(count, f"B{b} {kind}{i}") for i in range(n)]
        self.full = {"k": bars("kfull", 1, stages), "v": bars("vfull", 1, stages)}
        self.empty = {"k": bars("kempty", W * cluster, stages), "v": bars("vempty", W * cluster, stages)}
        self.qfull, self.qempty = bars("qfull", 1, 2), bars("qempty", W, 2)
        self.turn = {0: 0, 1: 0}  # arrivals on consumer c's turn barrier not yet synced
        self.data = {(kv, s): [-1] * cluster for kv in "kv" for s in range(stages)}  # round of each half
        self.released = {(kv, s, c): -1 for kv in "kv" for s in range(stages) for c in range(W)}
        self.exited = False


MISTAKES = {
    "no exit wait": "a block exits without waiting for the other block's last releases",
    "release in own block only": "a consumer releases a stage only in its own block",
    "announce own half only": "a producer announces only the bytes of its own half",
    "V released before its P V completes": "PV_LAG: V of tile j - 1 released before wait_group 0",
    "skipped tile without its turns": "causal with turns: no empty turn for a tile above the warpgroup's rows",
    "skipped tile not released": "causal: a tile above the warpgroup's rows waited for but not released",
}


def run(seed, cfg, mistake=None):
    rng = random.Random(seed)
    W, stages, cluster = cfg["W"], cfg["stages"], cfg["cluster"]
    pingpong, lag, epi = cfg["pingpong"], cfg["lag"], cfg["epi"]
    work = cfg["work"]  # per work tile: (K/V tiles, [tiles each consumer computes])
    blocks = [Block(b, W, stages, cluster) for b in range(cluster)]
    agents, live = [], []

    def spawn(gen):
        agents.append(gen)
        live.append(len(agents) - 1)

    def wait(bar, phase, who):
        while True:
            assert bar.done <= phase + 1, f"{who}: waits for phase {phase} of {bar.name}, at {bar.done}"
            if bar.done == phase + 1:
                return
            yield "blocked"

    def copy(src, kv, s, r):  # one producer's share of a tile, landing in every block
        for d in rng.sample(range(cluster), cluster):
            for _ in range(rng.randint(0, 3)):
                yield
            B = blocks[d]
            assert not B.exited, f"B{src}'s copy of {kv}{s} lands in exited B{d}"
            for c in range(W):
                assert B.released[(kv, s, c)] >= r - 1, f"B{src} overwrites {kv}{s} in B{d} before C{c} released it"
            B.data[(kv, s)][src] = r
            B.full[kv][s].complete_tx(r, f"B{src} copy {kv}{s} -> B{d}")

    def producer(b):
        B = blocks[b]
        t = 0
        for k in range(len(work) + 1):
            qb = k % 2
            if k >= 2:
                yield from wait(B.qempty[qb], k // 2 - 1, f"B{b} producer qempty")
            B.qfull[qb].arrive(k // 2, f"B{b} producer q")
            if k == len(work):
                break  # the arrival above was the end marker
            for _ in range(work[k][0]):
                s, r = t % stages, t // stages
                for kv in "kv":
                    if r > 0:
                        yield from wait(B.empty[kv][s], r - 1, f"B{b} producer {kv}empty")
                    announced = 1 if mistake == "announce own half only" else cluster
                    B.full[kv][s].arrive(r, f"B{b} producer {kv}", tx=announced)
                    spawn(copy(b, kv, s, r))
                    yield
                t += 1
        if cluster > 1 and mistake != "no exit wait":
            for tt in range(max(0, t - stages), t):
                for kv in "kv":
                    yield from wait(B.empty[kv][tt % stages], tt // stages, f"B{b} producer exit")

    def consumer(b, c):
        B = blocks[b]

        def turn(needed=True):  # bar.sync on my barrier, then bar.arrive on the other's
            if not (pingpong and needed):
                return
            while B.turn[c] == 0:
                yield "blocked"
            B.turn[c] -= 1
            yield
            assert B.turn[1 - c] == 0, f"B{b} C{c}: second arrival on a turn barrier before its sync"
            B.turn[1 - c] += 1

        def full(tt, kv):
            yield from wait(B.full[kv][tt % stages], tt // stages, f"B{b} C{c} {kv}full")

        def read(tt, kv):  # a GEMM reading the stage: at issue and at completion
            want = [tt // stages] * cluster
            assert B.data[(kv, tt % stages)] == want, f"B{b} C{c}: {kv}{tt % stages} holds another tile"

        def release(tt, kv):
            s, r = tt % stages, tt // stages
            B.released[(kv, s, c)] = r
            for d in [b] if mistake == "release in own block only" else range(cluster):
                assert not blocks[d].exited, f"B{b} C{c} arrives on exited B{d}"
                blocks[d].empty[kv][s].arrive(r, f"B{b} C{c} releases {kv} of tile {tt} in B{d}")

        def skip(tt):
            for kv in "kv":
                yield from full(tt, kv)
                if mistake != "skipped tile not released":
                    release(tt, kv)

        if pingpong and c == 1:
            B.turn[0] += 1  # consumer 0 goes first
        t, k, prev = 0, 0, None
        yield from wait(B.qfull[0], 0, f"B{b} C{c} q")
        while k < len(work):
            n, mine = work[k][0], work[k][1][c]

            def start_o():
                if epi and prev is not None:
                    B.qempty[prev % 2].arrive(prev // 2, f"B{b} C{c} qempty")

            if not lag:
                for j in range(n):
                    if j < mine:
                        yield from full(t + j, "k")
                        yield from turn()
                        read(t + j, "k")
                        if j == 0:
                            start_o()
                        yield
                        read(t + j, "k")
                        yield from full(t + j, "v")
                        yield from turn()
                        read(t + j, "v")
                        yield
                        read(t + j, "v")
                        release(t + j, "k")
                        release(t + j, "v")
                    else:
                        yield from skip(t + j)
                        yield from turn(mistake != "skipped tile without its turns")
                        yield from turn(mistake != "skipped tile without its turns")
            else:
                yield from full(t, "k")
                yield from turn()
                read(t, "k")
                start_o()
                yield
                read(t, "k")
                release(t, "k")
                for j in range(1, mine):
                    yield from full(t + j, "k")
                    yield from full(t + j - 1, "v")
                    yield from turn()
                    read(t + j, "k")
                    read(t + j - 1, "v")
                    yield
                    read(t + j, "k")
                    release(t + j, "k")
                    if mistake == "V released before its P V completes":
                        release(t + j - 1, "v")
                        yield
                        read(t + j - 1, "v")
                    else:
                        yield
                        read(t + j - 1, "v")
                        release(t + j - 1, "v")
                yield from full(t + mine - 1, "v")
                yield from turn()
                read(t + mine - 1, "v")
                yield
                read(t + mine - 1, "v")
                release(t + mine - 1, "v")
                for j in range(mine, n):
                    yield from skip(t + j)
                    yield from turn(mistake != "skipped tile without its turns")
            t += n
            if epi:
                prev = k
            else:
                B.qempty[k % 2].arrive(k // 2, f"B{b} C{c} qempty")
            k += 1
            yield from wait(B.qfull[k % 2], k // 2, f"B{b} C{c} q")
        if epi and prev is not None:
            B.qempty[prev % 2].arrive(prev // 2, f"B{b} C{c} qempty")
        if pingpong and c == 0:  # absorbs consumer 1's last turn end
            while B.turn[0] == 0:
                yield "blocked"
            B.turn[0] -= 1

    owners = {}
    for b in range(cluster):
        for gen in [producer(b)] + [consumer(b, c) for c in range(W)]:
            owners[len(agents)] = b
            spawn(gen)
    running = [1 + W] * cluster
    stalls = 0
    while live:
        i = rng.choice(live)
        try:
            stalls = stalls + 1 if next(agents[i]) == "blocked" else 0
        except StopIteration:
            live.remove(i)
            stalls = 0
            if i in owners:
                running[owners[i]] -= 1
                blocks[owners[i]].exited = running[owners[i]] == 0
        assert stalls < 20000, "deadlock"
    for b, B in enumerate(blocks):
        assert B.turn == {0: 0, 1: 0}, f"B{b}: turn barriers left with arrivals {B.turn}"


def random_case(rng):
    W = rng.choice([2, 3])
    cluster = rng.choice([1, 2])
    causal = cluster == 1 and rng.random() < 0.6
    block_m, block_n = 64 * W, rng.choice([64, 96, 128, 192])
    n = rng.choice([1, 17, 63, 64, 65, 127, 200, 384, 500, 1000])
    m_blocks = (n + block_m - 1) // block_m
    work = []
    for _ in range(rng.randint(1, 4)):
        q0 = rng.randrange(m_blocks) * block_m
        tiles = ((min(n, q0 + block_m) if causal else n) + block_n - 1) // block_n
        mine = [min(tiles, (q0 + 64 * c + 64 + block_n - 1) // block_n) if causal else tiles for c in range(W)]
        work.append((tiles, mine))
    return dict(W=W, cluster=cluster, stages=rng.choice([2, 3, 4]), pingpong=W == 2 and rng.random() < 0.6,
                lag=rng.random() < 0.6, epi=rng.random() < 0.5, work=work)


def applies(mistake, cfg):
    needs = {"no exit wait": cfg["cluster"] > 1, "release in own block only": cfg["cluster"] > 1,
             "announce own half only": cfg["cluster"] > 1,
             "V released before its P V completes": cfg["lag"] and any(m[0] > 1 for _, m in cfg["work"]),
             "skipped tile without its turns": cfg["pingpong"] and any(min(m) < t for t, m in cfg["work"]),
             "skipped tile not released": any(min(m) < t for t, m in cfg["work"])}
    return needs[mistake]


def caught(mistake, cases, rng):
    for _ in range(cases):
        cfg = random_case(rng)
        if not applies(mistake, cfg):
            continue
        for _ in range(3):
            try:
                run(rng.randrange(1 << 30), cfg, mistake)
            except AssertionError:
                return True
    return False


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = random.Random(20261208)
    runs = 0
    for _ in range(cases):
        cfg = random_case(rng)
        for _ in range(3):
            run(rng.randrange(1 << 30), cfg)
            runs += 1
    print(f"ws_barrier_model: the protocol passes {runs} random runs")
    missed = [m for m in MISTAKES if not caught(m, cases, rng)]
    for m in MISTAKES:
        print(f"  {'MISSED' if m in missed else 'caught'}: {m} ({MISTAKES[m]})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
