//go:build ort

package ort

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
)

// inputErrorMarks are the texts of ONNX Runtime errors about the values a
// run was given: its own input checks, and a kernel rejecting what reached
// it ("Non-zero status code returned while running Conv node..."). The
// model was validated when the session was created, so a kernel failure at
// run time comes from the inputs' shapes or values.
var inputErrorMarks = []string{
	"Non-zero status code returned while running",
	"Got invalid dimensions for input",
	"Invalid rank for input",
	"Unexpected input data type",
	"Invalid input name",
	"Missing Input",
}

// resourceErrorMarks are failures of the machine, not of the inputs, even
// when a kernel reports them.
var resourceErrorMarks = []string{"Failed to allocate memory", "bad_alloc", "std::bad_alloc"}

// summaries put some ONNX Runtime kernel errors in the words the native
// engine uses, so that the same bad input reads alike on both engines.
var summaries = []struct{ mark, summary string }{
	{"out of data bounds", "index out of range"},
	{"out of bounds", "index out of range"},
}

// runError wraps an ONNX Runtime run error, marking the ones caused by the
// inputs with engine.ErrInvalidInput.
func runError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Error creating tensor from ort") {
		return fmt.Errorf("onnxruntime_go could not convert an output: it returns FP16 outputs only when their "+
			"dimensions are fixed or named like an input's, rank-0 outputs only when declared so, and never "+
			"BFLOAT16 or other types without an inferd datatype: %w", err)
	}
	for _, m := range resourceErrorMarks {
		if strings.Contains(msg, m) {
			return fmt.Errorf("onnxruntime: %w", err)
		}
	}
	for _, m := range inputErrorMarks {
		if !strings.Contains(msg, m) {
			continue
		}
		for _, s := range summaries {
			if strings.Contains(msg, s.mark) {
				return fmt.Errorf("%w: %s: onnxruntime: %w", engine.ErrInvalidInput, s.summary, err)
			}
		}
		return fmt.Errorf("%w: onnxruntime: %w", engine.ErrInvalidInput, err)
	}
	return fmt.Errorf("onnxruntime: %w", err)
}

// ortDomains are the operator domains ONNX Runtime implements kernels for.
var ortDomains = map[string]bool{
	"": true, "ai.onnx": true, "ai.onnx.ml": true, "ai.onnx.training": true, "ai.onnx.preview.training": true,
	"com.microsoft": true, "com.microsoft.nchwc": true, "com.microsoft.experimental": true, "com.ms.internal.nhwc": true,
}

// unknownOpRE finds the operator ONNX Runtime names when it rejects one:
// "inferd.test:FooOp(-1) is not a registered function/op", "No Op
// registered for FooOp with domain_version of 13", "Could not find an
// implementation for FooOp(13) node".
var unknownOpRE = regexp.MustCompile(`(?:([\w.]*):)?(\w+)\(-?\d+\) is not a registered function/op|No Op registered for (\w+) with|Could not find an implementation for (\w+)\(`)

// loadError wraps an error from creating a session. When ONNX Runtime
// rejects an operator, it names only the first one; the error then lists
// every node of g that uses that operator or a domain ONNX Runtime has no
// kernels for, as the native engine lists all the operators it lacks.
func loadError(err error, g *onnx.Graph) error {
	m := unknownOpRE.FindStringSubmatch(err.Error())
	if m == nil || g == nil {
		return fmt.Errorf("onnxruntime: %w", err)
	}
	named := m[2] + m[3] + m[4]
	var list []string
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		if n.OpType != named && ortDomains[n.Domain] {
			continue
		}
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		if s := fmt.Sprintf("%s (node %s)", op, n.Label()); !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	return fmt.Errorf("unsupported operators in ONNX Runtime %s: %s: onnxruntime: %w", Version(), strings.Join(list, ", "), err)
}
