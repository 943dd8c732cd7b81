package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

// fields splits printed lines into their columns.
func fields(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

func TestModels(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	out, err := run(t, "models", "--url", s.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "MODEL VERSION STATE DEFAULT LABELS TRAFFIC ERROR\n" +
		"digits 1 AVAILABLE * production - -\n" +
		"digits-ensemble 1 AVAILABLE * production - -\n" +
		"digits-mlp 1 AVAILABLE * production - -\n" +
		"read-number 1 AVAILABLE * production - -\n" +
		"read-number-detector 1 AVAILABLE * production - -"
	var got []string
	for _, row := range fields(out) {
		got = append(got, strings.Join(row, " "))
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("models:\n%s\nwant (spacing aside):\n%s", out, want)
	}

	t.Setenv("INFERD_URL", s.URL) // flags come from the environment too
	out, err = run(t, "models", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var ans struct {
		Models []struct {
			Name           string
			DefaultVersion string         `json:"default_version"`
			Labels         map[string]int `json:"version_labels"`
			Policy         map[string]int `json:"version_policy"`
			Versions       []struct{ Version, State string }
		}
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("not JSON (%v):\n%s", err, out)
	}
	if len(ans.Models) != 5 || ans.Models[0].Name != "digits" || ans.Models[0].DefaultVersion != "1" || ans.Models[0].Labels["production"] != 1 ||
		ans.Models[0].Policy["latest"] != 1 || len(ans.Models[0].Versions) != 1 || ans.Models[0].Versions[0].State != "AVAILABLE" {
		t.Errorf("models --json:\n%s", out)
	}
}

// label and traffic change a running server; models shows it.
func TestLabelAndTraffic(t *testing.T) {
	s := servertest.StartSource(t, servertest.FakeRepository())
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"models"}, "MODEL VERSION STATE DEFAULT LABELS TRAFFIC ERROR\nm 1 AVAILABLE - stable - -\nm 2 AVAILABLE * - - -"},
		{[]string{"label", "m", "canary", "2"}, "m: label canary points at version 2"},
		{[]string{"label", "m", "stable", "v2"}, "m: label stable points at version 2"},
		{[]string{"traffic", "m", "1=3", "2=1"}, "m: unversioned requests go to version 1 (75%), version 2 (25%)"},
		{[]string{"models"}, "MODEL VERSION STATE DEFAULT LABELS TRAFFIC ERROR\nm 1 AVAILABLE - - 75% -\nm 2 AVAILABLE * canary,stable 25% -"},
		{[]string{"label", "m", "canary", "--delete"}, "m: label canary deleted"},
		{[]string{"traffic", "m", "--clear"}, "m: traffic split cleared; unversioned requests go to the default version"},
		{[]string{"models"}, "MODEL VERSION STATE DEFAULT LABELS TRAFFIC ERROR\nm 1 AVAILABLE - - - -\nm 2 AVAILABLE * stable - -"},
	}
	for _, st := range steps {
		out, err := run(t, append(st.args, "--url", s.URL)...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", st.args, err, out)
		}
		var got []string
		for _, row := range fields(out) {
			got = append(got, strings.Join(row, " "))
		}
		if strings.Join(got, "\n") != st.want {
			t.Errorf("%s:\n%s\nwant (spacing aside):\n%s", st.args, out, st.want)
		}
	}
}

func TestManageErrors(t *testing.T) {
	s := servertest.StartSource(t, servertest.FakeRepository())
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown model", []string{"label", "cats", "stable", "1", "--url", s.URL}, `server answered 404: not found: model "cats"`},
		{"unknown version", []string{"label", "m", "stable", "9", "--url", s.URL}, `server answered 400: invalid request: version 9 of model "m" is not loaded`},
		{"bad version", []string{"label", "m", "stable", "x", "--url", s.URL}, `server answered 400: version: "x" is not a version`},
		{"label arguments", []string{"label", "m", "stable"}, "want MODEL LABEL VERSION, or MODEL LABEL --delete"},
		{"delete arguments", []string{"label", "m", "stable", "1", "--delete"}, "accepts 2 arg(s), received 3"},
		{"traffic to an unknown version", []string{"traffic", "m", "1=50", "7=50", "--url", s.URL}, `server answered 400: invalid request: traffic: version 7 of model "m" is not AVAILABLE`},
		{"traffic weights", []string{"traffic", "m", "1=0", "--url", s.URL}, "server answered 400: invalid request: traffic: weights add up to 0"},
		{"traffic pair", []string{"traffic", "m", "1:90"}, `"1:90": want VERSION=WEIGHT`},
		{"traffic weight", []string{"traffic", "m", "1=most"}, `"1=most": the weight is not an integer`},
		{"traffic twice", []string{"traffic", "m", "1=1", "1=2"}, "version 1 is given twice"},
		{"traffic arguments", []string{"traffic", "m"}, "want MODEL VERSION=WEIGHT..., or MODEL --clear"},
		{"clear arguments", []string{"traffic", "m", "1=1", "--clear"}, "accepts 1 arg(s), received 2"},
		{"gRPC URL", []string{"models", "--url", "grpc://" + s.GRPCAddr}, "served over REST only"},
		{"bad URL", []string{"models", "--url", "ftp://x"}, "--url"},
		{"no server", []string{"models", "--url", "http://127.0.0.1:1"}, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}

// Failed versions and rejected configurations show their errors.
func TestModelsErrors(t *testing.T) {
	src := servertest.FakeRepository()
	src.Put("m/3/model.onnx", []byte("not a model"))
	src.Put("bad/config.yaml", []byte("engine: fake\nnonsense: 1\n"))
	s := servertest.StartSource(t, src)
	out, err := run(t, "models", "--url", s.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rows := fields(out)
	want := []string{
		`bad - - - - - invalid model config: memory:/bad/config.yaml: line 2: unknown key "nonsense"`,
		"m 1 AVAILABLE - stable - -",
		"m 2 AVAILABLE * - - -",
		"m 3 FAILED - - - loading m/3/model.onnx with engine fake",
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("models:\n%s", out)
	}
	for i, w := range want {
		if got := strings.Join(rows[i+1], " "); !strings.HasPrefix(got, w) {
			t.Errorf("line %d: %s\nwant (spacing aside) %s...", i+1, got, w)
		}
	}
}
