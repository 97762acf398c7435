#!/usr/bin/env python3
"""The seed config's training step in plain PyTorch and in snnTorch, for a side-by-side speed
comparison with `snn-train bench` (`cargo xtask bench --peers` runs it after ours).

The step, as configs/seed.toml defines it: Poisson input (U(0,1) < pixel/255 at each of T steps),
784 -> 256 LIF (beta 0.95, threshold 1, subtractive reset with the reset term detached,
Heaviside spikes with a sigmoid surrogate of slope 25) -> 10 with snn-train's membrane readout
(logits = fc2(sum_t w_t s[t]), w_t proportional to sum_{j <= T-1-t} beta^j), cross-entropy, Adam 1e-3.

    python bench/peers/peer_step.py --framework torch --data data/mnist --threads 2
    python bench/peers/peer_step.py --framework snntorch --data data/mnist --threads 2

Prints one line: `peer framework=... images_per_s=... samples=...` (median of --repeats
repetitions of --batches steps each, after --warmup steps). Needs torch (and snntorch for the
second); not run in CI.
"""

import argparse
import gzip
import os
import statistics
import time

import numpy as np
import torch


def idx(path):
    raw = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


class Spike(torch.autograd.Function):
    """Heaviside forward, sigmoid-surrogate backward k*e/(1+e)^2 with e = exp(-k|x|)."""

    slope = 25.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        e = torch.exp(-Spike.slope * x.abs())
        return grad * Spike.slope * e / (1 + e) ** 2


def readout_weights(steps, beta):
    c, acc = [0.0] * steps, 0.0
    for t in reversed(range(steps)):
        acc = acc * beta + 1.0
        c[t] = acc
    total = sum(c)
    return torch.tensor([v / total for v in c])


class TorchNet(torch.nn.Module):
    def __init__(self, steps, beta=0.95, threshold=1.0):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(784, 256), torch.nn.Linear(256, 10)
        self.steps, self.beta, self.threshold = steps, beta, threshold
        self.register_buffer("w", readout_weights(steps, beta))

    def forward(self, spikes):  # [T, B, 784]
        current = self.fc1(spikes)  # all steps at once
        u = torch.zeros_like(current[0])
        s = torch.zeros_like(u)
        pooled = torch.zeros_like(u)
        for t in range(self.steps):
            u = self.beta * u + current[t] - self.threshold * s.detach()
            s = Spike.apply(u - self.threshold)
            pooled = pooled + self.w[t] * s
        return self.fc2(pooled)


class SnnTorchNet(torch.nn.Module):
    def __init__(self, steps, beta=0.95):
        super().__init__()
        import snntorch as snn
        from snntorch import surrogate

        self.fc1, self.fc2 = torch.nn.Linear(784, 256), torch.nn.Linear(256, 10)
        self.lif = snn.Leaky(beta=beta, spike_grad=surrogate.sigmoid(slope=25), reset_mechanism="subtract")
        self.steps = steps
        self.register_buffer("w", readout_weights(steps, beta))

    def forward(self, spikes):
        mem = self.lif.init_leaky()
        pooled = 0
        for t in range(self.steps):
            s, mem = self.lif(self.fc1(spikes[t]), mem)
            pooled = pooled + self.w[t] * s
        return self.fc2(pooled)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--framework", choices=["torch", "snntorch"], default="torch")
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batches", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    x = torch.from_numpy(idx(os.path.join(a.data, "train-images-idx3-ubyte")).reshape(-1, 784).copy())
    y = torch.from_numpy(idx(os.path.join(a.data, "train-labels-idx1-ubyte")).astype(np.int64))
    net = TorchNet(a.steps) if a.framework == "torch" else SnnTorchNet(a.steps)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    cursor = [0]

    def step():
        i = cursor[0]
        cursor[0] = (i + a.batch_size) % (len(x) - a.batch_size)
        intensity = x[i : i + a.batch_size].float() / 255.0
        spikes = (torch.rand(a.steps, *intensity.shape) < intensity).float()
        loss = loss_fn(net(spikes), y[i : i + a.batch_size])
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    samples = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.batches):
            step()
        samples.append(a.batches * a.batch_size / (time.perf_counter() - start))
    print(
        f"peer framework={a.framework} images_per_s={statistics.median(samples):.0f} "
        f"samples={','.join(f'{s:.0f}' for s in samples)} threads={a.threads} steps={a.steps} "
        f"batch={a.batch_size}"
    )


if __name__ == "__main__":
    main()
