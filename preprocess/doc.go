// Package preprocess turns request payloads into model input tensors
// (decoding images safely, converting color, resizing, cropping and
// normalising as a model's config says) and model outputs into answers
// (softmax, top-k, class labels).
package preprocess
