"""PyTorch's plain online SGD step, the speed peer of the lifelong learner (bench/online-peer.ts runs it).

Trains an MLP (784-256-256-10 by default, ReLU, softmax cross-entropy, SGD without momentum, or Adam with
--optimizer adam: the learner's own optimiser) on one row at a time, as an online learner must: forward,
backward and step for every row. Rows come from a fixed pool of random data so the timed loop measures
training, not data generation. Prints one JSON line:
{"samplesPerSecond", "steps", "seconds", "threads", "optimizer", "torch", "blas"}.

    /usr/bin/python3 bench/torch_online_peer.py --steps 5000 [--threads 1] [--hidden 256,256] [--optimizer sgd|adam]
"""
import argparse
import json
import time

import torch

from torch_peer import BLAS_CONFIG, SET_BLAS_THREADS, relu_mlp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--inputs", type=int, default=784)
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    ap.add_argument("--lr", type=float, default=None, help="default 0.01 for SGD, 0.001 for Adam")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if SET_BLAS_THREADS:
        SET_BLAS_THREADS(a.threads)
    torch.manual_seed(a.seed)
    model = relu_mlp([a.inputs, *[int(h) for h in a.hidden.split(",") if h], a.classes])
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr if a.lr is not None else 0.001)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.lr if a.lr is not None else 0.01)
    pool = 1024
    xs = torch.rand(pool, 1, a.inputs)
    ys = torch.randint(0, a.classes, (pool, 1))

    def step(i):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xs[i % pool]), ys[i % pool]).backward()
        opt.step()

    for i in range(a.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(a.steps):
        step(i)
    seconds = time.perf_counter() - start
    blas = BLAS_CONFIG.split(" NO_")[0] if BLAS_CONFIG else "reference BLAS (not OpenBLAS)"
    print(json.dumps({"samplesPerSecond": a.steps / seconds, "steps": a.steps, "seconds": seconds,
                      "threads": a.threads, "optimizer": a.optimizer, "torch": torch.__version__,
                      "blas": blas}), flush=True)


if __name__ == "__main__":
    main()
