package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// defaultURL is the one value the chart's defaults need: the repository's
// object-storage URL.
const defaultURL = "s3://models/inferd"

// checkObjectStorage checks a pod that reads its repository from object
// storage: --repository is the URL, model files are cached in an emptyDir
// mounted at --cache-dir, and the credentials come from a Secret of the
// set or the one named in the values (envFrom), a GCS key file mounted and
// named by GOOGLE_APPLICATION_CREDENTIALS.
func checkObjectStorage(t *testing.T, objs []object, spec *corev1.PodSpec) {
	t.Helper()
	c := spec.Containers[0]
	repo := flagValue(c.Args, "--repository")
	if !strings.Contains(repo, "://") || flagValue(c.Args, "--cache-dir") != "/var/cache/inferd" {
		t.Errorf("args %q: want --repository=URL and --cache-dir=/var/cache/inferd", c.Args)
	}
	if !mounts(c, "models-cache", "/var/cache/inferd", false) || volume(spec, "models-cache") == nil || volume(spec, "models-cache").EmptyDir == nil {
		t.Errorf("volumes %+v: want an emptyDir models-cache mounted writable at the cache dir", spec.Volumes)
	}
	secrets := map[string]*corev1.Secret{}
	for _, s := range find[*corev1.Secret](objs) {
		secrets[s.Name] = s
	}
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			t.Errorf("envFrom %+v: want a Secret", from)
		} else if s := secrets[from.SecretRef.Name]; s != nil && len(s.StringData) == 0 {
			t.Errorf("the chart's credentials Secret %s is empty", s.Name)
		}
	}
	for _, s := range secrets {
		if !slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool { return e.SecretRef != nil && e.SecretRef.Name == s.Name }) {
			t.Errorf("Secret %s is not the container's environment", s.Name)
		}
	}
	for _, e := range c.Env {
		if e.Name != "GOOGLE_APPLICATION_CREDENTIALS" {
			continue
		}
		v := volume(spec, "credentials")
		if !strings.HasPrefix(e.Value, "/etc/inferd/credentials/") || !mounts(c, "credentials", "/etc/inferd/credentials", true) || v == nil || v.Secret == nil {
			t.Errorf("GOOGLE_APPLICATION_CREDENTIALS=%s: want a file of the credentials Secret, mounted read-only", e.Value)
		}
	}
}

// checkStop checks that the grace period covers the preStop sleep, the
// in-process shutdown delay and the drain, so that a pod is not killed
// while it drains.
func checkStop(t *testing.T, spec *corev1.PodSpec) {
	t.Helper()
	c := spec.Containers[0]
	var need time.Duration
	for _, f := range []string{"--shutdown-delay", "--drain-timeout"} {
		d, err := time.ParseDuration(flagValue(c.Args, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		need += d
	}
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
			t.Errorf("preStop %+v: want the native sleep action", c.Lifecycle.PreStop)
		} else {
			need += time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second < need {
		t.Errorf("terminationGracePeriodSeconds %v is shorter than preStop + shutdown delay + drain (%v)", g, need)
	}
}

// checkIngressAndMonitor checks that an Ingress and a ServiceMonitor, when
// rendered, reach the Service's http port.
func checkIngressAndMonitor(t *testing.T, objs []object) {
	t.Helper()
	svcs := find[*corev1.Service](objs)
	svc := svcs[0]
	for _, ing := range find[*networkingv1.Ingress](objs) {
		if len(ing.Spec.Rules) == 0 {
			t.Errorf("Ingress %s has no rules", ing.Name)
		}
		for _, r := range ing.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				b := p.Backend.Service
				if b == nil || b.Name != svc.Name || b.Port.Name != "http" || p.PathType == nil {
					t.Errorf("Ingress %s path %s: backend %+v, want the Service %s's http port", ing.Name, p.Path, b, svc.Name)
				}
			}
		}
	}
	for _, sm := range find[*serviceMonitor](objs) {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
			t.Errorf("ServiceMonitor %s selector %v does not select the Service %s", sm.Name, sm.Spec.Selector, svc.Name)
		}
		for _, e := range sm.Spec.Endpoints {
			if e.Port != "http" || e.Path != "/metrics" {
				t.Errorf("ServiceMonitor endpoint %+v: want /metrics on the http port", e)
			}
			if _, err := time.ParseDuration(e.Interval); err != nil {
				t.Errorf("ServiceMonitor interval: %v", err)
			}
		}
	}
}

// flagValue is the value of --name=VALUE in args ("" when absent).
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func volume(spec *corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

// The optional objects appear only when enabled: the defaults render no
// Ingress, ServiceMonitor or Secret.
func TestHelmOptionalObjects(t *testing.T) {
	out, err := runHelm(t, "template", "rel", chart, "--set", "models.url="+defaultURL)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeObjects("helm template defaults", out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(find[*networkingv1.Ingress](objs)) + len(find[*serviceMonitor](objs)) + len(find[*corev1.Secret](objs)); n != 0 {
		t.Errorf("the defaults render %d Ingress, ServiceMonitor or Secret objects, want none", n)
	}
	d := find[*appsv1.Deployment](objs)[0]
	if got := flagValue(d.Spec.Template.Spec.Containers[0].Args, "--repository"); got != defaultURL {
		t.Errorf("--repository=%q, want %q", got, defaultURL)
	}
	if _, err := runHelm(t, "template", "rel", chart); err == nil || !strings.Contains(err.Error(), "/models/url") {
		t.Errorf("without models.url: err = %v, want the schema naming it", err)
	}
}
