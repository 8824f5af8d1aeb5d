// Package examples holds getcd's runnable examples; each is a main package
// below this folder and runs on an embedded etcd unless ETCD_ENDPOINTS names
// a cluster. This module is separate from the library so that the library
// never depends on the etcd server.
package examples
