package dataset

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// MaxRows bounds the requests a dataset may hold.
const MaxRows = 1_000_000

// Profile loads model from the repository directory repo (the version
// its policy serves when version is 0), runs every request of the dataset
// at path through it and returns the profile with the feature rows (for
// calibration).
func Profile(ctx context.Context, repo, model string, version int, path string) (*drift.Profile, []drift.Row, error) {
	var mu sync.Mutex
	var rows []drift.Row
	tap := func(*serving.Version) runner.Wrapper {
		return func(next runner.Runner) runner.Runner {
			return &runner.Func{In: next.Inputs(), Out: next.Outputs(), Fn: func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
				out, err := next.Run(ctx, in)
				if err == nil {
					mu.Lock()
					rows = append(rows, drift.Extract(in, out)...)
					mu.Unlock()
				}
				return out, err
			}}
		}
	}
	m := serving.New(serving.WithExplicitControl(true), serving.WithCapture(tap), serving.WithLogger(slog.New(slog.DiscardHandler)))
	defer m.Close()
	if err := m.Load(ctx, repository.NewDir(repo)); err != nil {
		return nil, nil, err
	}
	if err := m.LoadModel(ctx, model); err != nil {
		return nil, nil, err
	}
	ref := ""
	if version > 0 {
		ref = strconv.Itoa(version)
	}
	v, err := m.Acquire(model, ref, "")
	if err != nil {
		return nil, nil, err
	}
	defer v.Release()
	reqs, err := Requests(path, v.Inputs())
	if err != nil {
		return nil, nil, err
	}
	for i, req := range reqs {
		if _, err := v.Infer(ctx, req); err != nil {
			return nil, nil, fmt.Errorf("%s: request %d: %w", path, i+1, err)
		}
	}
	p := drift.NewProfile(model, v.Number, "dataset "+path)
	for _, r := range rows {
		p.Add(r)
	}
	return p, rows, nil
}

// imageExts are the file names an image folder's images end with.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".webp": true, ".gif": true, ".bmp": true}

// Requests reads a dataset: a directory of images (searched recursively),
// a .jsonl file or a .csv file.
func Requests(path string, inputs []engine.TensorInfo) ([]*serving.Request, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	switch {
	case st.IsDir():
		return imageRequests(path)
	case strings.HasSuffix(path, ".jsonl"):
		return jsonlRequests(path, inputs)
	case strings.HasSuffix(path, ".csv"):
		return csvRequests(path, inputs)
	}
	return nil, fmt.Errorf("dataset %s: want an image folder, a .jsonl or a .csv file", path)
}

func imageRequests(dir string) ([]*serving.Request, error) {
	var reqs []*serving.Request
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !imageExts[strings.ToLower(filepath.Ext(p))] {
			return err
		}
		if len(reqs) == MaxRows {
			return fmt.Errorf("more than %d images", MaxRows)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		reqs = append(reqs, &serving.Request{Images: [][]byte{data}, ImageNames: []string{filepath.Base(p)}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("dataset %s: no images (.png, .jpg, .webp, .gif, .bmp)", dir)
	}
	return reqs, nil
}
