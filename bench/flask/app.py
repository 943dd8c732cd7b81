"""The seed's approach, for the comparison in bench/: a Flask app serving the
digits example models through PyTorch.

Run it under gunicorn with sync workers, one per core, and one thread per
worker (bench/run.sh does):

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        gunicorn --workers "$(nproc)" --bind 127.0.0.1:8091 --chdir bench/flask app:app

Routes, shaped like inferd's seed routes so that `inferd bench --protocol seed`
drives both the same way:

    POST /models/<name>[/<version>]   raw image body (PNG, JPEG, WebP) ->
        {"model", "version", "predictions": [{"label", "index", "score"}, ...]}
        (softmax, top 3, as the models' config.yaml asks of inferd)
    GET  /healthz

The networks are the ones examples/digits/train.py defines (its make_cnn and
make_mlp build the torch modules), and the weights are the ones inferd serves:
the initializers of examples/models/<name>/1/model.onnx, read with
onnx.numpy_helper, whose names are the modules' state_dict keys (torch's ONNX
export keeps them). The image preprocessing is train.py's server_tensor (gray,
8x8 BOX resize, /255), the function that made the reference outputs. At start
every model is checked against examples/digits/reference.json: all 50 sample
images must give the reference logits within train.py's ONNX tolerance (1e-4),
or the app refuses to start.
"""

import io
import json
import os
import sys

import numpy as np
import onnx
import torch
from flask import Flask, jsonify, request
from onnx import numpy_helper

sys.dont_write_bytecode = True  # keep the tree free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIGITS = os.path.join(ROOT, "examples", "digits")
MODELS_DIR = os.environ.get("INFERD_BENCH_MODELS", os.path.join(ROOT, "examples", "models"))
sys.path.insert(0, DIGITS)
import train  # noqa: E402  examples/digits/train.py: the network definitions

TOP_K = 3
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "application/octet-stream"}
torch.set_num_threads(1)


def load(name):
    """Builds the torch module of a model and loads its ONNX weights."""
    make = train.MODELS[name][0]
    module = make()
    proto = onnx.load(os.path.join(MODELS_DIR, name, "1", "model.onnx"))
    state = {init.name: torch.from_numpy(numpy_helper.to_array(init).copy())
             for init in proto.graph.initializer}
    module.load_state_dict(state, strict=True)  # every weight, no extra
    module.eval()
    return module


def check(name, module):
    """Refuses a module whose logits differ from the reference outputs."""
    with open(os.path.join(DIGITS, "reference.json"), encoding="utf-8") as f:
        ref = json.load(f)
    worst = 0.0
    for image in ref["images"]:
        _, x = train.server_tensor(os.path.join(DIGITS, "images", image["file"]))
        with torch.no_grad():
            got = module(torch.from_numpy(x)).numpy()[0]
        want = np.asarray(image[name]["logits"], dtype=np.float32)
        worst = max(worst, float(np.max(np.abs(got - want))))
        if worst > train.ONNX_TOLERANCE or int(got.argmax()) != int(want.argmax()):
            raise SystemExit(f"{name}: {image['file']} gives logits {got}, reference {want}")
    return worst


MODELS = {}
for _name in train.MODELS:
    MODELS[_name] = load(_name)
    print(f"app.py: {_name} matches reference.json (max |diff| {check(_name, MODELS[_name]):.1e})",
          file=sys.stderr)
LABELS = [str(i) for i in range(10)]

app = Flask(__name__)


def error(status, message):
    return jsonify(error=message), status


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.post("/models/<name>")
@app.post("/models/<name>/<version>")
def predict(name, version="1"):
    module = MODELS.get(name)
    if module is None:
        return error(404, f"model {name!r} not found")
    if version not in ("1", "v1", "production"):
        return error(404, f"model {name!r} has no version {version!r}")
    if request.mimetype not in IMAGE_TYPES:
        return error(415, f"unsupported Content-Type {request.mimetype!r}; send an image")
    try:
        _, x = train.server_tensor(io.BytesIO(request.get_data()))
    except Exception as e:  # PIL raises several types for corrupt images
        return error(400, f"not an image: {e}")
    with torch.no_grad():
        logits = module(torch.from_numpy(x))[0]
    probs = torch.softmax(logits, 0)
    scores, indices = torch.topk(probs, TOP_K)
    return jsonify(model=name, version="1", predictions=[
        {"label": LABELS[i], "index": i, "score": s}
        for s, i in zip(scores.tolist(), indices.tolist())])
