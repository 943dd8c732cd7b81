package monitor

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The live quality metrics, computed from labelled predictions. They are
// kept here, in one place, so that other metrics join them.

// Accuracy is the share of true outcomes (0 without any).
func Accuracy(outcomes []bool) float64 {
	if len(outcomes) == 0 {
		return 0
	}
	n := 0
	for _, ok := range outcomes {
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(outcomes))
}

// Correct reports whether a feedback label names the predicted class: the
// label is the class's name (a JSON string) or its index (a JSON number,
// or a string of digits), and prediction is the class name the record
// holds (its index as a string when the model has no labels).
func Correct(label json.RawMessage, prediction string, labels []string) bool {
	label = bytes.TrimSpace(label)
	var s string
	if err := json.Unmarshal(label, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(label, &n); err != nil {
			return false
		}
		s = n.String()
	}
	if s == prediction {
		return true
	}
	if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(labels) {
		return labels[i] == prediction
	}
	return false
}
