// Package metrics computes model-quality figures from predictions: a pure
// library over true labels, predicted labels, scores and sample weights,
// with no I/O, used by evaluation (inferd eval) and by anything that
// measures accuracy live.
//
// Classes are indices 0..K-1. Scores are row-major: row i holds the K
// class scores of sample i. Weights may be nil (every sample counts 1).
// The definitions follow scikit-learn's (roc_auc_score with
// multi_class="ovr" and average="macro", average_precision_score,
// precision_recall_fscore_support over the classes present, log_loss,
// top_k_accuracy_score); testdata holds values computed by scikit-learn
// that the tests compare to 1e-9.
package metrics
