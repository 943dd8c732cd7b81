package model

import (
	"errors"
	"testing"
)

// FuzzParse: any config.yaml content is a config or an ErrInvalidConfig,
// never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("platform: onnx\n"))
	f.Add([]byte("preprocess: {image: {input: x, resize: {width: 8, height: 8}}}\npostprocess: {top_k: 3}\n"))
	f.Add([]byte("batching: {max_batch_size: 8, max_queue_delay: 1ms}\nversion_policy: {specific: [1, 3]}\n"))
	f.Add([]byte("traffic: {1: 90, 2: 10}\nshadow: {version: 2, percent: 5}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Parse(data); err != nil && !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("error without ErrInvalidConfig: %v", err)
		}
	})
}
