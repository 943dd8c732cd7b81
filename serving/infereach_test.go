package serving

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// TestInferEach: InferEach answers each image as Infer answers it alone,
// the images share one pixel budget, and every error names its image.
func TestInferEach(t *testing.T) {
	m := New()
	defer m.Close()
	if err := m.Load(context.Background(), repository.NewDir(testutil.ExamplesCopy(t))); err != nil {
		t.Fatal(err)
	}
	v, err := m.Acquire("read-number", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var canvases [][]byte // 256x64 pixels each
	for _, f := range []string{"4835_0.png", "140_0.png", "8_0.png"} {
		data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", f))
		if err != nil {
			t.Fatal(err)
		}
		canvases = append(canvases, data)
	}
	corrupt := canvases[1][:len(canvases[1])-40]
	tests := []struct {
		name      string
		images    [][]byte
		names     []string
		outputs   []OutputRequest
		maxPixels int
		wantName  string // "" for no error
		wantErr   error
	}{
		{"each as alone", canvases, []string{"a", "b", "c"}, nil, 0, "", nil},
		{"the budget is shared", canvases, []string{"a", "b", "c"}, nil, 3*256*64 - 1, "c", preprocess.ErrImageTooLarge},
		{"a corrupt second image", [][]byte{canvases[0], corrupt}, []string{"a", "b"}, nil, 0, "b", preprocess.ErrBadImage},
		{"unnamed images", [][]byte{canvases[0], corrupt}, nil, nil, 0, "image 1", preprocess.ErrBadImage},
		{"an error after decoding", canvases, []string{"a", "b", "c"}, []OutputRequest{{Name: "missing"}}, 0, "a", ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			each, err := v.InferEach(context.Background(), &Request{Images: tt.images, ImageNames: tt.names, Outputs: tt.outputs, MaxPixels: tt.maxPixels})
			if tt.wantErr != nil {
				var ie *codec.ImageError
				if !errors.As(err, &ie) || ie.Name != tt.wantName || !errors.Is(err, tt.wantErr) {
					t.Fatalf("InferEach error = %v, want a *codec.ImageError naming %q of %v", err, tt.wantName, tt.wantErr)
				}
				return
			}
			if err != nil || len(each) != len(tt.images) {
				t.Fatalf("InferEach = %d responses, %v; want %d", len(each), err, len(tt.images))
			}
			for i, img := range tt.images {
				alone, err := v.Infer(context.Background(), &Request{Images: [][]byte{img}})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := outputsText(each[i]), outputsText(alone); !bytes.Equal(got, want) {
					t.Errorf("image %d: InferEach answered %s, Infer alone %s", i, got, want)
				}
			}
		})
	}
}

// outputsText is a response's outputs as JSON, in order.
func outputsText(res *Response) []byte {
	var b []byte
	for _, o := range res.Outputs {
		b = append(append(b, o.Name...), ':')
		b = tensor.AppendJSON(b, o.Tensor)
	}
	return b
}
