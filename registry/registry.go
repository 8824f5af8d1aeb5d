package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
)

// Errors about names. Each comes inside a *NameError, or with a hint on how
// to name a connection, and matches with errors.Is.
var (
	// ErrAlreadyOpen: a connection is already open (or opening) under the name.
	ErrAlreadyOpen = errors.New("registry: connection name already in use")
	// ErrNotFound: no connection is open under the name.
	ErrNotFound = errors.New("registry: no connection with that name")
	// ErrNoName: the request carries no connection name. The error says
	// how to give the request one.
	ErrNoName = errors.New("registry: request names no connection")
	// ErrConflictingNames: the requests inside a transaction without a name
	// of its own name different connections.
	ErrConflictingNames = errors.New("registry: the requests of the transaction name different connections")
	// ErrEmptyName: Open or Add was given "" as the name.
	ErrEmptyName = errors.New("registry: empty connection name")
	// ErrNoConn: Add was given a nil *[conn.Conn], or one that [conn.New] did
	// not make.
	ErrNoConn = errors.New("registry: not a connection made by conn.New")
	// ErrNoRegistry: Open or Add was called on a nil *Registry, which
	// holds nothing (its Lookup and Close find no name, Names is empty).
	// Make a registry with New, or use the package functions.
	ErrNoRegistry = errors.New("registry: nil *Registry; make one with New")
)

// errDropped is the error of an Open whose name was closed (by Close or
// CloseAll) while its connection was being made: the connection is closed.
var errDropped = fmt.Errorf("registry: name closed while its connection was opening: %w", conn.ErrClosed)

// NameError is a registry error about one name; it matches its sentinel
// with errors.Is.
type NameError struct {
	Name string
	Err  error
}

func (e *NameError) Error() string {
	if e == nil {
		return "registry: <nil>"
	}
	if e.Err == nil {
		return "registry: name error: " + strconv.Quote(e.Name)
	}
	return e.Err.Error() + ": " + strconv.Quote(e.Name)
}

func (e *NameError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// GRPCStatus gives status.Code a meaningful code: NotFound for an unknown
// name, AlreadyExists for a name in use, FailedPrecondition for a name
// closed while opening, InvalidArgument otherwise.
func (e *NameError) GRPCStatus() *status.Status {
	code := codes.InvalidArgument
	if e == nil {
		return status.New(code, e.Error())
	}
	switch {
	case errors.Is(e.Err, ErrNotFound):
		code = codes.NotFound
	case errors.Is(e.Err, ErrAlreadyOpen):
		code = codes.AlreadyExists
	case errors.Is(e.Err, conn.ErrClosed):
		code = codes.FailedPrecondition
	}
	return status.New(code, e.Error())
}

// Registry maps names to open connections. It is safe for concurrent use.
// Make one with New, or use the package functions, which work on a
// process-wide default registry. The zero value is an empty registry too. A
// nil *Registry holds nothing: Open and Add fail with ErrNoRegistry, Lookup
// and Close with ErrNotFound, and Names, Info and Stats are empty.
type Registry struct {
	mu    sync.RWMutex
	conns map[string]*entry
}

type entry struct {
	c *conn.Conn // nil while opening
}

// New returns an empty registry.
func New() *Registry { return &Registry{conns: make(map[string]*entry)} }

// Open connects with cfg and registers the connection under name. The name
// is reserved while connecting, so a concurrent Open of the same name fails
// with ErrAlreadyOpen rather than opening twice. If CloseAll drops the name
// while the connection is being made, Open closes the connection and fails
// with an error matching [conn.ErrClosed].
func (r *Registry) Open(ctx context.Context, name string, cfg conn.Config) (*conn.Conn, error) {
	if name == "" {
		return nil, &NameError{Name: name, Err: ErrEmptyName}
	}
	if r == nil {
		return nil, &NameError{Name: name, Err: ErrNoRegistry}
	}
	r.mu.Lock()
	if _, ok := r.conns[name]; ok {
		r.mu.Unlock()
		return nil, &NameError{Name: name, Err: ErrAlreadyOpen}
	}
	if r.conns == nil {
		r.conns = make(map[string]*entry)
	}
	e := &entry{}
	r.conns[name] = e
	r.mu.Unlock()

	c, err := conn.New(ctx, cfg)
	r.mu.Lock()
	// The name may have been dropped meanwhile, and even taken by another
	// Open: only this Open's own entry is touched.
	mine := r.conns[name] == e
	switch {
	case err != nil:
		if mine {
			delete(r.conns, name)
		}
		r.mu.Unlock()
		return nil, err
	case !mine:
		r.mu.Unlock()
		_ = c.Close()
		return nil, &NameError{Name: name, Err: errDropped}
	}
	e.c = c
	r.mu.Unlock()
	return c, nil
}

// Add registers a connection opened elsewhere under name. The registry then
// owns it: Close and CloseAll close it.
func (r *Registry) Add(name string, c *conn.Conn) error {
	if name == "" {
		return &NameError{Name: name, Err: ErrEmptyName}
	}
	if c.ClientConn() == nil {
		return &NameError{Name: name, Err: ErrNoConn}
	}
	if r == nil {
		return &NameError{Name: name, Err: ErrNoRegistry}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.conns[name]; ok {
		return &NameError{Name: name, Err: ErrAlreadyOpen}
	}
	if r.conns == nil {
		r.conns = make(map[string]*entry)
	}
	r.conns[name] = &entry{c: c}
	return nil
}

// Lookup returns the connection registered under name.
func (r *Registry) Lookup(name string) (*conn.Conn, error) {
	var c *conn.Conn
	if r != nil {
		r.mu.RLock()
		if e, ok := r.conns[name]; ok {
			c = e.c
		}
		r.mu.RUnlock()
	}
	if c == nil {
		if name == "" {
			return nil, &NameError{Name: name, Err: ErrEmptyName}
		}
		return nil, &NameError{Name: name, Err: ErrNotFound}
	}
	return c, nil
}

// Close closes the connection registered under name and forgets the name.
func (r *Registry) Close(name string) error {
	if r == nil {
		return &NameError{Name: name, Err: ErrNotFound}
	}
	r.mu.Lock()
	e, ok := r.conns[name]
	if !ok || e.c == nil {
		r.mu.Unlock()
		return &NameError{Name: name, Err: ErrNotFound}
	}
	delete(r.conns, name)
	r.mu.Unlock()
	return e.c.Close()
}

// CloseAll closes every registered connection and forgets every name, those
// still opening included (their Open fails and closes what it opened).
func (r *Registry) CloseAll() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	conns := r.conns
	r.conns = make(map[string]*entry)
	r.mu.Unlock()
	var errs []error
	for _, e := range conns {
		if e.c != nil {
			errs = append(errs, e.c.Close())
		}
	}
	return errors.Join(errs...)
}

// Names lists the registered names in order.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	names := make([]string, 0, len(r.conns))
	for n, e := range r.conns {
		if e.c != nil {
			names = append(names, n)
		}
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}
