// Package pipeline serves model pipelines: a graph of steps, each a model
// (by name and version or label) or a built-in operation, whose inputs
// are the pipeline's inputs or other steps' outputs. A pipeline is a
// repository entry like a model (config.yaml `platform: pipeline`, each
// version folder holding a pipeline.yaml), so the serving package plans,
// loads, labels, splits and retires its versions as it does a model's;
// Builder turns a version's pipeline.yaml into its runner; the serving
// manager calls it through the Models interface, which it implements.
//
// Parse reads pipeline.yaml strictly. Compile checks the graph against
// the models as they are served (unknown models, steps, operations and
// tensors, datatype and static-shape mismatches, cycles) and orders it.
// The compiled Pipeline is a runner.Runner: each request runs every step
// once its inputs are ready, independent steps in parallel, passing
// tensors by pointer. A step may be soft (its failure marks its outputs
// missing), may run only when a condition on a tensor holds, and has a
// timeout. See docs/pipelines.md for the format.
package pipeline
