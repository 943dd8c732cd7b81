package imagebuild

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func buildTestImage(t *testing.T, opts ...Option) *Image {
	t.Helper()
	img, err := Build(testBinary(t, "amd64"), append([]Option{WithRepository(exampleRepo)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestWriteLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	a := buildTestImage(t)
	b := buildTestImage(t, WithVersion("2"))
	c := buildTestImage(t, WithVersion("3"))
	refA := name.MustParseReference("localhost/inferd:a")
	refB := name.MustParseReference("localhost/inferd:b")

	if err := WriteLayout(dir, a, refA); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, b, refB); err != nil {
		t.Fatal(err)
	}
	// Replacing b: a stays, b's old config blob goes.
	if err := WriteLayout(dir, c, refB); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range im.Manifests {
		got[d.Annotations[AnnotationImageName]] = d.Annotations[AnnotationRefName] + " " + d.Digest.String()
	}
	want := map[string]string{
		"localhost/inferd:a": "a " + mustDigest(t, a).String(),
		"localhost/inferd:b": "b " + mustDigest(t, c).String(),
	}
	if len(got) != 2 || got["localhost/inferd:a"] != want["localhost/inferd:a"] || got["localhost/inferd:b"] != want["localhost/inferd:b"] {
		t.Fatalf("index %v, want %v", got, want)
	}
	read, err := idx.Image(mustDigest(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(read); err != nil {
		t.Fatal(err)
	}
	bcfg, _ := b.ConfigName()
	if _, err := os.Stat(filepath.Join(dir, "blobs", "sha256", bcfg.Hex)); !os.IsNotExist(err) {
		t.Errorf("the replaced image's config blob is still there: %v", err)
	}
}

func TestWriteLayoutRefusesOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), "mine")
	err := WriteLayout(dir, buildTestImage(t), name.MustParseReference("localhost/inferd:a"))
	if err == nil || !strings.Contains(err.Error(), "is not an OCI image layout") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(data) != "mine" {
		t.Error("the directory was changed")
	}
}

func TestWriteDockerArchive(t *testing.T) {
	img := buildTestImage(t, WithFormat(FormatDocker))
	path := filepath.Join(t.TempDir(), "inferd.tar")
	writeFile(t, path, "an older file, replaced")
	tag := name.MustParseReference("localhost/inferd:test").(name.Tag)
	if err := WriteDockerArchive(path, img, tag); err != nil {
		t.Fatal(err)
	}
	read, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(read); err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigName()
	if got, _ := read.ConfigName(); got != want {
		t.Errorf("config %s, want %s", got, want)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != "localhost/inferd:test" {
		t.Errorf("manifest.json %+v", m)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteDockerArchive(filepath.Join(t.TempDir(), "missing", "x.tar"), img, tag); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	img := buildTestImage(t)
	ref, err := name.ParseReference(u.Host + "/ml/inferd:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := Push(context.Background(), img, ref); err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != mustDigest(t, img) {
		t.Errorf("registry has %s, pushed %s", desc.Digest, mustDigest(t, img))
	}
	pulled, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(pulled); err != nil {
		t.Fatal(err)
	}
	m, err := pulled.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations[AnnotationModels] != "digits:1,digits-ensemble:1,digits-mlp:1,read-number:1,read-number-detector:1" {
		t.Errorf("pulled annotations %v", m.Annotations)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Push(ctx, img, ref); err == nil || !strings.Contains(err.Error(), "pushing "+ref.String()) {
		t.Errorf("push with a cancelled context: %v", err)
	}
}
