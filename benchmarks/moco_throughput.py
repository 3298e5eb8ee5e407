"""MoCoFeaturizer pretraining speed against the lightly library's MoCo v2 recipe.

Both train the same backbone (galaxy-sklearn's resnet18 for small images) with
a 128-d MLP projection head, a momentum encoder (0.99), 4,096 negatives in a
queue / memory bank, temperature 0.2, AdamW at the same learning rate, the
same batch size and 64-px RGB images. The difference is where the two views
come from:

* lightly: ``MoCoV2Transform`` per image on PIL images (random resized crop,
  colour jitter, grey, blur, flip), a ``DataLoader`` collating the views,
  ``NTXentLoss`` with a memory bank;
* galaxy-sklearn: whole uint8 batches sent to the device and augmented there
  as tensors (rotation, flips, zoom, shift, blur, noise, brightness).

Rounds alternate in one process; the ratio is the median over rounds of
lightly's seconds over ours for one epoch (view pairs per second, ours over
lightly). The augmentations alone are also timed.

Run::

    python benchmarks/moco_throughput.py [--device cpu] [--output benchmarks/results]
    python benchmarks/moco_throughput.py --quick

Needs ``lightly`` (``pip install -e .[benchmarks]``).
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from galaxy_sklearn import MoCoFeaturizer
from galaxy_sklearn._engine import network_input, resolve_device
from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.nn import build_backbone, make_augmentation


class LightlyMoCo(torch.nn.Module):
    """lightly's MoCo v2 example model around a given backbone."""

    def __init__(self, backbone):
        from lightly.models.modules import MoCoProjectionHead
        from lightly.models.utils import deactivate_requires_grad

        super().__init__()
        self.backbone = backbone
        width = backbone.out_features
        self.projection_head = MoCoProjectionHead(width, width, 128)
        self.backbone_momentum = copy.deepcopy(self.backbone)
        self.projection_head_momentum = copy.deepcopy(self.projection_head)
        deactivate_requires_grad(self.backbone_momentum)
        deactivate_requires_grad(self.projection_head_momentum)

    def forward(self, x):
        return self.projection_head(self.backbone(x).flatten(start_dim=1))

    def forward_momentum(self, x):
        key = self.backbone_momentum(x).flatten(start_dim=1)
        return self.projection_head_momentum(key).detach()


class PILDataset(torch.utils.data.Dataset):
    def __init__(self, images, transform):
        self.images = [Image.fromarray(image) for image in images]
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.transform(self.images[index])


def lightly_epoch(X, *, batch_size, lr, device, workers, seed) -> float:
    from lightly.loss import NTXentLoss
    from lightly.models.utils import update_momentum
    from lightly.transforms.moco_transform import MoCoV2Transform

    torch.manual_seed(seed)
    model = LightlyMoCo(build_backbone("resnet18", 3, X.shape[1])).to(device)
    dataset = PILDataset(X, MoCoV2Transform(input_size=X.shape[1]))
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
    )
    criterion = NTXentLoss(temperature=0.2, memory_bank_size=(4096, 128))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    start = time.perf_counter()
    for x_query, x_key in loader:
        update_momentum(model.backbone, model.backbone_momentum, m=0.99)
        update_momentum(model.projection_head, model.projection_head_momentum, 0.99)
        x_query = x_query.to(device, non_blocking=True)
        x_key = x_key.to(device, non_blocking=True)
        loss = criterion(model(x_query), model.forward_momentum(x_key))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def ours_epoch(X, *, batch_size, device, seed) -> float:
    moco = MoCoFeaturizer(
        "resnet18",
        max_epochs=1,
        batch_size=batch_size,
        queue_size=4096,
        device=str(device),
        verbose=0,
        random_state=seed,
    )
    start = time.perf_counter()
    moco.fit(X)
    return time.perf_counter() - start


def augmentation_rates(X, *, batch_size, device) -> dict:
    """View pairs per second of each augmentation alone."""
    from lightly.transforms.moco_transform import MoCoV2Transform

    transform = MoCoV2Transform(input_size=X.shape[1])
    images = [Image.fromarray(image) for image in X]
    start = time.perf_counter()
    for image in images:
        transform(image)
    lightly_rate = len(images) / (time.perf_counter() - start)

    augment = make_augmentation("galaxy").to(device).train()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            x = network_input(torch.from_numpy(X[i : i + batch_size]), device)
            augment(x), augment(x)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    ours_rate = len(X) / (time.perf_counter() - start)
    return {"lightly": lightly_rate, "ours": ours_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    device = resolve_device(args.device)
    n, batch_size = (256, 64) if args.quick else (1024, 128)
    rounds = 2 if args.quick else args.rounds
    X, _ = make_galaxies(n_samples=n, image_size=64, random_state=0)
    X = np.asarray(X)
    pairs = (n // batch_size) * batch_size
    # one process, one helper process, and (on a machine with more cores, as
    # GPU machines have) a worker per spare core, lightly's best case
    worker_counts = sorted({0, 1, max(1, (os.cpu_count() or 2) - 1)})
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    header = (
        f"device: {name}, torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, resnet18, 64-px RGB, batch {batch_size}, {pairs} view pairs "
        f"per epoch, {rounds} rounds"
    )
    print(header)
    ours_epoch(X[: 2 * batch_size], batch_size=batch_size, device=device, seed=0)
    ours, theirs = [], {w: [] for w in worker_counts}
    lr = MoCoFeaturizer().lr
    for round_ in range(rounds):
        # alternate who goes first, so that drift in the machine's speed
        # does not favour either
        if round_ % 2 == 0:
            ours.append(ours_epoch(X, batch_size=batch_size, device=device, seed=0))
        for workers in worker_counts:
            theirs[workers].append(
                lightly_epoch(
                    X,
                    batch_size=batch_size,
                    lr=lr,
                    device=device,
                    workers=workers,
                    seed=round_,
                )
            )
        if round_ % 2 == 1:
            ours.append(ours_epoch(X, batch_size=batch_size, device=device, seed=0))
    rows = [
        {
            "pipeline": "MoCoFeaturizer.fit (batched tensor augmentation)",
            "pairs/s": round(pairs / float(np.median(ours)), 1),
            "ours / this": 1.0,
        }
    ]
    for workers in worker_counts:
        ratio = float(np.median(np.array(theirs[workers]) / np.array(ours)))
        rows.append(
            {
                "pipeline": f"lightly MoCo v2, DataLoader num_workers={workers}",
                "pairs/s": round(pairs / float(np.median(theirs[workers])), 1),
                "ours / this": round(ratio, 3),
            }
        )
    rates = augmentation_rates(X, batch_size=batch_size, device=device)
    rows += [
        {
            "pipeline": "augmentation alone: lightly MoCoV2Transform per image",
            "pairs/s": round(rates["lightly"], 1),
            "ours / this": round(rates["ours"] / rates["lightly"], 2),
        },
        {
            "pipeline": "augmentation alone: ours, whole batches on the device",
            "pairs/s": round(rates["ours"], 1),
            "ours / this": 1.0,
        },
    ]
    table = pd.DataFrame(rows).to_markdown(index=False)
    print(table)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    path = out / f"moco_throughput_{device.type}{suffix}.md"
    path.write_text(f"{header}\n\n{table}\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
