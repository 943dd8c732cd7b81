package monitor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/tensor"
)

func TestPayloadRoundTrip(t *testing.T) {
	ts := map[string]*tensor.Tensor{
		"f32":  tensor.MustFromSlice([]float32{1.5, -2, 3}, 1, 3),
		"f64":  tensor.MustFromSlice([]float64{0.25}, 1),
		"i64":  tensor.MustFromSlice([]int64{-7, 8}, 2, 1),
		"u8":   tensor.MustFromSlice([]uint8{0, 255}, 1, 2),
		"b":    tensor.MustFromSlice([]bool{true, false}, 2),
		"s":    tensor.MustFromSlice([]string{"héllo", ""}, 2),
		"png":  tensor.MustFromSlice([]string{"\x89PNG\r\n\x1a\n\xff\x00", "ok"}, 2, 1),
		"f16":  mustF16(t),
		"ssn":  tensor.MustFromSlice([]int32{123456789}, 1, 1),
		"void": tensor.New(tensor.Float32, 0, 4),
	}
	p := monitor.EncodePayload(ts, map[string]bool{"ssn": true})
	back, err := p.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := back["ssn"]; ok || len(back) != len(ts)-1 {
		t.Fatalf("decoded %d tensors with ssn %v", len(back), back["ssn"])
	}
	for name, want := range ts {
		if name == "ssn" {
			continue
		}
		if d, err := tensor.Compare(back[name], want, tensor.Tolerance{}); err != nil || !d.OK() {
			t.Errorf("%s: %v %+v", name, err, d)
		}
	}
	// JSON and back keeps everything, the redaction included.
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var again monitor.Payload
	if err := json.Unmarshal(js, &again); err != nil {
		t.Fatal(err)
	}
	if string(again) != string(p) {
		t.Fatalf("JSON round trip changed the payload: %s", js)
	}
	// Binary BYTES (encoded images) are {"b64": …} in JSON, as inferd's
	// JSON protocols take them; text stays a string.
	if want := `"png":{"datatype":"BYTES","shape":[2,1],"data":[[{"b64":"iVBORw0KGgr/AA=="}],["ok"]]}`; !strings.Contains(string(js), want) {
		t.Fatalf("JSON %s lacks %s", js, want)
	}
}

func mustF16(t *testing.T) *tensor.Tensor {
	x, err := tensor.FromFloat16Bits([]uint16{tensor.Float32ToFloat16(0.5)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// A corrupt payload is an error, never a panic or a huge allocation.
func TestPayloadCorrupt(t *testing.T) {
	good := monitor.EncodePayload(map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{1, 2}, 1, 2)}, nil)
	tests := map[string]monitor.Payload{
		"empty":      {},
		"truncated":  good[:len(good)-3],
		"trailing":   append(append(monitor.Payload{}, good...), 0),
		"huge count": {0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge shape": monitor.Payload{1, 1, 'x', 4, 'F', 'P', '3', '2', 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad dtype":  monitor.Payload{1, 1, 'x', 3, 'B', 'A', 'D', 0, 1, 1, 0},
		"deep rank":  monitor.Payload{1, 1, 'x', 4, 'F', 'P', '3', '2', 0, 100},
	}
	for name, p := range tests {
		if _, err := p.Tensors(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	var p monitor.Payload
	if err := json.Unmarshal([]byte(`{"x": {"datatype": "FP32", "shape": [2], "data": [1, "a"]}}`), &p); err == nil {
		t.Error("bad JSON data: no error")
	}
}
