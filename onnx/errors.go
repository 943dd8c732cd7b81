package onnx

import (
	"errors"
	"fmt"
)

// ErrInvalidModel marks every error caused by the content of a model or
// tensor file: malformed protobuf, unsupported or inconsistent tensors,
// missing or escaping external data, and graphs that break ONNX's rules.
// Test for it with errors.Is.
var ErrInvalidModel = errors.New("invalid ONNX model")

// ErrTooLarge marks a model whose tensors would take more memory than the
// limit given with WithMaxBytes. It comes wrapped in ErrInvalidModel.
var ErrTooLarge = errors.New("model too large")

// invalid wraps err, which describes what is wrong, with ErrInvalidModel.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidModel, err)
}

// depthError is returned when nesting exceeds maxDepth. The recursive
// callers pass it up without adding their context at every level, so the
// message stays short.
type depthError struct{ what string }

func (e *depthError) Error() string { return fmt.Sprintf("%s nested deeper than %d", e.what, maxDepth) }

// tooDeep returns the error for nesting of what beyond maxDepth.
func tooDeep(what string) error { return &depthError{what} }

// isDepth reports whether err is a depth error.
func isDepth(err error) bool {
	var de *depthError
	return errors.As(err, &de)
}

// nested reports whether err is a depth error coming up from a nested level
// (depth > 0), which callers pass on without adding context.
func nested(err error, depth int) bool { return depth > 0 && isDepth(err) }

// maxDepth bounds the nesting of subgraphs (If/Loop/Scan bodies inside one
// another) and of types (sequences of maps of ...), so that a hostile file
// cannot drive the decoder into deep recursion.
const maxDepth = 64
