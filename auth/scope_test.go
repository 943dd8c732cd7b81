package auth_test

import (
	"testing"

	"github.com/inferd/inferd/auth"
)

func TestAllows(t *testing.T) {
	p := &auth.Principal{Name: "ci", Scopes: []string{"read", "predict:digits*"}}
	tests := []struct {
		scope auth.Scope
		model string
		want  bool
	}{
		{auth.Open, "", true},
		{auth.Read, "", true},
		{auth.Predict, "digits", true},
		{auth.Predict, "digits-v2", true},
		{auth.Predict, "resnet", false},
		{auth.Manage, "", false},
		{auth.Metrics, "", false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.scope, tt.model); got != tt.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", tt.scope, tt.model, got, tt.want)
		}
	}
	all := &auth.Principal{Scopes: []string{"predict"}}
	if !all.Allows(auth.Predict, "anything") {
		t.Error("predict does not allow every model")
	}
}

func TestCheckScope(t *testing.T) {
	tests := []struct {
		scope, want string
	}{
		{"predict", ""},
		{"predict:digits*", ""},
		{"read", ""},
		{"manage", ""},
		{"metrics", ""},
		{"admin", `unknown scope "admin"`},
		{"predict:", `bad model pattern ""`},
		{"predict:[", `bad model pattern "["`},
	}
	for _, tt := range tests {
		err := auth.CheckScope(tt.scope)
		if (err == nil) != (tt.want == "") || (err != nil && !contains(err.Error(), tt.want)) {
			t.Errorf("CheckScope(%q) = %v, want %q", tt.scope, err, tt.want)
		}
	}
}
