package deploy

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/inferd/inferd/imagebuild"
)

const chart = "helm/inferd"

// helmCommand returns the helm to run: $INFERD_HELM (scripts/deploy-lint.sh
// sets it to a pinned helm it builds), else helm in PATH. Without either
// the Helm tests are skipped, saying so.
func helmCommand(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("INFERD_HELM"); p != "" {
		return p // a missing file fails the test: the script meant to run it
	}
	p, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm is not installed: scripts/deploy-lint.sh builds a pinned helm and runs these tests with it")
	}
	return p
}

func runHelm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, helmCommand(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		return nil, &helmError{err: err, stderr: stderr.String() + stdout.String()}
	}
	return stdout.Bytes(), nil
}

type helmError struct {
	err    error
	stderr string
}

func (e *helmError) Error() string { return e.err.Error() + ": " + e.stderr }

func goodValues(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "helm", "good", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no good values files: %v", err)
	}
	return append([]string{""}, files...) // "": the chart's defaults
}

func TestHelmLint(t *testing.T) {
	for _, values := range goodValues(t) {
		t.Run(valuesName(values), func(t *testing.T) {
			args := []string{"lint", "--strict", chart}
			if values != "" {
				args = append(args, "--values", values)
			} else {
				args = append(args, "--set", "models.url="+defaultURL)
			}
			out, err := runHelm(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, []byte("0 chart(s) failed")) {
				t.Errorf("helm lint:\n%s", out)
			}
		})
	}
}

func valuesName(path string) string {
	if path == "" {
		return "defaults"
	}
	return filepath.Base(path)
}

// The chart renders, with every values file, objects that decode strictly
// into the Kubernetes types, fit together and run inferd as the image
// expects; each models.source gives its models volume.
func TestHelmTemplate(t *testing.T) {
	for _, values := range goodValues(t) {
		t.Run(valuesName(values), func(t *testing.T) {
			args := []string{"template", "rel", chart, "--namespace", "ml"}
			if values != "" {
				args = append(args, "--values", values)
			} else {
				args = append(args, "--set", "models.url="+defaultURL)
			}
			out, err := runHelm(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeObjects("helm template "+valuesName(values), out)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkObjects(objs); err != nil {
				t.Fatal(err)
			}
			ds := find[*appsv1.Deployment](objs)
			if len(ds) != 1 || len(find[*corev1.Service](objs)) != 1 || len(find[*corev1.Pod](objs)) != 1 {
				t.Fatalf("want a Deployment, a Service and the test Pod; have %v", objs)
			}
			d := ds[0]
			spec := &d.Spec.Template.Spec
			checkInferdPod(t, spec)
			checkSource(t, spec, firstComment(t, values))
			if flagValue(spec.Containers[0].Args, "--repository") != "" {
				checkObjectStorage(t, objs, spec)
			}
			checkStop(t, spec)
			checkIngressAndMonitor(t, objs)

			hpa := find[*autoscalingv2.HorizontalPodAutoscaler](objs)
			if (len(hpa) == 1) == (d.Spec.Replicas != nil) {
				t.Errorf("%d HPAs and replicas %v: exactly one of them sets the pod count", len(hpa), d.Spec.Replicas)
			}
			for _, p := range find[*corev1.Pod](objs) {
				if c := p.Spec.Containers[0]; c.Image != spec.Containers[0].Image || !slices.Contains(c.Command, "healthcheck") {
					t.Errorf("test pod runs %s %q, want the inferd image's healthcheck", c.Image, c.Command)
				}
			}
		})
	}
}

// checkSource checks the models volume against the values' description.
func checkSource(t *testing.T, spec *corev1.PodSpec, desc string) {
	t.Helper()
	var models *corev1.Volume
	for i, v := range spec.Volumes {
		if v.Name == "models" {
			models = &spec.Volumes[i]
		}
	}
	c := spec.Containers[0]
	switch {
	case strings.Contains(desc, "PersistentVolumeClaim"):
		if models == nil || models.PersistentVolumeClaim == nil || !mounts(c, "models", imagebuild.ModelsPath, true) {
			t.Errorf("volumes %+v: want the claim mounted read-only at %s", spec.Volumes, imagebuild.ModelsPath)
		}
	case strings.Contains(desc, "init container"):
		if models == nil || models.EmptyDir == nil || len(spec.InitContainers) != 1 || !mounts(spec.InitContainers[0], "models", imagebuild.ModelsPath, false) {
			t.Errorf("volumes %+v init %+v: want an init container filling an emptyDir", spec.Volumes, spec.InitContainers)
		}
	case desc == "" || strings.Contains(desc, "object storage"): // the defaults read object storage
		if models != nil || len(spec.InitContainers) != 0 || !strings.Contains(flagValue(c.Args, "--repository"), "://") {
			t.Errorf("volumes %+v init %+v args %q: want the repository read from object storage", spec.Volumes, spec.InitContainers, c.Args)
		}
	default: // the models are in the image
		if models != nil || len(spec.InitContainers) != 0 {
			t.Errorf("volumes %+v init %+v: the models are in the image", spec.Volumes, spec.InitContainers)
		}
	}
}

// Values that the schema (or the templates) refuse, each with the error
// expected, from the file's first line "# want: <error>".
func TestHelmValuesSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "helm", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad values files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, ok := strings.CutPrefix(firstComment(t, f), "want: ")
			if !ok {
				t.Fatalf("%s does not start with # want: <error>", f)
			}
			_, err := runHelm(t, "template", "rel", chart, "--values", f)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}

// firstComment returns the first line of a values file without its "# ".
func firstComment(t *testing.T, path string) string {
	t.Helper()
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	return strings.TrimPrefix(sc.Text(), "# ")
}
