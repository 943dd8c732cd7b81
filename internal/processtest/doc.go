// Package processtest tests inferd as a real process: its tests build the
// binary and run it as a child, so that what they measure (resident
// memory, refused connections, the exit) is the server's alone.
//
//   - The hostile corpus is replayed concurrently against the example
//     models under the memory budgets a 2 GiB container would get; the
//     server refuses or answers each request, keeps serving, and its peak
//     resident memory (VmHWM) stays under that container's limit.
//   - A SIGTERM under load: for the shutdown delay the server keeps
//     accepting new connections while it reports not ready, so clients
//     see no refused connection, then it drains and exits cleanly.
package processtest
