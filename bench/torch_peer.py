"""PyTorch as a benchmark peer (bench/peers-torch.ts drives it over stdin/stdout, one JSON line each way).

Commands: {"op": "mlp", "id", "inputs", "hidden", "classes", "batch", "lr", "seed", "threads", "reps"}
trains the MLP (ReLU, softmax cross-entropy, SGD at lr, or the optimiser of an optional "optimizer", a
Homeostat optimizer config; gradients clipped as an optional "clip", {"norm"} or {"value"}, says) for
`reps` steps on fixed random batches;
{"op": "gemm", "id", "m", "n", "k", "threads", "reps"} multiplies;
{"op": "conv", "id", "batch", "size", "cin", "cout", "padding", "first", "threads", "reps"} runs a 3×3
conv layer forward and backward (the input's gradient too unless `first`), on the faster of oneDNN's
path and the BLAS's; {"op": "cnn", "id", "net",
"batch", "steps", "lr", "seed", "threads", "reps"} trains "lenet" or "resnet" (bench/conv-workloads.ts
builds the same nets) with Adam for `reps` epochs of `steps` batches. Models and operands persist by id
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


def make_optimizer(params, o, lr):
    """PyTorch's optimiser for a Homeostat optimizer config ({"type", "lr", ...} with Homeostat's option
    names); plain SGD at `lr` when there is none."""
    if o is None:
        return torch.optim.SGD(params, lr=lr)
    t = o["type"]
    if t == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                               nesterov=o.get("nesterov", False), weight_decay=o.get("weightDecay", 0))
    if t == "adam":
        return torch.optim.Adam(params, lr=o.get("lr", 1e-3), weight_decay=o.get("weightDecay", 0))
    if t == "rmsprop":
        return torch.optim.RMSprop(params, lr=o.get("lr", 1e-2), momentum=o.get("momentum", 0),
                                   centered=o.get("centered", False), weight_decay=o.get("weightDecay", 0))
    if t == "adagrad":
        return torch.optim.Adagrad(params, lr=o.get("lr", 1e-2), weight_decay=o.get("weightDecay", 0))
    raise ValueError(f"no PyTorch optimiser for {t}")


def mlp(c):
    if c["id"] not in state:
        torch.manual_seed(c["seed"])
        model = relu_mlp([c["inputs"], *c["hidden"], c["classes"]])
        batches = [(torch.rand(c["batch"], c["inputs"]), torch.randint(0, c["classes"], (c["batch"],))) for _ in range(8)]
        state[c["id"]] = (model, make_optimizer(model.parameters(), c.get("optimizer"), c["lr"]), batches, [0])
    model, opt, batches, nxt = state[c["id"]]
    loss_fn = torch.nn.functional.cross_entropy
    clip = c.get("clip") or {}
    params = list(model.parameters())
    start = time.perf_counter()
    for _ in range(c["reps"]):
        x, y = batches[nxt[0] % len(batches)]
        nxt[0] += 1
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        if "norm" in clip:
            torch.nn.utils.clip_grad_norm_(params, clip["norm"])
        if "value" in clip:
            torch.nn.utils.clip_grad_value_(params, clip["value"])
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


def conv(c):
    if c["id"] not in state:
        torch.manual_seed(3)
        layer = torch.nn.Conv2d(c["cin"], c["cout"], 3, padding=c["padding"])
        x = torch.rand(c["batch"], c["cin"], c["size"], c["size"], requires_grad=not c["first"])
        with torch.no_grad():
            g = torch.rand_like(layer(x))
        state[c["id"]] = (layer, x, g)
    layer, x, g = state[c["id"]]
    # PyTorch's faster of its two CPU paths, each timed over the whole round: oneDNN's, and the im2col
    # product through the BLAS (mkldnn off). On the one-channel layer (Zen 5, PyTorch 1.13) oneDNN's
    # forward and backward takes 0.26-0.35 ms for some layer objects and 10.5-13.9 ms for others, at
    # random from one object to the next in one process; the BLAS path takes 0.37-0.39 ms every time.
    best = float("inf")
    for onednn in (True, False):
        with torch.backends.mkldnn.flags(enabled=onednn):
            start = time.perf_counter()
            for _ in range(c["reps"]):
                layer.zero_grad(set_to_none=True)
                x.grad = None
                layer(x).backward(g)
            best = min(best, time.perf_counter() - start)
    return best


class Block(torch.nn.Module):
    """ResNet's basic block as Homeostat's `residual` builds it: conv-bn-relu-conv-bn, plus the input
    (through a bias-free strided 1×1 convolution when the body changes the shape)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout))
        self.proj = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout or stride != 1 else None

    def forward(self, x):
        return self.body(x) + (self.proj(x) if self.proj is not None else x)


def cnn_net(name):
    nn = torch.nn
    if name == "lenet":
        return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 5 * 5, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(), Block(16, 16, 1), nn.ReLU(),
                         Block(16, 32, 2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def cnn(c):
    if c["id"] not in state:
        torch.manual_seed(c["seed"])
        model = cnn_net(c["net"])
        batches = [(torch.rand(c["batch"], 1, 28, 28), torch.randint(0, 10, (c["batch"],))) for _ in range(c["steps"])]
        state[c["id"]] = (model, torch.optim.Adam(model.parameters(), lr=c["lr"]), batches)
    model, opt, batches = state[c["id"]]
    start = time.perf_counter()
    for _ in range(c["reps"]):
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return time.perf_counter() - start


OPS = {"mlp": mlp, "gemm": gemm, "conv": conv, "cnn": cnn}


def main():
    print(json.dumps({"version": torch.__version__, "blas": BLAS_CONFIG.split(" NO_")[0] if BLAS_CONFIG else "reference BLAS (not OpenBLAS)"}), flush=True)
    for line in sys.stdin:
        c = json.loads(line)
        torch.set_num_threads(c["threads"])
        if SET_BLAS_THREADS:
            SET_BLAS_THREADS(c["threads"])
        seconds = OPS[c["op"]](c)
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
