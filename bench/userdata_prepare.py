"""Write scikit-learn's bundled public datasets (Debian's python3-sklearn, offline) in the formats DurableTrainer reads.

    python3 bench/userdata_prepare.py OUT_DIR

Writes iris.csv (classification), breast-cancer.tsv (binary), diabetes.csv (regression), wine.npy (a table whose
last column is the class), digits.npz (8x8 images [N, 1, 8, 8] with labels) and digits/ (the same images as PNG
files, one folder per digit). Standard library and Pillow only; the .npy and .npz files are written byte for byte.
"""
import csv
import gzip
import io
import os
import struct
import sys
import zipfile

from PIL import Image

DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"


def bundled(name):
    """scikit-learn's own layout: a first line 'rows,features,class names...', then features and a class index."""
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    names = rows[0][2:]
    return [[float(v) for v in row[:-1]] for row in rows[1:]], [int(row[-1]) for row in rows[1:]], names


def npy(descr, shape, data):
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def main(out):
    os.makedirs(out, exist_ok=True)
    features, labels, names = bundled("iris.csv")
    with open(os.path.join(out, "iris.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        writer.writerows(row + [names[label]] for row, label in zip(features, labels))

    features, labels, names = bundled("breast_cancer.csv")
    with open(os.path.join(out, "breast-cancer.tsv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow([f"f{i}" for i in range(len(features[0]))] + ["diagnosis"])
        writer.writerows(row + [names[label]] for row, label in zip(features, labels))

    with gzip.open(os.path.join(DATA, "diabetes_data_raw.csv.gz"), "rt") as handle:
        diabetes = [[float(v) for v in line.split()] for line in handle if line.strip()]
    with gzip.open(os.path.join(DATA, "diabetes_target.csv.gz"), "rt") as handle:
        target = [float(line) for line in handle if line.strip()]
    with open(os.path.join(out, "diabetes.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"])
        writer.writerows(row + [t] for row, t in zip(diabetes, target))

    features, labels, _ = bundled("wine_data.csv")
    table = [value for row, label in zip(features, labels) for value in row + [float(label)]]
    with open(os.path.join(out, "wine.npy"), "wb") as handle:
        handle.write(npy("<f8", [len(features), len(features[0]) + 1], struct.pack("<%dd" % len(table), *table)))

    with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as handle:
        digits = [[float(v) for v in line.split(",")] for line in handle if line.strip()]
    pixels = [value / 16.0 for row in digits for value in row[:64]]
    classes = [int(row[64]) for row in digits]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", npy("<f4", [len(digits), 1, 8, 8], struct.pack("<%df" % len(pixels), *pixels)))
        archive.writestr("y.npy", npy("<i8", [len(digits)], struct.pack("<%dq" % len(classes), *classes)))
    with open(os.path.join(out, "digits.npz"), "wb") as handle:
        handle.write(buffer.getvalue())

    for index, (row, digit) in enumerate(zip(digits, classes)):
        folder = os.path.join(out, "digits", f"digit-{digit}")
        os.makedirs(folder, exist_ok=True)
        image = Image.new("L", (8, 8))
        image.putdata([min(255, int(value * 16)) for value in row[:64]])
        image.save(os.path.join(folder, f"{index:04d}.png"))
    print(f"wrote iris, breast cancer, diabetes, wine and digits ({len(digits)} images) to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
