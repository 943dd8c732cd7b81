package imagebuild

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The digest depends on the content and options only: not on file times,
// permissions, directory order or where the repository is.
func TestBuildReproducible(t *testing.T) {
	bin := testBinary(t, "amd64")
	digest := func(repo string, opts ...Option) v1.Hash {
		img, err := Build(bin, append([]Option{WithRepository(repo)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return mustDigest(t, img)
	}
	first := digest(exampleRepo)
	if again := digest(exampleRepo); again != first {
		t.Fatalf("two builds gave %s and %s", first, again)
	}

	// A copy elsewhere, written in another order, with other times and modes.
	other := t.TempDir()
	copyTree(t, filepath.Join(exampleRepo, "digits-mlp"), filepath.Join(other, "digits-mlp"))
	copyTree(t, filepath.Join(exampleRepo, "digits"), filepath.Join(other, "digits"))
	for _, m := range []string{"read-number-detector", "read-number", "digits-ensemble"} {
		copyTree(t, filepath.Join(exampleRepo, m), filepath.Join(other, m))
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	filepath.Walk(other, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			os.Chmod(p, 0o600)
		}
		os.Chtimes(p, old, old)
		return nil
	})
	if d := digest(other); d != first {
		t.Errorf("a copy of the repository gave %s, want %s", d, first)
	}
	// A hidden file is not part of the image.
	writeFile(t, filepath.Join(other, "digits", ".DS_Store"), "junk")
	if d := digest(other); d != first {
		t.Errorf("a hidden file changed the digest")
	}

	// What does change the digest.
	changes := []struct {
		name string
		d    v1.Hash
	}{
		{"created", digest(exampleRepo, WithCreated(time.Unix(1700000000, 0)))},
		{"version", digest(exampleRepo, WithVersion("1.0.0"))},
		{"label", digest(exampleRepo, WithLabels(map[string]string{"org.opencontainers.image.licenses": "Apache-2.0"}))},
		{"docker format", digest(exampleRepo, WithFormat(FormatDocker))},
		{"one model", digest(exampleRepo)},
	}
	img, err := Build(bin, WithRepository(exampleRepo, Selector{Model: "digits"}))
	if err != nil {
		t.Fatal(err)
	}
	changes[len(changes)-1].d = mustDigest(t, img)
	for _, c := range changes {
		if c.d == first {
			t.Errorf("%s: the digest did not change", c.name)
		}
	}

	// A changed model file changes its layer only.
	writeFile(t, filepath.Join(other, "digits-mlp", "1", "model.onnx"), "other weights")
	a, _ := Build(bin, WithRepository(exampleRepo))
	b, err := Build(bin, WithRepository(other))
	if err != nil {
		t.Fatal(err)
	}
	la, _ := a.Layers()
	lb, _ := b.Layers()
	for i := range la {
		da, _ := la[i].Digest()
		db, _ := lb[i].Digest()
		if (da == db) != (i != 4) { // digits-mlp's layer, after base, binary, digits, digits-ensemble
			t.Errorf("layer %d: digests %s and %s", i, da, db)
		}
	}
	if b.Annotations[ModelAnnotation("digits-mlp", 1)] == a.Annotations[ModelAnnotation("digits-mlp", 1)] {
		t.Error("the model's sha256 annotation did not change")
	}
}
