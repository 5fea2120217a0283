"""scikit-learn's peer of bench/run_text: the same rows through psycopg2,
TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2,
max_features=20000) + LogisticRegression, fitted on the training rows and
scored on the test rows; prints a JSON line of accuracy and seconds."""
import json
import sys
import time

import psycopg2
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

t0 = time.perf_counter()
conn = psycopg2.connect("")
cur = conn.cursor()
cur.execute("SELECT body, label, is_test FROM text_docs")
rows = cur.fetchall()
t_read = time.perf_counter()
train = [(b or "", l) for b, l, t in rows if not t]
test = [(b or "", l) for b, l, t in rows if t]
vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=20000)
X = vec.fit_transform([b for b, _ in train])
clf = LogisticRegression(max_iter=1000)
clf.fit(X, [l for _, l in train])
t_fit = time.perf_counter()
pred = clf.predict(vec.transform([b for b, _ in test]))
acc = sum(p == l for p, (_, l) in zip(pred, test)) / len(test)
t_end = time.perf_counter()
print(json.dumps({"accuracy": acc, "seconds": t_end - t0, "read": t_read - t0,
                  "fit": t_fit - t_read, "score": t_end - t_fit,
                  "terms": len(vec.vocabulary_), "train": len(train), "test": len(test)}))
