#!/usr/bin/env bash
# Fashion-MNIST, a small slice (bench/fashion_mnist/load.py --limit): the
# loader, an MLP and a CNN over the bytea column, prediction by row, by
# bytea and by array agreeing, and the training history.  Skipped when
# Debian's dataset-fashion-mnist is not installed (scripts/deps installs it).
set -u
. "$(dirname "$0")/lib.sh"
DATA=/usr/share/datasets/fashion-mnist
if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  echo "ok 1 # skip dataset-fashion-mnist is not installed"; echo "1..1"; exit 0
fi
db=pgl_fashion
q postgres "DROP DATABASE IF EXISTS $db"; q postgres "CREATE DATABASE $db"
q $db "CREATE EXTENSION pg_learn"
PGDATABASE=$db /usr/bin/python3 "$(dirname "$0")/../../bench/fashion_mnist/load.py" "$DATA" --limit 3000 2>/dev/null
ok $? "load.py loads a slice"
is "$(q $db "SELECT count(*), min(length(img)), max(length(img)) FROM fashion_train")" "3000|784|784" \
   "3000 training images of 784 bytes"
is "$(q $db "SELECT count(*) FROM fashion_test")" "3000" "3000 test images"

q $db "SET pg_learn.threads = 1; SELECT 1 FROM ai_train('mlp', 'neural_net', 'SELECT img, label FROM fashion_train', 'label',
  '{\"layers\": [{\"dense\": {\"units\": 64, \"activation\": \"relu\"}}, {\"dense\": {\"units\": 10, \"activation\": \"softmax\"}}],
    \"input_shape\": [784], \"scale\": 0.00392156862745098, \"batch_size\": 64, \"epochs\": 8, \"patience\": 3}')" >/dev/null
ok $? "an MLP trains on the bytea column"
acc=$(q $db "SELECT avg((ai_classify('mlp', img) = label::text)::int) FROM fashion_test")
ok "$(awk -v a="$acc" 'BEGIN { exit !(a >= 0.75) }'; echo $?)" "MLP test accuracy $acc >= 0.75"
is "$(q $db "SELECT count(*) FILTER (WHERE ai_classify('mlp', t) <> ai_classify('mlp', img)) FROM fashion_test t")" "0" \
   "prediction by row equals prediction by bytea"
is "$(q $db "SELECT count(*) FILTER (WHERE ai_classify('mlp', img) <> ai_classify('mlp',
        ARRAY(SELECT get_byte(img, i) FROM generate_series(0, 783) i)::float8[])) FROM fashion_test WHERE id <= 200")" "0" \
   "prediction by float8[] equals prediction by bytea"
is "$(q $db "SELECT count(*) FILTER (WHERE kept), count(*) <= 8, bool_and(validation_accuracy > 0) FROM ai_training_history('mlp')")" "1|t|t" \
   "history: one kept epoch, at most 8, validation accuracy each epoch"

q $db "SET pg_learn.threads = 1; SELECT 1 FROM ai_train('cnn', 'neural_net', 'SELECT img, label FROM fashion_train', 'label',
  '{\"layers\": [{\"conv2d\": {\"filters\": 8, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"}}, {\"maxpool2d\": 2},
                 {\"conv2d\": {\"filters\": 8, \"kernel\": 3, \"stride\": 2, \"activation\": \"relu\"}}, {\"flatten\": {}},
                 {\"dense\": {\"units\": 10, \"activation\": \"softmax\"}}],
    \"input_shape\": [28, 28, 1], \"scale\": 0.00392156862745098, \"batch_size\": 32, \"epochs\": 3, \"test_size\": 0}')" >/dev/null
ok $? "a CNN trains on the same column"
acc=$(q $db "SELECT avg((ai_classify('cnn', img) = label::text)::int) FROM fashion_test")
ok "$(awk -v a="$acc" 'BEGIN { exit !(a >= 0.7) }'; echo $?)" "CNN test accuracy $acc >= 0.7"
is "$(q $db "SELECT count(*) FROM ai_training_history('cnn') WHERE validation_loss IS NULL AND train_accuracy > 0")" "3" \
   "history without a hold-out: 3 epochs, no validation"
q postgres "DROP DATABASE $db"
done_testing
