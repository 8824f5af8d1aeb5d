package kv

import "github.com/getcd/getcd/internal/keys"

// PrefixEnd returns the range end that makes [key, end) cover every key
// starting with key: the key with trailing 0xff bytes dropped and its last
// byte incremented. When no such key exists (the key is empty or all 0xff)
// it returns "\x00", which etcd reads as "to the end of the keyspace".
func PrefixEnd(key string) string { return string(keys.PrefixEnd(key)) }
