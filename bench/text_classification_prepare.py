"""Writes the text classification task bench/text_classification.sh measures: which kind of file a snippet of 120 to
280 characters was cut from, among five kinds every Debian machine with python3 and perl holds: Python modules
(/usr/lib/python3.*), C headers (/usr/include), Perl modules (/usr/share/perl, perl-base), English prose (the Python
documentation's topics and /usr/share/common-licenses) and Debian changelogs (/usr/share/doc/*/changelog.Debian.gz).
Snippets start at a line and end at a line where they can; a seeded draw takes the same number of each kind, and
splits them 70 / 10 / 20 into train.csv, validation.csv and test.csv (id, text, kind). Nothing is downloaded; the
same machine writes the same files.

Usage: python3 text_classification_prepare.py OUT_DIR [snippets per kind]
"""
import csv
import glob
import gzip
import os
import random
import sys

import pydoc_data.topics

out = sys.argv[1]
per_kind = int(sys.argv[2]) if len(sys.argv) > 2 else 800
random.seed(7)


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="strict") as source:
            return source.read()
    except (UnicodeDecodeError, OSError):
        return ""


def files(*patterns):
    return sorted({path for pattern in patterns for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)})


sources = {
    "python": [read(path) for path in files("/usr/lib/python3*/*.py", "/usr/lib/python3*/json/*.py")],
    "c": [read(path) for path in files("/usr/include/*.h", "/usr/include/linux/*.h")],
    "perl": [read(path) for path in files("/usr/share/perl/*/*.pm", "/usr/share/perl/*/*/*.pm", "/usr/lib/x86_64-linux-gnu/perl-base/**/*.pm")],
    "english": [pydoc_data.topics.topics[key] for key in sorted(pydoc_data.topics.topics)]
    + [read(path) for path in files("/usr/share/common-licenses/*")],
    "changelog": [read(path) for path in files("/usr/share/doc/*/changelog.Debian.gz")],
}


def snippets(texts):
    """Every run of whole lines of 120 to 280 characters, from every text."""
    found = []
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        start = 0
        while start < len(lines):
            snippet, end = lines[start], start + 1
            while end < len(lines) and len(snippet) + 1 + len(lines[end]) <= 280:
                snippet += "\n" + lines[end]
                end += 1
            if len(snippet) >= 120:
                found.append(snippet[:280])
            start = end
    return found


rows = []
for kind, texts in sources.items():
    pool = snippets([text for text in texts if text])
    if len(pool) < per_kind:
        sys.exit(f"only {len(pool)} snippets of {kind} on this machine; ask for fewer per kind")
    rows += [(text, kind) for text in random.sample(pool, per_kind)]
random.shuffle(rows)
os.makedirs(out, exist_ok=True)
cuts = {"train": (0, int(0.7 * len(rows))), "validation": (int(0.7 * len(rows)), int(0.8 * len(rows))), "test": (int(0.8 * len(rows)), len(rows))}
for split, (first, last) in cuts.items():
    with open(os.path.join(out, f"{split}.csv"), "w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["id", "text", "kind"])
        for index in range(first, last):
            writer.writerow([f"{split}-{index}", rows[index][0], rows[index][1]])
print(f"{len(rows)} snippets of {len(sources)} kinds in {out}: " + ", ".join(f"{split} {last - first}" for split, (first, last) in cuts.items()))
