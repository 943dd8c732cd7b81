// Package target runs evaluation batches through a model version: Local
// loads one version of a repository in this process through the serving
// code the server uses (serving.Manager, Version.Infer), Remote sends
// them to a running server over any protocol (api/client).
package target
