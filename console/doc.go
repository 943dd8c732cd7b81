// Package console is inferd's web console: the data behind /ui/api/
// (an overview of every model and pipeline, one model's page, one
// pipeline's graph), a stream of server-sent events that keeps open pages
// live, and the embedded page itself (static/, plain HTML, CSS and
// JavaScript with no network access needed).
//
// The server (server/console.go) mounts it: it authorizes the routes,
// decides on which listener the console is served, and maps errors. The
// console changes nothing itself: the page's actions call the management
// API (labels, traffic, load, unload), so they take the same code path and
// need the same permission.
package console
