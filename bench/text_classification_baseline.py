"""The baseline of bench/text_classification.sh: a logistic regression on the TF-IDF of character 1- to 4-grams
(scikit-learn, Debian's python3-sklearn), trained on train.csv, its C chosen on validation.csv among 1, 10 and 100,
scored once on test.csv. Prints "accuracy" (test), "validation_accuracy", "c" and "seconds".

Usage: python3 text_classification_baseline.py DATA_DIR
"""
import csv
import os
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

folder = sys.argv[1]


def read(split):
    with open(os.path.join(folder, f"{split}.csv"), encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    return [row["text"] for row in rows], [row["kind"] for row in rows]


began = time.perf_counter()
(train_x, train_y), (validation_x, validation_y), (test_x, test_y) = read("train"), read("validation"), read("test")
vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True)
train_features = vectorizer.fit_transform(train_x)
best = None
for c in (1.0, 10.0, 100.0):
    model = LogisticRegression(C=c, max_iter=2000).fit(train_features, train_y)
    score = model.score(vectorizer.transform(validation_x), validation_y)
    if best is None or score > best[0]:
        best = (score, c, model)
validation_accuracy, c, model = best
print(f"accuracy {model.score(vectorizer.transform(test_x), test_y):.4f}")
print(f"validation_accuracy {validation_accuracy:.4f}")
print(f"c {c:g}")
print(f"seconds {time.perf_counter() - began:.1f}")
