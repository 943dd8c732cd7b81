package deploy

import (
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkObjects checks what the schemas require beyond the types (names,
// labels, required fields) and that the objects fit together: selectors
// select the Deployment's pods, ports and volumes named exist, the HPA
// scales a Deployment of the set, referenced ConfigMaps exist. Every pod
// must run restricted: non-root, read-only root filesystem, no privilege
// escalation, no capabilities.
func checkObjects(objs []object) error {
	var errs []error
	add := func(o object, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", o, fmt.Sprintf(format, args...)))
	}
	deployments := map[string]*appsv1.Deployment{}
	configMaps := map[string]*corev1.ConfigMap{}
	serviceAccounts := map[string]bool{}
	for _, o := range objs {
		for _, msg := range validation.IsDNS1123Subdomain(o.meta.Name) {
			add(o, "name %q: %s", o.meta.Name, msg)
		}
		for _, e := range metavalidation.ValidateLabels(o.meta.Labels, field.NewPath("metadata", "labels")) {
			add(o, "%v", e)
		}
		for _, e := range apivalidation.ValidateAnnotations(o.meta.Annotations, field.NewPath("metadata", "annotations")) {
			add(o, "%v", e)
		}
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			deployments[v.Name] = v
		case *corev1.ConfigMap:
			configMaps[v.Name] = v
		case *corev1.ServiceAccount:
			serviceAccounts[v.Name] = true
		}
	}
	// podsOf finds the Deployment whose pods a selector selects.
	podsOf := func(o object, sel *metav1.LabelSelector) *appsv1.Deployment {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() {
			add(o, "invalid or empty selector %v: %v", sel, err)
			return nil
		}
		for _, d := range deployments {
			if s.Matches(labels.Set(d.Spec.Template.Labels)) {
				return d
			}
		}
		add(o, "selector %v selects no Deployment's pods", sel)
		return nil
	}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			if v.Spec.Selector == nil {
				add(o, "spec.selector is required")
			} else if sel, err := metav1.LabelSelectorAsSelector(v.Spec.Selector); err != nil || !sel.Matches(labels.Set(v.Spec.Template.Labels)) {
				add(o, "spec.selector %v does not select the pod template's labels %v", v.Spec.Selector, v.Spec.Template.Labels)
			}
			for _, err := range checkPodSpec(&v.Spec.Template.Spec, configMaps, serviceAccounts) {
				add(o, "%v", err)
			}
		case *corev1.Pod:
			for _, err := range checkPodSpec(&v.Spec, configMaps, serviceAccounts) {
				add(o, "%v", err)
			}
		case *corev1.Service:
			if len(v.Spec.Ports) == 0 {
				add(o, "spec.ports is required")
			}
			d := podsOf(o, &metav1.LabelSelector{MatchLabels: v.Spec.Selector})
			for _, p := range v.Spec.Ports {
				if d != nil && p.TargetPort.Type == intstr.String && !hasPort(d.Spec.Template.Spec.Containers, p.TargetPort.StrVal) {
					add(o, "port %s: targetPort %q is no container port of %s", p.Name, p.TargetPort.StrVal, d.Name)
				}
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			ref := v.Spec.ScaleTargetRef
			if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || deployments[ref.Name] == nil {
				add(o, "scaleTargetRef %s/%s %s is not a Deployment of the set", ref.APIVersion, ref.Kind, ref.Name)
			}
			if v.Spec.MinReplicas == nil || *v.Spec.MinReplicas < 1 || *v.Spec.MinReplicas > v.Spec.MaxReplicas || len(v.Spec.Metrics) == 0 {
				add(o, "needs 1 <= minReplicas <= maxReplicas and metrics")
			}
		case *networkingv1.NetworkPolicy:
			podsOf(o, &v.Spec.PodSelector)
		case *policyv1.PodDisruptionBudget:
			if (v.Spec.MinAvailable == nil) == (v.Spec.MaxUnavailable == nil) {
				add(o, "needs exactly one of minAvailable and maxUnavailable")
			}
			podsOf(o, v.Spec.Selector)
		}
	}
	return errors.Join(errs...)
}

func hasPort(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

// checkPodSpec checks a pod's containers, volumes and references.
func checkPodSpec(spec *corev1.PodSpec, configMaps map[string]*corev1.ConfigMap, serviceAccounts map[string]bool) []error {
	var errs []error
	if len(spec.Containers) == 0 {
		errs = append(errs, errors.New("spec.containers is required"))
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" && !serviceAccounts[sa] {
		errs = append(errs, fmt.Errorf("serviceAccountName %q is not in the set", sa))
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, fmt.Errorf("volume %q: %s", v.Name, msg))
		}
		volumes[v.Name] = true
	}
	podNonRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil && *spec.SecurityContext.RunAsNonRoot
	names := map[string]bool{}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		if names[c.Name] {
			errs = append(errs, fmt.Errorf("container name %q is used twice", c.Name))
		}
		names[c.Name] = true
		for _, err := range checkContainer(c, volumes, configMaps, podNonRoot) {
			errs = append(errs, fmt.Errorf("container %s: %w", c.Name, err))
		}
	}
	return errs
}

func checkContainer(c corev1.Container, volumes map[string]bool, configMaps map[string]*corev1.ConfigMap, podNonRoot bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, msg := range validation.IsDNS1123Label(c.Name) {
		fail("name: %s", msg)
	}
	if c.Image == "" {
		fail("image is required")
	}
	ports := map[string]bool{}
	for _, p := range c.Ports {
		if p.Name != "" { // optional
			for _, msg := range validation.IsValidPortName(p.Name) {
				fail("port name %q: %s", p.Name, msg)
			}
		}
		for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
			fail("port %d: %s", p.ContainerPort, msg)
		}
		ports[p.Name] = true
	}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		if pr != nil && pr.HTTPGet != nil && pr.HTTPGet.Port.Type == intstr.String && !ports[pr.HTTPGet.Port.StrVal] {
			fail("probe port %q is not a port of the container", pr.HTTPGet.Port.StrVal)
		}
	}
	for _, m := range c.VolumeMounts {
		if !volumes[m.Name] {
			fail("volumeMount %q names no volume", m.Name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			ref := e.ValueFrom.ConfigMapKeyRef
			if cm := configMaps[ref.Name]; cm == nil || cm.Data[ref.Key] == "" {
				fail("env %s: ConfigMap %s has no key %q", e.Name, ref.Name, ref.Key)
			}
		}
	}
	for name, req := range c.Resources.Requests {
		if limit, ok := c.Resources.Limits[name]; ok && req.Cmp(limit) > 0 {
			fail("request %s %s exceeds the limit %s", name, req.String(), limit.String())
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		fail("no memory limit")
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		fail("no securityContext")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		fail("securityContext.allowPrivilegeEscalation must be false")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		fail("securityContext.readOnlyRootFilesystem must be true")
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		fail("securityContext.capabilities must drop ALL")
	case !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot):
		fail("runAsNonRoot must be true (in the pod's or the container's securityContext)")
	}
	return errs
}
