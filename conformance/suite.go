package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DefaultSuite is where Debian's libonnx-testdata package installs the ONNX
// backend test suite.
const DefaultSuite = "/usr/share/libonnx-testdata/data"

// ErrNoSuite is returned by Discover when the directory holds no cases.
var ErrNoSuite = errors.New("no ONNX backend test cases found")

// Case is one test case of the suite: a directory with model.onnx.
type Case struct {
	// Name is the case's suite directory and case directory, such as
	// "node/test_abs": the same whether Discover was given the suite's
	// root or one of its directories.
	Name string
	// Dir is the case directory.
	Dir string
}

// Suite is the name of the suite directory the case belongs to ("node").
func (c Case) Suite() string {
	s, _, _ := strings.Cut(c.Name, "/")
	return s
}

// Discover returns the cases under root, sorted by name: every directory at
// most two levels down that holds a model.onnx (root may be the suite's
// data directory, one suite directory such as node, or one case). When run
// is not nil only the cases whose name it matches are returned. It fails
// with ErrNoSuite when root has no case at all.
func Discover(root string, run *regexp.Regexp) ([]Case, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSuite, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrNoSuite, root)
	}
	var dirs []string
	for _, pattern := range []string{"model.onnx", "*/model.onnx", "*/*/model.onnx"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			return nil, err
		}
		for _, p := range m {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w under %s (install the Debian package libonnx-testdata)", ErrNoSuite, root)
	}
	var cases []Case
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs)
		if run != nil && !run.MatchString(name) {
			continue
		}
		cases = append(cases, Case{Name: name, Dir: d})
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

// dataSets returns the test_data_set_* directories of a case, sorted.
func dataSets(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var sets []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "test_data_set_") {
			sets = append(sets, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(sets)
	return sets, nil
}

// numbered returns the files prefix_0.pb, prefix_1.pb, ... of set, stopping
// at the first missing index.
func numbered(set, prefix string) ([]string, error) {
	var files []string
	for i := 0; ; i++ {
		p := filepath.Join(set, fmt.Sprintf("%s_%d.pb", prefix, i))
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return files, nil
			}
			return nil, err
		}
		files = append(files, p)
	}
}
