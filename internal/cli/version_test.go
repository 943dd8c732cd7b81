package cli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuild(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	info := func(version string, s []debug.BuildSetting) *debug.BuildInfo {
		bi := &debug.BuildInfo{Settings: s}
		bi.Main.Path, bi.Main.Version = "github.com/inferd/inferd", version
		return bi
	}
	const rev = "c5ac46c1a2b3d4e5f60718293a4b5c6d7e8f9012"
	for _, tc := range []struct {
		name                string
		bi                  *debug.BuildInfo
		ldVersion, ldCommit string
		ldTime              string
		want                string
		wantVersion         string
	}{
		{name: "no build info", want: "dev", wantVersion: "dev"},
		{name: "no build info, ldflags", ldVersion: "v1.2.0-3-gc5ac46c-dirty", ldCommit: rev, ldTime: "2026-12-06T04:43:00Z",
			want: "v1.2.0-3-gc5ac46c-dirty (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z, modified)", wantVersion: "v1.2.0-3-gc5ac46c-dirty"},
		{name: "go build without VCS", bi: info("(devel)", settings("-buildmode", "exe")), want: "dev", wantVersion: "dev"},
		{name: "go install from the module proxy", bi: info("v1.3.0", nil), want: "v1.3.0", wantVersion: "v1.3.0"},
		{name: "go install of a commit (pseudo-version)", bi: info("v0.0.0-20261206044300-c5ac46c1a2b3", nil),
			want: "v0.0.0-20261206044300-c5ac46c1a2b3 (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z)", wantVersion: "v0.0.0-20261206044300-c5ac46c1a2b3"},
		{name: "pseudo-version after a tag", bi: info("v1.2.4-0.20261206044300-c5ac46c1a2b3", nil),
			want: "v1.2.4-0.20261206044300-c5ac46c1a2b3 (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z)", wantVersion: "v1.2.4-0.20261206044300-c5ac46c1a2b3"},
		{name: "go build in a clean clone", bi: info("(devel)", settings("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-06T04:43:00Z", "vcs.modified", "false")),
			want: "dev (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z)", wantVersion: "dev"},
		{name: "go build in a modified clone, Go 1.24+ version", bi: info("v0.0.0-20261206044300-c5ac46c1a2b3+dirty", settings("vcs.revision", rev, "vcs.time", "2026-12-06T04:43:00Z", "vcs.modified", "true")),
			want: "v0.0.0-20261206044300-c5ac46c1a2b3+dirty (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z, modified)", wantVersion: "v0.0.0-20261206044300-c5ac46c1a2b3+dirty"},
		{name: "make install: ldflags win over the module version", bi: info("v0.0.0-20261206044300-c5ac46c1a2b3+dirty", settings("vcs.revision", rev, "vcs.time", "2026-12-06T04:43:00Z", "vcs.modified", "true")),
			ldVersion: "c5ac46c-dirty", ldCommit: rev,
			want: "c5ac46c-dirty (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z, modified)", wantVersion: "c5ac46c-dirty"},
		{name: "make install in a worktree (no VCS stamp)", bi: info("(devel)", settings("-buildmode", "exe")),
			ldVersion: "c5ac46c", ldCommit: rev, ldTime: "2026-12-06T04:43:00Z",
			want: "c5ac46c (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z)", wantVersion: "c5ac46c"},
		{name: "make install of a modified worktree", bi: info("(devel)", nil), ldVersion: "v1.2.0-dirty", ldCommit: rev,
			want: "v1.2.0-dirty (commit c5ac46c1a2b3, modified)", wantVersion: "v1.2.0-dirty"},
		{name: "image build --version only", bi: info("(devel)", nil), ldVersion: "1.4.0", want: "1.4.0", wantVersion: "1.4.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := readBuild(tc.bi, tc.ldVersion, tc.ldCommit, tc.ldTime)
			if got := b.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if b.Version != tc.wantVersion {
				t.Errorf("Version = %q, want %q", b.Version, tc.wantVersion)
			}
		})
	}
}

// `inferd version` and `inferd --version` print the same.
func TestVersionFlagAndCommand(t *testing.T) {
	run := func(args ...string) string {
		root := NewRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("inferd %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	cmd, flag := run("version"), run("--version")
	if cmd != flag {
		t.Errorf("inferd version printed %q, inferd --version %q", cmd, flag)
	}
	if !strings.HasPrefix(cmd, "inferd "+currentBuild().String()+"\n") || !strings.Contains(cmd, "native") {
		t.Errorf("inferd version printed %q", cmd)
	}
}
