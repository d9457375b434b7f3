"""PyTorch as a benchmark peer (bench/peers-torch.ts drives it over stdin/stdout, one JSON line each way).

Commands: {"op": "mlp", "id", "inputs", "hidden", "classes", "batch", "lr", "seed", "threads", "reps"}
trains the MLP (ReLU, softmax cross-entropy, SGD) for `reps` steps on fixed random batches;
{"op": "gemm", "id", "m", "n", "k", "threads", "reps"} multiplies. Models and operands persist by id
so warm-up and rounds reuse them. Each reply is {"seconds": ...} for the timed loop only.
"""
import ctypes
import json
import sys
import time

import torch

state = {}


def blas_threads():
    """OpenBLAS (Debian's libblas.so.3 once libopenblas0-pthread is installed) keeps its own thread pool,
    which torch.set_num_threads does not reach: without this, "1 thread" products would use every core.
    Returns the setter, or None where the BLAS is not OpenBLAS (Debian's reference BLAS is single-threaded)."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        return lib.openblas_set_num_threads, ctypes.cast(lib.openblas_get_config, ctypes.CFUNCTYPE(ctypes.c_char_p))().decode()
    except (OSError, AttributeError):
        return None, None


SET_BLAS_THREADS, BLAS_CONFIG = blas_threads()


def relu_mlp(widths):
    """Linear layers of these widths with ReLU between them (none after the last)."""
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def mlp(c):
    if c["id"] not in state:
        torch.manual_seed(c["seed"])
        model = relu_mlp([c["inputs"], *c["hidden"], c["classes"]])
        batches = [(torch.rand(c["batch"], c["inputs"]), torch.randint(0, c["classes"], (c["batch"],))) for _ in range(8)]
        state[c["id"]] = (model, torch.optim.SGD(model.parameters(), lr=c["lr"]), batches, [0])
    model, opt, batches, nxt = state[c["id"]]
    loss_fn = torch.nn.functional.cross_entropy
    start = time.perf_counter()
    for _ in range(c["reps"]):
        x, y = batches[nxt[0] % len(batches)]
        nxt[0] += 1
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    return time.perf_counter() - start


def gemm(c):
    if c["id"] not in state:
        g = torch.Generator().manual_seed(2)
        state[c["id"]] = (torch.rand(c["m"], c["k"], generator=g), torch.rand(c["k"], c["n"], generator=g))
    a, b = state[c["id"]]
    start = time.perf_counter()
    for _ in range(c["reps"]):
        torch.mm(a, b)
    return time.perf_counter() - start


def main():
    print(json.dumps({"version": torch.__version__, "blas": BLAS_CONFIG.split(" NO_")[0] if BLAS_CONFIG else "reference BLAS (not OpenBLAS)"}), flush=True)
    for line in sys.stdin:
        c = json.loads(line)
        torch.set_num_threads(c["threads"])
        if SET_BLAS_THREADS:
            SET_BLAS_THREADS(c["threads"])
        seconds = mlp(c) if c["op"] == "mlp" else gemm(c)
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
