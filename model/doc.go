// Package model reads and validates a model's config.yaml: its inputs and
// outputs, image preprocessing, postprocessing (softmax, top-k, class
// labels), engine and version labels.
package model
