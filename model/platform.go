package model

import "fmt"

// Platforms: what a version folder holds.
const (
	// PlatformONNX versions hold model.onnx (the default).
	PlatformONNX = "onnx"
	// PlatformPipeline versions hold pipeline.yaml: a graph of steps over
	// other models (package pipeline, docs/pipelines.md).
	PlatformPipeline = "pipeline"
)

// Version files: the file each version folder holds, by platform.
const (
	ONNXFile     = "model.onnx"
	PipelineFile = "pipeline.yaml"
)

// IsPipeline reports whether the config describes a pipeline.
func (c *Config) IsPipeline() bool { return c != nil && c.Platform == PlatformPipeline }

// VersionFile is the file a version folder of this model holds:
// pipeline.yaml for a pipeline, else model.onnx. A nil config (rejected)
// is a model.
func (c *Config) VersionFile() string {
	if c.IsPipeline() {
		return PipelineFile
	}
	return ONNXFile
}

// validatePlatform checks the platform, and that a pipeline sets none of
// the keys that only apply to an engine's sessions: a pipeline runs its
// steps' versions, which have their own.
func (c *Config) validatePlatform() error {
	switch c.Platform {
	case PlatformONNX:
		return nil
	case PlatformPipeline:
	default:
		return fmt.Errorf("platform: %q is not supported (want onnx or pipeline)", c.Platform)
	}
	for _, k := range []struct {
		key string
		set bool
	}{
		{"engine", c.Engine != ""}, {"threads", c.Threads != 0}, {"inter_op_threads", c.InterOpThreads != 0},
		{"batching", c.Batching != nil}, {"instances", c.Instances > 1}, {"warmup", c.Warmup != nil},
		{"inputs", len(c.Inputs) > 0}, {"outputs", len(c.Outputs) > 0},
	} {
		if k.set {
			return fmt.Errorf("%s: does not apply to a pipeline (its steps' models have their own; inputs and outputs are declared in each version's %s)", k.key, PipelineFile)
		}
	}
	return nil
}
