# Peer baseline for the benchmarks: TF-IDF (word 1-2 grams) + logistic regression, scikit-learn.
# Reads {"train": [[text, label]...], "test": [[text, label]...]} on stdin, prints {"accuracy": x}.
import json, sys
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

d = json.load(sys.stdin)
vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
X = vec.fit_transform([t for t, _ in d["train"]])
clf = LogisticRegression(max_iter=2000, C=10.0).fit(X, [l for _, l in d["train"]])
pred = clf.predict(vec.transform([t for t, _ in d["test"]]))
print(json.dumps({"accuracy": float(sum(p == l for p, (_, l) in zip(pred, d["test"])) / len(d["test"]))}))
