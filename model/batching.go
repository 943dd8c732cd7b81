package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Batching turns on dynamic batching for a model: requests wait up to
// MaxQueueDelay to be grouped, up to MaxBatchSize rows, into one engine
// call. Off unless configured, as in Triton and TF Serving.
type Batching struct {
	MaxBatchSize        int           `yaml:"max_batch_size"`
	MaxQueueDelay       time.Duration `yaml:"max_queue_delay"`
	PreferredBatchSizes []int         `yaml:"preferred_batch_sizes"`
	// MaxQueueSize bounds the waiting requests; more get 429 at once
	// (default 1024).
	MaxQueueSize int `yaml:"max_queue_size"`
}

// MarshalJSON shows the delay as a duration string.
func (b Batching) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MaxBatchSize        int    `json:"max_batch_size"`
		MaxQueueDelay       string `json:"max_queue_delay"`
		PreferredBatchSizes []int  `json:"preferred_batch_sizes,omitempty"`
		MaxQueueSize        int    `json:"max_queue_size"`
	}{b.MaxBatchSize, b.MaxQueueDelay.String(), b.PreferredBatchSizes, b.MaxQueueSize})
}

const defaultMaxQueueSize = 1024

func (c *Config) validateBatching() error {
	if c.Instances < 0 {
		return fmt.Errorf("instances: must not be negative, got %d", c.Instances)
	}
	if c.Instances == 0 {
		c.Instances = 1
	}
	b := c.Batching
	if b == nil {
		return nil
	}
	if b.MaxBatchSize <= 0 {
		return fmt.Errorf("batching.max_batch_size: must be positive, got %d", b.MaxBatchSize)
	}
	if b.MaxQueueDelay < 0 {
		return fmt.Errorf("batching.max_queue_delay: must not be negative, got %v", b.MaxQueueDelay)
	}
	if b.MaxQueueDelay > time.Minute {
		return fmt.Errorf("batching.max_queue_delay: %v is more than a minute; batching delays are milliseconds (e.g. 2ms)", b.MaxQueueDelay)
	}
	for i, p := range b.PreferredBatchSizes {
		if p <= 0 || p > b.MaxBatchSize {
			return fmt.Errorf("batching.preferred_batch_sizes[%d]: %d is not within 1 and max_batch_size %d", i, p, b.MaxBatchSize)
		}
	}
	if b.MaxQueueSize < 0 {
		return fmt.Errorf("batching.max_queue_size: must not be negative, got %d", b.MaxQueueSize)
	}
	if b.MaxQueueSize == 0 {
		b.MaxQueueSize = defaultMaxQueueSize
	}
	for _, specs := range [][]TensorSpec{c.Inputs, c.Outputs} {
		for _, s := range specs {
			if len(s.Shape) > 0 && s.Shape[0] != -1 {
				return fmt.Errorf("batching: %q has shape %v; batching needs a variable first (batch) dimension, -1", s.Name, s.Shape)
			}
		}
	}
	return nil
}
