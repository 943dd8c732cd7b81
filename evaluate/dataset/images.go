package dataset

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // image headers of the datasets
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "golang.org/x/image/webp"
)

// imageReader walks root/<class>/<file> in name order, one class folder
// at a time.
type imageReader struct {
	root    string
	classes []string
	class   int
	files   []string
}

func openImages(spec Spec) (Reader, error) {
	if len(spec.Groups)+len(spec.Slices) > 0 || spec.Weight != "" || len(spec.Features) > 0 {
		return nil, fmt.Errorf("dataset %s: an image folder has no columns: groups, slices, weights and features need a table", spec.Path)
	}
	entries, err := os.ReadDir(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r := &imageReader{root: spec.Path}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			return nil, dataErr(filepath.Join(spec.Path, e.Name()), 0, "an image folder holds one subfolder per class, not files")
		}
		r.classes = append(r.classes, e.Name())
	}
	if len(r.classes) == 0 {
		return nil, dataErr(spec.Path, 0, "no class subfolders")
	}
	r.class = -1
	return r, nil
}

// Classes are the class folder names, sorted.
func (r *imageReader) Classes() []string { return slices.Clone(r.classes) }

func (r *imageReader) Features() []string { return nil }

func (r *imageReader) Close() error { return nil }

func (r *imageReader) Next() (*Row, error) {
	for len(r.files) == 0 {
		r.class++
		if r.class >= len(r.classes) {
			return nil, io.EOF
		}
		dir := filepath.Join(r.root, r.classes[r.class])
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				r.files = append(r.files, filepath.Join(dir, e.Name()))
			}
		}
	}
	path := r.files[0]
	r.files = r.files[1:]
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(b)); err != nil {
		return nil, dataErr(path, 0, "not a readable PNG, JPEG or WebP image: %v", err)
	}
	return &Row{Image: b, File: path, Label: r.classes[r.class], Weight: 1}, nil
}
