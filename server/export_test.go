package server

// RouteScopes is the route → scope table, for the authorization matrix.
var RouteScopes = routeScopes
