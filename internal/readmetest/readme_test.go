package readmetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

// blockTimeout bounds one block's commands.
const blockTimeout = 60 * time.Second

func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestReadme runs README.md's shell examples against a server of
// examples/models and compares their output with the answers the README
// shows (the rules are in doc.go).
func TestReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and the README's commands")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found: the README's examples use it (apt-get install curl)")
	}
	blocks := Parse(readme(t))
	in := servertest.Start(t, testutil.ExamplesCopy(t))
	httpAddr := strings.TrimPrefix(in.URL, "http://")
	grpcurl := findGrpcurl()

	checked := 0
	for _, b := range blocks {
		if !b.Live() {
			continue
		}
		t.Run(fmt.Sprintf("line %d %s", b.Line, b.Heading), func(t *testing.T) {
			if b.Skip {
				t.Skipf("README.md:%d is marked %s", b.Line, SkipMarker)
			}
			var run []Command
			for _, c := range b.Commands {
				if c.Runs() {
					run = append(run, c)
				} else {
					t.Logf("README.md:%d not run (not a curl or grpcurl call on 127.0.0.1:8080/8081)", c.Line)
				}
			}
			if missing := missingTools(run, grpcurl); missing != "" {
				t.Skipf("README.md:%d needs %s", b.Line, missing)
			}
			script := []string{"set -o pipefail"}
			for i, c := range run {
				text := strings.NewReplacer("127.0.0.1:8080", httpAddr, "127.0.0.1:8081", in.GRPCAddr, "go tool grpcurl", shellQuote(grpcurl)).Replace(c.Text)
				script = append(script, text, fmt.Sprintf(`printf '\n\036%d:%%s\n' "$?"`, i))
			}
			outs, stderr, err := runScript(bash, strings.Join(script, "\n"), len(run))
			if err != nil {
				t.Fatalf("README.md:%d: %v\nstderr:\n%s", b.Line, err, stderr)
			}
			for i, c := range run {
				o := outs[i]
				switch {
				case o.status != "0":
					t.Errorf("README.md:%d: exit status %s\n%s\noutput: %s\nstderr:\n%s", c.Line, o.status, c.Text, short(o.out), stderr)
				case c.WantLine != 0:
					checked++
					if err := Match(c.Want, o.out, c.WantText); err != nil {
						t.Errorf("README.md:%d: %v\ncommand:\n%s\nREADME.md:%d: %s\noutput: %s", c.Line, err, c.Text, c.WantLine, c.Want, short(o.out))
					}
				default:
					var e struct {
						Error *string `json:"error"`
					}
					if json.Unmarshal([]byte(o.out), &e) == nil && e.Error != nil {
						t.Errorf("README.md:%d: answered an error: %s\n%s", c.Line, *e.Error, c.Text)
					}
				}
			}
		})
	}
	if checked == 0 && !t.Failed() {
		t.Log("no answer was compared: every block with answers was skipped")
	}
}

type output struct{ out, status string }

// runScript runs the script in bash at the top of the repository and
// splits its output at the markers written after each of n commands.
func runScript(bash, script string, n int) ([]output, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-c", script)
	cmd.Dir = testutil.RepoRoot()
	cmd.Env = loopbackEnv()
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), fmt.Errorf("bash: %w", err)
	}
	parts := strings.Split(stdout.String(), "\n\036")
	if len(parts) != n+1 {
		return nil, stderr.String(), fmt.Errorf("%d command markers in the output, want %d", len(parts)-1, n)
	}
	outs := make([]output, n)
	for i := range n {
		out := parts[i]
		if i > 0 { // the rest of the previous marker line: "i:status\n"
			_, out, _ = strings.Cut(out, "\n")
		}
		_, status, _ := strings.Cut(strings.SplitN(parts[i+1], "\n", 2)[0], ":")
		outs[i] = output{out: out, status: status}
	}
	return outs, stderr.String(), nil
}

// loopbackEnv is the environment without proxies, so that every request
// goes straight to the loopback server.
func loopbackEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(strings.ToLower(k), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_PROXY=*", "no_proxy=*", "LC_ALL=C")
}

// findGrpcurl is bin/grpcurl (the README's one-time build) or grpcurl on
// PATH; "" if neither. The test does not build it: that takes minutes.
func findGrpcurl() string {
	if p := filepath.Join(testutil.RepoRoot(), "bin", "grpcurl"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

var toolWords = regexp.MustCompile(`\b(jq|perl|grpcurl|base64|od)\b`)

// missingTools names the tools the commands call that are not found.
func missingTools(cmds []Command, grpcurl string) string {
	var missing []string
	seen := map[string]bool{}
	for _, c := range cmds {
		for _, tool := range toolWords.FindAllString(c.Text, -1) {
			if seen[tool] {
				continue
			}
			seen[tool] = true
			switch {
			case tool == "grpcurl" && grpcurl == "":
				missing = append(missing, "grpcurl (go build -o bin/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl)")
			case tool == "grpcurl":
			default:
				if _, err := exec.LookPath(tool); err != nil {
					missing = append(missing, tool)
				}
			}
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, ", ") + ", not found"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func short(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

var (
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	url    = regexp.MustCompile(`\b[a-z][a-z0-9+.-]*://[^\s` + "`" + `)"'<>]*`)
	// objectStore are the schemes of repository URLs (--repository).
	objectStore = map[string]bool{"s3": true, "gs": true, "azblob": true, "file": true}
)

// TestReadmeLinks: README.md links only to files of the repository, and
// names no URL but loopback ones.
func TestReadmeLinks(t *testing.T) {
	doc := readme(t)
	root := testutil.RepoRoot()
	for i, line := range strings.Split(doc, "\n") {
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			clean := filepath.Clean(target)
			switch {
			case strings.Contains(target, ":"):
				t.Errorf("README.md:%d links outside the repository: %s", i+1, m[1])
			case filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../"):
				t.Errorf("README.md:%d links outside the repository: %s", i+1, m[1])
			default:
				if _, err := os.Stat(filepath.Join(root, clean)); err != nil {
					t.Errorf("README.md:%d links to a missing file: %s", i+1, m[1])
				}
			}
		}
		for _, u := range url.FindAllString(line, -1) {
			scheme, rest, _ := strings.Cut(u, "://")
			if objectStore[scheme] {
				continue // a bucket the reader names, not a page to fetch
			}
			host := rest
			if j := strings.IndexAny(host, ":/"); j >= 0 {
				host = host[:j]
			}
			if host != "" && host != "127.0.0.1" && host != "localhost" && host != "HOST" {
				t.Errorf("README.md:%d names a URL that is not loopback: %s", i+1, u)
			}
		}
	}
}
