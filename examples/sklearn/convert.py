"""Converts fitted scikit-learn models to ONNX-ML graphs with onnx.helper.

skl2onnx is not packaged for Debian; this converter covers the estimators
inferd's examples and tests use, producing the graphs skl2onnx would:

    StandardScaler          -> Scaler
    LogisticRegression      -> LinearClassifier (+ Normalizer for OvR)
    SVC (probability=True)  -> SVMClassifier with prob_a / prob_b
    RandomForestClassifier  -> TreeEnsembleClassifier (averaged leaf probabilities)
    GradientBoostingClassifier -> TreeEnsembleClassifier (leaf values, base values,
                               LOGISTIC for two classes, SOFTMAX for more)

Every classifier graph has one float input "input" [N, F] and two outputs:
"label" [N] and "probabilities", a sequence of maps from class label to
probability made by ZipMap. Thresholds are stored as doubles
(nodes_values_as_tensor, ai.onnx.ml 3) so that trees split exactly as
scikit-learn's do.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ML = "ai.onnx.ml"


def _labels_attr(classes):
    """The classlabels attribute for ZipMap and the classifiers."""
    if classes.dtype.kind in "iu":
        return "classlabels_int64s", [int(c) for c in classes], TensorProto.INT64
    return "classlabels_strings", [str(c) for c in classes], TensorProto.STRING


def _scaler(prefix, scaler, inp, out):
    return helper.make_node(
        "Scaler", [inp], [out], domain=ML, name=prefix + "scaler",
        offset=[float(v) for v in scaler.mean_],
        scale=[float(1 / v) for v in scaler.scale_])


def _linear(clf, inp, classes):
    """LinearClassifier nodes for LogisticRegression."""
    coef, intercept = clf.coef_, clf.intercept_
    if len(classes) == 2:
        # One score z; two rows [-z, z] make LOGISTIC give [1-p, p].
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
        post = "LOGISTIC"
    elif getattr(clf, "multi_class", "auto") == "ovr":
        post = "LOGISTIC"
    else:
        post = "SOFTMAX"
    name, values, _ = _labels_attr(classes)
    name = name.replace("int64s", "ints")
    node = helper.make_node(
        "LinearClassifier", [inp], ["label", "scores"], domain=ML, name="linear",
        coefficients=[float(v) for v in coef.ravel()],
        intercepts=[float(v) for v in intercept],
        post_transform=post, multi_class=0, **{name: values})
    nodes = [node]
    scores = "scores"
    if post == "LOGISTIC" and len(classes) > 2:
        nodes.append(helper.make_node("Normalizer", ["scores"], ["scores_norm"], domain=ML, norm="L1"))
        scores = "scores_norm"
    return nodes, scores


def _svc(clf, inp, classes):
    """SVMClassifier node for an SVC fitted with probability=True."""
    kernel = clf.kernel.upper()
    name, values, _ = _labels_attr(classes)
    name = name.replace("int64s", "ints")
    node = helper.make_node(
        "SVMClassifier", [inp], ["label", "scores"], domain=ML, name="svc",
        kernel_type=kernel,
        kernel_params=[float(clf._gamma), float(clf.coef0), float(clf.degree)],
        support_vectors=[float(v) for v in clf.support_vectors_.ravel()],
        vectors_per_class=[int(v) for v in clf._n_support],
        coefficients=[float(v) for v in clf._dual_coef_.ravel()],
        rho=[float(v) for v in clf._intercept_],
        prob_a=[float(v) for v in clf._probA],
        prob_b=[float(v) for v in clf._probB],
        post_transform="NONE", **{name: values})
    return [node], "scores"


def _tree_nodes(attrs, tree_id, tree, leaf_weights):
    """Appends one sklearn tree's nodes; leaf_weights(node) lists (class, weight)."""
    t = tree.tree_
    for i in range(t.node_count):
        attrs["nodes_treeids"].append(tree_id)
        attrs["nodes_nodeids"].append(i)
        attrs["nodes_hitrates"].append(1.0)
        attrs["nodes_missing_value_tracks_true"].append(0)
        if t.children_left[i] == -1:
            attrs["nodes_featureids"].append(0)
            attrs["nodes_values"].append(0.0)
            attrs["nodes_modes"].append("LEAF")
            attrs["nodes_truenodeids"].append(0)
            attrs["nodes_falsenodeids"].append(0)
            for cls, w in leaf_weights(i):
                attrs["class_treeids"].append(tree_id)
                attrs["class_nodeids"].append(i)
                attrs["class_ids"].append(cls)
                attrs["class_weights"].append(w)
        else:
            attrs["nodes_featureids"].append(int(t.feature[i]))
            attrs["nodes_values"].append(float(t.threshold[i]))
            attrs["nodes_modes"].append("BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(int(t.children_left[i]))
            attrs["nodes_falsenodeids"].append(int(t.children_right[i]))


def _tree_ensemble(inp, classes, attrs, base_values, post):
    name, values, _ = _labels_attr(classes)
    kw = {k: v for k, v in attrs.items() if k not in ("nodes_values", "class_weights")}
    kw["nodes_values_as_tensor"] = numpy_helper.from_array(np.array(attrs["nodes_values"], dtype=np.float64))
    kw["class_weights_as_tensor"] = numpy_helper.from_array(np.array(attrs["class_weights"], dtype=np.float64))
    if base_values is not None:
        kw["base_values_as_tensor"] = numpy_helper.from_array(np.array(base_values, dtype=np.float64))
    node = helper.make_node("TreeEnsembleClassifier", [inp], ["label", "scores"], domain=ML, name="trees",
                            post_transform=post, **kw, **{name: values})
    return [node], "scores"


def _new_attrs():
    keys = ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_hitrates",
            "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
            "class_treeids", "class_nodeids", "class_ids", "class_weights"]
    return {k: [] for k in keys}


