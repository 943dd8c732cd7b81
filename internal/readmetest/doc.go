// Package readmetest checks that README.md works as written: its test
// runs the README's shell examples against a live server and compares
// their output with the answers the README shows, and checks its links.
//
// The rules, which the README's examples follow:
//
//   - A ```sh block is run when one of its commands calls curl or grpcurl
//     on 127.0.0.1:8080 (HTTP) or 127.0.0.1:8081 (gRPC). The test rewrites
//     those addresses to a server of examples/models it starts, and
//     `go tool grpcurl` to a built grpcurl (bin/grpcurl or one on PATH).
//     It runs those commands and the shell variable assignments (img=$(...))
//     of the block, in order, in one bash (with pipefail) at the top of the
//     repository; other commands (builds, inferd, docker, kubectl) are not
//     run. A block preceded by the line <!-- readme-test: skip --> is not
//     run: keep that for answers that change from run to run.
//   - A comment line right after a command is its answer when it starts
//     with "# {" or "# [" (JSON) or "# => " (text). Without an answer a
//     command must exit 0 and not answer a JSON {"error": ...}.
//   - Matching: "..." in an answer stands for any text (including none);
//     the rest must match exactly, the whole output, after the output is
//     made compact JSON (or, for a text answer, its runs of white space
//     single spaces). A JSON answer without "..." is compared as JSON, and
//     a number in it to the precision it is written with: -11.64 matches
//     any number that rounds to -11.64 (within half its last digit).
//   - A block whose commands need jq, perl or grpcurl is skipped, saying
//     so, when the tool is missing; the test installs nothing.
package readmetest
