package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/imagebuild"
)

// loadCompose loads a compose file with compose-go as `docker compose`
// does: validated against the Compose specification's schema (unknown keys
// are errors), interpolated from env only, paths resolved.
func loadCompose(t *testing.T, file string, env map[string]string) (*types.Project, error) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: env,
	}
	return loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("inferd", true)
		o.ResolvePaths = true
	})
}

func TestCompose(t *testing.T) {
	p, err := loadCompose(t, "docker-compose.yml", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	inferd, ok := p.Services["inferd"]
	if !ok {
		t.Fatalf("no inferd service: %v", p.ServiceNames())
	}
	root, _ := filepath.Abs("..")

	t.Run("inferd", func(t *testing.T) {
		b := inferd.Build
		if b == nil || b.Context != root || b.Target != "server" {
			t.Fatalf("build %+v: want the checkout's root and the server stage", b)
		}
		if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
			t.Errorf("build.dockerfile: %v", err)
		}
		var models *types.ServiceVolumeConfig
		for i, v := range inferd.Volumes {
			if v.Target == imagebuild.ModelsPath {
				models = &inferd.Volumes[i]
			}
		}
		if models == nil || models.Type != types.VolumeTypeBind || !models.ReadOnly || models.Source != filepath.Join(root, "examples", "models") {
			t.Fatalf("volumes %+v: want the example repository bound read-only at %s", inferd.Volumes, imagebuild.ModelsPath)
		}
		if _, err := imagebuild.SelectModels(models.Source, nil); err != nil {
			t.Errorf("the mounted repository: %v", err)
		}
		// The image's health check applies: podman-compose 1.0 (Debian's)
		// would run a service's through /bin/sh, absent from the image.
		if hc := inferd.HealthCheck; hc != nil {
			t.Errorf("healthcheck %+v: leave it to the image's (%q)", hc, imagebuild.HealthCheck.Test)
		}
		if imagebuild.HealthCheck.Test[0] != "CMD" {
			t.Errorf("the image's health check %q needs a shell", imagebuild.HealthCheck.Test)
		}
		if inferd.User != fmt.Sprintf("%d:%d", imagebuild.UID, imagebuild.GID) || !inferd.ReadOnly || !slices.Contains(inferd.CapDrop, "ALL") || !slices.Contains(inferd.Tmpfs, "/tmp") {
			t.Errorf("user %q read_only %v cap_drop %v tmpfs %v: want the image's non-root user, a read-only root with a /tmp, no capabilities", inferd.User, inferd.ReadOnly, inferd.CapDrop, inferd.Tmpfs)
		}
		ports := map[uint32]bool{}
		for _, pc := range inferd.Ports {
			ports[pc.Target] = true
		}
		if !ports[imagebuild.HTTPPort] || !ports[imagebuild.GRPCPort] {
			t.Errorf("ports %+v", inferd.Ports)
		}
		for _, a := range inferd.Command {
			if !strings.HasPrefix(a, "--") {
				t.Errorf("command %q: the entrypoint is `inferd serve`, so the command holds its flags (--flag=value)", inferd.Command)
			}
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		prom, ok := p.Services["prometheus"]
		if !ok {
			t.Fatal("no prometheus service")
		}
		if d, ok := prom.DependsOn["inferd"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("depends_on %+v: want inferd healthy", prom.DependsOn)
		}
		var config string
		for _, v := range prom.Volumes {
			if v.Target == "/etc/prometheus/prometheus.yml" {
				config = v.Source
			}
		}
		if config != filepath.Join(root, "deploy", "prometheus.yml") {
			t.Fatalf("prometheus.yml mounted from %q", config)
		}
		targets := prometheusTargets(t, config)
		if want := fmt.Sprintf("inferd:%d", imagebuild.HTTPPort); !slices.Contains(targets["inferd"], want) {
			t.Errorf("scrape targets %v lack %s (the inferd service's HTTP port)", targets, want)
		}
	})
}

// The environment picks the repository and the image.
func TestComposeEnvironment(t *testing.T) {
	p, err := loadCompose(t, "docker-compose.yml", map[string]string{"INFERD_MODELS": "/srv/models", "INFERD_IMAGE": "registry.example.com/inferd:2"})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["inferd"]
	if s.Image != "registry.example.com/inferd:2" || s.Volumes[0].Source != "/srv/models" {
		t.Errorf("image %q volume %q", s.Image, s.Volumes[0].Source)
	}
}

// compose-go rejects what the Compose specification does not allow.
func TestComposeIsStrict(t *testing.T) {
	orig, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, old, new, want string }{
		{"unknown key", "\n    read_only: true\n", "\n    readonly: true\n", "services.inferd.readonly"},
		{"wrong type", "\n    read_only: true\n", "\n    read_only: [true]\n", "services.inferd.read_only"},
		{"bad condition", "condition: service_healthy", "condition: healthy", "depends_on.inferd.condition value must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(orig, []byte(tt.old)) {
				t.Fatalf("docker-compose.yml lacks %q", tt.old)
			}
			file := filepath.Join(t.TempDir(), "docker-compose.yml")
			if err := os.WriteFile(file, bytes.Replace(orig, []byte(tt.old), []byte(tt.new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := loadCompose(t, file, map[string]string{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// prometheusTargets reads the static targets of each scrape job, decoding
// the file strictly into the part of Prometheus's configuration it uses.
func prometheusTargets(t *testing.T, path string) map[string][]string {
	t.Helper()
	var cfg struct {
		Global struct {
			ScrapeInterval     string `yaml:"scrape_interval"`
			EvaluationInterval string `yaml:"evaluation_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	targets := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("job %s: metrics_path %q, inferd serves /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, s := range sc.StaticConfigs {
			targets[sc.JobName] = append(targets[sc.JobName], s.Targets...)
		}
	}
	return targets
}