def _random_forest(clf, inp, classes):
    attrs = _new_attrs()
    n = len(clf.estimators_)
    for tid, est in enumerate(clf.estimators_):
        value = est.tree_.value[:, 0, :]

        def leaf(i, value=value):
            p = value[i] / value[i].sum()
            return [(c, float(p[c] / n)) for c in range(len(classes))]
        _tree_nodes(attrs, tid, est, leaf)
    return _tree_ensemble(inp, classes, attrs, None, "NONE")


def _gradient_boosting(clf, inp, classes, x_example):
    attrs = _new_attrs()
    lr = clf.learning_rate
    base = clf._raw_predict_init(x_example[:1].astype(np.float64))[0]
    tid = 0
    for stage in clf.estimators_:
        for k, est in enumerate(stage):
            value = est.tree_.value[:, 0, 0]

            def leaf(i, k=k, value=value):
                return [(k, float(lr * value[i]))]
            _tree_nodes(attrs, tid, est, leaf)
            tid += 1
    post = "LOGISTIC" if len(classes) == 2 else "SOFTMAX"
    return _tree_ensemble(inp, classes, attrs, [float(v) for v in base], post)


def convert(model, n_features, name, x_example=None):
    """Returns the ONNX model of a fitted classifier or Pipeline(scaler, classifier)."""
    steps = model.steps if hasattr(model, "steps") else [("clf", model)]
    nodes = []
    inp = "input"
    for i, (_, step) in enumerate(steps[:-1]):
        kind = type(step).__name__
        if kind != "StandardScaler":
            raise ValueError("unsupported pipeline step " + kind)
        nodes.append(_scaler("s%d_" % i, step, inp, "scaled%d" % i))
        inp = "scaled%d" % i
    clf = steps[-1][1]
    classes = clf.classes_
    kind = type(clf).__name__
    if kind == "LogisticRegression":
        more, scores = _linear(clf, inp, classes)
    elif kind == "SVC":
        more, scores = _svc(clf, inp, classes)
    elif kind == "RandomForestClassifier":
        more, scores = _random_forest(clf, inp, classes)
    elif kind == "GradientBoostingClassifier":
        more, scores = _gradient_boosting(clf, inp, classes, x_example)
    else:
        raise ValueError("unsupported estimator " + kind)
    nodes += more
    zname, zvalues, key_type = _labels_attr(classes)
    nodes.append(helper.make_node("ZipMap", [scores], ["probabilities"], domain=ML, name="zipmap", **{zname: zvalues}))
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = key_type
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    outputs = [
        helper.make_tensor_value_info("label", key_type, [None]),
        helper.make_value_info("probabilities", helper.make_sequence_type_proto(map_type)),
    ]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, n_features])], outputs)
    m = helper.make_model(graph, producer_name="inferd-examples-sklearn",
                          opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML, 3)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m
