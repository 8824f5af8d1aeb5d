package stm

import (
	"context"
	"strconv"

	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/op"
)

// DefaultMaxAttempts is how many times Run runs a transaction's function
// before it gives up with a *ConflictError, unless WithMaxAttempts says
// otherwise.
const DefaultMaxAttempts = 10

// Func is the body of a transaction. It reads and writes through tx, and
// runs once per attempt, on the goroutine that called Run, with Run's
// context. Returning an error aborts the transaction: nothing is written
// and Run returns the error unchanged.
type Func func(ctx context.Context, tx *Tx) error

// Request is an immutable description of a transaction: its function and
// how to run it. Every With method returns a new Request and leaves the
// receiver alone, so a base request may be shared across goroutines. The
// zero values of the options are the documented defaults; Run validates the
// request before anything is sent.
type Request struct {
	conn        string
	fn          Func
	iso         Isolation
	prefetch    []string
	maxAttempts int
	backoff     Backoff
	maxOps      int
	onRetry     func(Retry)
}

// New returns a request that runs fn with the defaults: serializable
// snapshot isolation, DefaultMaxAttempts attempts, the default Backoff and
// etcd's default limit of 128 operations per transaction.
func New(fn Func) Request { return Request{fn: fn} }

// On returns a request that runs fn and carries the name of the connection
// it is meant to run on, for running by name through the registry.
func On(conn string, fn Func) Request { return Request{conn: conn, fn: fn} }

// WithConn sets the name of the connection the transaction is meant to run
// on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// WithFunc sets the function, so that a base request with options can be
// shared by transactions that do different things.
func (r Request) WithFunc(fn Func) Request { r.fn = fn; return r }

// WithIsolation sets the isolation level.
func (r Request) WithIsolation(iso Isolation) Request { r.iso = iso; return r }

// WithPrefetch reads keys in one round trip before the first attempt; the
// function's reads of them are then served without another. Before each
// later attempt they are read again along with the keys the last attempt
// read, also in one round trip.
func (r Request) WithPrefetch(keys ...string) Request {
	if len(keys) > 0 {
		r.prefetch = append(r.prefetch[:len(r.prefetch):len(r.prefetch)], keys...)
	}
	return r
}

// WithMaxAttempts bounds the number of attempts; zero means
// DefaultMaxAttempts. One attempt means no retry.
func (r Request) WithMaxAttempts(n int) Request { r.maxAttempts = n; return r }

// WithBackoff sets the pauses between attempts.
func (r Request) WithBackoff(b Backoff) Request { r.backoff = b; return r }

// WithMaxOps sets the most conditions or operations the commit may hold,
// to match a server started with another --max-txn-ops. Zero means
// op.DefaultMaxOps (128).
func (r Request) WithMaxOps(n int) Request { r.maxOps = n; return r }

// WithOnRetry sets a function called, on the caller's goroutine, after each
// attempt that ends in a conflict and before the pause that follows it. It
// is not called for the last attempt.
func (r Request) WithOnRetry(hook func(Retry)) Request { r.onRetry = hook; return r }

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// Isolation returns the isolation level.
func (r Request) Isolation() Isolation { return r.iso }

// MaxAttempts returns the bound on attempts, with the default applied.
func (r Request) MaxAttempts() int {
	if r.maxAttempts == 0 {
		return DefaultMaxAttempts
	}
	return r.maxAttempts
}

// Prefetch returns a copy of the keys to read before the first attempt.
func (r Request) Prefetch() []string { return append([]string(nil), r.prefetch...) }

// Validate reports the first invalid option as an error that matches
// ErrInvalidRequest and names it. Run calls it; nothing is sent for an
// invalid request.
func (r Request) Validate() error {
	switch {
	case r.fn == nil:
		return invalid("func", "no function; build the request with New(fn) or On(name, fn)")
	case !r.iso.valid():
		return invalid("isolation", "unknown level "+r.iso.String())
	case r.maxAttempts < 0:
		return invalid("max_attempts", errs.Negative(int64(r.maxAttempts)))
	case r.maxOps < 0:
		return invalid("max_ops", errs.Negative(int64(r.maxOps)))
	}
	if err := r.backoff.Validate(); err != nil {
		return err
	}
	for i, k := range r.prefetch {
		if k == "" {
			return invalid("prefetch["+strconv.Itoa(i)+"]", "empty key; etcd rejects it")
		}
	}
	if n, limit := len(r.prefetch), r.opsLimit(); n > limit {
		return invalid("prefetch", strconv.Itoa(n)+" keys exceed the limit of "+strconv.Itoa(limit)+" operations per transaction (see WithMaxOps)")
	}
	return nil
}

func (r Request) opsLimit() int {
	if r.maxOps == 0 {
		return op.DefaultMaxOps
	}
	return r.maxOps
}

func invalid(field, reason string) error { return errs.Field("stm", "stm", field, reason) }
