package bucket_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/repotest"
)

// openFile opens a file:// bucket in a temporary directory.
func openFile(t *testing.T) (*bucket.Source, string) {
	t.Helper()
	dir := t.TempDir()
	src, err := bucket.Open(context.Background(), "file://"+dir, bucket.WithCacheDir(t.TempDir()), bucket.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, dir
}

func versionFiles(model string) fstest.MapFS {
	return fstest.MapFS{"model.onnx": {Data: []byte(model)}, "weights.bin": {Data: []byte("w-" + model)}}
}

// versions lists the model's versions as "N:FILEID-prefix" or "N:error".
func versions(t *testing.T, src repository.Source, name string) string {
	t.Helper()
	e, err := src.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range e.Versions {
		if v.Err != nil {
			out = append(out, fmt.Sprintf("%d:error", v.Number))
			continue
		}
		out = append(out, fmt.Sprintf("%d:%s", v.Number, v.FileID[:len("sha256:")+6]))
	}
	return strings.Join(out, " ")
}

func TestVersionsAppearOnlyComplete(t *testing.T) {
	src, _ := openFile(t)
	checkVersionsAppearOnlyComplete(t, src)
}

// checkVersionsAppearOnlyComplete walks a repository through uploads,
// replacement, corruption and deletion of versions.
func checkVersionsAppearOnlyComplete(t *testing.T, src *bucket.Source) {
	ctx := context.Background()
	if err := src.Put(ctx, "m/config.yaml", []byte("description: test\n")); err != nil {
		t.Fatal(err)
	}
	if err := src.PushVersion(ctx, "m", 1, versionFiles("one")); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, src, "m"); !strings.HasPrefix(got, "1:sha256:") {
		t.Fatalf("after a push: %q, want version 1 identified by its checksum", got)
	}
	// Files of version 2 without the marker: an upload in progress.
	for _, f := range []string{"model.onnx", "weights.bin"} {
		if err := src.Put(ctx, "m/2/"+f, []byte("two")); err != nil {
			t.Fatal(err)
		}
	}
	if got := versions(t, src, "m"); strings.Contains(got, "2:") {
		t.Fatalf("version 2 without its marker is visible: %q", got)
	}
	if err := src.PushVersion(ctx, "m", 2, versionFiles("two")); err != nil {
		t.Fatal(err)
	}
	before := versions(t, src, "m")
	if !strings.Contains(before, "2:sha256:") {
		t.Fatalf("complete version 2 is not visible: %q", before)
	}
	fsys, err := src.FS("m")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "2/weights.bin"); err != nil || string(b) != "w-two" {
		t.Fatalf("2/weights.bin = %q, %v", b, err)
	}
	if b, err := fs.ReadFile(fsys, "config.yaml"); err != nil || string(b) != "description: test\n" {
		t.Fatalf("config.yaml = %q, %v", b, err)
	}
	// A version replaced in place gets a new identity.
	if err := src.PushVersion(ctx, "m", 2, versionFiles("two, again")); err != nil {
		t.Fatal(err)
	}
	if after := versions(t, src, "m"); after == before {
		t.Fatalf("a replaced version kept its identity %q", after)
	}
	// A file that does not match its checksum is refused, not used.
	if err := src.PushVersion(ctx, "m", 3, versionFiles("three")); err != nil {
		t.Fatal(err)
	}
	if err := src.Put(ctx, "m/3/model.onnx", []byte("bit rot")); err != nil {
		t.Fatal(err)
	}
	fsys, _ = src.FS("m")
	if _, err := fs.ReadFile(fsys, "3/model.onnx"); err == nil || !strings.Contains(err.Error(), "but inferd.sha256 says") {
		t.Fatalf("a corrupt file read with err %v, want a checksum mismatch", err)
	}
	// Files the marker does not list are not part of the version.
	if err := src.Put(ctx, "m/1/stray.bin", []byte("x")); err != nil {
		t.Fatal(err)
	}
	fsys, _ = src.FS("m")
	if _, err := fs.Stat(fsys, "1/stray.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file not in the marker: %v, want not found", err)
	}
	// Deleting a version removes its marker first: it is gone at once.
	if err := src.Delete(ctx, "m/1/"); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, src, "m"); strings.Contains(got, "1:") {
		t.Fatalf("a deleted version is listed: %q", got)
	}
}

func TestWatchPolls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, _ := openFile(t)
	ch := src.Watch(ctx)
	time.Sleep(30 * time.Millisecond) // the watch has listed once
	if err := src.Put(ctx, "m/config.yaml", []byte("description: x\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no change seen within 5 s with a 10 ms poll")
	}
}

func TestMarkerErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, marker, want string
	}{
		{"not sha256sum", "hello\n", "want \"<sha256 hex>  <file>\""},
		{"escapes the version", strings.Repeat("a", 64) + "  ../config.yaml\n", "not a file of the version directory"},
		{"listed but missing", strings.Repeat("a", 64) + "  model.onnx\n", "listed in inferd.sha256 but not in the bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := openFile(t)
			src.Put(ctx, "m/config.yaml", []byte("description: x\n"))
			src.Put(ctx, "m/1/"+bucket.MarkerFile, []byte(tt.marker))
			e, err := src.Get(ctx, "m")
			if err != nil {
				t.Fatal(err)
			}
			if len(e.Versions) != 1 || e.Versions[0].Err == nil || !strings.Contains(e.Versions[0].Err.Error(), tt.want) {
				t.Fatalf("versions %+v, want version 1 failing with %q", e.Versions, tt.want)
			}
		})
	}
}

func TestOpenRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"http://x/y", "models", "s3://"} {
		if _, err := bucket.Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if bucket.IsURL("/models") || !bucket.IsURL("s3://b/p") {
		t.Error("IsURL")
	}
}

func TestFileRoutingWrites(t *testing.T) {
	src, _ := openFile(t)
	src.Put(context.Background(), "m/config.yaml", []byte("description: x\n"))
	repotest.CheckRoutingWrites(t, src)
}
