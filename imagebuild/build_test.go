package imagebuild

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/inferd/inferd/repository"
)

func TestBuildExampleImage(t *testing.T) {
	bin := testBinary(t, "amd64")
	img, err := Build(bin, WithRepository(exampleRepo))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("invalid image: %v", err)
	}

	t.Run("manifest", func(t *testing.T) {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("media types %s, %s", m.MediaType, m.Config.MediaType)
		}
		for _, l := range m.Layers {
			if l.MediaType != types.OCILayer {
				t.Errorf("layer media type %s", l.MediaType)
			}
		}
		want := map[string]string{
			AnnotationModels:                 "digits:1,digits-ensemble:1,digits-mlp:1,read-number:1,read-number-detector:1",
			AnnotationCreated:                "1970-01-01T00:00:00Z",
			AnnotationVersion:                "dev",
			AnnotationTitle:                  "inferd",
			AnnotationRepository:             "/models",
			ModelAnnotation("digits", 1):     sha256File(t, filepath.Join(exampleRepo, "digits", "1", "model.onnx")),
			ModelAnnotation("digits-mlp", 1): sha256File(t, filepath.Join(exampleRepo, "digits-mlp", "1", "model.onnx")),
			// a pipeline's version file is its pipeline.yaml
			ModelAnnotation("digits-ensemble", 1):      sha256File(t, filepath.Join(exampleRepo, "digits-ensemble", "1", "pipeline.yaml")),
			ModelAnnotation("read-number", 1):          sha256File(t, filepath.Join(exampleRepo, "read-number", "1", "pipeline.yaml")),
			ModelAnnotation("read-number-detector", 1): sha256File(t, filepath.Join(exampleRepo, "read-number-detector", "1", "model.onnx")),
		}
		for k, v := range want {
			if m.Annotations[k] != v {
				t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
			}
		}
	})

	t.Run("config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Equal(time.Unix(0, 0)) {
			t.Errorf("platform %s/%s created %v", cf.OS, cf.Architecture, cf.Created)
		}
		if c.User != "65532:65532" {
			t.Errorf("user %q", c.User)
		}
		if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/inferd", "serve"}) || len(c.Cmd) != 0 {
			t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
		}
		for _, e := range []string{"INFERD_REPOSITORY=/models", "INFERD_HTTP_ADDR=0.0.0.0:8080", "INFERD_GRPC_ADDR=0.0.0.0:8081"} {
			if !slices.Contains(c.Env, e) {
				t.Errorf("env %q lacks %s", c.Env, e)
			}
		}
		if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 2 {
			t.Errorf("exposed ports %v", c.ExposedPorts)
		}
		if _, ok := c.ExposedPorts["8081/tcp"]; !ok {
			t.Errorf("exposed ports %v", c.ExposedPorts)
		}
		if c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/usr/local/bin/inferd", "healthcheck"}) || c.Healthcheck.Interval <= 0 || c.Healthcheck.Retries <= 0 {
			t.Errorf("healthcheck %+v", c.Healthcheck)
		}
		m, _ := img.Manifest()
		for k, v := range m.Annotations {
			if c.Labels[k] != v {
				t.Errorf("label %s = %q, want the annotation %q", k, c.Labels[k], v)
			}
		}
		if len(cf.History) != 7 || !strings.Contains(cf.History[2].CreatedBy, "COPY model digits versions 1 /models/digits") {
			t.Errorf("history %+v", cf.History)
		}
	})

	t.Run("layers", func(t *testing.T) {
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 7 {
			t.Fatalf("%d layers, want base, binary, digits, digits-ensemble, digits-mlp, read-number, read-number-detector", len(ls))
		}
		binData, _ := os.ReadFile(bin)
		wantLayers := []map[string]string{
			{"etc/": "d755", "etc/group": "-644", "etc/passwd": "-644", "home/": "d755", "home/nonroot/": "d700 65532", "models/": "d755", "tmp/": "d1777"},
			{"usr/": "d755", "usr/local/": "d755", "usr/local/bin/": "d755", "usr/local/bin/inferd": "-755"},
			{"models/": "d755", "models/digits/": "d755", "models/digits/1/": "d755", "models/digits/1/model.onnx": "-644", "models/digits/config.yaml": "-644", "models/digits/labels.txt": "-644"},
			{"models/": "d755", "models/digits-ensemble/": "d755", "models/digits-ensemble/1/": "d755", "models/digits-ensemble/1/pipeline.yaml": "-644", "models/digits-ensemble/config.yaml": "-644", "models/digits-ensemble/labels.txt": "-644"},
			{"models/": "d755", "models/digits-mlp/": "d755", "models/digits-mlp/1/": "d755", "models/digits-mlp/1/model.onnx": "-644", "models/digits-mlp/config.yaml": "-644", "models/digits-mlp/labels.txt": "-644"},
			{"models/": "d755", "models/read-number/": "d755", "models/read-number/1/": "d755", "models/read-number/1/pipeline.yaml": "-644", "models/read-number/config.yaml": "-644"},
			{"models/": "d755", "models/read-number-detector/": "d755", "models/read-number-detector/1/": "d755", "models/read-number-detector/1/model.onnx": "-644", "models/read-number-detector/config.yaml": "-644"},
		}
		for i, l := range ls {
			files := layerFiles(t, l)
			got := map[string]string{}
			var names []string
			for _, f := range files {
				kind := "-"
				if f.hdr.Typeflag == '5' {
					kind = "d"
				}
				desc := kind + strconv.FormatInt(f.hdr.Mode, 8)
				if f.hdr.Uid != 0 || f.hdr.Gid != 0 {
					desc += " " + strconv.Itoa(f.hdr.Uid)
					if f.hdr.Gid != f.hdr.Uid {
						t.Errorf("%s: owner %d:%d", f.hdr.Name, f.hdr.Uid, f.hdr.Gid)
					}
				}
				got[f.hdr.Name] = desc
				names = append(names, f.hdr.Name)
				if !f.hdr.ModTime.Equal(time.Unix(0, 0)) {
					t.Errorf("%s: mtime %v", f.hdr.Name, f.hdr.ModTime)
				}
				if f.hdr.Name == "usr/local/bin/inferd" && !bytes.Equal(f.data, binData) {
					t.Error("the binary in the image differs from the file")
				}
				if f.hdr.Name == "etc/passwd" && !strings.Contains(string(f.data), "nonroot:x:65532:65532:") {
					t.Errorf("/etc/passwd: %s", f.data)
				}
			}
			if !slices.IsSorted(names) {
				t.Errorf("layer %d: entries not sorted: %v", i, names)
			}
			if len(got) != len(wantLayers[i]) {
				t.Errorf("layer %d: entries %v, want %v", i, got, wantLayers[i])
			}
			for k, v := range wantLayers[i] {
				if got[k] != v {
					t.Errorf("layer %d: %s is %q, want %q", i, k, got[k], v)
				}
			}
		}
	})
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	s, _, err := repository.FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildOptions(t *testing.T) {
	bin := testBinary(t, "amd64")
	arm := testBinary(t, "arm64")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tests := []struct {
		name    string
		binary  string
		opts    []Option
		check   func(t *testing.T, img *Image)
		wantErr string
	}{
		{
			name: "no models", binary: bin,
			check: func(t *testing.T, img *Image) {
				ls, _ := img.Layers()
				if len(ls) != 2 || img.Annotations[AnnotationModels] != "" || len(img.Models) != 0 {
					t.Errorf("%d layers, models %q", len(ls), img.Annotations[AnnotationModels])
				}
			},
		},
		{
			name: "arm64", binary: arm, opts: []Option{WithArch("arm64"), WithRepository(exampleRepo, Selector{Model: "digits"})},
			check: func(t *testing.T, img *Image) {
				cf, _ := img.ConfigFile()
				if cf.Architecture != "arm64" || cf.Variant != "v8" {
					t.Errorf("platform %s/%s", cf.Architecture, cf.Variant)
				}
			},
		},
		{
			name: "docker format", binary: bin, opts: []Option{WithFormat(FormatDocker), WithVersion("2.0")},
			check: func(t *testing.T, img *Image) {
				m, _ := img.Manifest()
				cf, _ := img.ConfigFile()
				if m.MediaType != types.DockerManifestSchema2 || m.Layers[0].MediaType != types.DockerLayer || len(m.Annotations) != 0 {
					t.Errorf("manifest %s layer %s annotations %v", m.MediaType, m.Layers[0].MediaType, m.Annotations)
				}
				if cf.Config.Labels[AnnotationVersion] != "2.0" {
					t.Errorf("labels %v", cf.Config.Labels)
				}
			},
		},
		{
			name: "created in UTC and whole seconds", binary: bin,
			opts: []Option{WithRepository(exampleRepo, Selector{Model: "digits"}), WithLogger(log), WithCreated(time.Date(2025, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)))},
			check: func(t *testing.T, img *Image) {
				if logs.Len() != 0 {
					t.Errorf("unexpected warning: %s", logs.String())
				}
				if got := img.Annotations[AnnotationCreated]; got != "2025-01-02T02:04:05Z" {
					t.Errorf("created %s", got)
				}
			},
		},
		{name: "binary for another arch", binary: arm, wantErr: "is for EM_AARCH64, not amd64"},
		{name: "bad format", binary: bin, opts: []Option{WithFormat("zip")}, wantErr: `image format "zip"`},
		{name: "inferd label", binary: bin, opts: []Option{WithLabels(map[string]string{"io.inferd.models": "x"})}, wantErr: "io.inferd.* labels are set from the image's content"},
		{name: "inferd labels", binary: bin, opts: []Option{WithLabels(map[string]string{"io.inferd.z": "x", "io.inferd.b": "x", "io.inferd.q": "x", "io.inferd.k": "x"})},
			wantErr: "label io.inferd.b: io.inferd.* labels"},
		{name: "empty label key", binary: bin, opts: []Option{WithLabels(map[string]string{"": "x"})}, wantErr: "empty key"},
		{name: "missing repository", binary: bin, opts: []Option{WithRepository(filepath.Join(t.TempDir(), "none"))}, wantErr: "reading model repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Build(tt.binary, tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Image(img); err != nil {
				t.Fatal(err)
			}
			tt.check(t, img)
		})
	}
}

func TestBuildWarnsAboutLabels(t *testing.T) {
	repo := t.TempDir()
	copyTree(t, filepath.Join(exampleRepo, "digits"), filepath.Join(repo, "digits"))
	copyTree(t, filepath.Join(repo, "digits", "1"), filepath.Join(repo, "digits", "2"))
	var logs bytes.Buffer
	_, err := Build(testBinary(t, "amd64"), WithRepository(repo, Selector{Model: "digits", Version: "2"}), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "version label points at a version that is not in the image") || !strings.Contains(logs.String(), "label=production version=1") {
		t.Errorf("logs: %s", logs.String())
	}
}
