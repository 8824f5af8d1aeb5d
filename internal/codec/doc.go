// Package codec is getcd's own gRPC codec for the key-value calls (Range,
// Put, DeleteRange, Txn). It skips the detour through generated protobuf
// messages on both sides of a call:
//
//   - Requests are written straight into the protobuf wire format with
//     protowire from the builders' validated fields (see internal/wire;
//     a transaction's conditions, operations and nested transactions
//     included), with no message in between: a size pass records the
//     length of every nested message once, a write
//     pass fills one buffer of exactly that size (taken from gRPC's buffer
//     pool when it is large enough to be worth pooling, as gRPC's own codec
//     does).
//   - Responses are copied once out of gRPC's buffers into one owned byte
//     slice, and the caller's Unmarshaler decodes that slice straight into
//     its result types, the keys and values of the result aliasing it (see
//     package conn's decode.go). Reader has the wire primitives it needs,
//     with the skipping of unknown fields and typed errors for malformed
//     input.
//
// The codec is forced per call (grpc.ForceCodecV2) on the key-value calls
// only; every other call keeps gRPC's proto codec. Its Name is empty, so
// the content type on the wire is "application/grpc", as with gRPC's proto
// codec.
//
// Exactness is checked by tests: the bytes of every request the builders
// can make decode with etcd's generated messages to exactly what the public
// compile produces, and responses decode to exactly what the conversion of
// the generated messages yields.
package codec
