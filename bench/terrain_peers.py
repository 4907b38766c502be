#!/usr/bin/python3
"""Peer measurement for BenchmarkTerrainEpoch (models/bench_test.go): PyTorch
trains the study's terrain networks 2x8x8x1, 2x32x32x1 and 2x64x64x1
(sigmoid hidden layers, identity output, MSE, He initialisation, SGD with
momentum 0.6, learning rate 0.01) on the benchmark's data, the 400 points of
a 20x20 grid, mini-batch 20, reshuffled every epoch, in float64 and float32.
Prints JSON lines: wall and CPU milliseconds per epoch (the fastest of
--repeats timings of --epochs epochs, after a warm-up), and GFLOP per wall
and per CPU second, counted as the Go benchmark counts them (two operations
per multiply-add of the forward pass, the weight gradient and the error
passed down; nothing else). On a machine other processes keep busy, compare
the CPU figures. Run it in the same shell right after the Go benchmark
(make bench-terrain does both).

Usage: /usr/bin/python3 bench/terrain_peers.py [--epochs N] [--threads T] [--repeats R]
"""
import argparse, json, math, time


def grid():
    xs, ys = [], []
    for i in range(400):
        u, v = (i % 20) / 19, (i // 20) / 19
        xs.append([u, v])
        ys.append([0.3 + 0.2 * math.sin(3 * u) * math.cos(2 * v)])
    return xs, ys


def flops(sizes, rows):
    macs = 0
    for l in range(len(sizes) - 1):
        ko = sizes[l] * sizes[l + 1]
        macs += 2 * ko + (ko if l > 0 else 0)
    return 2.0 * macs * rows


def run(torch, sizes, dtype, epochs, repeats, batch=20, seed=1):
    torch.manual_seed(seed)
    layers = []
    for k, o in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(k, o), torch.nn.Sigmoid()]
    layers += [torch.nn.Linear(sizes[-2], sizes[-1])]
    net = torch.nn.Sequential(*layers).to(dtype)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # N(0, 2/fan_in)
            torch.nn.init.zeros_(m.bias)
    xs, ys = grid()
    X = torch.tensor(xs, dtype=dtype)
    Y = torch.tensor(ys, dtype=dtype)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.6)
    lossf = torch.nn.MSELoss()
    g = torch.Generator().manual_seed(seed)
    n = len(xs)

    def epoch():
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, batch):
            b = perm[i:i + batch]
            opt.zero_grad()
            loss = lossf(net(X[b]), Y[b])
            loss.backward()
            opt.step()

    for _ in range(max(1, epochs // 10)):  # warm up
        epoch()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):  # the fastest of several timings, as go test -count would show
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(epochs):
            epoch()
        best = min(best, (time.perf_counter() - t0) / epochs)
        best_cpu = min(best_cpu, (time.process_time() - c0) / epochs)
    return best, best_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
        for h in (8, 32, 64):
            sizes = [2, h, h, 1]
            s, cpu = run(torch, sizes, dtype, a.epochs, a.repeats)
            print(json.dumps({"peer": "pytorch-" + torch.__version__, "net": "x".join(map(str, sizes)),
                              "dtype": name, "batch": 20, "train_n": 400, "threads": a.threads,
                              "epochs": a.epochs, "ms_per_epoch": s * 1e3, "cpu_ms_per_epoch": cpu * 1e3,
                              "gflops": flops(sizes, 400) / s / 1e9,
                              "gflop_per_cpu_s": flops(sizes, 400) / cpu / 1e9}), flush=True)


if __name__ == "__main__":
    main()
