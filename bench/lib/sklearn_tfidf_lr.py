# Peer for `npm run bench:baselines`: scikit-learn's TfidfVectorizer + LogisticRegression with the
# settings tuneshot's TF-IDF baseline uses (word 1-2-grams, sublinear tf, L2, lbfgs).
# stdin: {"C": c, "jobs": [{"train": [[text, label], ...], "test": [[text, label], ...]}, ...]}
# stdout: {"sklearn": version, "jobs": [{"predictions": [...], "features": n, "fitSeconds": s}, ...]}
import json, sys, time
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

d = json.load(sys.stdin)
out = []
for job in d["jobs"]:
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    X = vec.fit_transform([t for t, _ in job["train"]])
    clf = LogisticRegression(C=d["C"], max_iter=5000).fit(X, [l for _, l in job["train"]])
    fit = time.perf_counter() - t0
    pred = clf.predict(vec.transform([t for t, _ in job["test"]]))
    out.append({"predictions": [str(p) for p in pred], "features": X.shape[1], "fitSeconds": fit})
print(json.dumps({"sklearn": sklearn.__version__, "jobs": out}))
