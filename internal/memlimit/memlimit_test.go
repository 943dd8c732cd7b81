package memlimit

import (
	"testing"
	"testing/fstest"
)

const gib = 1 << 30

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDetect(t *testing.T) {
	meminfo := file("MemTotal:       24683748 kB\nMemFree:        1000 kB\n")
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    Limit
		wantErr bool
	}{
		{"cgroup v2 limit", fstest.MapFS{cgroupV2Max: file("2147483648\n"), procMeminfo: meminfo},
			Limit{Bytes: 2 * gib, Source: "/" + cgroupV2Max, Container: true}, false},
		{"cgroup v2 max", fstest.MapFS{cgroupV2Max: file("max\n"), procMeminfo: meminfo},
			Limit{Bytes: 24683748 << 10, Source: "/" + procMeminfo}, false},
		{"cgroup v1 limit", fstest.MapFS{cgroupV1Limit: file("1073741824\n"), procMeminfo: meminfo},
			Limit{Bytes: gib, Source: "/" + cgroupV1Limit, Container: true}, false},
		{"cgroup v1 unlimited", fstest.MapFS{cgroupV1Limit: file("9223372036854771712\n"), procMeminfo: meminfo},
			Limit{Bytes: 24683748 << 10, Source: "/" + procMeminfo}, false},
		{"limit above physical memory", fstest.MapFS{cgroupV2Max: file("107374182400"), procMeminfo: meminfo},
			Limit{Bytes: 24683748 << 10, Source: "/" + procMeminfo}, false},
		{"v2 wins over v1", fstest.MapFS{cgroupV2Max: file("1073741824"), cgroupV1Limit: file("2147483648"), procMeminfo: meminfo},
			Limit{Bytes: gib, Source: "/" + cgroupV2Max, Container: true}, false},
		{"limit without meminfo", fstest.MapFS{cgroupV2Max: file("1073741824")},
			Limit{Bytes: gib, Source: "/" + cgroupV2Max, Container: true}, false},
		{"nothing", fstest.MapFS{}, Limit{}, true},
		{"garbage limit", fstest.MapFS{cgroupV2Max: file("lots"), procMeminfo: meminfo}, Limit{}, true},
		{"meminfo without MemTotal", fstest.MapFS{procMeminfo: file("MemFree: 1 kB\n")}, Limit{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.files)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Detect error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("Detect = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	tests := []struct {
		name  string
		limit Limit
		want  Budgets
	}{
		{"container 2 GiB", Limit{Bytes: 2 * gib, Container: true}, Budgets{Inflight: gib, PerRequest: gib / 4}},
		{"container 16 GiB: per-request capped", Limit{Bytes: 16 * gib, Container: true}, Budgets{Inflight: 8 * gib, PerRequest: MaxPerRequest}},
		{"container 256 MiB: per-request floor", Limit{Bytes: 256 << 20, Container: true}, Budgets{Inflight: 128 << 20, PerRequest: MinPerRequest}},
		{"container 64 MiB: in-flight at least one request", Limit{Bytes: 64 << 20, Container: true}, Budgets{Inflight: MinPerRequest, PerRequest: MinPerRequest}},
		{"machine 24 GiB: both capped", Limit{Bytes: 24 * gib}, Budgets{Inflight: MaxInflightUncontained, PerRequest: MaxPerRequest}},
		{"machine 4 GiB", Limit{Bytes: 4 * gib}, Budgets{Inflight: 2 * gib, PerRequest: MaxPerRequest}},
		{"unknown", Limit{}, Budgets{Inflight: 2 * gib, PerRequest: MaxPerRequest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Derive(tt.limit); got != tt.want {
				t.Fatalf("Derive(%+v) = %+v, want %+v", tt.limit, got, tt.want)
			}
		})
	}
}
