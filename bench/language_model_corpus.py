"""Writes the English text bench/language_model.sh trains on, from documents every machine with Debian's python3 has:
the Python documentation's topics (pydoc_data, about 470 KB of prose and examples) and the licence texts in
/usr/share/common-licenses, in a fixed order. Nothing is downloaded, and the same machine writes the same bytes.

Usage: python3 language_model_corpus.py OUT.txt
"""
import os
import sys

import pydoc_data.topics

parts = [pydoc_data.topics.topics[key] for key in sorted(pydoc_data.topics.topics)]
licences = "/usr/share/common-licenses"
for name in sorted(os.listdir(licences)):
    path = os.path.join(licences, name)
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, encoding="utf-8", errors="strict") as licence:
            parts.append(licence.read())
text = "\n\n".join(part.strip() for part in parts) + "\n"
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write(text)
print(f"{len(text)} characters, {len(set(text))} distinct, in {sys.argv[1]}")
