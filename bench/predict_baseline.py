"""The plain-PyTorch side of bench/predict.sh, and its data.

    predict_baseline.py prepare OUT_DIR SHARDS            Fashion-MNIST's 10,000 test images as SHARDS .npy shards of
                                                          float32 [10000, 1, 28, 28] pixels in [0, 1] (repeated), and
                                                          rows.json: 100 of them as predict-route rows
    predict_baseline.py score MODEL.pt SPEC.json SHARD_DIR OUT.csv THREADS
                                                          scores every shard with the exported model as a plain script
                                                          would: standardize as the spec says, forward in batches of
                                                          256, softmax, one CSV row per image (the class and each
                                                          class's probability); prints "rows N" and "seconds S", the
                                                          time from loading the model to the file written
    predict_baseline.py agree OURS.csv THEIRS.csv         the share of rows whose class agrees, and the largest
                                                          probability difference
    predict_baseline.py latency URL ROWS.json COUNT CALLS the predict route's latency for COUNT rows: median and p99
                                                          over CALLS calls (after 10 unmeasured)
"""
import glob
import gzip
import json
import os
import sys
import time
import urllib.request

import numpy as np


def prepare(out_dir, shards):
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb") as file:
        images = np.frombuffer(file.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    pixels = (images.astype(np.float32) / np.float32(255)).astype("<f4")
    os.makedirs(out_dir, exist_ok=True)
    for shard in range(int(shards)):
        np.save(os.path.join(out_dir, f"shard-{shard:02d}.npy"), pixels)
    with open(os.path.join(out_dir, "..", "rows.json"), "w", encoding="utf-8") as file:
        json.dump({"rows": pixels[:100].tolist()}, file)


def score(model_path, spec_path, shard_dir, out_path, threads):
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop", "pytorch"))
    from durabletrainer_model import load, preprocess

    torch.set_num_threads(int(threads))
    started = time.perf_counter()
    model, spec = load(model_path, spec_path)
    classes = spec["preprocessing"]["classNames"]
    rows = 0
    with open(out_path, "w", encoding="utf-8") as out, torch.no_grad():
        out.write("prediction," + ",".join("probability_" + name for name in classes) + "\n")
        for path in sorted(glob.glob(os.path.join(shard_dir, "*.npy"))):
            features = torch.from_numpy(np.load(path))
            for start in range(0, features.shape[0], 256):
                probabilities = torch.softmax(model(preprocess(spec, features[start:start + 256])), dim=1).numpy()
                best = probabilities.argmax(axis=1)
                out.writelines(classes[b] + "," + ",".join(repr(float(p)) for p in row) + "\n" for b, row in zip(best, probabilities))
                rows += probabilities.shape[0]
    print(f"rows {rows}")
    print(f"seconds {time.perf_counter() - started:.3f}")


def agree(ours_path, theirs_path):
    def read(path):
        with open(path, encoding="utf-8") as file:
            next(file)
            return [line.rstrip("\n").split(",") for line in file]

    ours, theirs = read(ours_path), read(theirs_path)
    same = sum(a[0] == b[0] for a, b in zip(ours, theirs))
    largest = max(abs(float(x) - float(y)) for a, b in zip(ours, theirs) for x, y in zip(a[1:], b[1:]))
    print(f"rows {len(ours)} {len(theirs)}")
    print(f"agree {same / max(len(ours), 1):.6f}")
    print(f"largest_probability_difference {largest:.3g}")


def latency(url, rows_path, count, calls):
    with open(rows_path, encoding="utf-8") as file:
        body = json.dumps({"rows": json.load(file)["rows"][: int(count)]}).encode("utf-8")
    times = []
    for call in range(int(calls) + 10):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        began = time.perf_counter()
        with urllib.request.urlopen(request) as answer:
            answer.read()
        if call >= 10:
            times.append((time.perf_counter() - began) * 1000)
    times.sort()
    print(f"median_ms {times[len(times) // 2]:.2f}")
    print(f"p99_ms {times[min(len(times) - 1, int(len(times) * 0.99))]:.2f}")


if __name__ == "__main__":
    {"prepare": prepare, "score": score, "agree": agree, "latency": latency}[sys.argv[1]](*sys.argv[2:])
