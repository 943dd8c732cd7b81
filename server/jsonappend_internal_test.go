package server

import (
	"bytes"
	"encoding/json"
	"math"
	"mime"
	"testing"

	"github.com/inferd/inferd/serving/codec"
)

// TestEncodeAnswerAsMarshal: the appended answers are json.Marshal's
// bytes, for plain answers (appended) and for the ones left to Marshal.
func TestEncodeAnswerAsMarshal(t *testing.T) {
	preds := []codec.Prediction{{Label: "7", Index: 7, Score: 0.9871}, {Label: "one", Index: 1, Score: 1.2e-7}, {Label: "", Index: -3, Score: 0}}
	odd := []codec.Prediction{{Label: "a<b", Index: 0, Score: 1e21}, {Label: "é", Index: 2, Score: -2.5e-10}}
	raws := map[string]json.RawMessage{"output": json.RawMessage(`[[0.1,-2,3e-7]]`), "b": json.RawMessage(`[1]`), "a_b": json.RawMessage(`["x"]`)}
	tests := []struct {
		name     string
		v        any
		appended bool
	}{
		{"image", imageAnswer{Model: "digits", Version: "1", Predictions: preds}, true},
		{"image no predictions", imageAnswer{Model: "digits", Version: "stable"}, true},
		{"image empty predictions", imageAnswer{Model: "m", Version: "2", Predictions: []codec.Prediction{}}, true},
		{"image odd strings", imageAnswer{Model: "m\"x", Version: "1", Predictions: odd}, false},
		{"image large score", imageAnswer{Model: "m", Version: "1", Predictions: []codec.Prediction{{Score: 1e21}, {Score: 123456789}, {Score: -1e-6}, {Score: 9.99e-7}}}, true},
		{"image NaN score", imageAnswer{Model: "m", Version: "1", Predictions: []codec.Prediction{{Score: math.NaN()}}}, false},
		{"tensor", tensorAnswer{Model: "transformer", Version: "1", Outputs: raws}, true},
		{"tensor predictions", tensorAnswer{Model: "t", Version: "1", Outputs: raws, Predictions: [][]codec.Prediction{preds, nil, {}}}, true},
		{"tensor empty predictions", tensorAnswer{Model: "t", Version: "1", Outputs: map[string]json.RawMessage{}, Predictions: [][]codec.Prediction{}}, true},
		{"tensor nil outputs", tensorAnswer{Model: "t", Version: "1"}, true},
		{"tensor spaced raw", tensorAnswer{Model: "t", Version: "1", Outputs: map[string]json.RawMessage{"y": json.RawMessage(`[1, 2]`)}}, false},
		{"tensor html raw", tensorAnswer{Model: "t", Version: "1", Outputs: map[string]json.RawMessage{"y": json.RawMessage(`["<b>"]`)}}, false},
		{"tensor odd key", tensorAnswer{Model: "t", Version: "1", Outputs: map[string]json.RawMessage{"y&z": json.RawMessage(`[1]`)}}, false},
		{"other", errorBody{Error: "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := json.Marshal(tt.v)
			got, err := encodeAnswer(tt.v)
			if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
				t.Fatalf("encodeAnswer: %s, %v\njson.Marshal:  %s, %v", got, err, want, wantErr)
			}
			appended := false
			if a, ok := tt.v.(jsonAppender); ok {
				_, appended = a.appendJSON(nil)
			}
			if appended != tt.appended {
				t.Fatalf("appended %v, want %v", appended, tt.appended)
			}
		})
	}
}

// FuzzAppendJSONFloat: scores encode as encoding/json encodes them.
func FuzzAppendJSONFloat(f *testing.F) {
	for _, x := range []float64{0, -0.0, 1, 0.1, 1e-7, 1e21, 123456789012345678, -4.9e-324} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, ok := appendJSONFloat(nil, x)
		want, err := json.Marshal(x)
		if ok != (err == nil) || (ok && !bytes.Equal(got, want)) {
			t.Fatalf("%v: appended %s (%v), json.Marshal %s (%v)", x, got, ok, want, err)
		}
	})
}

// TestParseMediaTypeAsMime: the shortcut gives mime.ParseMediaType's type
// and parameters.
func TestParseMediaTypeAsMime(t *testing.T) {
	for _, ct := range []string{"application/json", "image/png", "image/jpeg", "image/webp", "application/octet-stream",
		"Application/JSON", "application/json; charset=utf-8", "multipart/form-data; boundary=x", "image/png ", "text/plain", "bad type"} {
		mt, params, err := parseMediaType(ct)
		wantMT, wantParams, wantErr := mime.ParseMediaType(ct)
		if mt != wantMT || params["boundary"] != wantParams["boundary"] || len(params) != len(wantParams) || (err == nil) != (wantErr == nil) {
			t.Errorf("parseMediaType(%q) = %q %v %v, mime: %q %v %v", ct, mt, params, err, wantMT, wantParams, wantErr)
		}
	}
}
