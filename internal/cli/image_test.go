package cli_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/inferd/inferd/imagebuild"
	"github.com/inferd/inferd/internal/cli"
)

// execInferd runs the inferd command with args; stdout and stderr apart.
func execInferd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := cli.NewRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// The stand-in for an inferd checkout that imagebuild's tests use: it
// builds in a second, where the real server takes much longer.
var fakeCheckout = filepath.Join("..", "..", "imagebuild", "testdata", "fakeinferd")

// testBinary builds the stand-in checkout's inferd, a static binary.
func testBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "inferd")
	if err := imagebuild.BuildBinary(context.Background(), imagebuild.BinaryOptions{ModuleDir: fakeCheckout, Output: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

var examples = filepath.Join("..", "..", "examples", "models")

func TestImageBuildErrors(t *testing.T) {
	bin := testBinary(t)
	out := filepath.Join(t.TempDir(), "x")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no tag", []string{"--output", out}, nil, "--tag is required"},
		{"bad format", []string{"--tag", "x", "--format", "zip", "--output", out}, nil, `--format: image format "zip" is not oci or docker`},
		{"nothing to do", []string{"--tag", "x"}, nil, "give --output, --push or both"},
		{"bad tag", []string{"--tag", "UPPER/case", "--output", out}, nil, "--tag:"},
		{"digest for docker", []string{"--tag", "x@sha256:" + strings.Repeat("a", 64), "--format", "docker", "--output", out}, nil, "a docker tarball needs a tag"},
		{"model without repository", []string{"--tag", "x", "--output", out, "--model", "digits"}, nil, "--model needs --repository"},
		{"bad model", []string{"--tag", "x", "--output", out, "--repository", examples, "--model", "a b"}, nil, "--model: model selector"},
		{"unknown model", []string{"--tag", "x", "--output", out, "--repository", examples, "--model", "nope"}, nil, `model "nope" is not in repository`},
		{"bad created", []string{"--tag", "x", "--output", out, "--created", "yesterday"}, nil, `--created: "yesterday" is neither RFC 3339`},
		{"bad SOURCE_DATE_EPOCH", []string{"--tag", "x", "--output", out}, map[string]string{"SOURCE_DATE_EPOCH": "soon"}, "SOURCE_DATE_EPOCH"},
		{"bad label", []string{"--tag", "x", "--output", out, "--label", "novalue"}, nil, `--label "novalue": want KEY=VALUE`},
		{"bad binary", []string{"--tag", "x", "--output", out, "--binary", examples}, nil, "not a Linux executable"},
		{"wrong arch", []string{"--tag", "x", "--output", out, "--arch", "arm64"}, nil, "is for EM_X86_64, not arm64"},
		{"outside a checkout", []string{"--tag", "x", "--output", out}, nil, "run from an inferd checkout or give --binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append([]string{"image", "build"}, tt.args...)
			if tt.name != "bad binary" && tt.name != "outside a checkout" {
				args = append(args, "--binary", bin)
			}
			if tt.name == "outside a checkout" {
				t.Chdir(t.TempDir())
			}
			stdout, stderr, err := execInferd(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q\n%s%s", err, tt.want, stdout, stderr)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed build wrote %s", out)
	}
}

var digestRE = regexp.MustCompile(`digest:  (sha256:[0-9a-f]{64})`)

func TestImageBuild(t *testing.T) {
	bin := testBinary(t)
	dir := t.TempDir()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	t.Run("docker tarball", func(t *testing.T) {
		archive := filepath.Join(dir, "digits.tar")
		stdout, _, err := execInferd(t, "image", "build", "--binary", bin, "--repository", examples, "--model", "digits:production",
			"--tag", "localhost/digits:1", "--format", "docker", "--output", archive, "--created", "2024-01-02T03:04:05Z", "--label", "team=ml", "--version", "9.9")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"image:   localhost/digits:1", "format:  docker", "models:  digits:1\n", "layers:  3,", "written: " + archive} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
		tag, _ := name.NewTag("localhost/digits:1")
		img, err := tarball.ImageFromPath(archive, &tag)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"team": "ml", imagebuild.AnnotationVersion: "9.9", imagebuild.AnnotationCreated: "2024-01-02T03:04:05Z", imagebuild.AnnotationModels: "digits:1"}
		for k, v := range want {
			if cf.Config.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], v)
			}
		}
		if !cf.Created.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("created %v", cf.Created)
		}
	})

	t.Run("oci layout and push", func(t *testing.T) {
		t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
		ref := u.Host + "/ml/inferd:1"
		stdout, _, err := execInferd(t, "image", "build", "--binary", bin, "--repository", examples, "--tag", ref, "--output", filepath.Join(dir, "oci"), "--push")
		if err != nil {
			t.Fatal(err)
		}
		m := digestRE.FindStringSubmatch(stdout)
		if m == nil || !strings.Contains(stdout, "pushed:  "+u.Host+"/ml/inferd@"+m[1]) || !strings.Contains(stdout, "models:  digits:1, digits-ensemble:1, digits-mlp:1, read-number:1, read-number-detector:1") {
			t.Fatalf("output:\n%s", stdout)
		}
		r, _ := name.ParseReference(ref)
		desc, err := remote.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "oci"))
		if err != nil {
			t.Fatal(err)
		}
		im, _ := idx.IndexManifest()
		if desc.Digest.String() != m[1] || len(im.Manifests) != 1 || im.Manifests[0].Digest != desc.Digest {
			t.Errorf("printed %s, pushed %s, layout %v", m[1], desc.Digest, im.Manifests)
		}
		img, _ := desc.Image()
		cf, _ := img.ConfigFile()
		if cf.Config.Labels[imagebuild.AnnotationCreated] != "2023-11-14T22:13:20Z" {
			t.Errorf("created from SOURCE_DATE_EPOCH: %v", cf.Config.Labels[imagebuild.AnnotationCreated])
		}
	})

	// Without --binary the command builds inferd from the checkout holding
	// the working directory (here the stand-in) and compiles the version in.
	t.Run("go build", func(t *testing.T) {
		abs, _ := filepath.Abs(examples)
		out := filepath.Join(dir, "built.tar")
		t.Chdir(filepath.Join(fakeCheckout, "cmd"))
		stdout, stderr, err := execInferd(t, "image", "build", "--repository", abs, "--tag", "localhost/built:1", "--format", "docker", "--output", out, "--version", "v7")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.Contains(stderr, "building inferd v7 for linux/amd64 from ") || !strings.Contains(stdout, "written: "+out) {
			t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
}

// The same command twice gives the same digest.
func TestImageBuildReproducible(t *testing.T) {
	bin := testBinary(t)
	var digests []string
	for i := range 2 {
		stdout, _, err := execInferd(t, "image", "build", "--binary", bin, "--repository", examples, "--tag", "localhost/r:1", "--output", filepath.Join(t.TempDir(), "oci"))
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		m := digestRE.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no digest in:\n%s", stdout)
		}
		digests = append(digests, m[1])
	}
	if digests[0] != digests[1] {
		t.Errorf("digests %v", digests)
	}
}
