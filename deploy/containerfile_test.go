package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/imagebuild"
)

// instruction is one Containerfile instruction with its continuation
// lines joined.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

// parseContainerfile splits a Containerfile into stages of instructions,
// by stage name ("" for unnamed stages).
func parseContainerfile(data string) (map[string][]instruction, error) {
	stages := map[string][]instruction{}
	stage := ""
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || cur.Len() == 0 && strings.HasPrefix(trimmed, "#") {
			continue // blank lines end nothing, as in Docker
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(strings.TrimSpace(s) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			stage = ""
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				stage = f[len(f)-1]
			}
			if _, dup := stages[stage]; dup && stage != "" {
				return nil, fmt.Errorf("line %d: stage %s defined twice", in.line, stage)
			}
		}
		stages[stage] = append(stages[stage], in)
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: the file ends in a continuation", start)
	}
	return stages, nil
}

// The Containerfile's server stage sets the image up as imagebuild does,
// and builds the binary with the same flags.
func TestContainerfile(t *testing.T) {
	data, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseContainerfile(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"build", "server", "models"} {
		if len(stages[name]) == 0 {
			t.Fatalf("no %s stage", name)
		}
	}
	get := func(stage, cmd string) []string {
		var out []string
		for _, in := range stages[stage] {
			if in.cmd == cmd {
				out = append(out, in.args)
			}
		}
		return out
	}

	if from := get("server", "FROM"); len(from) != 1 || !strings.HasPrefix(from[0], "scratch ") {
		t.Errorf("server stage FROM %q, want scratch", from)
	}
	var env []string
	for _, e := range get("server", "ENV") {
		env = append(env, strings.Fields(e)...)
	}
	if !slices.Equal(env, imagebuild.Env) {
		t.Errorf("ENV %q, want %q", env, imagebuild.Env)
	}
	if u := get("server", "USER"); len(u) != 1 || u[0] != fmt.Sprintf("%d:%d", imagebuild.UID, imagebuild.GID) {
		t.Errorf("USER %q", u)
	}
	if e := get("server", "EXPOSE"); len(e) != 1 || e[0] != fmt.Sprintf("%d/tcp %d/tcp", imagebuild.HTTPPort, imagebuild.GRPCPort) {
		t.Errorf("EXPOSE %q", e)
	}
	var entrypoint []string
	if e := get("server", "ENTRYPOINT"); len(e) != 1 || json.Unmarshal([]byte(e[0]), &entrypoint) != nil || !slices.Equal(entrypoint, imagebuild.Entrypoint) {
		t.Errorf("ENTRYPOINT %q, want %q", e, imagebuild.Entrypoint)
	}
	if s := get("server", "STOPSIGNAL"); len(s) != 1 || s[0] != "SIGTERM" {
		t.Errorf("STOPSIGNAL %q", s)
	}

	hc := get("server", "HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("HEALTHCHECK %q", hc)
	}
	opts, cmd, ok := strings.Cut(hc[0], "CMD ")
	var test []string
	if !ok || json.Unmarshal([]byte(cmd), &test) != nil || !slices.Equal(append([]string{"CMD"}, test...), imagebuild.HealthCheck.Test) {
		t.Errorf("HEALTHCHECK command %q, want %q", cmd, imagebuild.HealthCheck.Test)
	}
	want := imagebuild.HealthCheck
	for _, o := range []string{
		"--interval=" + want.Interval.String(),
		"--timeout=" + want.Timeout.String(),
		"--start-period=" + want.StartPeriod.String(),
		fmt.Sprintf("--retries=%d", want.Retries),
	} {
		if !slices.Contains(strings.Fields(opts), o) {
			t.Errorf("HEALTHCHECK options %q lack %s", opts, o)
		}
	}

	// The binary: static and built like BuildBinary builds it.
	var build string
	for _, r := range get("build", "RUN") {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", `-ldflags "-s -w -buildid= -X github.com/inferd/inferd/internal/cli.version=`, "-o /out" + imagebuild.BinaryPath, "./cmd/inferd"} {
		if !strings.Contains(build, want) {
			t.Errorf("go build %q lacks %s", build, want)
		}
	}
	if !strings.Contains(string(data), fmt.Sprintf("nonroot:x:%d:%d:", imagebuild.UID, imagebuild.GID)) {
		t.Error("/etc/passwd lacks the non-root user")
	}
	if c := get("models", "COPY"); len(c) != 1 || !strings.HasSuffix(c[0], " "+imagebuild.ModelsPath) {
		t.Errorf("models stage COPY %q, want the repository at %s", c, imagebuild.ModelsPath)
	}
}

func TestParseContainerfile(t *testing.T) {
	stages, err := parseContainerfile("# c\nFROM a AS one\nRUN x \\\n  # inner\n  y\nFROM scratch AS two\nENV A=1 \\\n    B=2\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := stages["one"][1]; got.cmd != "RUN" || got.args != "x y" || got.line != 3 {
		t.Errorf("RUN = %+v", got)
	}
	if got := stages["two"][1]; got.args != "A=1 B=2" {
		t.Errorf("ENV = %+v", got)
	}
	if _, err := parseContainerfile("FROM a\nRUN x \\\n"); err == nil {
		t.Error("a trailing continuation was accepted")
	}
	if _, err := parseContainerfile("FROM a AS x\nFROM b AS x\n"); err == nil {
		t.Error("a duplicate stage was accepted")
	}
}
