package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/tensor"
)

// FileName is the name of a model's configuration file.
const FileName = "config.yaml"

// ErrInvalidConfig wraps every validation error of a config file.
var ErrInvalidConfig = errors.New("invalid model config")

// Config is a model's config.yaml. Zero values mean "default" as documented
// on each field; Load fills the defaults in.
type Config struct {
	// Name, when set, must equal the model's directory name.
	Name        string `yaml:"name" json:"name,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Platform is what the versions hold: "onnx" (the default, model.onnx)
	// or "pipeline" (pipeline.yaml, a graph of steps over other models).
	Platform string `yaml:"platform" json:"platform,omitempty"`
	// Engine selects the runtime: "native" (default) or "ort".
	Engine string `yaml:"engine" json:"engine,omitempty"`
	// Threads bounds the intra-op threads of each loaded session (0: engine default).
	Threads int `yaml:"threads" json:"threads,omitempty"`
	// InterOpThreads bounds the operators of a session run in parallel
	// (0 or 1: one at a time, the default). Engines that run operators one
	// at a time, such as native, ignore it; ort runs independent nodes in
	// parallel with that many threads when it is above 1.
	InterOpThreads int `yaml:"inter_op_threads" json:"inter_op_threads,omitempty"`
	// Inputs and Outputs declare the model's tensors. They are checked
	// against the model file when a version loads; when omitted, the
	// model file's declarations are used.
	Inputs  []TensorSpec `yaml:"inputs" json:"inputs,omitempty"`
	Outputs []TensorSpec `yaml:"outputs" json:"outputs,omitempty"`
	// Preprocess describes how an image request becomes the input tensor.
	Preprocess *Preprocess `yaml:"preprocess" json:"preprocess,omitempty"`
	// Postprocess describes how outputs become predictions.
	Postprocess *Postprocess `yaml:"postprocess" json:"postprocess,omitempty"`
	// VersionLabels maps names such as production or canary to versions.
	VersionLabels map[string]int `yaml:"version_labels" json:"version_labels,omitempty"`

	// VersionPolicy chooses the versions served (default: the latest one).
	VersionPolicy *VersionPolicy `yaml:"version_policy" json:"version_policy,omitempty"`
	// Traffic splits the unversioned route between versions by weight.
	Traffic Traffic `yaml:"traffic" json:"traffic,omitempty"`
	// Shadow mirrors requests to a version whose answers are only compared.
	Shadow *Shadow `yaml:"shadow" json:"shadow,omitempty"`
	// Batching groups requests into one engine call (off unless set).
	Batching *Batching `yaml:"batching" json:"batching,omitempty"`
	// Instances is the number of engine sessions per version (default 1);
	// with batching, that many batches run at once.
	Instances int `yaml:"instances" json:"instances,omitempty"`
	// Warmup runs each version before it becomes AVAILABLE.
	Warmup *Warmup `yaml:"warmup" json:"warmup,omitempty"`
	// MaxRunRows bounds the rows of one engine run when every input and
	// output has a variable first dimension: larger requests run in
	// slices of at most this many rows (0: the server's --max-run-rows;
	// -1: never, for models whose rows depend on each other).
	MaxRunRows int `yaml:"max_run_rows" json:"max_run_rows,omitempty"`
	// Monitoring configures payload capture (sampling, headers, redaction).
	Monitoring *Monitoring `yaml:"monitoring" json:"monitoring,omitempty"`

	// Labels holds the class labels read from Postprocess.Labels.
	Labels []string `yaml:"-" json:"-"`
	// Dir is the model directory the config was read from.
	Dir string `yaml:"-" json:"-"`
}

// TensorSpec declares one input or output.
type TensorSpec struct {
	Name     string       `yaml:"name" json:"name,omitempty"`
	DataType tensor.DType `yaml:"datatype" json:"datatype,omitempty"`
	// Shape lists the dimensions, -1 for a variable one (usually the batch).
	Shape []int `yaml:"shape" json:"shape,omitempty"`
	// AllowNaN lets a float input carry NaN or infinities; off by default.
	AllowNaN bool `yaml:"allow_nan" json:"allow_nan,omitempty"`
}

// Postprocess turns a classifier's output into ranked labels.
type Postprocess struct {
	// Output names the output holding class scores; default: the only output.
	Output string `yaml:"output" json:"output,omitempty"`
	// Softmax converts the scores into probabilities first.
	Softmax bool `yaml:"softmax" json:"softmax,omitempty"`
	// TopK is how many classes to return (default 5, at most the class count).
	TopK int `yaml:"top_k" json:"top_k,omitempty"`
	// Labels is a file, relative to the model directory, with one class
	// label per line; without it labels are the class indices.
	Labels string `yaml:"labels" json:"labels,omitempty"`
}

var modelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// ValidName reports whether s can name a model (and a URL path segment).
func ValidName(s string) bool { return modelNameRE.MatchString(s) && !strings.Contains(s, "..") }

// Load reads dir/config.yaml, applies defaults, validates it and reads the
// labels file. Every error names the file and, where it can, the key. It is
// LoadFS over the directory's files.
func Load(dir string) (*Config, error) {
	root := dir
	if root == "" {
		root = "." // os.DirFS("") opens nothing; Load("") has meant the current directory
	}
	return LoadFS(os.DirFS(root), dir)
}

// LoadFS reads config.yaml from fsys, the files of one model directory,
// applies defaults, validates it and reads the labels file from fsys too.
// A model directory without config.yaml has the default config: a plain
// ONNX model whose inputs and outputs all come from the model file.
// dir names the model directory: it is what errors name the files by
// (dir/config.yaml), the name a config's name key must match (its last
// element) and the Config's Dir. Every error names the file and, where it
// can, the key.
func LoadFS(fsys fs.FS, dir string) (*Config, error) {
	path := displayJoin(dir, FileName)
	data, err := fs.ReadFile(fsys, FileName)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = nil, nil // config.yaml is optional: every default
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, rebase(err, dir))
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, path, strings.TrimPrefix(err.Error(), ErrInvalidConfig.Error()+": "))
	}
	c.Dir = dir
	if name := filepath.Base(dir); c.Name != "" && c.Name != name {
		return nil, fmt.Errorf("%w: %s: name: %q does not match the directory name %q", ErrInvalidConfig, path, c.Name, name)
	}
	if c.Postprocess != nil && c.Postprocess.Labels != "" {
		labels, err := readLabels(fsys, dir, c.Postprocess.Labels)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: postprocess.labels: %w", ErrInvalidConfig, path, err)
		}
		if err := c.checkLabelCount(len(labels)); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, path, err)
		}
		c.Labels = labels
	}
	return c, nil
}

// FSPath turns a path that config.yaml gives relative to the model
// directory (postprocess.labels, warmup samples) into the name of that file
// in an fs.FS of the model directory's files. It fails unless the path is
// relative and stays inside the model directory.
func FSPath(rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%q must be a relative path inside the model directory", rel)
	}
	p := path.Clean(filepath.ToSlash(rel))
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("%q must be a relative path inside the model directory", rel)
	}
	return p, nil
}

// displayJoin joins a model directory, as errors name it, and a file name.
// A URL-like dir (scheme://...) is joined with a slash and not cleaned.
func displayJoin(dir, name string) string {
	if strings.Contains(dir, "://") {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// rebase makes the path of an fs.PathError from fsys, relative to the model
// directory, name the file under dir as Load's errors always have.
func rebase(err error, dir string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && !filepath.IsAbs(pe.Path) {
		return &fs.PathError{Op: pe.Op, Path: displayJoin(dir, pe.Path), Err: pe.Err}
	}
	return err
}

// Parse decodes and validates config.yaml content. Unknown keys are errors.
func Parse(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, yamlError(err))
	}
	c.setDefaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &c, nil
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlError rewrites yaml.v3's messages into ones that speak of config keys.
func yamlError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	return unknownFieldRE.ReplaceAllString(msg, `unknown key "$1"`)
}

func (c *Config) setDefaults() {
	if c.Platform == "" {
		c.Platform = "onnx"
	}
	if c.Postprocess != nil && c.Postprocess.TopK == 0 {
		c.Postprocess.TopK = 5
	}
	if p := c.Preprocess; p != nil && p.Image != nil {
		p.Image.setDefaults()
	}
}

func (c *Config) validate() error {
	if err := c.validatePlatform(); err != nil {
		return err
	}
	if c.Threads < 0 {
		return fmt.Errorf("threads: must not be negative, got %d", c.Threads)
	}
	if c.InterOpThreads < 0 {
		return fmt.Errorf("inter_op_threads: must not be negative, got %d", c.InterOpThreads)
	}
	if c.MaxRunRows < -1 {
		return fmt.Errorf("max_run_rows: want a positive number of rows, or -1 for no bound; got %d", c.MaxRunRows)
	}
	if err := validateSpecs("inputs", c.Inputs); err != nil {
		return err
	}
	if err := validateSpecs("outputs", c.Outputs); err != nil {
		return err
	}
	if err := c.validateLabels(); err != nil {
		return err
	}
	if err := c.validateLifecycle(); err != nil {
		return err
	}
	if err := c.validateBatching(); err != nil {
		return err
	}
	return c.validateSections()
}

// validateLabels checks the version labels in alphabetical order, so that
// of several bad ones the error names the same every time.
func (c *Config) validateLabels() error {
	for _, label := range slices.Sorted(maps.Keys(c.VersionLabels)) {
		if !ValidName(label) || isVersionLike(label) {
			return fmt.Errorf("version_labels: %q is not a valid label (letters, digits, _ . -, not a version number)", label)
		}
		if v := c.VersionLabels[label]; v <= 0 {
			return fmt.Errorf("version_labels.%s: version must be a positive integer, got %d", label, v)
		}
	}
	return nil
}

// validateSections checks the preprocess, postprocess and monitoring
// sections, each error prefixed with its section.
func (c *Config) validateSections() error {
	if c.Preprocess != nil {
		if err := c.Preprocess.validate(c); err != nil {
			return fmt.Errorf("preprocess.%w", err)
		}
	}
	if c.Postprocess != nil {
		if err := c.Postprocess.validate(c); err != nil {
			return fmt.Errorf("postprocess.%w", err)
		}
	}
	if c.Monitoring != nil {
		if err := c.Monitoring.validate(c); err != nil {
			return fmt.Errorf("monitoring.%w", err)
		}
	}
	return nil
}

func isVersionLike(s string) bool {
	_, err := ParseVersion(s)
	return err == nil
}

func validateSpecs(key string, specs []TensorSpec) error {
	seen := map[string]bool{}
	for i, s := range specs {
		at := fmt.Sprintf("%s[%d]", key, i)
		if s.Name == "" {
			return fmt.Errorf("%s.name: required", at)
		}
		if seen[s.Name] {
			return fmt.Errorf("%s.name: duplicate name %q", at, s.Name)
		}
		seen[s.Name] = true
		if s.DataType == tensor.Invalid {
			return fmt.Errorf("%s.datatype: required for %q", at, s.Name)
		}
		for j, d := range s.Shape {
			if d < -1 || d == 0 {
				return fmt.Errorf("%s.shape[%d]: %d is not a dimension (positive, or -1 for variable)", at, j, d)
			}
		}
		if s.AllowNaN && !s.DataType.IsFloat() {
			return fmt.Errorf("%s.allow_nan: only applies to float inputs, %q is %v", at, s.Name, s.DataType)
		}
	}
	return nil
}

// Policy returns the version policy, the default ({latest: 1}) if unset.
func (c *Config) Policy() VersionPolicy {
	if c.VersionPolicy == nil {
		return VersionPolicy{Latest: 1}
	}
	return *c.VersionPolicy
}

// Input returns the declared input with the given name.
func (c *Config) Input(name string) (TensorSpec, bool) { return findSpec(c.Inputs, name) }

// Output returns the declared output with the given name.
func (c *Config) Output(name string) (TensorSpec, bool) { return findSpec(c.Outputs, name) }

func findSpec(specs []TensorSpec, name string) (TensorSpec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s, true
		}
	}
	return TensorSpec{}, false
}

func (p *Postprocess) validate(c *Config) error {
	if p.TopK < 0 {
		return fmt.Errorf("top_k: must be positive, got %d", p.TopK)
	}
	if p.Output == "" {
		if len(c.Outputs) > 1 {
			return fmt.Errorf("output: required when the model declares %d outputs", len(c.Outputs))
		}
		if len(c.Outputs) == 1 {
			p.Output = c.Outputs[0].Name
		}
		return nil
	}
	if len(c.Outputs) > 0 {
		if _, ok := c.Output(p.Output); !ok {
			return fmt.Errorf("output: %q is not a declared output", p.Output)
		}
	}
	return nil
}

// checkLabelCount checks the labels file against the class dimension of
// the scored output, when that dimension is fixed.
func (c *Config) checkLabelCount(n int) error {
	out, ok := c.Output(c.Postprocess.Output)
	if !ok || len(out.Shape) == 0 {
		return nil
	}
	if classes := out.Shape[len(out.Shape)-1]; classes > 0 && classes != n {
		return fmt.Errorf("postprocess.labels: %s has %d labels but output %q has %d classes", c.Postprocess.Labels, n, out.Name, classes)
	}
	return nil
}

// readLabels reads a labels file of the model directory dir (files in
// fsys), one label per line.
func readLabels(fsys fs.FS, dir, name string) ([]string, error) {
	p, err := FSPath(name)
	if err != nil {
		return nil, err
	}
	// Only a regular file: a named pipe would block the load.
	if st, err := fs.Stat(fsys, p); err != nil {
		return nil, rebase(err, dir)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, rebase(err, dir)
	}
	return parseLabels(name, data)
}

// parseLabels splits the labels file name's content into labels, one a
// line; trailing blank lines are dropped.
func parseLabels(name string, data []byte) ([]string, error) {
	var labels []string
	for line := range strings.Lines(string(data)) {
		labels = append(labels, strings.TrimRight(line, "\r\n"))
	}
	for len(labels) > 0 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	return labels, nil
}
