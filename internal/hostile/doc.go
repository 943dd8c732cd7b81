// Package hostile replays a corpus of hostile requests concurrently against
// a real inferd process serving the example models, under the memory
// budgets a 2 GiB container would get, and checks that the server refuses
// or answers each of them, keeps serving, and that its peak resident
// memory (VmHWM) stays under that container's limit.
//
// It is a test-only package: its test builds the inferd binary and runs
// it as a child process, so that the memory measured is the server's
// alone.
package hostile
