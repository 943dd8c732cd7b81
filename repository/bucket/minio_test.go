package bucket_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/bucket/buckettest"
	"github.com/inferd/inferd/repository/repotest"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

func TestMinIOVersionsAppearOnlyComplete(t *testing.T) {
	src, _ := buckettest.MinIO(t, "models/team-a")
	checkVersionsAppearOnlyComplete(t, src)
}

// A real server serving from MinIO, under load: a new version uploaded is
// rolled out, a corrupt one FAILS while the good one keeps serving, and a
// deleted one retires; no request fails meanwhile.
func TestMinIOServesUnderLoad(t *testing.T) {
	ctx := context.Background()
	src, _ := buckettest.MinIO(t, "repo", bucket.WithPollInterval(50*time.Millisecond))
	version := buckettest.PushDigits(t, src)
	in := servertest.StartConfig(t, app.Config{Repository: src, Watch: true, Serving: []serving.Option{serving.WithSettle(0)}})
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if code := predict(t, in.URL); code == http.StatusOK {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
		}
	}()
	steps := []struct {
		name   string
		change func() error
		want   string // the states of digits' versions (1 stays: the production label pins it)
	}{
		{"a second version rolls out", func() error { return src.PushVersion(ctx, "digits", 2, version) }, "1:AVAILABLE 2:AVAILABLE"},
		{"a corrupt third version fails, the second serves", func() error {
			// The marker names a model not in the cache yet (the MLP's);
			// the object is not it.
			if err := src.Put(ctx, "digits/3/model.onnx", []byte("not the model")); err != nil {
				return err
			}
			return src.Put(ctx, "digits/3/"+bucket.MarkerFile, []byte(sha256Line(t, filepath.Join(testutil.ExamplesDir(), "digits-mlp", "1", "model.onnx"))))
		}, "1:AVAILABLE 2:AVAILABLE 3:FAILED"},
		{"a good third version replaces it in place", func() error { return src.PushVersion(ctx, "digits", 3, version) }, "1:AVAILABLE 3:AVAILABLE"},
		{"a deleted version retires", func() error { return src.Delete(ctx, "digits/3/") }, "1:AVAILABLE 2:AVAILABLE"},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatal(err)
		}
		waitStates(t, in, st.want)
	}
	close(stop)
	<-done
	t.Logf("%d requests answered during the rollout, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("%d requests failed (%d answered) while versions changed in MinIO", failed.Load(), ok.Load())
	}
}

// sha256Line is a marker line for file as model.onnx.
func sha256Line(t *testing.T, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x  model.onnx\n", sha256.Sum256(b))
}

func predict(t *testing.T, base string) int {
	body := strings.NewReader(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,8,8],"data":[` + strings.TrimSuffix(strings.Repeat("0,", 64), ",") + `]}]}`)
	resp, err := http.Post(base+"/v2/models/digits/infer", "application/json", body)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStates waits until the digits versions are in the given states
// ("N:STATE ..."), for up to 20 s.
func waitStates(t *testing.T, in *servertest.Instance, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := ""
		if mod, err := in.Models.Model("digits"); err == nil {
			var parts []string
			for _, v := range mod.Versions() {
				parts = append(parts, fmt.Sprintf("%d:%s", v.Number, v.State()))
			}
			got = strings.Join(parts, " ")
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("digits versions %q, want %q within 20 s", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMinIORoutingWrites(t *testing.T) {
	src, _ := buckettest.MinIO(t, "routing")
	src.Put(context.Background(), "m/config.yaml", []byte("description: x\n"))
	repotest.CheckRoutingWrites(t, src)
}
