package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/fake"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// bigRepository is 50 models of 4 versions each (the fake engine).
func bigRepository() *repository.Memory {
	src := repository.NewMemory()
	m := fake.Model{
		Inputs:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}},
		Outputs: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}},
		Scale:   2,
	}.Bytes()
	for i := range 50 {
		name := fmt.Sprintf("model-%02d", i)
		src.Put(name+"/config.yaml", []byte("engine: fake\nversion_policy: all\nversion_labels: {production: 3}\n"))
		for v := 1; v <= 4; v++ {
			src.Put(fmt.Sprintf("%s/%d/model.onnx", name, v), m)
		}
	}
	return src
}

// BenchmarkOverviewAPI is GET /ui/api/overview with 50 models and 200
// versions, each of which has served requests (so every version has its
// sparklines), over a real server.
func BenchmarkOverviewAPI(b *testing.B) {
	in := servertest.StartConfig(b, app.Config{Repository: bigRepository(), Console: app.Console{Mode: server.ConsoleAuto}})
	for i := range 50 {
		for v := 1; v <= 4; v++ {
			url := fmt.Sprintf("%s/v2/models/model-%02d/versions/%d/infer", in.URL, i, v)
			resp, err := http.Post(url, "application/json", stringsReader(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,2]}]}`))
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("infer %s: %v %v", url, err, resp)
			}
			resp.Body.Close()
		}
	}
	var bytes int64
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, in.URL+"/ui/api/overview", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(err, resp)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		bytes = n
	}
	b.ReportMetric(float64(bytes), "B/overview")
}
