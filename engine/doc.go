// Package engine defines the contract between inferd and the runtimes that
// execute models: an Engine loads a model file into a Session, and a Session
// runs inference on tensors. Implementations live in child packages
// (engine/native, engine/ort) and register themselves by name.
package engine
