package model

import (
	"strings"
	"testing"
)

func TestParseAcceptance(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"good", "cases:\n- {name: a, image: a.png, label: cat, top_k: [cat, dog], score: {min: 0.5}, latency_ms: 20}\n- {inputs: {x: [[1, 2]]}, outputs: {y: {min: 0, max: 1}}}\n", ""},
		{"empty", "cases: []\n", "no cases"},
		{"unknown key", "cases:\n- {image: a.png, lable: cat}\n", "field lable not found"},
		{"both inputs", "cases:\n- {image: a.png, inputs: {x: [1]}, label: cat}\n", "case 1: give an image or inputs"},
		{"nothing expected", "cases:\n- {name: a, image: a.png}\n", `case "a": expects nothing`},
		{"duplicate name", "cases:\n- {name: a, image: a.png, label: x}\n- {name: a, image: b.png, label: x}\n", `case "a": the name is used twice`},
		{"negative latency", "cases:\n- {image: a.png, latency_ms: -1}\n", "latency_ms must be positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAcceptance([]byte(tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				in, err := a.Cases[1].InputsJSON()
				if err != nil || string(in["x"]) != "[[1,2]]" {
					t.Fatalf("inputs %s, %v", in["x"], err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
