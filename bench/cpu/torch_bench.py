#!/usr/bin/env python3
"""archai's PyTorch Shake-Shake model, timed the way `archai-ts bench` times its own.

archai's code is not part of this repository: run.mjs copies archai's three Shake-Shake files out of
a git mirror of microsoft/archai into the git-ignored .archai/ (see scripts/make_torch_fixtures.py)
and passes that folder here. Random NCHW input, W untimed steps, then K timed steps; train = forward,
cross entropy, backward and an SGD Nesterov step (lr 0.2, momentum 0.9, weight decay 1e-4); eval =
forward under torch.no_grad() in eval mode. Prints one JSON line.
"""
import argparse
import json
import re
import statistics
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--archai-dir', required=True, help='folder holding the archai package (e.g. .archai)')
    ap.add_argument('--model', default='shake_resnet26_2x32d')
    ap.add_argument('--mode', choices=['train', 'eval'], default='train')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--image-size', type=int, default=32)
    ap.add_argument('--num-classes', type=int, default=10)
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    # archai draws its shake coefficients with torch.cuda.FloatTensor(n).uniform_() (CUDA only);
    # on the CPU, the same draw from a CPU tensor: the model's work is unchanged.
    torch.cuda.FloatTensor = lambda *size: torch.empty(*size)
    sys.path.insert(0, a.archai_dir)
    from archai.supergraph.models.shakeshake.shake_resnet import ShakeResNet

    m = re.fullmatch(r'shake_resnet(\d+)_2x(\d+)d', a.model)
    if not m:
        sys.exit(f'torch_bench: only shake_resnet{{depth}}_2x{{w}}d models are wired here, got {a.model}')
    model = ShakeResNet(int(m.group(1)), int(m.group(2)), a.num_classes)
    x = torch.randn(a.batch, 3, a.image_size, a.image_size)
    y = torch.randint(0, a.num_classes, (a.batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=1e-4)

    def step() -> None:
        if a.mode == 'train':
            model.train()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        else:
            model.eval()
            with torch.no_grad():
                model(x).sum().item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    print(json.dumps({
        'impl': 'pytorch', 'torch': torch.__version__, 'model': a.model, 'mode': a.mode, 'batch': a.batch,
        'threads': torch.get_num_threads(), 'images_per_s': round(a.batch / (med / 1000), 1),
        'step_ms_median': round(med, 3), 'step_ms': [round(t, 3) for t in times],
    }))


if __name__ == '__main__':
    main()
