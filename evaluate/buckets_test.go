package evaluate

import (
	"strings"
	"testing"
)

func TestBuckets(t *testing.T) {
	col, b, err := ParseBuckets("income=30:60.5:90")
	if err != nil || col != "income" {
		t.Fatal(col, err)
	}
	for _, tt := range []struct {
		v    float64
		want string
	}{{-1, "<30"}, {30, "[30, 60.5)"}, {60.4, "[30, 60.5)"}, {60.5, "[60.5, 90)"}, {90, ">=90"}, {1e9, ">=90"}} {
		if got := b.label(tt.v); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.v, got, tt.want)
		}
	}
	for _, bad := range []string{"income", "=1:2", "income=1:x", "income=2:1", "income=1:1"} {
		if _, _, err := ParseBuckets(bad); err == nil || !strings.Contains(err.Error(), "buckets") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
