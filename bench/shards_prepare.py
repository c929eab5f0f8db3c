"""Writes Fashion-MNIST (Debian's package) as .npz shards for bench/shards.sh.

For each multiple k given, a folder `k/` holds k copies of the 60,000 training images in shards of 7,500 (8 per
copy), copy c shifted right by c pixels (wrapping) so that no two copies are the same images. `test.npz` and
`validation.npz` are the two halves of the 10,000 test images. Images stay uint8 and labels int64, as a user would
store them.

Usage: shards_prepare.py WORK_DIR MULTIPLE [MULTIPLE ...]
"""
import gzip
import os
import sys

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist"
PER_SHARD = 7500


def idx(name, offset):
    with gzip.open(os.path.join(SOURCE, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    work, multiples = sys.argv[1], [int(m) for m in sys.argv[2:]]
    images = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    test_images = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    test_labels = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    np.savez(os.path.join(work, "validation.npz"), x=test_images[:5000], y=test_labels[:5000])
    np.savez(os.path.join(work, "test.npz"), x=test_images[5000:], y=test_labels[5000:])
    for k in multiples:
        folder = os.path.join(work, str(k))
        os.makedirs(folder, exist_ok=True)
        for copy in range(k):
            shifted = np.roll(images, copy, axis=3)
            for start in range(0, len(images), PER_SHARD):
                np.savez(os.path.join(folder, f"part-{copy:02d}-{start // PER_SHARD}.npz"),
                         x=shifted[start:start + PER_SHARD], y=labels[start:start + PER_SHARD])
        print(f"{k}x: {k * len(images)} images in {k * len(images) // PER_SHARD} shards")


if __name__ == "__main__":
    main()
