package bucket_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/bucket/buckettest"
)

// cachedFile is where a cache keeps a file of that content.
func cachedFile(src *bucket.Source, data []byte) string {
	s := sha256.Sum256(data)
	sum := hex.EncodeToString(s[:])
	return filepath.Join(src.CacheDir(), sum[:2], sum)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// pushRetiring pushes version n of digits: the model file of version 1
// (still listed by it) and a file of its own, read through the source so
// that both are cached. It returns the file's content.
func pushRetiring(t *testing.T, src *bucket.Source, model []byte, n int) []byte {
	t.Helper()
	ctx := context.Background()
	own := fmt.Appendf(nil, "version %d only, %d", n, time.Now().UnixNano())
	v := fstest.MapFS{"model.onnx": {Data: model}, "extra.bin": {Data: own}}
	if err := src.PushVersion(ctx, "digits", n, v); err != nil {
		t.Fatal(err)
	}
	fsys, err := src.FS("digits")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{fmt.Sprintf("%d/model.onnx", n), fmt.Sprintf("%d/extra.bin", n)} {
		if _, err := fs.ReadFile(fsys, f); err != nil {
			t.Fatal(err)
		}
	}
	return own
}

func prune(t *testing.T, src *bucket.Source, times int) {
	t.Helper()
	for range times {
		if err := src.PruneNow(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// The model cache loses the files of retired versions, on MinIO: a file
// that only a deleted version listed goes at the second prune after it
// was last open (never while open), a file another version still lists
// stays, and in a shared (default) cache directory the files this source
// never used stay too.
func TestMinIOCachePruned(t *testing.T) {
	ctx := context.Background()
	src, url := buckettest.MinIO(t, "repo")
	model, err := fs.ReadFile(buckettest.PushDigits(t, src), "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	own := pushRetiring(t, src, model, 2)
	fsys, _ := src.FS("digits")
	held, err := fsys.Open("2/extra.bin") // as a version that is loading
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(src.CacheDir(), "ab", "ab"+fmt.Sprintf("%062d", 0))
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil || os.WriteFile(foreign, []byte("x"), 0o644) != nil {
		t.Fatal(err)
	}
	if err := src.Delete(ctx, "digits/2/"); err != nil {
		t.Fatal(err)
	}
	prune(t, src, 3)
	if !exists(cachedFile(src, own)) || !exists(cachedFile(src, model)) || exists(foreign) {
		t.Fatalf("open retired file kept %v, listed model kept %v, unknown file in an owned cache removed %v: want true, true, true",
			exists(cachedFile(src, own)), exists(cachedFile(src, model)), !exists(foreign))
	}
	held.Close()
	prune(t, src, 1)
	if !exists(cachedFile(src, own)) {
		t.Fatal("a retired file went at the first prune after it was closed, want the second")
	}
	prune(t, src, 1)
	if exists(cachedFile(src, own)) || !exists(cachedFile(src, model)) {
		t.Fatalf("after two prunes: retired file kept %v, listed model kept %v; want false, true", exists(cachedFile(src, own)), exists(cachedFile(src, model)))
	}

	t.Run("shared default directory", func(t *testing.T) {
		t.Setenv("XDG_CACHE_HOME", t.TempDir())
		shared, err := bucket.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer shared.Close()
		own := pushRetiring(t, shared, model, 3)
		other := cachedFile(shared, []byte("another server's model"))
		if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil || os.WriteFile(other, []byte("another server's model"), 0o644) != nil {
			t.Fatal(err)
		}
		if err := shared.Delete(ctx, "digits/3/"); err != nil {
			t.Fatal(err)
		}
		prune(t, shared, 2)
		if exists(cachedFile(shared, own)) || !exists(other) {
			t.Fatalf("retired file it used kept %v, another server's file kept %v; want false, true", exists(cachedFile(shared, own)), exists(other))
		}
	})
}
