package serving

import (
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

func TestReconcile(t *testing.T) {
	actual := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 3, -1, -1}}}
	tests := []struct {
		name      string
		declared  []model.TensorSpec
		wantShape []int
		wantErr   string
	}{
		{"none declared", nil, []int{-1, 3, -1, -1}, ""},
		{"narrows", []model.TensorSpec{{Name: "x", DataType: tensor.Float32, Shape: []int{-1, 3, 224, 224}}}, []int{-1, 3, 224, 224}, ""},
		{"no shape", []model.TensorSpec{{Name: "x", DataType: tensor.Float32}}, []int{-1, 3, -1, -1}, ""},
		{"name", []model.TensorSpec{{Name: "y", DataType: tensor.Float32}}, nil, `inputs[0]: the model has no input named "y" (it has [x])`},
		{"dtype", []model.TensorSpec{{Name: "x", DataType: tensor.Int64}}, nil, `"x" is INT64 in config.yaml but FP32 in the model`},
		{"fixed dim", []model.TensorSpec{{Name: "x", DataType: tensor.Float32, Shape: []int{-1, 1, 8, 8}}}, nil, "has shape [-1 1 8 8] in config.yaml but [-1 3 -1 -1] in the model"},
		{"rank", []model.TensorSpec{{Name: "x", DataType: tensor.Float32, Shape: []int{-1, 3}}}, nil, "has shape [-1 3] in config.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reconcile("inputs", tt.declared, actual)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != 1 || !engine.ShapeMatches(tt.wantShape, got[0].Shape) || len(got[0].Shape) != len(tt.wantShape) {
				t.Fatalf("got %v, %v; want shape %v", got, err, tt.wantShape)
			}
		})
	}
	_, err := reconcile("inputs", []model.TensorSpec{{Name: "x", DataType: tensor.Float32}},
		append(actual, engine.TensorInfo{Name: "mask", DType: tensor.Bool}))
	if err == nil || !strings.Contains(err.Error(), `the model's "mask" is not declared in config.yaml`) {
		t.Fatalf("undeclared model input: %v", err)
	}
}

func TestInstanceThreads(t *testing.T) {
	tests := []struct {
		name                             string
		config, server, instances, procs int
		want                             int
	}{
		{"config wins", 3, 8, 2, 8, 3},
		{"one instance: the server's", 0, 4, 1, 8, 4},
		{"one instance: engine default", 0, 0, 1, 8, 0},
		{"two instances share the cores", 0, 0, 2, 2, 1},
		{"two instances share --threads", 0, 6, 2, 2, 3},
		{"odd split rounds down", 0, 0, 3, 8, 2},
		{"never below one", 0, 0, 4, 2, 1},
		{"config with instances", 2, 0, 4, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := instanceThreads(tt.config, tt.server, tt.instances, tt.procs); got != tt.want {
				t.Errorf("instanceThreads(%d, %d, %d, %d) = %d, want %d", tt.config, tt.server, tt.instances, tt.procs, got, tt.want)
			}
		})
	}
}
