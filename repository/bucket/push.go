package bucket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/inferd/inferd/model"
)

// PushVersion uploads the files of a version directory (dir: model.onnx,
// external data, warm-up samples...) as version n of the named model, and
// then its marker, which makes it appear complete to every server at
// once. A marker already there is replaced last, so a version replaced in
// place is seen whole, old or new.
func (s *Source) PushVersion(ctx context.Context, name string, n int, dir fs.FS) error {
	if !model.ValidName(name) || n <= 0 {
		return fmt.Errorf("push: %q version %d is not a model name and version", name, n)
	}
	prefix := name + "/" + strconv.Itoa(n) + "/"
	var lines []string
	err := fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == MarkerFile {
			return err
		}
		sum, err := s.upload(ctx, prefix+p, dir, p)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("push %s version %d: %w", name, n, err)
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "  model.onnx") }) {
		return fmt.Errorf("push %s version %d: the directory has no model.onnx", name, n)
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	marker := strings.Join(lines, "\n") + "\n"
	if err := s.b.WriteAll(ctx, prefix+MarkerFile, []byte(marker), nil); err != nil {
		return fmt.Errorf("push %s version %d: writing %s: %w", name, n, MarkerFile, err)
	}
	return nil
}

// upload copies one file to key and returns its SHA-256.
func (s *Source) upload(ctx context.Context, key string, dir fs.FS, p string) (string, error) {
	f, err := dir.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	w, err := s.b.NewWriter(ctx, key, nil)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), f); err != nil {
		w.Close()
		return "", fmt.Errorf("uploading %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("uploading %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Put writes one object, such as NAME/config.yaml, at a key relative to
// the repository.
func (s *Source) Put(ctx context.Context, key string, data []byte) error {
	return s.b.WriteAll(ctx, key, data, nil)
}

// Delete removes the objects under a prefix relative to the repository,
// such as "digits/2/": the marker first, so the version disappears
// before its files do.
func (s *Source) Delete(ctx context.Context, prefix string) error {
	l, err := s.list(ctx, prefix)
	if err != nil {
		return err
	}
	var keys []string
	for k := range l {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		am, bm := strings.HasSuffix(a, "/"+MarkerFile), strings.HasSuffix(b, "/"+MarkerFile)
		if am != bm {
			if am {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		if err := s.b.Delete(ctx, k); err != nil {
			return fmt.Errorf("deleting %s: %w", k, err)
		}
	}
	return nil
}
