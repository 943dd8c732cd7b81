// Package codec turns what clients send into tensors and what models
// answer into what clients read, for one model version: encoded images
// into the image input's batch (decoded under one pixel budget per
// request, preprocessed as config.yaml says), and score tensors into
// ranked predictions (softmax, top-k, labels), including the Open
// Inference Protocol's classification extension. Every protocol uses the
// same Codec, built once when a version loads.
package codec
