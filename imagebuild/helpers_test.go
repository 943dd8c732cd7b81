package imagebuild

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// tmpRoot holds what the tests build once and share; TestMain removes it.
var tmpRoot string

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "imagebuild-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

var fakeBinaries sync.Map // arch -> *fakeBinary

type fakeBinary struct {
	once sync.Once
	path string
	err  error
}

// testBinary returns a small static Linux binary for arch, built once with
// BuildBinary from testdata/fakeinferd (a stand-in for the inferd checkout)
// with version "1.2.3".
func testBinary(t *testing.T, arch string) string {
	t.Helper()
	v, _ := fakeBinaries.LoadOrStore(arch, &fakeBinary{})
	b := v.(*fakeBinary)
	b.once.Do(func() {
		b.path = filepath.Join(tmpRoot, "inferd-"+arch)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		b.err = BuildBinary(ctx, BinaryOptions{ModuleDir: filepath.Join("testdata", "fakeinferd"), Output: b.path, Arch: arch, Version: "1.2.3"})
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// writeFile writes a file, creating its directories.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the files below src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exampleRepo is the repository of the examples.
var exampleRepo = filepath.Join("..", "examples", "models")

// tarFile is one entry of a layer.
type tarFile struct {
	hdr  tar.Header
	data []byte
}

// layerFiles reads a layer's entries in order.
func layerFiles(t *testing.T, l v1.Layer) []tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var out []tarFile
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarFile{*hdr, data})
	}
}

func mustDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
