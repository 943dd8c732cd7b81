package model

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestPolicySelect(t *testing.T) {
	disk := []int{1, 2, 5, 7}
	tests := []struct {
		name string
		p    VersionPolicy
		want []int
		json string
	}{
		{"default", VersionPolicy{}, []int{7}, `{"latest":1}`},
		{"latest 2", VersionPolicy{Latest: 2}, []int{5, 7}, `{"latest":2}`},
		{"latest more than exist", VersionPolicy{Latest: 9}, disk, `{"latest":9}`},
		{"all", VersionPolicy{All: true}, disk, `{"all":true}`},
		{"specific", VersionPolicy{Specific: []int{2, 3, 7}}, []int{2, 7}, `{"specific":[2,3,7]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Select(disk); !slices.Equal(got, tt.want) {
				t.Errorf("Select = %v, want %v", got, tt.want)
			}
			if b, _ := json.Marshal(tt.p); string(b) != tt.json {
				t.Errorf("JSON = %s, want %s", b, tt.json)
			}
		})
	}
	if got := (VersionPolicy{}).Select(nil); len(got) != 0 {
		t.Errorf("Select(nil) = %v", got)
	}
}

func TestLifecycleConfig(t *testing.T) {
	c, _, err := loadFixture(t, "testdata/good/lifecycle.yaml", "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Policy(); p.Latest != 2 {
		t.Errorf("policy %+v", p)
	}
	if c.Traffic[3] != 90 || c.Traffic[4] != 10 || !slices.Equal(c.Traffic.Versions(), []int{3, 4}) {
		t.Errorf("traffic %v", c.Traffic)
	}
	if b, _ := json.Marshal(c.Traffic); string(b) != `{"3":90,"4":10}` {
		t.Errorf("traffic JSON %s", b)
	}
	if c.Shadow.Version != 4 || c.Shadow.Percent != 25 || c.Warmup.Runs != 3 {
		t.Errorf("shadow %+v warmup %+v", c.Shadow, c.Warmup)
	}
	c, _, err = loadFixture(t, "testdata/good/policy-specific.yaml", "m", nil)
	if err != nil || !slices.Equal(c.Policy().Specific, []int{1, 3}) {
		t.Errorf("specific: %+v %v", c.VersionPolicy, err)
	}
	c, _, err = loadFixture(t, "testdata/good/empty.yaml", "m", nil)
	if err != nil || c.Policy().Latest != 1 {
		t.Errorf("default policy: %+v %v", c.Policy(), err)
	}
}
