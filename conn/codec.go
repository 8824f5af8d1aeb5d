package conn

import (
	"context"
	"errors"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/internal/codec"
)

// ErrMalformedResponse is matched when a key-value response could not be
// decoded: the bytes the server sent are not a valid protobuf message. A
// write that got one may have been applied (the error says so).
var ErrMalformedResponse = errors.New("conn: malformed response")

// CodecEnv is the environment variable that, set to "generated", turns
// getcd's wire codec off for every connection, as Config.GeneratedMessages
// does for one.
const CodecEnv = "GETCD_CODEC"

// codecOption forces getcd's codec on a call; boxed once.
var codecOption grpc.CallOption = grpc.ForceCodecV2(codec.Codec{})

// codecOff says whether a connection with cfg uses the generated messages.
func codecOff(cfg Config) bool {
	return cfg.GeneratedMessages || os.Getenv(CodecEnv) == "generated"
}

// usesCodec says whether c's key-value calls go through getcd's codec.
func (c *Conn) usesCodec() bool { return c != nil && c.cc != nil && !c.generated }

// wireResponse receives the bytes of one response (see codec.Unmarshaler)
// and decodes them into O.
type wireResponse[O any] struct {
	decode func([]byte) (O, error)
	out    O
	err    error // why the response could not be decoded
}

// UnmarshalWire decodes b, which the response owns from now on.
func (w *wireResponse[O]) UnmarshalWire(b []byte) error {
	w.out, w.err = w.decode(b)
	return w.err
}

// wireCall is one key-value call through the codec: one allocation for
// the request to encode and the response to fill, sized for the kind of
// request.
type wireCall[Q, O any] struct {
	req  Q
	resp wireResponse[O]
}

// codecUnary is unary (kv.go) through getcd's codec: q, the request as
// the builder validated it (codec.Range, Put, Delete or Txn), is encoded
// straight into the wire format and the response decoded straight into O.
func codecUnary[Q any, PQ interface {
	*Q
	codec.Message
}, O any](c *Conn, ctx context.Context, timeout time.Duration, method string, write bool,
	q Q, compileErr error, decode func([]byte) (O, error)) (O, error) {
	var zero O
	if compileErr != nil {
		return zero, compileErr
	}
	if err := c.usable(method); err != nil {
		return zero, err
	}
	call := &wireCall[Q, O]{req: q, resp: wireResponse[O]{decode: decode}}
	ctx, cancel := c.requestTimeout(ctx, timeout)
	defer cancel()
	if err := c.invoke(ctx, method, PQ(&call.req), &call.resp, write); err != nil {
		if call.resp.err != nil {
			return zero, malformed(err, call.resp.err, write)
		}
		return zero, err
	}
	return call.resp.out, nil
}

// malformed turns gRPC's report of a response the codec could not decode
// into an error matching ErrMalformedResponse. The server answered, so the
// request reached it; a write that got an answer nobody can read may have
// been applied.
func malformed(err, cause error, write bool) error {
	var ce *Error
	if !errors.As(err, &ce) {
		return err
	}
	e := *ce
	e.kind = ErrMalformedResponse
	e.NotSent = false
	e.Tried = nil
	e.Unknown = write
	e.Message = cause.Error()
	return &e
}

// requestSize is the encoded size of a request: the codec's, computed once
// and kept for the encoding, or protobuf's.
func requestSize(req any) int {
	if r, ok := req.(codec.Message); ok {
		return r.WireSize()
	}
	return proto.Size(req.(proto.Message))
}
