//go:build !linux

package evaluate

// yieldToInference does nothing where thread priorities are not set.
func yieldToInference() {}
